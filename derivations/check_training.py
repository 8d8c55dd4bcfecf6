#!/usr/bin/env python
"""Checks of derivations/training_time.md (gradient-flow learning curves), section by section.

Each check prints PASS/FAIL with the section it verifies; exit status 1 on any failure.
Run:  python derivations/check_training.py
"""
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from rmt_dsm import api  # noqa: E402
from rmt_dsm.dsm import symbols as S  # noqa: E402
from rmt_dsm.dsm.claims import _VALUES, _dsm_pieces  # noqa: E402
from rmt_dsm.dsm.observables import compiled  # noqa: E402
from rmt_dsm.dsm.pencil import dsm_pencil  # noqa: E402
from rmt_dsm.dsm.training import _solve, training_curve  # noqa: E402
from rmt_dsm.dsm.two_point import full_G, two_point_matrix, two_point_structure  # noqa: E402
from rmt_dsm.point import coefficients_of, point  # noqa: E402
from rmt_dsm.engine.claims import PencilClaim  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_dsm import FAILED, report  # noqa: E402  (the PASS/FAIL printer of the derivation checks)


def check_flow():
    """[T§1] g_tau solves the scalar flow; tau -> inf; Euler steps of gradient descent."""
    u, lam, tau, eta = sp.symbols("u lambda tau eta", positive=True)
    K = sp.Symbol("K", positive=True, integer=True)
    g = (1 - sp.exp(-tau * (u + lam))) / (u + lam)
    report("T eq. (1.1)-(1.2) dg/dtau = 1 - (u + lambda) g", sp.simplify(sp.diff(g, tau) - (1 - (u + lam) * g)) == 0)
    report("T eq. (1.2) g_0 = 0", sp.simplify(g.subs(tau, 0)) == 0)
    report("T eq. (1.2) g_tau -> 1/(u + lambda)", sp.limit(g, tau, sp.oo) == 1 / (u + lam))
    report("T eq. (1.2) g_tau(-lambda) = tau (entire)", sp.limit(g, u, -lam) == tau)
    # Euler: c_{k+1} = c_k - eta ((u + lam) c_k - 1), c_0 = 0  =>  c_K = (1 - (1 - eta (u+lam))^K)/(u + lam)
    cK = (1 - (1 - eta * (u + lam)) ** K) / (u + lam)
    step = sp.simplify(cK.subs(K, K + 1) - (cK - eta * ((u + lam) * cK - 1)))
    report("T§1 gradient descent = Euler scheme of the flow", step == 0 and sp.simplify(cK.subs(K, 0)) == 0)
    report("T§1 Euler -> flow as eta = tau/K -> 0",
           sp.simplify(sp.limit(cK.subs(eta, tau / K), K, sp.oo) - g) == 0)


def check_functionals(seed=1):
    """[T eq. (2.2)] the errors of C = V^T g(U) as functionals of g, exact on random matrices."""
    rng = np.random.default_rng(seed)
    N, p, d = 5, 4, 3
    Phi = sp.Matrix(rng.integers(-3, 4, (N, p)).tolist())
    T = sp.Matrix(rng.integers(-3, 4, (N, d)).tolist())
    W = sp.Matrix(rng.integers(-3, 4, (p, d)).tolist())
    U, V, A = Phi.T * Phi / N, Phi.T * T / N, W * W.T / d
    c0, c1, c2 = sp.Rational(2, 3), sp.Rational(-1, 5), sp.Rational(1, 7)
    gU = c0 * sp.eye(p) + c1 * U + c2 * U * U           # any function of U: a polynomial here
    C = V.T * gU
    R = T - Phi * C.T
    train = (R.T * R).trace() / (d * N)
    F = lambda M: (V.T * M * V).trace() / d  # noqa: E731
    rhs = (T.T * T).trace() / (d * N) - 2 * F(gU) + F(U * gU * gU)
    report("T eq. (2.2) E_train = tr(T^T T)/(dN) - 2 F[g] + F[u g^2]", sp.simplify(train - rhs) == 0)
    mu1, v2s2, G2, sD = sp.Rational(1, 2), sp.Rational(3, 4), sp.Rational(5, 4), sp.Rational(2, 3)
    Sigma = mu1**2 * G2 * A + v2s2 * sp.eye(p)
    test = 1 - 2 * (C * mu1 * sD * W / sp.sqrt(d)).trace() / d + (C * Sigma * C.T).trace() / d
    X = (V.T * gU * W).trace() / d / sp.sqrt(d)
    B = (V.T * gU * A * gU * V).trace() / d
    rhs = 1 - 2 * mu1 * sD * X + mu1**2 * G2 * B + v2s2 * F(gU * gU)
    report("T eq. (2.2) E_test = 1 - 2 mu1 sqrt(Delta) X[g] + mu1^2 Gamma^2 B[g] + (v^2+s^2) F[g^2]",
           sp.simplify(test - rhs) == 0)


def _aW_claims():
    pen = dsm_pencil()

    def b_aW(k):
        def intended(M, v, d):
            B, Yt, A, P, Ws, sq = _dsm_pieces(1, M, v, d)  # one atom: Sigma = I
            return Yt[(k, 1)].T * B[k] * P * Ws[0] / sq
        return intended

    def u_aW(k):
        def intended(M, v, d):
            B, Yt, A, P, Ws, sq = _dsm_pieces(1, M, v, d)
            return B[k] * P * Ws[0] / sq
        return intended

    for k in range(2):
        yield PencilClaim(f"train_b{k}aW", pen, (f"b{k}", "aW"), b_aW(k), _VALUES, d=1, trials=1,
                          description=f"(L^-1)_(b{k},aW) = Yt B_{k} P W/sqrt(d)")
        yield PencilClaim(f"train_u{k}aW", pen, (f"u{k}", "aW"), u_aW(k), _VALUES, d=1, trials=1,
                          description=f"(L^-1)_(u{k},aW) = B_{k} P W/sqrt(d)")


def check_read_off():
    """[T eq. (3.2)] the aW column of L^{-1} (exact, random integer matrices, generic x, y, eps)."""
    for claim in _aW_claims():
        ok, msg = claim.check(seed=0)
        report(f"T eq. (3.2) {msg}", ok)


def _base(psi_n, psi_p, m, t, lam=0.0, activation="tanh"):
    pt = point(psi_n, psi_p, m, t, lam, activation, None, None, None)
    coef = coefficients_of(pt)
    base = {k: v for k, v in api._params(pt, coef, lam).items() if k not in ("x", "y", "epsilon")}
    return pt, coef, base


def _node(base, chart, z):
    sol = _solve(base, chart, -1.0)
    sol = _solve(base, chart, z, sol)
    x, y = (-1.0, -z) if chart == "primal" else (-z, -1.0)
    return sol, x, y


def check_two_point_diagonal():
    """[T eq. (3.4)] at z1 = z2 the linear response is the engine's implicit-function dQ/deps."""
    c = compiled("numpy")
    st = two_point_structure()
    for (pn, pp, m, t, chart, z) in [(1.0, 0.5, 1, 0.5, "primal", -0.3), (1.0, 2.0, 1, 0.5, "dual", -0.2),
                                     (0.7, 1.5, 3, 0.3, "primal", 0.5 + 0.4j), (0.5, 3.0, 2, 1.0, "dual", 1.0 + 0.3j),
                                     (1.0, 2.0, math.inf, 0.5, "primal", 0.2 + 0.5j)]:
        _, _, base = _base(pn, pp, m, t)
        sol, x, y = _node(base, chart, z)
        vals = {s.name: v for s, v in sol.values.items()}
        vals.update({k.name: v for k, v in sol.params.items()})
        args = [vals[s.name] for s in c.args]
        grad = np.asarray(c.dQ_dg(*args), dtype=complex).ravel()
        part = np.asarray(c.dQ_dtheta(*args), dtype=complex).ravel()
        dg = sol.derivative("epsilon")
        dQ = part[2] + sum(gi * dg[u] for gi, u in zip(grad, sol.system.unknowns))
        G = full_G(st, base, [x], [y], [sol.vector])
        T = two_point_matrix(st, base, G, G)[0, 0]
        err = abs(T + dQ) / abs(dQ)
        report(f"T eq. (3.4) T(z, z) = -dQ/deps (psi_n={pn}, psi_p={pp}, m={m}, {chart}, z={z})", err < 1e-12,
               f"rel. diff {err:.1e}")


def check_two_point_matrices(d=300, draws=8, seed=3):
    """[T§3] T(z1, z2) against the mean over draws of the Gaussian-equivalent model (m = 1), d = 300:
    agreement within 3 standard errors plus 1% (the O(1/d) finite-size bias)."""
    pn, pp, t = 1.0, 0.5, 0.5
    pt, coef, base = _base(pn, pp, 1, t)
    rng = np.random.default_rng(seed)
    n, p = int(pn * d), int(pp * d)
    zs = [0.3 + 0.4j, 1.2 - 0.5j]
    st = two_point_structure()
    Gs = []
    for z in zs:
        sol, x, y = _node(base, "primal", z)
        Gs.append(full_G(st, base, [x], [y], [sol.vector])[0])
    T_th = two_point_matrix(st, base, np.array(Gs), np.array(Gs))
    samples = []
    for _ in range(draws):
        W = rng.standard_normal((p, d))
        X, Xi = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        Y = pt.a * X + math.sqrt(pt.delta) * Xi
        Phi = coef.mu1 * Y @ W.T / math.sqrt(d) + math.sqrt(coef.v2 + coef.s2) * rng.standard_normal((n, p))
        U, V, A = Phi.T @ Phi / n, Phi.T @ Xi / n, W @ W.T / d
        R = [np.linalg.inv(U - z * np.eye(p)) for z in zs]
        samples.append([[np.trace(V.T @ R[i] @ A @ R[j] @ V) / d for j in range(2)] for i in range(2)])
    samples = np.array(samples)
    mean, se = samples.mean(axis=0), samples.std(axis=0, ddof=1) / math.sqrt(draws)
    for i in range(2):
        for j in range(2):
            err = abs(T_th[i, j] - mean[i, j])
            tol = 3 * abs(se[i, j]) + 0.01 * abs(mean[i, j])
            report(f"T§3 T(z{i + 1}, z{j + 1}) vs {draws} draws at d = {d}", err < tol,
                   f"diff {err:.1e}, tolerance {tol:.1e}")


def check_tau_inf():
    """[T§4] the contour at tau = inf reproduces the ridge errors of rmt_dsm.errors."""
    for (pn, pp, m, t, lam) in [(1.0, 0.5, 1, 0.5, 0.0), (1.0, 3.0, 1, 1.0, 0.0), (0.5, 1.5, 2, 0.3, 0.05),
                                (1.0, 2.0, math.inf, 0.5, 0.0), (0.8, 4.0, 4, 0.4, 0.0)]:
        pt, coef, base = _base(pn, pp, m, t, lam)
        curve = training_curve(base, pt.chart, coef, pt.a, pt.delta, pt.lam)
        ours = curve.at(math.inf)
        ridge = api.errors(pn, pp, m, t=t, lam=lam)
        err = max(abs(getattr(ours, k) - getattr(ridge, k)) for k in ("train", "test", "score", "gap"))
        report(f"T§4 contour at tau = inf = ridge (psi_n={pn}, psi_p={pp}, m={m}, lam={lam})", err < 1e-12,
               f"max abs diff {err:.1e}, {len(curve.data.z)} nodes")


if __name__ == "__main__":
    check_flow()
    check_functionals()
    check_read_off()
    check_two_point_diagonal()
    check_two_point_matrices()
    check_tau_inf()
    print(f"{len(FAILED)} failed" if FAILED else "all training-time checks pass")
    sys.exit(1 if FAILED else 0)
