"""Training time with any data spectrum (derivations/training_time.md §4-§5): more than 4 atoms and
continuous spectra, against independent routes.

* the same spectrum written as 4 distinct atoms (explicit route: sums written out, shipped code) and as
  6 equal-weight atoms (vectorized atom-sum route), at finite training times;
* a continuous spectrum (Gauss-Legendre quadrature atoms) against many equal-weight atoms at its
  midpoint quantiles: the atoms converge to the continuous curve at the midpoint rule's rate;
* tau = inf on the contour against the ridge errors of the same continuous spectrum (1e-12);
* the certified upper focus of the contour lies above the eigenvalues of finite-d matrices U of the
  Gaussian-equivalent model;
* the CLI with ``--sigma power:...`` and ``--tau``, with the quadrature error reported.

The exact gradient-flow simulation of the true model at a power-law spectrum is in
tests/test_training_slow.py (marked slow).
"""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import rmt_dsm
from rmt_dsm.data_spectrum import atoms, from_quantile, power_law

KEYS = ("train", "test", "score", "gap", "floor")
TAUS = [0.3, 10.0, 300.0]


def test_six_equal_weight_atoms_equal_four_explicit_atoms():
    """Six atoms of weight 1/6 (two eigenvalues twice) are the four atoms (1/3, 1/3, 1/6, 1/6): the
    vectorized route (K > 4, atom sums as functions of the spectrum) against the explicit one
    (sums written out), at finite times, two charts."""
    six = atoms([(1 / 6, 2.5), (1 / 6, 2.5), (1 / 6, 0.25), (1 / 6, 0.25), (1 / 6, 1.0), (1 / 6, 0.0)])
    four = atoms([(1 / 3, 2.5), (1 / 3, 0.25), (1 / 6, 1.0), (1 / 6, 0.0)])
    for point in (dict(psi_n=1.0, psi_p=0.6, m=2, t=0.5, lam=0.0),
                  dict(psi_n=0.5, psi_p=2.0, m=1, t=0.3, lam=0.01, activation="erf")):
        a = rmt_dsm.learning_curve("tau", TAUS, **point, sigma=six)
        b = rmt_dsm.learning_curve("tau", TAUS, **point, sigma=four)
        for x, y in zip(a, b):
            for k in KEYS:
                assert getattr(x, k) == pytest.approx(getattr(y, k), abs=1e-11), (point, k)


def _uniform(u):
    return 0.5 + u   # eigenvalues uniform on [0.5, 1.5]


def test_many_atoms_converge_to_the_continuous_spectrum_at_finite_tau():
    """Eigenvalues uniform on [0.5, 1.5]: K equal-weight atoms at the midpoint quantiles (midpoint
    rule, error O(K^-2)) against the Gauss-Legendre quadrature of the continuous spectrum (its
    reported quadrature error is tiny for this smooth quantile function)."""
    point = dict(psi_n=1.0, psi_p=2.0, m=1, t=0.5, lam=0.0, activation="erf")
    cont = rmt_dsm.learning_curve("tau", TAUS, **point, sigma=from_quantile(_uniform, order=12))
    assert max(e.info["quadrature_error"] for e in cont) < 1e-12
    gaps = []
    for K in (6, 12, 24):
        mid = atoms([(1 / K, _uniform((i + 0.5) / K)) for i in range(K)])
        curve = rmt_dsm.learning_curve("tau", TAUS, **point, sigma=mid)
        gaps.append(max(abs(getattr(a, k) - getattr(c, k)) for a, c in zip(curve, cont) for k in KEYS))
    assert gaps[0] > 1e-5                                 # the atoms do differ from the continuum
    for coarse, fine in zip(gaps, gaps[1:]):
        assert 3.5 < coarse / fine < 4.5                  # halving the spacing divides the gap by 4: the
                                                          # atoms converge to the continuous curve itself


@pytest.mark.parametrize("point", [
    dict(psi_n=1.0, psi_p=0.5, m=1, t=0.5, lam=0.0, sigma="power:0.5:16"),                    # primal
    dict(psi_n=0.5, psi_p=3.0, m=4, t=0.3, lam=0.0, sigma="power:0.3:16", activation="erf"),  # dual
    dict(psi_n=0.7, psi_p=1.2, m=math.inf, t=1.0, lam=0.02, sigma="power:0.5:16"),
])
def test_continuous_tau_inf_on_the_contour_equals_the_ridge(point):
    """Both at the finer quadrature (twice the order), with the same certified contour."""
    curve = rmt_dsm.errors(**point, tau=2.0).info["curve"]
    ours, ridge = curve.at(math.inf), rmt_dsm.errors(**point)
    for k in KEYS:
        assert getattr(ours, k) == pytest.approx(getattr(ridge, k), abs=1e-12), k


def test_power_law_quadrature_error_at_finite_tau_is_reported_and_honest():
    """The reported quadrature error (order 16 vs 32) bounds the change to a much finer rule (order 64):
    at tau = 1 the large eigenvalues of the power law matter, unlike at tau = inf."""
    point = dict(psi_n=1.0, psi_p=2.0, m=1, t=0.5, lam=0.0, activation="erf")
    r16 = rmt_dsm.errors(**point, sigma=power_law(0.5, order=16), tau=1.0)
    r64 = rmt_dsm.errors(**point, sigma=power_law(0.5, order=64), tau=1.0)
    err = r16.info["quadrature_error"]
    assert 0 < err < 1e-6
    assert max(abs(getattr(r16, k) - getattr(r64, k)) for k in KEYS) < 2 * err


def _gaussian_equivalent_U(point, spectrum, d, seed):
    """U = Phi^T Phi / N of the Gaussian-equivalent features (rotated populations, docs/model.md) at
    finite d, m = 1: Phi = mu1 Y W^T/sqrt(d) + tau_0 Z, Y ~ N(0, m a^2 Sigma + Delta)."""
    from rmt_dsm.point import coefficients_of, point as make_point

    pt = make_point(point["psi_n"], point["psi_p"], 1, point["t"], 0.0, point.get("activation", "tanh"), None,
                    None, None, spectrum)
    coef = coefficients_of(pt)
    rng = np.random.default_rng(seed)
    n, p = int(pt.psi_n * d), int(pt.psi_p * d)
    lk = spectrum.eigenvalues_for(d)
    Y = rng.standard_normal((n, d)) * np.sqrt(pt.a ** 2 * lk + pt.delta)
    W = rng.standard_normal((p, d))
    Phi = coef.mu1 * Y @ W.T / math.sqrt(d) + math.sqrt(coef.v2 + coef.s2) * rng.standard_normal((n, p))
    return np.linalg.eigvalsh(Phi.T @ Phi / n)[-1], pt, coef


@pytest.mark.parametrize("sigma", ["1:1", "0.5:2,0.5:0", "0.2:0.1,0.2:0.5,0.2:1,0.2:2,0.1:4,0.1:8"])
def test_certified_upper_focus_lies_above_finite_d_spectra(sigma):
    """The upper focus of the contour (a norm bound, not a search) is above the largest eigenvalue of
    U at d = 400 (m = 1)."""
    from rmt_dsm.data_spectrum import parse_sigma
    from rmt_dsm.dsm.training import support_bound

    point = dict(psi_n=1.0, psi_p=0.5, t=0.5, activation="erf")
    spectrum = parse_sigma(sigma)
    top, pt, coef = _gaussian_equivalent_U(point, spectrum, 400, seed=1)
    base = dict(psi_n=pt.psi_n, psi_p=pt.psi_p, kappa=pt.kappa, a=pt.a, delta=pt.delta, mu1=coef.mu1,
                v2=coef.v2, s2=coef.s2)
    assert support_bound(base, spectrum) > top


def test_cli_errors_tau_with_a_continuous_spectrum_reports_the_quadrature_error():
    args = ["--psi-n", "1", "--psi-p", "0.5", "--m", "1", "--t", "0.3", "--sigma", "power:0.3:16", "--tau", "3"]
    code = "import sys; from rmt_dsm.cli import main; sys.exit(main())"
    out = subprocess.run([sys.executable, "-c", code, "errors", *args, "--json"], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    ref = rmt_dsm.errors(1.0, 0.5, 1, t=0.3, tau=3.0, sigma=power_law(0.3, order=16))
    for k in KEYS:
        assert data[k] == pytest.approx(getattr(ref, k), abs=1e-13)
    assert data["solver"]["quadrature_error"] == pytest.approx(ref.info["quadrature_error"], rel=1e-6, abs=1e-15)


def test_mass_certificate_lowers_a_lower_focus_inside_the_spectrum(monkeypatch):
    """A lower focus inside the spectrum (what a continuation stepping over a part of it would give)
    is caught (here by the left real crossing, inside the spectrum: no real solution continued from
    below; across a gap, by the mass inside the contour [T eq. (4.3)], which every point checks): the
    focus is lowered and the errors are those of the correct contour."""
    from rmt_dsm.dsm import training

    point = dict(psi_n=1.0, psi_p=0.5, m=1, t=0.5, lam=0.0, activation="erf")
    good = rmt_dsm.learning_curve("tau", TAUS, **point)
    a, b = good[0].info["edges"]
    edges = training.spectral_edges
    monkeypatch.setattr(training, "spectral_edges", lambda *args, **kw: (5 * edges(*args, **kw)[0], b))
    bad = rmt_dsm.learning_curve("tau", TAUS, **point)
    assert bad[0].info["edges"][0] < a                    # lowered below the true lower edge
    for x, y in zip(bad, good):
        for k in KEYS:
            assert getattr(x, k) == pytest.approx(getattr(y, k), abs=1e-12), k
