"""Gaussian-equivalent coefficients (SPEC section 3) against independent routes."""
import math

import mpmath as mp
import numpy as np
import pytest

from rmt_dsm.equivalence import Coefficients, coefficients


def ou(t):
    return math.exp(-t), 1 - math.exp(-2 * t)


def erf_hermite(G2, rho, kmax=400):
    """v2, s2 of erf from its Hermite coefficients c_{2m+1} (derivations/gaussian_equivalence.md):
    c_{2m+1} = Gamma^{2m+1} (2/sqrt(pi)) (-1)^m (2m)!/m! (1 + 2 Gamma^2)^{-m-1/2}, c_even = 0."""
    v2 = s2 = mp.mpf(0)
    for m in range(1, kmax):
        k = 2 * m + 1
        ck = G2 ** (mp.mpf(k) / 2) * 2 / mp.sqrt(mp.pi) * (-1) ** m * mp.factorial(2 * m) / mp.factorial(m) \
            * (1 + 2 * G2) ** (-m - mp.mpf(1) / 2)
        t = ck**2 / mp.factorial(k)
        v2 += t * rho**k
        s2 += t * (1 - rho**k)
    return v2, s2


@pytest.mark.parametrize("a,delta,q", [("0.8", "0.36", "1"), ("0.3", "0.91", "1"), ("0.9", "0.05", "2.5")])
def test_erf_v2_s2_vs_hermite_series(a, delta, q):
    c = coefficients("erf", a, delta, q, dps=30)
    with mp.workdps(40):
        A, D, Q = mp.mpf(a), mp.mpf(delta), mp.mpf(q)
        G2 = A * A * Q + D
        v2, s2 = erf_hermite(G2, A * A * Q / G2)
        # the series for the linear terms: c_1^2 = Gamma^2 mu1^2
        assert abs(c.mu1**2 * G2 - 4 * G2 / (mp.pi * (1 + 2 * G2))) < mp.mpf(10) ** -29
    assert abs(c.v2 - v2) <= mp.mpf(10) ** -28 * c.norm2
    assert abs(c.s2 - s2) <= mp.mpf(10) ** -28 * c.norm2


def test_hermite_coefficients_of_erf_by_quadrature():
    # independent check of the c_k used above: c_k = E[erf(G z) He_k(z)]
    with mp.workdps(30):
        G2 = mp.mpf("0.7")
        G = mp.sqrt(G2)
        for m in range(4):
            k = 2 * m + 1
            ck = G**k * 2 / mp.sqrt(mp.pi) * (-1) ** m * mp.factorial(2 * m) / mp.factorial(m) * (1 + 2 * G2) ** (-m - 0.5)
            quad = mp.quad(lambda z: mp.erf(G * z) * mp.hermite(k, z / mp.sqrt(2)) * 2 ** (-mp.mpf(k) / 2)
                           * mp.exp(-z * z / 2), [-mp.inf, 0, mp.inf]) / mp.sqrt(2 * mp.pi)
            assert abs(ck - quad) < mp.mpf(10) ** -25


@pytest.mark.parametrize("act", ["tanh", "relu", "x*exp(-x**2)"])
def test_v2_s2_vs_monte_carlo(act):
    """v2 = Cov-part shared by two draws of the same x; s2 = half the mean squared difference
    of two draws minus the linear part, estimated from samples of the true nonlinear model."""
    from rmt_dsm.activations import get_activation

    sig = get_activation(act)
    a, delta = ou(0.4)
    rng = np.random.default_rng(7)
    n = 600_000
    u, g1, g2 = rng.standard_normal((3, n))
    h1, h2 = a * u + math.sqrt(delta) * g1, a * u + math.sqrt(delta) * g2
    f1, f2 = sig(h1), sig(h2)
    c = coefficients(act, a, delta)
    # shared part: E[f1 f2] - mu0^2 - mu1^2 a^2
    x = f1 * f2 - c.mu0**2 - c.mu1**2 * a * a
    assert abs(x.mean() - c.v2) < 5 * x.std() / math.sqrt(n)
    # private part: E[(f1 - f2)^2] / 2 - mu1^2 delta
    y = (f1 - f2) ** 2 / 2 - c.mu1**2 * delta
    assert abs(y.mean() - c.s2) < 5 * y.std() / math.sqrt(n)
    # the linear coefficient is the regression slope: E[f1 h1] = mu1 Gamma^2
    zz = f1 * h1 - c.mu1 * c.Gamma2
    assert abs(zz.mean()) < 5 * zz.std() / math.sqrt(n)


# sin(x) + x**2/4: smooth and neither odd nor even (mu0 != 0 on the double-precision grid path)
@pytest.mark.parametrize("act", ["tanh", "erf", "relu", "x*exp(-x**2)", "sin(x) + x**2/4"])
@pytest.mark.parametrize("t", [0.05, 0.5, 2.0])
def test_invariants(act, t):
    a, delta = ou(t)
    for dps in (None, 25):
        c = coefficients(act, a, delta, dps=dps)
        assert c.v2 >= 0 and c.s2 >= 0
        with mp.workdps(40):
            tot = c.mu0**2 + c.mu1**2 * c.Gamma2 + c.v2 + c.s2
            tol = 1e-13 if dps is None else mp.mpf(10) ** -24
            assert abs(tot - c.norm2) <= tol * c.norm2
    d, m = coefficients(act, a, delta), coefficients(act, a, delta, dps=25)
    for f in ("mu0", "mu1", "v2", "s2", "norm2"):
        assert abs(getattr(d, f) - float(getattr(m, f))) <= 1e-12 * max(1e-3, abs(float(getattr(m, f)))), f


@pytest.mark.parametrize("act", ["tanh", "x*exp(-x**2)"])
def test_precision_contract_coefficients(act):
    D = 25
    lo, hi = coefficients(act, "0.7", "0.51", dps=D), coefficients(act, "0.7", "0.51", dps=D + 10)
    for f in ("mu1", "v2", "s2", "norm2"):
        x, y = getattr(lo, f), getattr(hi, f)
        with mp.workdps(D + 10):
            assert abs(mp.mpf(mp.nstr(x, D)) - y) <= mp.mpf(10) ** (-(D - 5)) * abs(y), f


def test_cancellation_small_a():
    # v2 ~ rho^3 for erf: with a = 1e-4 the subtraction cancels ~16 digits; the result must keep
    # its significant digits (checked against the Hermite series).
    c = coefficients("erf", "1e-4", "1", dps=20)
    with mp.workdps(40):
        A = mp.mpf("1e-4")
        G2 = A * A + 1
        v2, s2 = erf_hermite(G2, A * A / G2, kmax=30)
    assert abs(c.v2 - v2) <= mp.mpf(10) ** -18 * v2
    # double path with q != 1
    d = coefficients("tanh", 0.5, 0.75, q=2.0)
    assert math.isclose(d.Gamma2, 0.5**2 * 2 + 0.75)


def test_types_and_fields():
    c = coefficients("tanh", 0.6, 0.64)
    assert isinstance(c, Coefficients) and isinstance(c.v2, float)
    with pytest.raises(Exception):
        c.v2 = 1.0  # frozen
    m = coefficients("tanh", "0.6", "0.64", dps=20)
    assert isinstance(m.s2, mp.mpf)
    assert math.isclose(c.sbar2, c.mu0**2 + c.mu1**2 * 0.36 + c.v2)
    assert math.isclose(c.rho, 0.36 / 1.0)


def test_degenerate_limits():
    c = coefficients("tanh", 0, 1.0)
    assert c.v2 == 0
    c = coefficients("tanh", 1.0, 0)
    assert c.s2 == 0


def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        coefficients("foo(x", 0.5, 0.5)
    with pytest.raises(ValueError, match="delta"):
        coefficients("tanh", 0.5, -0.1)
    with pytest.raises(ValueError, match="q"):
        coefficients("tanh", 0.5, 0.5, q=0)
    with pytest.raises(ValueError, match="Gamma2"):
        coefficients("tanh", 0, 0)
    with pytest.raises(ValueError, match="a"):
        coefficients("tanh", float("nan"), 0.5)
    with pytest.raises(ValueError, match="dps"):
        coefficients("tanh", 0.5, 0.5, dps=-3)
