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

from rmt_dsm import api, scalar  # noqa: E402
from rmt_dsm.dsm import symbols as S  # noqa: E402
from rmt_dsm.dsm.claims import _VALUES, _dsm_pieces  # noqa: E402
from rmt_dsm.dsm.observables import compiled  # noqa: E402
from rmt_dsm.dsm.pencil import dsm_pencil  # noqa: E402
from rmt_dsm.dsm.atoms import ExplicitAtoms  # noqa: E402
from rmt_dsm.dsm.pencil import atom_name  # noqa: E402
from rmt_dsm.dsm.populations import populations  # noqa: E402
from rmt_dsm.dsm.training import _solve, training_curve  # noqa: E402
from rmt_dsm.dsm.two_point import node_factors, two_point_matrix  # noqa: E402
from rmt_dsm.data_spectrum import parse_sigma  # noqa: E402
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


def _base(psi_n, psi_p, m, t, lam=0.0, activation="tanh", sigma=None):
    pt = point(psi_n, psi_p, m, t, lam, activation, None, None, None, sigma)
    coef = coefficients_of(pt)
    base = {k: v for k, v in scalar._params(pt, coef, lam).items() if k not in ("x", "y", "epsilon")}
    return pt, coef, base


def _node(base, chart, z, sigma=None):
    sol = _solve(base, chart, -1.0, None, sigma)
    sol = _solve(base, chart, z, sol, sigma)
    x, y = (-1.0, -z) if chart == "primal" else (-z, -1.0)
    return sol, x, y


_PARAMS = (S.psi_n, S.psi_p, S.kappa, S.a, S.delta, S.mu1, S.v2, S.s2)


class Unreduced:
    """The doubled pencil of [T eq. (3.1)] without the reduction of [T eqs. (3.5)-(3.8)]: the
    engine's eta of `dsm_pencil(n_atoms)` written as eta(X) = sum_l Chat_l <P_l, X> (grouping its
    outputs by the linear form they read), the full block matrices G(z) rebuilt from (g_u0, g_u1,
    g_v) by inverting the size-1 classes [D eq. (5.6)], and dG_12 = G1 [eta(dG_12) - E] G2 solved
    as (I - K) y = -<P, G1 E G2> with the source E = sum_k c_k E_{aW_k}; the readout of Q
    [D eq. (6.2)] per atom, Q = sum_k w_k sum_pq beta_p beta_q g_{b_p b_q}(l_k) + sum_p (N_p/N)
    g_{u_p} sum_k w_k omega_p^2(l_k) (the per-atom beta_0 is 0/0 at l = 0, kappa = 0: not used there)."""

    def __init__(self, n_atoms):
        pen = dsm_pencil(n_atoms)
        atoms = ExplicitAtoms(n_atoms)
        self.atom_symbols = tuple(s for s in (*atoms.l, *atoms.w) if isinstance(s, sp.Symbol))
        K = len(pen.blocks)
        Xs = sp.Matrix(K, K, lambda i, j: sp.Symbol(f"X_{i}_{j}"))
        flat = list(Xs)
        E = pen.eta(Xs)
        coeff = {}
        for i in range(K):
            for j in range(K):
                if E[i, j] != 0:
                    coeff[(i, j)] = {flat.index(X): sp.cancel(sp.diff(E[i, j], X))
                                     for X in E[i, j].free_symbols if X in flat}
        groups = []
        for (i, j), row in coeff.items():
            lead = row[min(row)]
            form = {k: sp.cancel(c / lead) for k, c in row.items()}
            for fm, outs in groups:
                if fm.keys() == form.keys() and all(sp.cancel(fm[k] - form[k]) == 0 for k in form):
                    outs.append((i, j, lead))
                    break
            else:
                groups.append((form, [(i, j, lead)]))
        r = len(groups)
        P, C = sp.zeros(r, K * K), sp.zeros(r, K * K)
        for n, (form, outs) in enumerate(groups):
            for k, c in form.items():
                P[n, k] = c
            for i, j, sc in outs:
                C[n, i * K + j] = sc
        Emat = sp.zeros(K * K, K * K)
        for (i, j), row in coeff.items():
            for k, c in row.items():
                Emat[i * K + j, k] = c
        idx = {b: n for n, b in enumerate(pen.blocks)}
        q, src = sp.zeros(K, K), sp.zeros(K, K)
        for k, (lk, wk) in enumerate(zip(atoms.l, atoms.w), 1):
            pops = populations(lk)
            name = lambda b: idx[atom_name(b, k, n_atoms)]  # noqa: E731
            for p_ in range(2):
                for q_ in range(2):
                    q[name(f"b{p_}"), name(f"b{q_}")] += wk * pops[p_].beta * pops[q_].beta
                q[idx[f"u{p_}"], idx[f"u{p_}"]] += pops[p_].weight * wk * pops[p_].omega2
            src[name("aW"), name("aW")] = S.a**2 * lk + S.delta
        args = _PARAMS + self.atom_symbols
        self.big = tuple(idx[b] for b in ("u0", "u1", "v"))
        self.small = tuple(n for n in range(K) if n not in self.big)
        self.K = K
        lam_mat = pen.lambda_matrix().subs(S.eps, 0)
        self.Lambda = sp.lambdify((S.x, S.y) + args, lam_mat)
        self.eta, self.factors = sp.lambdify(args, Emat), sp.lambdify(args, (P, C))
        self.q, self.src = sp.lambdify(args, q), sp.lambdify(args, src)

    def values(self, base):
        return [base[s.name] for s in _PARAMS + self.atom_symbols]

    def full_G(self, base, x, y, g):
        pv, K = self.values(base), self.K
        G = np.zeros((K, K), dtype=complex)
        for b, v in zip(self.big, g):
            G[b, b] = v
        etaG = (np.asarray(self.eta(*pv), dtype=complex) @ G.reshape(K * K)).reshape(K, K)
        sm = np.array(self.small)
        M = (np.asarray(self.Lambda(x, y, *pv), dtype=complex) - etaG)[sm[:, None], sm[None, :]]
        G[sm[:, None], sm[None, :]] = np.linalg.inv(M)
        return G

    def T(self, base, G1, G2):
        pv = self.values(base)
        P, C = (np.asarray(m, dtype=float).reshape(-1, self.K, self.K) for m in self.factors(*pv))
        q, src = np.asarray(self.q(*pv), dtype=float), np.asarray(self.src(*pv), dtype=float)
        pair = lambda Y, X: np.sum(Y * (G1 @ X @ G2))  # noqa: E731  <Y, G1 X G2>
        Kmat = np.array([[pair(Pj, Cl) for Cl in C] for Pj in P])
        y = np.linalg.solve(np.eye(len(P)) - Kmat, -np.array([pair(Pj, src) for Pj in P]))
        return -(sum(yl * pair(q, Cl) for yl, Cl in zip(y, C)) - pair(q, src))


def _reduced_T(base, sigma, sols):
    """T(z_i, z_j) of [T eqs. (3.5)-(3.8)] at the Dyson solutions ``sols``."""
    spec = parse_sigma(sigma) if sigma else parse_sigma("1:1")
    c = compiled("numpy", api_reduction(spec))
    g = np.array([[complex(v) for v in s.vector] for s in sols])
    X1 = []
    for s in sols:
        vals = {k.name: v for k, v in s.values.items()}
        vals.update({k.name: v for k, v in s.params.items()})
        X1.append(complex(c.X1(*[vals[a.name] for a in c.args])))
    f = node_factors(base, spec.weights, spec.eigenvalues, g, np.array(X1))
    return two_point_matrix(base, spec.weights, spec.eigenvalues, f, f)


def api_reduction(spec):
    from rmt_dsm.dsm.atoms import reduction_for

    return reduction_for(spec)


def check_atom_entries():
    """[T eqs. (3.5)-(3.6)] the bilinear entries f^T G_s x of one atom's size-1 block (a0, b0, a1, b1, aW,
    bW) at eps = 0, symbolic: f, x in {e_a0, e_a1, c = mu1 e_b0 + mu1 e_b1 + e_bW, e_aW}, and the readout
    q = beta_0 e_b0 + beta_1 e_b1, whose 0/0 parts combine with the label noise into ybar."""
    A0, A1, gam, mu1, lk = sp.symbols("A_0 A_1 gamma mu_1 l")
    Mm = sp.zeros(6, 6)
    a0, b0, a1, b1, aW, bW = range(6)
    Mm[a0, a0], Mm[a1, a1] = -A0, -A1
    for a_, b_ in ((a0, b0), (a1, b1)):
        Mm[a_, b_] = Mm[b_, a_] = -mu1
    Mm[aW, bW] = Mm[bW, aW] = -1
    cvec = sp.Matrix([0, mu1, 0, mu1, 0, 1])
    Mm += -gam * cvec * cvec.T
    G = Mm.inv()
    e = lambda i: sp.Matrix([1 if j == i else 0 for j in range(6)])  # noqa: E731
    Sx = A0 + A1
    D = 1 / (1 - gam * Sx)
    rho = gam * D
    want = {("a0", "a0"): rho, ("a0", "a1"): rho, ("a0", "c"): -D, ("a0", "aW"): rho,
            ("a1", "a1"): rho, ("a1", "c"): -D, ("a1", "aW"): rho,
            ("c", "c"): Sx * D, ("c", "aW"): -D}
    vec = {"a0": e(a0), "a1": e(a1), "c": cvec, "aW": e(aW)}
    ok = all(sp.simplify((vec[f].T * G * vec[x])[0, 0] - v) == 0 for (f, x), v in want.items())
    report("T eq. (3.5) one atom: e_a^T G x = rho, rho, -D, rho; c^T G x = -D, -D, S D, -D", ok)
    # readout: beta_p A_p = sqrt(Delta) mu1^2 (kappa g_u0, (1 - kappa) g_u1) [S§5]
    dl, ka, g0, g1 = sp.symbols("Delta kappa g_u0 g_u1", positive=True)
    pops = populations(lk)
    K0, K1 = (p_.weight * p_.kgamma2 / S.kappa for p_ in pops)
    sub = {S.kappa: ka, S.delta: dl}
    K0, K1 = K0.subs(sub), K1.subs(sub)
    beta = [p_.beta.subs(sub) for p_ in pops]
    Avals = {A0: mu1**2 * K0 * g0, A1: mu1**2 * K1 * g1}
    qv = beta[0] * e(b0) + beta[1] * e(b1)
    gbar = ka * g0 + (1 - ka) * g1
    phi = sp.sqrt(dl) * mu1 * gbar * rho
    want_q = {"a0": -beta[0] / mu1 - phi, "a1": -beta[1] / mu1 - phi, "c": sp.sqrt(dl) * mu1 * gbar * D, "aW": -phi}
    ok = all(sp.simplify(((qv.T * G * vec[x])[0, 0] - v).subs(Avals)) == 0 for x, v in want_q.items())
    report("T eq. (3.6) q^T G x = -beta_0/mu1 - phi, -beta_1/mu1 - phi, sqrt(Delta) mu1 gbar D, -phi", ok)
    omega0 = pops[0].omega2.subs(sub)
    ok = (sp.simplify(beta[0]**2 * K0 + ka * omega0 - ka) == 0 and sp.simplify(beta[1]**2 * K1 - (1 - ka)) == 0
          and sp.simplify(beta[0] * K0 - sp.sqrt(dl) * ka) == 0 and sp.simplify(beta[1] * K1 - sp.sqrt(dl) * (1 - ka)) == 0)
    report("T eq. (3.8) beta_0^2 K_0 + kappa omega_0^2 = kappa, beta_1^2 K_1 = 1 - kappa, beta_p K_p = sqrt(Delta) "
           "(kappa, 1 - kappa): the readout is regular at l = 0, kappa = 0", ok)


def check_two_point_reduction():
    """[T eqs. (3.5)-(3.8)] the reduced two-point function equals the unreduced doubled pencil (engine
    eta of dsm_pencil(n_atoms)), z1 != z2: one atom (Sigma = I), two atoms (one of them l = 0), two atoms
    at m = inf (l > 0: the unreduced readout has beta_0 = 0/0 at l = 0, kappa = 0)."""
    cases = [(None, 1, (1.0, 0.5, 1, 0.5, "primal", [-0.3, 0.5 + 0.4j])),
             (None, 1, (0.7, 1.5, 3, 0.3, "primal", [0.5 + 0.4j, 2 - 0.3j])),
             (None, 1, (1.0, 2.0, 1, 0.5, "dual", [-0.2, 1 + 0.3j])),
             ("0.5:2,0.5:0", 2, (1.0, 0.5, 1, 0.3, "primal", [-0.3, 0.4 + 0.5j])),
             ("0.3:3,0.7:0", 2, (0.5, 1.5, 4, 0.5, "dual", [0.6 + 0.2j, 1.5 - 0.4j])),
             ("0.4:2.5,0.6:0.2", 2, (1.0, 2.0, math.inf, 0.5, "primal", [0.2 + 0.5j, 1.5 + 0.2j]))]
    structures = {}
    for sigma, n_atoms, (pn, pp, m, t, chart, zs) in cases:
        un = structures.setdefault(n_atoms, Unreduced(n_atoms))
        _, _, base = _base(pn, pp, m, t, sigma=sigma)
        if n_atoms == 1:
            base = {**base, "l_1": 1.0}
        nodes = [_node(base, chart, z, sigma) for z in zs]
        Gs = [un.full_G(base, x, y, [complex(v) for v in sol.vector]) for sol, x, y in nodes]
        T_un = np.array([[un.T(base, G1, G2) for G2 in Gs] for G1 in Gs])
        T_red = _reduced_T(base, sigma, [sol for sol, _, _ in nodes])
        err = float(np.max(np.abs(T_red - T_un) / np.abs(T_un)))
        report(f"T eqs. (3.5)-(3.8) reduced = unreduced doubled pencil ({n_atoms} atom(s) {sigma or '1:1'}, "
               f"psi_n={pn}, psi_p={pp}, m={m}, {chart})", err < 1e-11, f"max rel. diff {err:.1e}")


def check_two_point_diagonal():
    """[T eq. (3.4)] at z1 = z2 the linear response is the engine's implicit-function dQ/deps (the probe
    eps weights atom k by a^2 l_k + Delta, so T(z, z) = -dQ/deps), for Sigma = I and two spectra."""
    for (pn, pp, m, t, chart, z, sigma) in [(1.0, 0.5, 1, 0.5, "primal", -0.3, None),
                                            (1.0, 2.0, 1, 0.5, "dual", -0.2, None),
                                            (0.7, 1.5, 3, 0.3, "primal", 0.5 + 0.4j, None),
                                            (0.5, 3.0, 2, 1.0, "dual", 1.0 + 0.3j, None),
                                            (1.0, 2.0, math.inf, 0.5, "primal", 0.2 + 0.5j, None),
                                            (1.0, 0.5, 1, 0.3, "primal", 0.4 + 0.5j, "0.5:2,0.5:0"),
                                            (0.25, 1.5, 4, 0.5, "dual", 0.8 + 0.3j, "0.5:2,0.5:0"),
                                            (1.0, 2.0, math.inf, 0.5, "primal", 0.3 + 0.4j, "0.3:3,0.7:0")]:
        _, _, base = _base(pn, pp, m, t, sigma=sigma)
        spec = parse_sigma(sigma) if sigma else parse_sigma("1:1")
        c = compiled("numpy", api_reduction(spec))
        sol, x, y = _node(base, chart, z, sigma)
        vals = {s.name: v for s, v in sol.values.items()}
        vals.update({k.name: v for k, v in sol.params.items()})
        args = [vals[s.name] for s in c.args]
        grad = np.asarray(c.dQ_dg(*args), dtype=complex).ravel()
        part = np.asarray(c.dQ_dtheta(*args), dtype=complex).ravel()
        dg = sol.derivative("epsilon")
        dQ = part[2] + sum(gi * dg[u] for gi, u in zip(grad, sol.system.unknowns))
        T = _reduced_T(base, sigma, [sol])[0, 0]
        err = abs(T + dQ) / abs(dQ)
        report(f"T eq. (3.4) T(z, z) = -dQ/deps (psi_n={pn}, psi_p={pp}, m={m}, {chart}, z={z}, "
               f"sigma={sigma or '1:1'})", err < 1e-12, f"rel. diff {err:.1e}")


def check_two_point_matrices(d=300, draws=8, seed=3):
    """[T§3] T(z1, z2) against the mean over draws of the Gaussian-equivalent model (m = 1), d = 300:
    agreement within 3 standard errors plus 1% (the O(1/d) finite-size bias)."""
    pn, pp, t = 1.0, 0.5, 0.5
    pt, coef, base = _base(pn, pp, 1, t)
    rng = np.random.default_rng(seed)
    n, p = int(pn * d), int(pp * d)
    zs = [0.3 + 0.4j, 1.2 - 0.5j]
    T_th = _reduced_T(base, None, [_node(base, "primal", z)[0] for z in zs]) / (pt.a**2 + pt.delta)
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
    """[T§4] the contour at tau = inf reproduces the ridge errors of rmt_dsm.errors (any data spectrum)."""
    for (pn, pp, m, t, lam, sigma) in [(1.0, 0.5, 1, 0.5, 0.0, None), (1.0, 3.0, 1, 1.0, 0.0, None),
                                       (0.5, 1.5, 2, 0.3, 0.05, None), (1.0, 2.0, math.inf, 0.5, 0.0, None),
                                       (0.8, 4.0, 4, 0.4, 0.0, None), (1.0, 0.5, 1, 0.3, 0.0, "0.5:2,0.5:0"),
                                       (0.25, 1.5, 4, 0.5, 0.0, "0.5:2,0.5:0"),
                                       (0.7, 1.2, math.inf, 1.0, 0.02, "0.3:3,0.7:0")]:
        pt, coef, base = _base(pn, pp, m, t, lam, sigma=sigma)
        curve = training_curve(base, pt.chart, coef, pt.a, pt.delta, pt.lam, sigma=pt.sigma)
        ours = curve.at(math.inf)
        ridge = api.errors(pn, pp, m, t=t, lam=lam, sigma=sigma)
        err = max(abs(getattr(ours, k) - getattr(ridge, k)) for k in ("train", "test", "score", "gap", "floor"))
        report(f"T§4 contour at tau = inf = ridge (psi_n={pn}, psi_p={pp}, m={m}, lam={lam}, sigma={sigma or '1:1'})",
               err < 1e-12, f"max abs diff {err:.1e}, {len(curve.data.z)} nodes")


if __name__ == "__main__":
    check_flow()
    check_functionals()
    check_read_off()
    check_atom_entries()
    check_two_point_reduction()
    check_two_point_diagonal()
    check_two_point_matrices()
    check_tau_inf()
    print(f"{len(FAILED)} failed" if FAILED else "all training-time checks pass")
    sys.exit(1 if FAILED else 0)
