#!/usr/bin/env python
"""Sympy checks of derivations/structured_data.md (anisotropic data, any data spectrum, any m).

Each check prints PASS/FAIL with the section it verifies; exit status 1 on any failure.
The Schur-complement readings of the enlarged pencil (two atoms, one of them a zero eigenvalue)
are claims ``dsm2_*`` checked by derivations/check_pencils.py.
Run:  python derivations/check_structured.py
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mpmath  # noqa: E402
import numpy as np  # noqa: E402
import sympy as sp  # noqa: E402

from rmt_dsm.data_spectrum import atoms as make_atoms  # noqa: E402
from rmt_dsm.dsm import symbols as S  # noqa: E402
from rmt_dsm.dsm.atoms import BoundAtoms, ExplicitAtoms, l  # noqa: E402
from rmt_dsm.dsm.observables import X1_expr, Q_expr, gbar  # noqa: E402
from rmt_dsm.dsm.pencil import atom_name, dsm_pencil  # noqa: E402
from rmt_dsm.dsm.populations import populations  # noqa: E402
from rmt_dsm.dsm.system import UNKNOWNS, atom_blocks, blocks_of_G, fixed_point_map  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_dsm import FAILED, report  # noqa: E402  (the same PASS/FAIL reporting)


def check_populations():
    """[S§2] per-atom population parameters; unit target variance; forms regular at l = 0, kappa = 0."""
    a, D, k = S.a, S.delta, S.kappa
    m = sp.Symbol("m", positive=True)
    p0, p1 = populations(l)
    g0 = m * a**2 * l + D  # input variance of population 0 in the directions of eigenvalue l
    ok = sp.simplify((p0.kgamma2 / k).subs(k, 1 / m) - g0) == 0
    ok &= sp.simplify(p0.beta.subs(k, 1 / m) - sp.sqrt(D) / g0) == 0          # Cov(xi, y)/Var(y)
    ok &= sp.simplify(p0.omega2.subs(k, 1 / m) - (1 - D / g0)) == 0           # residual variance
    report("S§2 population 0 in the directions of eigenvalue l: gamma^2, beta, omega^2", ok)
    ok = all(sp.simplify(p.beta**2 * p.kgamma2 / k + p.omega2 - 1) == 0 for p in (p0, p1))
    report("S§2 unit target variance beta^2 gamma^2 + omega^2 = 1 per atom and population", ok)
    # the combinations entering the observables are polynomial in (l, kappa): no 0/0 at l = 0, kappa = 0
    K0 = p0.weight * p0.kgamma2 / k
    ok = sp.simplify(p0.beta * K0 - sp.sqrt(D) * k) == 0
    ok &= sp.simplify(p0.beta**2 * K0 * p0.weight / k + p0.omega2 * p0.weight - k) == 0
    report("S§5 beta_0 K_0 = sqrt(Delta) kappa and kappa(beta_0^2 gamma_0^2 + omega_0^2) = kappa (regular)", ok)


def _random_values(rng, atoms):
    R = lambda lo, hi: sp.Rational(int(rng.integers(lo, hi)), int(rng.integers(1, 7)))  # noqa: E731
    vals = {S.psi_n: R(1, 9), S.psi_p: R(1, 9), S.kappa: sp.Rational(1, int(rng.integers(1, 6))),
            S.a: R(1, 5), S.delta: R(1, 5), S.mu1: R(1, 5), S.v2: R(1, 5), S.s2: R(1, 5),
            S.x: R(-5, 5) or 1, S.y: R(-5, 5) or 1, S.eps: R(-3, 3)}
    for k, lk in enumerate(atoms.l):
        vals[lk] = 0 if k == 0 and atoms.K > 1 else R(1, 6)  # a zero eigenvalue among two atoms
    if atoms.K > 1:
        w = [R(1, 5) for _ in atoms.w]
        for s_, wk in zip(atoms.w, w):
            vals[s_] = wk / sum(w)
    return vals, R


def check_reduction(n_atoms, seed=0, trials=2):
    """[S§4] per-atom Sherman-Morrison reduction == the engine's generic Dyson system (exact)."""
    gen = dsm_pencil(n_atoms).dyson_system()
    atoms = ExplicitAtoms(n_atoms)
    rng = np.random.default_rng(seed)
    names = {s.name: s for s in gen.unknowns}
    gu0, gu1, gv = names["g_u0_u0"], names["g_u1_u1"], names["g_v_v"]
    core = {gu0, gu1, gv}
    dclass = [u for u in gen.unknowns if u not in core]
    explicit = all((r.free_symbols & set(gen.unknowns)) <= core
                   for u, r in zip(gen.unknowns, gen.rhs) if u in dclass)
    report(f"S§4 the size-1 classes are explicit in (g_u0, g_u1, g_v) ({n_atoms} atom(s), "
           f"{len(gen.unknowns)} generic unknowns)", explicit)
    reduced_map = fixed_point_map(atoms=atoms)
    ok_T, ok_G = True, True
    for _ in range(trials):
        vals, R = _random_values(rng, atoms)
        gvals = {gu0: R(-5, 5), gu1: R(-5, 5), gv: R(-5, 5)}
        sub = {**vals, **gvals}
        Gd = {u: sp.simplify(r.subs(sub)) for u, r in zip(gen.unknowns, gen.rhs) if u in dclass}
        generic = {u: sp.simplify(r.subs({**sub, **Gd})) for u, r in zip(gen.unknowns, gen.rhs) if u in core}
        redsub = {**vals, **dict(zip(UNKNOWNS, (gvals[gu0], gvals[gu1], gvals[gv])))}
        reduced = dict(zip((gu0, gu1, gv), (sp.simplify(t.subs(redsub)) for t in reduced_map)))
        ok_T &= all(sp.simplify(generic[u] - reduced[u]) == 0 for u in core)
        for k, lk in enumerate(atoms.l, 1):
            B = blocks_of_G(atom_blocks(lk=lk))
            for key, expr in B.items():
                val = sp.simplify(expr.subs(redsub))
                if key[0] == "b":
                    p, q = sorted(key[1:])
                    u = names[f"g_{atom_name(f'b{p}', k, n_atoms)}_{atom_name(f'b{q}', k, n_atoms)}"]
                else:
                    p = key[1]
                    u = names[f"g_{atom_name(f'a{p}', k, n_atoms)}_{atom_name(f'b{p}', k, n_atoms)}"]
                ok_G &= sp.simplify(Gd[u] - val) == 0
            rho_k = atom_blocks(lk=lk)[2].subs(redsub)
            ok_G &= sp.simplify(Gd[names[f"g_{atom_name('a0', k, n_atoms)}_{atom_name('a0', k, n_atoms)}"]]
                                - rho_k) == 0
    report(f"S§4 reduced fixed-point map == generic Dyson equation ({n_atoms} atom(s), {trials} exact random "
           "instances)", ok_T)
    report(f"S§4 explicit per-atom g_(b b), g_(b a), g_(a a) = rho == generic size-1 class inverse "
           f"({n_atoms} atom(s))", ok_G)


def check_observables():
    """[S§5] Q and X1 from the per-atom Schur readings collapse to gbar and Rbar; the floor."""
    K = 3
    atoms = ExplicitAtoms(K)
    Q_general, X1_general = 0, 0
    for wk, lk in zip(atoms.w, atoms.l):
        pops = populations(lk)
        G = blocks_of_G(atom_blocks(lk=lk))
        Q_general += wk * sum(pops[p].beta * pops[q].beta * G[("b", p, q)] for p in range(2) for q in range(2))
        Q_general += wk * sum(p.omega2 * p.weight * g for p, g in zip(pops, UNKNOWNS[:2]))
        X1_general += wk * sum(p.beta * (G[("ba", i)] + 1 / S.mu1) for i, p in enumerate(pops))
    wsum = {atoms.w[-1]: 1 - sum(atoms.w[:-1])}
    okQ = sp.simplify((Q_general - Q_expr(atoms)).subs(wsum)) == 0
    okX = sp.simplify(X1_general - X1_expr(atoms)) == 0
    report("S§5 Q = sum_k w_k [sum_pq beta beta g_bb + sum_p (N_p/N) omega^2 g_u] = gbar + mu1^2 Delta gbar^2 Rbar"
           " (3 atoms, symbolic)", okQ)
    report("S§5 X1 = sum_k w_k sum_p beta (g_ba + 1/mu1) = -mu1 sqrt(Delta) gbar Rbar (3 atoms, symbolic)", okX)
    a, D = S.a, S.delta
    w, lk = sp.symbols("w_k l_k", positive=True)
    report("S§5 floor: 1 - Delta/(a^2 l + Delta) = a^2 l/(a^2 l + Delta) per atom (cancellation-free form)",
           sp.simplify(1 - D / (a**2 * lk + D) - a**2 * lk / (a**2 * lk + D)) == 0)
    report("S§5 one atom (1, 1): Q, X1 reduce to the isotropic [D eqs. (6.2)-(6.3)] with rho",
           sp.simplify(Q_expr(ExplicitAtoms(1)).subs(sp.Symbol("l_1", nonnegative=True), 1)
                       - (gbar() + S.mu1**2 * D * gbar()**2 * atom_blocks(lk=1)[2])) == 0)
    # the probe: eps c(l) with c = a^2 l + Delta gives tr(C W (a^2 Sigma + Delta) W^T C^T)/d; one atom: Gamma^2
    report("S§5 probe weight sum_k w_k (a^2 l_k + Delta) = a^2 tr(Sigma)/d + Delta = Gamma^2",
           sp.simplify(ExplicitAtoms(2).sum(a**2 * l + D) - (a**2 * ExplicitAtoms(2).sum(l) + D)
                       ).subs(ExplicitAtoms(2).w[1], 1 - ExplicitAtoms(2).w[0]) == 0)


def check_bound_reduction():
    """[S§4] the vectorized AtomSum reduction == the written-out sum, values and derivatives."""
    spec = make_atoms([(0.2, 0.0), (0.3, 1.7), (0.5, 0.6)])
    bound, explicit = BoundAtoms(spec), ExplicitAtoms(3)
    point = {S.psi_p: 1.3, S.a: 0.8, S.delta: 0.36, S.mu1: 0.6, S.kappa: 0.25, S.eps: 0.1,
             sp.Symbol("g_u0"): -0.7, sp.Symbol("g_u1"): -0.4, sp.Symbol("g_v"): -0.9}
    atoms_vals = {**{s_: v for s_, v in zip(explicit.l, spec.eigenvalues)},
                  **{s_: v for s_, v in zip(explicit.w, spec.weights)}}
    worst = 0.0
    with mpmath.workdps(40):
        for expr in (atom_blocks()[2], atom_blocks()[2] * (S.a**2 * l + S.delta * S.kappa)):
            eb, ee = bound.sum(expr), explicit.sum(expr)
            for var in (None, *UNKNOWNS, S.eps):
                fb = eb if var is None else sp.diff(eb, var)
                fe = ee if var is None else sp.diff(ee, var)
                vb = sp.lambdify(list(point), fb, modules="mpmath")(*[mpmath.mpf(repr(v)) for v in point.values()])
                exact = {k: sp.Rational(repr(v)) for k, v in {**point, **atoms_vals}.items()}
                ve = sp.N(fe.subs(exact), 40)
                worst = max(worst, float(abs(vb - mpmath.mpf(str(ve)))))
    report("S§4 AtomSum (vectorized, mpmath) == explicit sum, and its derivatives (3 atoms incl. l = 0)",
           worst < 1e-30, f"max diff {worst:.1e}")


def check_cross_covariance(seed=0):
    """[S§1] the nonlinear cross-covariances of two features are rank one + o(1) in operator norm.

    For features k != l, the second Hermite term of Cov(sigma(h_k), sigma(h_l)) over x is
    proportional to rho_kl^2 with rho_kl = w_k^T Sigma w_l / d; the matrix (rho_kl^2)_{k != l} equals
    (tr(Sigma^2)/d^2) (1 1^T - I) plus a remainder of operator norm O(d^{-1/2}): tr(Sigma^2)/d enters only
    through a rank-one term (invisible in normalized traces, like mu0), and v^2, s^2 depend on Sigma
    only through tr(Sigma)/d.
    """
    rng = np.random.default_rng(seed)
    norms, ranks1 = [], []
    for d in (200, 800):
        eig = np.where(np.arange(d) < d // 2, 2.0, 0.0)  # the two-atom spectrum 0.5:2, 0.5:0
        p = d
        W = rng.standard_normal((p, d))
        R = (W * eig) @ W.T / d
        M = R**2
        np.fill_diagonal(M, 0.0)
        c = float(np.sum(eig**2)) / d**2
        rem = M - c * (np.ones((p, p)) - np.eye(p))
        norms.append(np.linalg.norm(rem, 2))
        ranks1.append(np.linalg.norm(c * np.ones((p, p)), 2))
    ratio = norms[1] / norms[0]
    ok = norms[1] < 0.2 * ranks1[1] and 0.3 < ratio < 0.7
    report("S§1 (w_k^T Sigma w_l/d)^2 = tr(Sigma^2)/d^2 (1 1^T - I) + O(d^-1/2) in operator norm", ok,
           f"remainder norm {norms[0]:.3f} (d=200) -> {norms[1]:.3f} (d=800), rank-one part {ranks1[1]:.2f}")


if __name__ == "__main__":
    check_populations()
    check_reduction(1)
    check_reduction(2)
    check_observables()
    check_bound_reduction()
    check_cross_covariance()
    print("all structured-data derivation checks pass" if not FAILED else f"FAILED: {FAILED}")
    sys.exit(1 if FAILED else 0)
