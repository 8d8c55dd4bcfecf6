"""Structured data (any data spectrum, any m): checks by independent routes.

* Sigma = c I is the isotropic model with a -> a sqrt(c) (different parameters of the system);
* the reduced system vs the engine's generic Dyson system of the enlarged pencil (1 and 2 atoms),
  with the errors assembled from the generic G by the per-atom formula (6.2)-(6.3);
* the U spectrum at m = infinity vs the published equations of Bonnaire et al. (arXiv:2505.17638,
  Theorem 3.1), implemented and solved here (derivations/structured_data.md §7);
* many atoms converge to a continuous spectrum's quadrature; a power law's reported quadrature error;
* precision contract D vs D + 10 with two atoms; continuity at m = infinity with a zero eigenvalue;
* theory vs the true nonlinear simulator at a two-atom point (standard-error tolerance);
* bad spectra: ValueError naming sigma, CLI exit 2.
"""
import json
import math

import mpmath
import numpy as np
import pytest

import rmt_dsm
from rmt_dsm.data_spectrum import atoms, from_quantile, parse_sigma, power_law, psi_d

FIELDS = ("train", "test", "score", "gap", "floor")
TWO = [(0.3, 2.5), (0.7, 0.4)]


@pytest.mark.parametrize("m,lam", [(1, 0.05), (3, 0.0), (math.inf, 0.01)])
def test_sigma_cI_is_isotropic_with_rescaled_a(m, lam):
    c, t = 2.3, 0.4
    a, delta = math.exp(-t), -math.expm1(-2 * t)
    for dps, tol in ((None, 1e-13), (30, mpmath.mpf(10) ** -25)):
        e1 = rmt_dsm.errors(0.7, 1.3, m, a=a, delta=delta, lam=lam, sigma=[(1, c)], dps=dps)
        with mpmath.workdps(50):
            a2 = mpmath.mpf(repr(a)) * mpmath.sqrt(mpmath.mpf(repr(c))) if dps else a * math.sqrt(c)
        e2 = rmt_dsm.errors(0.7, 1.3, m, a=a2, delta=delta, lam=lam, dps=dps)
        for f in FIELDS:
            assert abs(getattr(e1, f) - getattr(e2, f)) <= tol * max(1, abs(getattr(e2, f))), (f, dps)


def test_one_atom_and_identical_atoms_reproduce_isotropic():
    """(1, 1) is the default; K identical atoms (vectorized AtomSum route for K > 4) give the same."""
    for dps, tol in ((None, 1e-13), (30, mpmath.mpf(10) ** -25)):
        ref = rmt_dsm.errors(1.0, 0.6, 4, t=0.2, lam=0.02, dps=dps)
        for sig in ([(1, 1)], [(0.125, 1)] * 8):
            e = rmt_dsm.errors(1.0, 0.6, 4, t=0.2, lam=0.02, dps=dps, sigma=sig)
            for f in FIELDS:
                assert abs(getattr(e, f) - getattr(ref, f)) <= tol, (f, dps, len(sig))


def _generic_errors(sigma, psi_n, psi_p, m, t, lam):
    """Errors from the engine's generic Dyson system of the enlarged pencil (no reduction):
    Q and X1 from the per-atom Schur readings (D eqs. (6.2)-(6.3), per atom, S§5), probe by eps."""
    import sympy as sp

    from rmt_dsm.point import coefficients_of, point
    from rmt_dsm.dsm import symbols as S
    from rmt_dsm.dsm.atoms import ExplicitAtoms
    from rmt_dsm.dsm.pencil import atom_name, dsm_pencil
    from rmt_dsm.dsm.populations import populations

    K = len(sigma)
    pen = dsm_pencil(K).dyson_system()
    at = ExplicitAtoms(K)
    pt = point(psi_n, psi_p, m, t, lam, "tanh", None, None, None, sigma)
    c = coefficients_of(pt)
    vals = {S.psi_n: psi_n, S.psi_p: psi_p, S.kappa: pt.kappa, S.a: pt.a, S.delta: pt.delta, S.mu1: c.mu1,
            S.v2: c.v2, S.s2: c.s2, S.x: -1, S.y: lam, S.eps: 0}
    vals.update({s: float(v) for s, v in zip(at.l, pt.sigma.eigenvalues)})
    if K > 1:
        vals.update({s: float(v) for s, v in zip(at.w, pt.sigma.weights)})
    sol = pen.solve(vals)
    g = lambda a_, b_: pen.unknown(a_, b_)  # noqa: E731
    Q = 0
    X1 = 0
    for k, (wk, lk) in enumerate(zip(pt.sigma.weights, pt.sigma.eigenvalues), 1):
        pops = populations(sp.Float(lk))
        nm = lambda b: atom_name(b, k, K)  # noqa: E731
        sub = {S.kappa: pt.kappa, S.a: pt.a, S.delta: pt.delta}
        beta = [float(p.beta.subs(sub)) for p in pops]
        om = [float((p.omega2 * p.weight).subs(sub)) for p in pops]
        Qk = sp.Add(*(beta[p] * beta[q] * g(nm(f"b{p}"), nm(f"b{q}")) for p in range(2) for q in range(2)))
        Qk += om[0] * g("u0", "u0") + om[1] * g("u1", "u1")
        Q += wk * Qk
        X1 += wk * sp.Add(*(beta[p] * (g(nm(f"b{p}"), nm(f"a{p}")) + 1 / c.mu1) for p in range(2)))

    def value(expr):
        return float(expr.subs(sol.values))

    def deriv(expr, param):
        d = sol.derivative(param)
        return sum(float(sp.diff(expr, u).subs(sol.values)) * d[u] for u in expr.free_symbols & set(pen.unknowns))

    H, Hp = -value(Q), -deriv(Q, "y")
    train = H - lam * Hp
    test = 1 - 2 * c.mu1 * math.sqrt(pt.delta) * value(X1) - c.mu1**2 * deriv(Q, "epsilon") + (c.v2 + c.s2) * Hp
    return train, test


@pytest.mark.slow  # compiling the generic Dyson system (24 / 45 unknowns) takes minutes
@pytest.mark.parametrize("sigma", [[(1, 1)], [(0.5, 0.0), (0.5, 2.0)]])
def test_reduced_system_equals_generic_dyson_system(sigma):
    psi_n, psi_p, m, t, lam = 0.8, 0.5, 3, 0.3, 0.1
    train, test = _generic_errors(sigma, psi_n, psi_p, m, t, lam)
    e = rmt_dsm.errors(psi_n, psi_p, m, t=t, lam=lam, sigma=sigma)
    assert abs(e.train - train) < 1e-11 and abs(e.test - test) < 1e-11


def _bonnaire_q(sigma, psi_n, psi_p, mu1, a, delta, v2, s2, z):
    r"""q(z) = (1/p) tr (U - z)^{-1} at m = infinity from the equations of Bonnaire, Urfin, Biroli,
    Mezard, arXiv:2505.17638, Theorem 3.1 (derivations/structured_data.md §7), with
    b^2 = mu1^2 Delta, (their a_t e^{-t})^2 = mu1^2 a^2:

        shat = b^2 psi_p + 1/q,   rhat = psi_p mu1^2 a^2 / D,  D = 1 + (psi_p/psi_n)(mu1^2 a^2 r + v^2 q),
        s = <1/(shat + l rhat)>,   r = <l/(shat + l rhat)>,
        psi_p (s^2_t - z) + psi_p v^2 / D + (1 - psi_p)/q - s/q^2 = 0,

    <.> over the atoms of rho_Sigma; solved by continuation from large Im z (q ~ -1/z)."""
    A2, b2 = mu1**2 * a**2, mu1**2 * delta

    def eqs(q, r, s, zz):
        D = 1 + (psi_p / psi_n) * (A2 * r + v2 * q)
        shat, rhat = b2 * psi_p + 1 / q, psi_p * A2 / D
        s_c = sum(w / (shat + lk * rhat) for w, lk in sigma)
        r_c = sum(w * lk / (shat + lk * rhat) for w, lk in sigma)
        third = psi_p * (s2 - zz) + psi_p * v2 / D + (1 - psi_p) / q - s / q**2
        return [s - s_c, r - r_c, third]

    with mpmath.workdps(30):
        zz = mpmath.mpc(z.real, 20.0)
        q = -1 / zz
        guess = [q, q * sum(w * lk for w, lk in sigma), q]
        for im in np.geomspace(20.0, z.imag, 40):
            zz = mpmath.mpc(z.real, im)
            root = mpmath.findroot(lambda q_, r_, s_: eqs(q_, r_, s_, zz), guess)
            guess = [root[0], root[1], root[2]]
        return complex(guess[0])


@pytest.mark.parametrize("sigma,t", [([(0.5, 0.5), (0.5, 1.5)], 0.01), ([(0.5, 1.0), (0.5, 2.0)], 0.3),
                                     ([(0.4, 0.0), (0.6, 5 / 3)], 0.1)])
def test_m_inf_spectrum_matches_bonnaire_theorem(sigma, t):
    from rmt_dsm.point import coefficients_of, point
    from rmt_dsm.dsm.atoms import reduction_for
    from rmt_dsm.dsm.spectrum import spectrum_system
    from rmt_dsm.dsm.system import g_v

    psi_n, psi_p = 1.0, 2.0
    pt = point(psi_n, psi_p, math.inf, t, 1.0, "tanh", None, None, None, sigma)
    c = coefficients_of(pt)
    base = {"psi_n": psi_n, "psi_p": psi_p, "kappa": 0, "a": pt.a, "delta": pt.delta, "mu1": c.mu1,
            "v2": c.v2, "s2": c.s2, **reduction_for(pt.sigma).values(pt.sigma, float)}
    for z in (0.05 + 0.05j, 0.8 + 0.1j, 3.0 + 0.2j, 20.0 + 0.5j):
        ours = complex(spectrum_system(pt.sigma).solve({**base, "z": z})[g_v])
        theirs = _bonnaire_q(sigma, psi_n, psi_p, c.mu1, pt.a, pt.delta, c.v2, c.s2, z)
        assert abs(ours - theirs) < 1e-10 * max(1, abs(theirs)), z


def test_many_atoms_converge_to_continuous_spectrum():
    """Midpoint atoms of l(u) = 0.5 + u: O(K^-2) convergence to the Gauss-Legendre quadrature."""
    quant = lambda u: 0.5 + u  # noqa: E731
    ref = rmt_dsm.errors(0.6, 1.4, 2, t=0.2, lam=0.01, sigma=from_quantile(quant, order=24))
    assert ref.info["quadrature_error"] < 1e-12
    diffs = []
    for K in (8, 16, 32):
        sig = [(1 / K, quant((i + 0.5) / K)) for i in range(K)]
        e = rmt_dsm.errors(0.6, 1.4, 2, t=0.2, lam=0.01, sigma=sig)
        diffs.append(max(abs(getattr(e, f) - getattr(ref, f)) for f in FIELDS))
    assert diffs[2] < 1e-4
    for coarse, fine in zip(diffs, diffs[1:]):
        assert 3.0 < coarse / fine < 5.0  # midpoint rule: error ~ K^-2


def test_power_law_quadrature_error_is_reported_and_honest():
    alpha = 0.3
    lo = rmt_dsm.errors(0.5, 2.0, 3, t=0.5, lam=0.01, sigma=power_law(alpha, order=16))
    hi = rmt_dsm.errors(0.5, 2.0, 3, t=0.5, lam=0.01, sigma=power_law(alpha, order=64))
    err = lo.info["quadrature_error"]
    assert 0 < err < 1e-4
    assert max(abs(getattr(lo, f) - getattr(hi, f)) for f in FIELDS) <= 2 * err


@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.75])
def test_power_law_default_order_gives_nine_digits(alpha):
    """The quadrature rule of the power law (u = t^p, p = 2/(1 - alpha), Gauss-Legendre in t) makes the
    integrands of the atom sums smooth enough at t = 0 that the default order (64, refined to 128) is
    accurate to better than 1e-9 against order 256 (independent of the reported estimate)."""
    kw = dict(t=0.3, lam=0.01)
    lo = rmt_dsm.errors(1.0, 2.0, 4, sigma=power_law(alpha), **kw)
    hi = rmt_dsm.errors(1.0, 2.0, 4, sigma=power_law(alpha, order=256), **kw)
    for f in ("train", "test", "score"):
        assert abs(getattr(lo, f) - getattr(hi, f)) <= 1e-9 * abs(getattr(hi, f))


def test_two_atoms_precision_contract():
    D = 25
    lo = rmt_dsm.errors(0.8, 1.7, 3, t=0.2, lam=0.05, dps=D, sigma=TWO)
    hi = rmt_dsm.errors(0.8, 1.7, 3, t=0.2, lam=0.05, dps=D + 10, sigma=TWO)
    for f in FIELDS:
        assert abs(getattr(lo, f) - getattr(hi, f)) <= mpmath.mpf(10) ** (-(D - 5)) * max(1, abs(getattr(hi, f)))


def test_zero_eigenvalue_regular_at_m_infinity():
    """Data on a subspace: m = infinity (kappa = 0 with l = 0, no 0/0) is the limit of large m (O(1/m))."""
    sig = psi_d(0.4)
    inf = rmt_dsm.errors(0.7, 1.2, math.inf, t=0.3, lam=0.01, sigma=sig)
    big = [rmt_dsm.errors(0.7, 1.2, m, t=0.3, lam=0.01, sigma=sig) for m in (10**3, 10**4)]
    d3, d4 = (abs(b.test - inf.test) for b in big)
    assert d4 < 1e-3 and 5 < d3 / d4 < 20
    assert abs(inf.floor - 0.4 * math.exp(-0.6) / (math.exp(-0.6) + -math.expm1(-0.6))) < 1e-15


def test_theory_matches_true_simulation_two_atoms():
    """A two-atom point (one zero eigenvalue) against the true nonlinear model, erf (exact population)."""
    from rmt_dsm.simulate import simulate

    sig = atoms([(0.6, 5 / 3), (0.4, 0.0)])
    kw = dict(psi_n=0.8, psi_p=0.6, m=2, t=0.2, lam=0.01, activation="erf")
    th = rmt_dsm.errors(**kw, sigma=sig)
    d = 400
    sim = simulate(d=d, seeds=3, sigma_eigs=sig.eigenvalues_for(d), **kw)
    for f in ("train", "test", "score"):
        est = getattr(sim, f)
        # 4 standard errors plus the O(1/d) finite-size bias (measured below ~1/d at d = 200..800)
        assert abs(est.mean - getattr(th, f)) < 4 * est.stderr + 1.5 / d, (f, est, getattr(th, f))
    assert abs(sim.floor.mean - th.floor) < 1e-12


@pytest.mark.parametrize("bad", [[(0.5, 1), (0.4, 2)], [(1.0, -1)], [(-0.5, 1), (1.5, 1)], [(1.0, float("nan"))],
                                 [(1.0, 0.0)], "1:1:1", [], [(1,)]])
def test_bad_spectra_raise_naming_sigma(bad):
    with pytest.raises(ValueError, match="sigma"):
        rmt_dsm.errors(1.0, 1.0, 1, t=0.5, sigma=bad)


@pytest.mark.parametrize("flags,needle", [(["--sigma", "0.5:1,0.4:2"], "--sigma"), (["--sigma", "1:-1"], "--sigma"),
                                          (["--psi-d", "0"], "--psi-d"), (["--sigma", "a:b"], "--sigma"),
                                          (["--psi-d", "0.5", "--sigma", "1:1"], "--psi-d"),
                                          (["--sigma=-0.5:1,1.5:1"], "--sigma"),     # negative weight
                                          (["--sigma", "0.6:1,0.6:1"], "--sigma"),   # weights sum to 1.2
                                          (["--sigma", "0.5:nan,0.5:1"], "--sigma"), (["--sigma", "nan:1"], "--sigma"),
                                          (["--sigma", "1:inf"], "--sigma"), (["--sigma", "1:0"], "--sigma"),
                                          (["--sigma", "power:1.5"], "--sigma"), (["--sigma", "power:0.5:0"], "--sigma"),
                                          (["--psi-d", "1.5"], "--psi-d"), (["--psi-d=-0.25"], "--psi-d"),
                                          (["--psi-d", "nan"], "--psi-d")])
def test_cli_refuses_bad_spectra(flags, needle, capsys):
    for cmd in (["errors", "--psi-n", "1", "--psi-p", "1", "--m", "1", "--t", "0.5"],
                ["simulate", "--d", "20", "--psi-n", "1", "--psi-p", "1", "--m", "1", "--t", "0.5"]):
        status, out, err = _main([*cmd, *flags], capsys)
        assert status == 2 and out == "" and needle in err and err.count("\n") == 1, (status, out, err)


def _main(argv, capsys):
    from rmt_dsm.cli import main

    try:
        status = main(argv)
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_one_atom_reductions(capsys):
    """--sigma 1:1, --psi-d 1 and two identical atoms are the default Sigma = I (two atoms: another compiled
    system, equal to rounding); --sigma 1:c is the isotropic model with a -> a sqrt(c)."""
    base = ["errors", "--psi-n", "0.9", "--psi-p", "1.7", "--m", "3", "--lam", "0.02", "--json"]
    sched = ["--a", "0.6", "--delta", "0.5"]
    ref = json.loads(_main(base + sched, capsys)[1])
    for flags, tol in ((["--sigma", "1:1"], 0.0), (["--psi-d", "1"], 0.0), (["--sigma", "0.5:1,0.5:1"], 1e-13)):
        out = json.loads(_main(base + sched + flags, capsys)[1])
        for f in FIELDS:
            assert abs(out[f] - ref[f]) <= tol * max(1, abs(ref[f])), (flags, f)
    scaled = json.loads(_main(base + ["--a", "0.6", "--delta", "0.5", "--sigma", "1:2.25"], capsys)[1])
    iso = json.loads(_main(base + ["--a", repr(0.6 * 1.5), "--delta", "0.5"], capsys)[1])
    for f in FIELDS:
        assert abs(scaled[f] - iso[f]) <= 1e-13 * max(1, abs(iso[f])), f


def test_cli_sigma_json_and_psi_d_shorthand(capsys):
    base = ["errors", "--psi-n", "0.7", "--psi-p", "1.3", "--m", "2", "--t", "0.4", "--lam", "0.01", "--json"]
    a = json.loads(_main(base + ["--psi-d", "0.3"], capsys)[1])
    b = json.loads(_main(base + ["--sigma", "0.3:1,1-0.3:0"], capsys)[1])
    e = rmt_dsm.errors(0.7, 1.3, 2, t=0.4, lam=0.01, sigma=[(0.3, 1), (0.7, 0)])
    for f in FIELDS:
        assert a[f] == b[f] and abs(a[f] - getattr(e, f)) < 1e-14
    assert a["params"]["sigma"] == "0.3:1,0.7:0"
    assert parse_sigma(a["params"]["sigma"]) == psi_d(0.3)


def test_latex_structured_system_is_the_solver_system():
    """The LaTeX system for K atoms (sympy Sum over k), with K = 2 and the helper definitions substituted
    back, is the two-atom system the solver compiles (any kappa); the document lists given atoms."""
    import sympy as sp

    from rmt_dsm.dsm import latex as L
    from rmt_dsm.dsm.atoms import ExplicitAtoms
    from rmt_dsm.dsm.system import UNKNOWNS, dsm_system

    eqs = L.dsm_equations("symbolic", structured=True)
    at, ex = L._ATOMS, ExplicitAtoms(2)
    # per-atom helper definitions for k = 1, 2 (a Sum's bound index cannot be substituted into)
    defs = {e.lhs.subs(at.k, i): e.rhs.subs(at.k, i) for e in eqs.definitions for i in (1, 2)}
    names = {**{at.w_k[i]: ex.w[i - 1] for i in (1, 2)}, **{at.l_k[i]: ex.l[i - 1] for i in (1, 2)}}
    ref = dict(zip(UNKNOWNS, dsm_system(TWO).rhs))
    rng = np.random.default_rng(0)
    for e in eqs.fixed_point:
        expr = e.rhs.subs(at.K, 2).doit()
        for _ in range(4):
            expr = expr.subs(defs)
        expr = expr.subs(names)
        assert expr.free_symbols == ref[e.lhs].free_symbols, e.lhs
        for _ in range(2):  # exact rational points
            vals = {s_: sp.Rational(int(rng.integers(1, 20)), int(rng.integers(2, 9))) for s_ in expr.free_symbols}
            assert expr.subs(vals) == ref[e.lhs].subs(vals), e.lhs
    tex = L.dsm_latex(3, document=True, sigma=TWO)
    assert "K = 2" in tex and "(0.3, 2.5)" in tex and r"\sum_{k=1}^{K}" in tex


def test_training_time_with_the_one_atom_spectrum_is_isotropic():
    """The one atom (1, 1) is Sigma = I and gives the isotropic result at finite tau (continuous
    spectra at finite tau: tests/test_training_spectra.py)."""
    from rmt_dsm import errors

    iso, one = errors(1.0, 2.0, 1, t=0.3, lam=0.1, tau=5.0), errors(1.0, 2.0, 1, t=0.3, lam=0.1, tau=5.0,
                                                                      sigma=[(1, 1)])
    assert iso.as_dict() == one.as_dict()


def test_bound_atom_sums_equal_the_written_out_sums():
    """The vectorized AtomSum route (K > 4 atoms: sums and their derivatives as functions of one
    spectrum) against the sums written out in sympy (K <= 4), on the same two-atom spectrum split into
    eight atoms, in double precision and at dps = 30 (distinct eigenvalues: with l_k = 1 a sum cannot
    tell l_k^j from l_k^(j+1), nor c0 from c1).  Weights and eigenvalues are dyadic, so that both routes
    see exactly the same spectrum (and tr(Sigma)/d) in binary and in decimal."""
    two = [(0.25, 2.5), (0.75, 0.375)]
    eight = [(w / 4, lk) for w, lk in two for _ in range(4)]
    for dps, tol in ((None, 1e-12), (30, mpmath.mpf(10) ** -25)):
        ref = rmt_dsm.errors(0.8, 1.7, 3, t=0.2, lam=0.05, dps=dps, sigma=two)
        e = rmt_dsm.errors(0.8, 1.7, 3, t=0.2, lam=0.05, dps=dps, sigma=eight)
        for f in FIELDS:
            assert abs(getattr(e, f) - getattr(ref, f)) <= tol * max(1, abs(getattr(ref, f))), (f, dps)


def test_finite_d_sigma_of_a_continuous_spectrum_converges_at_the_midpoint_rate():
    """The simulator's d eigenvalues l((i - 1/2)/d) of a continuous spectrum: their mean tr(Sigma)/d
    tends to q = int l(u) du with the midpoint error (l'(1) - l'(0))/(24 d^2) (l(u) = 0.5 + u^2: 1/(12 d^2))."""
    spec = from_quantile(lambda u: 0.5 + u * u, order=8)
    assert abs(float(spec.q) - (0.5 + 1 / 3)) < 1e-14
    for d in (10, 40):
        ev = spec.eigenvalues_for(d)
        assert ev.size == d and np.all(np.diff(ev) > 0)
        assert abs((float(spec.q) - ev.mean()) - 1 / (12 * d * d)) < 1e-12
