"""Gaussian moments: closed forms, quadratures, precision contract, fast path, bad input.

Expected values always come from an independent route (direct quadrature of the defining
integral, Gauss-Hermite in numpy, Monte Carlo with its standard error, or the same activation
spelled so that the generic numerical path is used)."""
import math

import mpmath as mp
import numpy as np
import pytest

from rmt_dsm import moments as M




def gauss_quad(f, pts=(0,)):
    """E f(z), z ~ N(0,1), by mpmath.quad at the current precision (split at pts)."""
    return mp.quad(lambda z: f(z) * mp.exp(-z * z / 2), [-mp.inf, *pts, mp.inf]) / mp.sqrt(2 * mp.pi)


def rel(a, b):
    return abs(a - b) / max(abs(b), mp.mpf(10) ** (-mp.mp.dps))


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("G2", ["0.3", "1", "4.7"])
def test_erf_closed_forms_vs_quadrature(G2):
    with mp.workdps(40):
        G = mp.sqrt(mp.mpf(G2))
        assert abs(M.mean("erf", G2, 40) - gauss_quad(lambda z: mp.erf(G * z))) < mp.mpf(10) ** -38
        d = gauss_quad(lambda z: 2 / mp.sqrt(mp.pi) * mp.exp(-(G * z) ** 2))
        assert rel(M.slope("erf", G2, 40), d) < mp.mpf(10) ** -38
        n2 = gauss_quad(lambda z: mp.erf(G * z) ** 2)
        assert rel(M.second("erf", G2, 40), n2) < mp.mpf(10) ** -38


@pytest.mark.parametrize("G2", ["0.3", "1", "4.7"])
def test_relu_closed_forms_vs_quadrature(G2):
    with mp.workdps(40):
        G = mp.sqrt(mp.mpf(G2))
        relu = lambda v: max(v, 0)
        assert rel(M.mean("relu", G2, 40), gauss_quad(lambda z: relu(G * z))) < mp.mpf(10) ** -38
        step = gauss_quad(lambda z: 1 if z > 0 else 0)
        assert rel(M.slope("relu", G2, 40), step) < mp.mpf(10) ** -38
        assert rel(M.second("relu", G2, 40), gauss_quad(lambda z: relu(G * z) ** 2)) < mp.mpf(10) ** -38


def test_erf_smoothing_identity_by_quadrature():
    # E_g erf(c + b g) = erf(c / sqrt(1 + 2 b^2)), used below to reduce the 2-D cross integral
    with mp.workdps(40):
        for c, b in [("0.3", "0.7"), ("-1.2", "2.5"), ("2", "0.1")]:
            c, b = mp.mpf(c), mp.mpf(b)
            lhs = gauss_quad(lambda g: mp.erf(c + b * g), pts=(-c / b,))
            assert rel(lhs, mp.erf(c / mp.sqrt(1 + 2 * b * b))) < mp.mpf(10) ** -37


@pytest.mark.parametrize("var,cov", [("1.3", "0.7"), ("1", "0.05"), ("2.5", "2.4"), ("1", "-0.6")])
def test_erf_cross_vs_quadrature(var, cov):
    # E[erf(h) erf(h')] with h = G z1, h' = G (r z1 + c z2): the z2 integral by the smoothing
    # identity (checked above), the z1 integral by mpmath.quad at 40 digits.
    with mp.workdps(40):
        V, C = mp.mpf(var), mp.mpf(cov)
        G, r = mp.sqrt(V), C / V
        beta2 = V * (1 - r * r)
        val = gauss_quad(lambda z: mp.erf(G * z) * mp.erf(G * r * z / mp.sqrt(1 + 2 * beta2)))
        assert rel(M.cross("erf", var, cov, 40), val) < mp.mpf(10) ** -37


@pytest.mark.parametrize("var,cov", [("1.3", "0.7"), ("1", "0.05"), ("2.5", "2.4"), ("1", "-0.6")])
def test_relu_cross_vs_quadrature(var, cov):
    # E_z2 relu(al + be z2) = al Phi(al/be) + be phi(al/be) is checked by quadrature, then the
    # outer integral over z1 by mpmath.quad at 40 digits.
    with mp.workdps(40):
        V, C = mp.mpf(var), mp.mpf(cov)
        G, r = mp.sqrt(V), C / V
        be = G * mp.sqrt(1 - r * r)
        inner = lambda al: al * mp.ncdf(al / be) + be * mp.npdf(al / be)
        al0 = mp.mpf("0.37")
        direct = gauss_quad(lambda g: max(al0 + be * g, 0), pts=(-al0 / be,))
        assert rel(inner(al0), direct) < mp.mpf(10) ** -37
        val = mp.quad(lambda z: G * z * inner(G * r * z) * mp.exp(-z * z / 2), [0, mp.inf]) / mp.sqrt(2 * mp.pi)
        assert rel(M.cross("relu", var, cov, 40), val) < mp.mpf(10) ** -37


def test_generic_numerical_path_reproduces_erf_closed_forms():
    # "1.0*erf(x)" is not recognized as erf: the trapezoidal / tanh-sinh machinery is used.
    for var, cov in [("1.3", "0.7"), ("1", "0.999"), ("6", "0.5")]:
        got = M.cross("1.0*erf(x)", var, cov, 40)
        assert rel(got, M.cross("erf", var, cov, 40)) < mp.mpf(10) ** -38
    assert rel(M.slope("1.0*erf(x)", "2.2", 40), M.slope("erf", "2.2", 40)) < mp.mpf(10) ** -38
    assert rel(M.second("1.0*erf(x)", "2.2", 40), M.second("erf", "2.2", 40)) < mp.mpf(10) ** -38


def test_kinked_custom_double_path_reproduces_relu():
    act = "(x + Abs(x))/2"
    assert M._info(M._activation(act))[0] == "kinked"
    for f in (M.mean, M.slope, M.second):
        assert math.isclose(f(act, 1.7), f("relu", 1.7), rel_tol=1e-11)
    assert math.isclose(M.cross(act, 1.3, 0.7), M.cross("relu", 1.3, 0.7), rel_tol=1e-11)


@pytest.mark.slow
def test_kinked_custom_mp_path_reproduces_relu():
    act = "(x + Abs(x))/2"
    assert rel(M.cross(act, "1.3", "0.7", 20), M.cross("relu", "1.3", "0.7", 20)) < mp.mpf(10) ** -19
    assert rel(M.slope(act, "1.3", 30), mp.mpf(1) / 2) < mp.mpf(10) ** -29


# ----------------------------------------------------------------------------- tanh, independent routes
def gh_moments(f, df, G2, var=None, cov=None, n=240):
    z, w = np.polynomial.hermite_e.hermegauss(n)
    w = w / math.sqrt(2 * math.pi)
    G = math.sqrt(G2)
    out = [w @ f(G * z), w @ df(G * z), w @ f(G * z) ** 2]
    if var is not None:
        s, b = math.sqrt(cov), math.sqrt(var - cov)
        sb = f(s * z[:, None] + b * z[None, :]) @ w
        out.append(w @ sb**2)
    return out


@pytest.mark.parametrize("G2,cov", [(1.0, 0.5), (0.4, 0.1), (2.0, 1.9)])
def test_tanh_vs_gauss_hermite(G2, cov):
    ref = gh_moments(np.tanh, lambda v: 1 - np.tanh(v) ** 2, G2, G2, cov)
    got = [M.mean("tanh", G2), M.slope("tanh", G2), M.second("tanh", G2), M.cross("tanh", G2, cov)]
    for g, r in zip(got, ref):
        assert abs(g - r) < 1e-12
    got30 = [M.mean("tanh", G2, 30), M.slope("tanh", G2, 30), M.second("tanh", G2, 30), M.cross("tanh", G2, cov, 30)]
    for g, r in zip(got30, ref):
        assert abs(float(g) - r) < 1e-12


def test_tanh_vs_monte_carlo():
    rng = np.random.default_rng(1234)
    n = 400_000
    G2, cov = 1.0, 0.6
    z = rng.standard_normal(n)
    u, g1, g2 = rng.standard_normal((3, n))
    h1 = math.sqrt(cov) * u + math.sqrt(G2 - cov) * g1
    h2 = math.sqrt(cov) * u + math.sqrt(G2 - cov) * g2
    samples = {
        "mean": np.tanh(z),
        "slope": 1 - np.tanh(z) ** 2,
        "second": np.tanh(z) ** 2,
        "cross": np.tanh(h1) * np.tanh(h2),
    }
    got = {
        "mean": M.mean("tanh", G2, 20),
        "slope": M.slope("tanh", G2, 20),
        "second": M.second("tanh", G2, 20),
        "cross": M.cross("tanh", G2, cov, 20),
    }
    for k, smp in samples.items():
        se = smp.std() / math.sqrt(n)
        assert abs(smp.mean() - float(got[k])) < 5 * se, k


# ----------------------------------------------------------------------------- precision contract
def agree(lo, hi, D):
    """value printed at D digits agrees with the D + 10 computation to >= D - 5 digits"""
    with mp.workdps(D + 10):
        printed = mp.mpf(mp.nstr(lo, D))
        return abs(printed - hi) <= mp.mpf(10) ** (-(D - 5)) * abs(hi)


@pytest.mark.parametrize("act", ["tanh", "x*exp(-x**2)"])
@pytest.mark.parametrize("D", [20, 40])
def test_precision_contract(act, D):
    G2, cov = "1.1", "0.45"
    for f, args in [(M.slope, (G2,)), (M.second, (G2,)), (M.cross, (G2, cov))]:
        lo, hi = f(act, *args, D), f(act, *args, D + 10)
        assert agree(lo, hi, D), (f.__name__, lo, hi)
        # stricter than the contract: the guard digits make all D digits correct
        assert abs(lo - hi) <= mp.mpf(10) ** (-(D - 1)) * abs(hi)
    if act != "tanh":
        lo, hi = M.mean(act, G2, D), M.mean(act, G2, D + 10)
        assert lo == hi == 0  # odd activation


def test_custom_non_odd_mean_precision():
    act = "exp(-x**2) + x/3"
    lo, hi = M.mean(act, "0.8", 25), M.mean(act, "0.8", 35)
    with mp.workdps(40):
        exact = 1 / mp.sqrt(1 + 2 * mp.mpf("0.8"))  # E exp(-G^2 z^2)
    assert agree(lo, hi, 25) and abs(hi - exact) < mp.mpf(10) ** -34


def test_dps_returns_mpf_and_none_returns_float():
    assert isinstance(M.slope("tanh", 1.0), float)
    v = M.slope("tanh", 1.0, 25)
    assert isinstance(v, mp.mpf)
    # inputs: float, exact string, mpf, Fraction give the same value when they agree exactly
    from fractions import Fraction

    a = M.second("tanh", "0.5", 30)
    assert M.second("tanh", 0.5, 30) == a == M.second("tanh", Fraction(1, 2), 30) == M.second("tanh", mp.mpf(0.5), 30)
    # and a non-dyadic string is not confused with its float
    assert M.second("tanh", "0.1", 30) != M.second("tanh", 0.1, 30)


# ----------------------------------------------------------------------------- double path vs mpmath
@pytest.mark.parametrize("act", ["tanh", "erf", "relu", "x*exp(-x**2)", "sin(x) + x**2/4"])
def test_double_vs_mp(act):
    for G2, cov in [(1.0, 0.3), (3.0, 2.5), (0.2, -0.1)]:
        for f, args in [(M.mean, (G2,)), (M.slope, (G2,)), (M.second, (G2,)), (M.cross, (G2, cov))]:
            d, m = f(act, *args), f(act, *args, 30)
            assert isinstance(d, float)
            assert abs(d - float(m)) <= 1e-13 * max(1.0, abs(float(m))), (act, f.__name__, G2, cov)


def test_cross_limits():
    for act in ["tanh", "sin(x) + x**2/4"]:
        assert M.cross(act, "1.2", "1.2", 25) == M.second(act, "1.2", 25)
        with mp.workdps(30):
            assert abs(M.cross(act, "1.2", "0", 25) - M.mean(act, "1.2", 25) ** 2) < mp.mpf(10) ** -24
        # continuity near cov = var and cov = 0 (numerical path vs the exact limits)
        assert abs(M.cross(act, "1.2", "1.19999", 25) - M.second(act, "1.2", 25)) < 1e-4
        assert abs(M.cross(act, "1.2", "1e-6", 25) - M.mean(act, "1.2", 25) ** 2) < 1e-5


# ----------------------------------------------------------------------------- smoothed activation
def test_smoothed():
    with mp.workdps(30):
        for act, a, d, uu in [("erf", "0.8", "0.5", "0.7"), ("relu", "0.8", "0.5", "-0.3"), ("x*exp(-x**2)", "1.5", "0.3", "0.4")]:
            e = M.smoothed(act, a, d)
            import sympy as sp

            assert isinstance(e, sp.Expr)
            f = M._mp_fun(M._activation(act), "f")
            A, D, U = mp.mpf(a), mp.mpf(d), mp.mpf(uu)
            direct = gauss_quad(lambda g: f(A * U + mp.sqrt(D) * g), pts=(-A * U / mp.sqrt(D),))
            assert abs(mp.mpf(sp.N(e.subs(M.u, sp.Rational(uu)), 35)) - direct) < mp.mpf(10) ** -28
    cb = M.smoothed("tanh", "0.8", "0.5", dps=25)
    with mp.workdps(30):
        direct = gauss_quad(lambda g: mp.tanh(mp.mpf("0.56") + mp.sqrt(mp.mpf("0.5")) * g))
    assert abs(cb("0.7") - direct) < mp.mpf(10) ** -24
    assert abs(M.smoothed("tanh", 0.8, 0.5)(0.7) - float(direct)) < 1e-13


# ----------------------------------------------------------------------------- bad input
def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        M.mean("sin(y)", 1.0)
    with pytest.raises(ValueError, match="activation"):
        M.mean(42, 1.0)
    for bad in (0, -1.0, "-2", float("nan"), float("inf"), "abc"):
        with pytest.raises(ValueError, match="Gamma2"):
            M.second("tanh", bad)
    with pytest.raises(ValueError, match="var"):
        M.cross("tanh", 0.0, 0.0)
    with pytest.raises(ValueError, match="cov"):
        M.cross("tanh", 1.0, 1.5)
    with pytest.raises(ValueError, match="dps"):
        M.slope("tanh", 1.0, dps=0)
    with pytest.raises(ValueError, match="delta"):
        M.smoothed("tanh", 1.0, -0.5)
