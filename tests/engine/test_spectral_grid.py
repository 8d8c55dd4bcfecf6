"""The vectorized grid solver of the spectral density (rmt_dsm/engine/grid.py).

Independent routes: the per-point scalar continuation (the grid path switched off), the
closed-form Marchenko-Pastur density, precision D against D + 10, and (when installed)
RMTool's polynomial method, which never solves a Dyson equation.
"""
import mpmath
import numpy as np
import pytest

from rmt_dsm.engine import spectral
from rmt_dsm.engine.grid import solve_grid
from rmt_dsm.engine.pencils import marchenko_pastur, product_wishart
from rmt_dsm.engine.spectral import spectral_density

ALPHA = 2.0
PW = {"psi_p": 0.5, "psi_n": 1.5}


@pytest.fixture(scope="module")
def mp_sys():
    return marchenko_pastur()[0].dyson_system().compile()


@pytest.fixture(scope="module")
def pw_sys():
    return product_wishart()[0].dyson_system().compile()


def mp_density(x, alpha=ALPHA):
    """Closed form: c = 1/alpha, rho = sqrt((l+ - x)(x - l-)) / (2 pi c x) on [l-, l+]."""
    c = 1 / mpmath.mpf(alpha)
    lo, hi = (1 - mpmath.sqrt(c)) ** 2, (1 + mpmath.sqrt(c)) ** 2
    x = mpmath.mpf(x)
    return mpmath.sqrt((hi - x) * (x - lo)) / (2 * mpmath.pi * c * x) if lo < x < hi else mpmath.mpf(0)


def scalar_only(monkeypatch):
    monkeypatch.setattr(spectral, "_density_grid", lambda *a, **k: [])


@pytest.mark.parametrize("which", ["mp", "pw"])
def test_grid_equals_scalar_path_double(which, mp_sys, pw_sys, monkeypatch):
    sysm, g, params, xs = ((mp_sys, ("a", "a"), {"alpha": ALPHA}, np.linspace(0.01, 4, 41)) if which == "mp"
                           else (pw_sys, ("u", "u"), PW, np.linspace(0.01, 6, 41)))
    grid = spectral_density(sysm, g, "z", params, xs)
    scalar_only(monkeypatch)
    ref = spectral_density(sysm, g, "z", params, xs)
    assert np.max(np.abs(grid - ref)) < 1e-10


def test_grid_every_point_converges(mp_sys, pw_sys):
    """On these grids no point needs the scalar fallback (else the speed claim is void)."""
    for sysm, theta, xs in [(mp_sys, [ALPHA, 0, 1.0], np.linspace(0.01, 4, 400)),
                            (pw_sys, [PW["psi_n"], PW["psi_p"], 0, 1.0], np.linspace(0.01, 6, 400))]:
        z = sysm._param_symbol("z")
        sols, J, ok = solve_grid(sysm, z, theta, xs, [0.1, 1e-3, 2e-8, 1e-8])
        assert ok.all()
        assert J.shape == (400, len(sysm.unknowns), len(sysm.unknowns))


def test_mp_density_double_closed_form(mp_sys):
    xs = np.linspace(0.2, 2.8, 27)  # inside the support [0.0858, 2.914], off the edges
    rho = spectral_density(mp_sys, ("a", "a"), "z", {"alpha": ALPHA}, xs)
    exact = np.array([float(mp_density(x)) for x in xs])
    assert np.max(np.abs(rho - exact)) < 1e-9


def test_mp_density_dps40_closed_form(mp_sys):
    xs = [0.5, 1.25, 2.5, 3.5, 0.05]  # three inside, two outside the support
    rho = spectral_density(mp_sys, ("a", "a"), "z", {"alpha": ALPHA}, xs, dps=40)
    with mpmath.workdps(60):
        for x, r in zip(xs, rho):
            assert abs(r - mp_density(x)) < mpmath.mpf(10) ** -38, x


def test_grid_dps_equals_scalar_dps(pw_sys, monkeypatch):
    xs = [0.3, 1.1, 2.7, 5.9]
    grid = spectral_density(pw_sys, ("u", "u"), "z", PW, xs, dps=30)
    scalar_only(monkeypatch)
    ref = spectral_density(pw_sys, ("u", "u"), "z", PW, xs, dps=30)
    for a, b in zip(grid, ref):
        assert abs(a - b) < mpmath.mpf(10) ** -30


def test_precision_d_vs_d_plus_10(pw_sys):
    xs = [0.4, 1.7, 3.2]
    r30 = spectral_density(pw_sys, ("u", "u"), "z", PW, xs, dps=30)
    r40 = spectral_density(pw_sys, ("u", "u"), "z", PW, xs, dps=40)
    for a, b in zip(r30, r40):
        assert abs(a - b) < mpmath.mpf(10) ** -29
        assert b > 0.01  # inside the support: a real test of the digits


def test_scalar_values_carry_the_requested_digits(mp_sys, monkeypatch):
    """The per-point path returns dps digits (the final division used to run at 15 digits)."""
    scalar_only(monkeypatch)
    r = spectral_density(mp_sys, ("a", "a"), "z", {"alpha": ALPHA}, [0.5], dps=35)[0]
    with mpmath.workdps(50):
        assert abs(r - mp_density(0.5)) < mpmath.mpf(10) ** -33


def test_against_rmtool_polynomial_method(mp_sys, pw_sys):
    rmtool = pytest.importorskip("rmtool")
    import sympy as sp

    xs = np.linspace(0.02, 5.0, 60)
    ours = spectral_density(mp_sys, ("a", "a"), "z", {"alpha": ALPHA}, xs)
    theirs = np.nan_to_num(rmtool.Lmz2pdf(rmtool.wishartpol(sp.Rational(1, 2)), xs).density)
    assert np.max(np.abs(ours - theirs)) < 1e-6
    # A = W (X X^T/n) W^T/d: non-zero part = (1/psi_p) x [MP(1/psi_n) free-times psi_p MP(1/psi_p)]
    pp, pn = sp.Rational(1, 2), sp.Rational(3, 2)
    L = rmtool.AtimesB(rmtool.wishartpol(1 / pn), rmtool.scaleA(rmtool.wishartpol(1 / pp), pp))
    ours = spectral_density(pw_sys, ("u", "u"), "z", PW, xs)
    theirs = np.nan_to_num(rmtool.Lmz2pdf(L, xs).density) / float(pp)
    far = np.array([min(abs(x - e) for e in xs[np.flatnonzero(np.diff(ours > 1e-6))]) > 0.05 for x in xs])
    assert np.max(np.abs(ours - theirs)[far]) < 1e-6
