"""High-precision Gaussian moments of smooth activations (rmt_dsm/moments_hp.py and its use in
rmt_dsm/moments.py).

Independent routes: tanh-sinh quadrature (mpmath.quad) for the one-dimensional moments,
closed forms (erf(alpha x), an activation the code does not recognize as erf), and precision
D against D + 10.
"""
import math

import mpmath
import pytest

from rmt_dsm import moments as M
from rmt_dsm.equivalence import coefficients
from rmt_dsm.moments_hp import fixed_bits, fixed_dot, gauss_smooth, to_fixed


def quad_gauss(f, G):
    g = lambda z: f(G * z) * mpmath.exp(-z * z / 2)  # noqa: E731
    return mpmath.quad(g, [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(2 * mpmath.pi)


@pytest.mark.parametrize("G2", ["0.3", "1", "4.5"])
def test_gauss_smooth_against_tanh_sinh(G2):
    with mpmath.workdps(70):
        G = mpmath.sqrt(mpmath.mpf(G2))
        t = mpmath.tanh
        tol = mpmath.mpf(10) ** -65
        assert abs(gauss_smooth(t, G, "second", -1) - quad_gauss(lambda v: t(v) ** 2, G)) < tol
        assert abs(gauss_smooth(t, G, "stein", -1) - quad_gauss(lambda v: 1 - t(v) ** 2, G)) < tol
        f = lambda v: mpmath.exp(v) / (1 + mpmath.exp(v))  # sigmoid: neither odd nor even  # noqa: E731
        assert abs(gauss_smooth(f, G, "mean", 0) - quad_gauss(f, G)) < tol


def test_fixed_point_dot_is_exact_to_the_scale():
    with mpmath.workdps(50):
        P = fixed_bits()
        w = [mpmath.mpf(1) / (k + 3) for k in range(200)]
        v = [mpmath.sin(k) for k in range(200)]
        got = fixed_dot([to_fixed(a, P) for a in w], [to_fixed(b, P) for b in v], P)
    with mpmath.workdps(120):  # the products of the 50-digit numbers, exactly
        exact = mpmath.fsum(a * b for a, b in zip(w, v))
        assert abs(got - exact) <= 400 * mpmath.ldexp(1, -P) + abs(exact) * mpmath.mpf(10) ** -50


def test_smooth_cross_moment_closed_form():
    """erf(2x) goes through the smooth (trapezoidal, fixed-point) route: compare with
    E[erf(2h) erf(2h')] = (2/pi) asin(8 cov / (1 + 8 var))."""
    got = M.cross("erf(2*x)", "1.3", "0.8", dps=80)
    with mpmath.workdps(100):
        var, cov = mpmath.mpf("1.3"), mpmath.mpf("0.8")
        exact = 2 / mpmath.pi * mpmath.asin(8 * cov / (1 + 8 * var))
        assert abs(got - exact) < mpmath.mpf(10) ** -78
    got1 = M.slope("erf(2*x)", "1.3", dps=80)
    with mpmath.workdps(100):
        var = mpmath.mpf("1.3")
        assert abs(got1 - 4 / mpmath.sqrt(mpmath.pi * (1 + 8 * var))) < mpmath.mpf(10) ** -78


@pytest.mark.parametrize("dps", [120, pytest.param(200, marks=pytest.mark.slow)])
def test_tanh_coefficients_d_vs_d_plus_10(dps):
    a, delta = math.exp(-0.1), 1 - math.exp(-0.2)
    c1 = coefficients("tanh", a, delta, dps=dps)
    c2 = coefficients("tanh", a, delta, dps=dps + 10)
    for name in ("mu1", "norm2", "v2", "s2"):
        assert abs(getattr(c1, name) - getattr(c2, name)) < mpmath.mpf(10) ** -(dps - 2), name
