#!/usr/bin/env python
"""Sympy checks of every algebraic step of derivations/dsm_learning_curves.md.

Each check prints PASS/FAIL with the section it verifies; exit status 1 on any failure.
Run:  python derivations/check_dsm.py
"""
import sys

from checklib import FAILED, report

import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from rmt_dsm.dsm import symbols as S  # noqa: E402
from rmt_dsm.dsm.populations import populations  # noqa: E402
from rmt_dsm.dsm.system import fixed_point_map  # noqa: E402


def helmert(m):
    """Orthogonal m x m matrix with first row (1,...,1)/sqrt(m) (Helmert basis)."""
    rows = [[sp.Integer(1) / sp.sqrt(m)] * m]
    for k in range(1, m):
        r = [sp.Integer(1) / sp.sqrt(k * (k + 1))] * k + [-sp.Integer(k) / sp.sqrt(k * (k + 1))]
        rows.append(r + [0] * (m - k - 1))
    return sp.Matrix(rows)


def check_rotation():
    """[D§2] rotation within a group: invariance of U, V and the loss, and the two populations."""
    for m in (2, 3, 4):
        O = helmert(m)
        report(f"D§2 Helmert basis orthogonal (m={m})", sp.simplify(O * O.T - sp.eye(m)) == sp.zeros(m))
        report(f"D§2 contrast rows sum to zero (m={m})",
               all(sp.simplify(sum(O[k, :])) == 0 for k in range(1, m)))
    # invariance of sum_j f_j g_j^T under f -> O f (columnwise, any f, g): f^T g = (Of)^T (Og)
    m = 3
    O = helmert(m)
    f = sp.Matrix(sp.symbols("f0:3"))
    g = sp.Matrix(sp.symbols("h0:3"))
    report("D§2 sum_j phi_j xi_j^T invariant (U, V, loss)", sp.expand(((O * f).T * (O * g))[0] - (f.T * g)[0]) == 0)
    # per-coordinate covariance of (feature, target) pairs under the GE model, m draws of one x:
    # phi_j = c + mu1 sqrt(Delta) g_j + s z_j,  xi-coordinate: g_j;  c = mu1 a u + v eta (shared)
    a, D, mu1, v2, s2 = S.a, S.delta, S.mu1, S.v2, S.s2
    # random vector (u, eta, g_1..g_m, z_1..z_m) ~ N(0, I); phi and xi are linear maps of it
    dim = 2 + 2 * m
    L_phi = sp.zeros(m, dim)
    L_xi = sp.zeros(m, dim)
    for j in range(m):
        L_phi[j, 0] = mu1 * a
        L_phi[j, 1] = sp.sqrt(v2)
        L_phi[j, 2 + j] = mu1 * sp.sqrt(D)
        L_phi[j, 2 + m + j] = sp.sqrt(s2)
        L_xi[j, 2 + j] = 1
    Lp, Lx = O * L_phi, O * L_xi
    Cpp, Cpx, Cxx = sp.simplify(Lp * Lp.T), sp.simplify(Lp * Lx.T), sp.simplify(Lx * Lx.T)
    ok = all(sp.simplify(Cpp[i, j]) == 0 and sp.simplify(Cpx[i, j]) == 0 for i in range(m) for j in range(m) if i != j)
    report("D§2 rotated pairs are independent across k (features and targets)", ok)
    ok0 = sp.simplify(Cpp[0, 0] - (m * (mu1**2 * a**2 + v2) + mu1**2 * D + s2)) == 0
    ok1 = all(sp.simplify(Cpp[k, k] - (mu1**2 * D + s2)) == 0 for k in range(1, m))
    report("D§2 feature variances: m(mu1^2 a^2 + v^2) + mu1^2 Delta + s^2 and mu1^2 Delta + s^2", ok0 and ok1)
    okx = all(sp.simplify(Cpx[k, k] - mu1 * sp.sqrt(D)) == 0 for k in range(m)) and Cxx == sp.eye(m)
    report("D§2 target-feature covariance mu1 sqrt(Delta), unit target variance", okx)


def check_populations():
    """[D§2, eq. (2.4)] population parameters, in kappa = 1/m."""
    a, D, k = S.a, S.delta, S.kappa
    m = sp.Symbol("m", positive=True)
    p0, p1 = populations()
    # population 0: input sqrt(m) a x + sqrt(Delta) xi (variance m a^2 + Delta), target xi
    g0 = m * a**2 + D
    ok = sp.simplify((p0.kgamma2 / k).subs(k, 1 / m) - g0) == 0
    ok &= sp.simplify(p0.beta.subs(k, 1 / m) - sp.sqrt(D) / g0) == 0
    ok &= sp.simplify(p0.omega2.subs(k, 1 / m) - (1 - D / g0)) == 0
    ok &= sp.simplify((p0.ktau2 / k).subs(k, 1 / m) - (m * S.v2 + S.s2)) == 0
    report("D§2 population 0 (group means): gamma^2, beta, omega^2, tau^2", ok)
    ok = sp.simplify(p1.kgamma2 / k - D) == 0 and sp.simplify(p1.beta - 1 / sp.sqrt(D)) == 0
    ok &= p1.omega2 == 0 and sp.simplify(p1.ktau2 / k - S.s2) == 0
    report("D§2 population 1 (contrasts): gamma^2 = Delta, beta = 1/sqrt(Delta), no label noise", ok)
    tot = sum(p.weight * (p.beta**2 * p.kgamma2 / k + p.omega2) for p in (p0, p1))
    report("D§6 sum_k (N_k/N)(beta_k^2 gamma_k^2 + omega_k^2) = 1", sp.simplify(tot - 1) == 0)
    # regular at kappa = 0: every equation and observable is finite there
    T = fixed_point_map()
    at0 = [sp.together(t).subs(k, 0) for t in T]
    ok = not any(e.has(sp.zoo, sp.nan, sp.oo) for e in at0)
    ok &= all(not sp.denom(sp.together(t)).has(1 / k) for t in T)
    report("D§7 fixed-point map regular at kappa = 0 (m = infinity)", ok)


def check_error_identities(seed=1):
    """[D§6] finite-d identities behind the error formulas (exact, symbolic lambda, eps)."""
    rng = np.random.default_rng(seed)
    N, p, d = 5, 3, 2
    Phi = sp.Matrix(rng.integers(-3, 4, size=(N, p)).tolist())
    T = sp.Matrix(rng.integers(-3, 4, size=(N, d)).tolist())
    A = sp.Matrix(rng.integers(-2, 3, size=(p, p)).tolist())
    A = A * A.T
    lam, e = sp.symbols("lambda epsilon", positive=True)
    U, V = Phi.T * Phi / N, Phi.T * T / N
    P = lambda eps_: (U + lam * sp.eye(p) + eps_ * A).inv()  # noqa: E731
    h = (V.T * P(e) * V).trace() / d
    h0 = h.subs(e, 0)
    Ct = P(0) * V
    train = ((T - Phi * Ct).T * (T - Phi * Ct)).trace() / (d * N)
    t0 = (T.T * T).trace() / (d * N)
    report("D§6 E_train = tr(T^T T)/(dN) - h + lambda dh/dlambda",
           sp.simplify(train - (t0 - h0 + lam * sp.diff(h0, lam))) == 0)
    report("D§6 tr(C A C^T)/d = -dh/deps at eps = 0",
           sp.simplify((Ct.T * A * Ct).trace() / d + sp.diff(h, e).subs(e, 0)) == 0)
    report("D§6 tr(C C^T)/d = -dh/dlambda", sp.simplify((Ct.T * Ct).trace() / d + sp.diff(h0, lam)) == 0)
    K = Phi * Phi.T / N
    q = (T.T * (K + lam * sp.eye(N)).inv() * T).trace() / (d * N)
    report("D§6 push-through: h = tr(T^T T)/(dN) - lambda q", sp.simplify(h0 - (t0 - lam * q)) == 0)
    report("D§6 E_train = -lambda^2 dq/dlambda (dual form)",
           sp.simplify(train + lam**2 * sp.diff(q, lam)) == 0)


def check_m_inf_route():
    """[D§7] kappa = 0 of the any-m system == the noise-averaged pencil (independent route), 30 digits."""
    import math

    import mpmath

    import rmt_dsm
    from rmt_dsm.dsm.noise_averaged import errors_m_inf

    worst = mpmath.mpf(0)
    for (pn, pp, t, lam) in [(1.0, 0.5, 0.3, 0.1), (0.5, 1.5, 0.05, 0.01), (2.0, 0.7, 1.0, 0.0)]:
        e = rmt_dsm.errors(pn, pp, math.inf, t=t, lam=lam, dps=30)
        c = e.info["coefficients"]
        r = errors_m_inf(e.params["psi_n"], e.params["psi_p"], e.params["a"], e.params["delta"], e.params["lam"], c.mu1, c.v2, c.s2, dps=30)
        worst = max(worst, abs(e.train - r[0]), abs(e.test - r[1]))
    report("D§7 m = infinity: any-m system at kappa = 0 == noise-averaged pencil", worst < mpmath.mpf(10) ** -25,
           f"max diff {mpmath.nstr(worst, 3)}")


if __name__ == "__main__":
    check_rotation()
    check_populations()
    check_error_identities()
    check_m_inf_route()
    print("all DSM derivation checks pass" if not FAILED else f"FAILED: {FAILED}")
    sys.exit(1 if FAILED else 0)
