"""The claims of docs/structured_data.md, each checked by a route other than the one that produced
the figure (scripts/make_structured_figures.py); numbers are recomputed here, never pasted.

* the interpolation threshold stays at p = n m for every data spectrum: the zero atom of U measured
  by the solver (Stieltjes inversion) has mass 1 - m psi_n/psi_p exactly when psi_p > m psi_n, whatever
  rho_Sigma (a rank statement, independent of the error formulas);
* E_test ~ A/|1 - psi_p/(m psi_n)| on both sides, with the same residue A;
* m = 1, lambda -> 0+: the least-squares identities E_test (1 - psi_p/psi_n) = E_test(psi_n -> inf) and
  E_train = (1 - psi_p/psi_n)^2 E_test hold for any rho_Sigma, so A(m = 1) is the population error with
  p = n features and the relative gap below the threshold does not depend on the data spectrum;
* A decreases with psi_D (m = 1 and 4), the peak at lambda > 0 approaches m psi_n as lambda -> 0;
* m = infinity: the memorization onset (relative gap 1/2) moves to larger psi_p as psi_D decreases;
* limits: psi_D -> 1 is continuous onto Sigma = I; the floor is psi_D a^2/(a^2 + Delta).
"""
import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

import rmt_dsm
from rmt_dsm.api import ThresholdDivergence
from rmt_dsm.data_spectrum import atoms, power_law, psi_d

T = 0.1
SPECTRA = {"psi_D=0.5": psi_d(0.5), "psi_D=0.1": psi_d(0.1), "two atoms 0.1,1.9": atoms([(0.5, 0.1), (0.5, 1.9)]),
           "power law 0.6": power_law(0.6, order=16)}


def err(psi_n, psi_p, m, lam=0.0, sigma=None, t=T):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        return rmt_dsm.errors(psi_n, psi_p, m, t=t, lam=lam, sigma=sigma)


def zero_atom_mass(psi_n, psi_p, m, sigma):
    """Mass of the eigenvalue 0 of U: lim eta Im g_v(i eta), from the spectral fixed point."""
    from rmt_dsm.dsm.atoms import reduction_for
    from rmt_dsm.dsm.spectrum import spectrum_system, z
    from rmt_dsm.dsm.system import g_v
    from rmt_dsm.engine import atom_mass
    from rmt_dsm.point import coefficients_of, point

    pt = point(psi_n, psi_p, m, T, 1.0, "tanh", None, None, None, sigma)
    co = coefficients_of(pt)
    params = {"psi_n": pt.psi_n, "psi_p": pt.psi_p, "kappa": pt.kappa, "a": pt.a, "delta": pt.delta,
              "mu1": co.mu1, "v2": co.v2, "s2": co.s2, **reduction_for(pt.sigma).values(pt.sigma, pt.number)}
    return atom_mass(spectrum_system(pt.sigma), g_v, z, params, x0=0.0)


@pytest.mark.parametrize("name", ["psi_D=0.1", "two atoms 0.1,1.9"])
@pytest.mark.parametrize("m", [1, 4])
def test_zero_atom_of_U_appears_at_p_equals_nm_for_any_spectrum(name, m):
    sigma = SPECTRA[name]
    for ratio in (0.8, 1.25, 2.0):  # psi_p / (m psi_n)
        mass = zero_atom_mass(0.7, 0.7 * m * ratio, m, sigma)
        assert abs(mass - max(0.0, 1 - 1 / ratio)) < 1e-6, (ratio, mass)


@pytest.mark.parametrize("name", list(SPECTRA))
def test_divergence_is_one_over_distance_with_equal_residues(name):
    sigma = SPECTRA[name]
    for m in (1, 4):
        res = {}
        for eps in (1e-3, 1e-4):
            res[eps] = [eps * float(err(1.0, m * (1 + s * eps), m, sigma=sigma).test) for s in (-1, 1)]
        below, above = res[1e-4]
        assert 0 < below < 10 and abs(below - above) < 1e-3 * below, (m, res)
        assert abs(res[1e-3][0] - below) < 2e-2 * below and abs(res[1e-3][1] - above) < 2e-2 * above


@pytest.mark.parametrize("name", list(SPECTRA))
def test_m1_least_squares_identities_hold_for_any_spectrum(name):
    """OLS with i.i.d. Gaussian rows (the Gaussian-equivalent features at m = 1): with sigma_p^2 the
    population error of the best fit on the p features, E_test = sigma_p^2/(1 - psi_p/psi_n) and
    E_train = sigma_p^2 (1 - psi_p/psi_n) below the threshold."""
    sigma = SPECTRA[name]
    psi_p = 0.6
    pop = [float(err(psi_n, psi_p, 1, sigma=sigma).test) * (1 - psi_p / psi_n) for psi_n in (0.9, 2.0, 7.0)]
    assert max(pop) - min(pop) < 1e-9 * pop[0], pop
    for psi_n in (0.9, 2.0):
        e = err(psi_n, psi_p, 1, sigma=sigma)
        assert abs(float(e.train) - (1 - psi_p / psi_n) ** 2 * float(e.test)) < 1e-9 * float(e.test)
    # hence the residue at m = 1 is the population error at p = n (psi_n -> inf at psi_p = 1)
    residue = 1e-4 * float(err(1.0, 1 + 1e-4, 1, sigma=sigma).test)
    population = float(err(1e7, 1.0, 1, sigma=sigma).test)
    assert abs(residue - population) < 1e-3 * population


def test_residue_decreases_with_psi_d():
    for m in (1, 4):
        res = [1e-4 * float(err(1.0, m * (1 + 1e-4), m, sigma=psi_d(x)).test) for x in (1.0, 0.5, 0.25, 0.1)]
        assert all(a > b for a, b in zip(res, res[1:])), (m, res)


def test_peak_approaches_threshold_as_lambda_vanishes():
    sigma, m = psi_d(0.5), 4

    def dtest(psi_p, lam, h=1e-6):  # derivative of E_test in psi_p
        return (float(err(1.0, psi_p * (1 + h), m, lam, sigma).test)
                - float(err(1.0, psi_p * (1 - h), m, lam, sigma).test)) / (2 * h * psi_p)

    dist = []
    for lam in (1e-3, 1e-5):
        loc = brentq(lambda pp: dtest(pp, lam), 0.8 * m, 1.25 * m, xtol=1e-10)
        dist.append(abs(loc / m - 1))
    assert dist[1] < dist[0] / 5 and dist[1] < 1e-2, dist


def test_m_inf_memorization_onset_moves_with_psi_d():
    """The relative gap R = 1 - E_train/E_test reaches 1/2 at larger psi_p for smaller psi_D (m = inf)."""
    def onset(x):
        r = lambda pp: 0.5 - float(err(1.0, pp, math.inf, 1e-4, psi_d(x)).train) / float(err(1.0, pp, math.inf, 1e-4, psi_d(x)).test)
        return brentq(r, 0.3, 200, xtol=1e-6)

    ons = [onset(x) for x in (1.0, 0.5, 0.25)]
    assert ons[0] < ons[1] < ons[2] and ons[2] > 3 * ons[0], ons


def test_psi_d_to_one_is_continuous_and_floor_closed_form():
    for m, pp in ((1, 0.5), (4, 6.0), (math.inf, 2.0)):
        iso = err(1.0, pp, m, 1e-3)
        near = err(1.0, pp, m, 1e-3, psi_d(1 - 1e-7))
        for f in ("train", "test", "score"):
            assert abs(float(getattr(near, f)) - float(getattr(iso, f))) < 1e-5 * float(getattr(iso, f))
    a2 = math.exp(-2 * T)
    for x in (0.5, 0.1):
        assert abs(float(err(1.0, 0.5, 1, sigma=psi_d(x)).floor) - x * a2) < 1e-14


def test_m4_memorization_onset_rises_as_psi_d_falls():
    """At m = 4 the relative gap reaches 1/2 below the threshold, later for smaller psi_D."""
    def onset(x):
        r = lambda pp: 0.5 - float(err(1.0, pp, 4, 1e-4, psi_d(x)).train) / float(err(1.0, pp, 4, 1e-4, psi_d(x)).test)
        return brentq(r, 0.2, 3.99, xtol=1e-8)

    ons = [onset(x) for x in (1.0, 0.5, 0.1)]
    assert ons[0] < ons[1] < ons[2] < 4, ons


@pytest.mark.parametrize("m,psi_p", [(1, 0.5), (1, 2.0), (4, 2.0), (math.inf, 0.5), (math.inf, 4.0)])
def test_gap_increases_with_psi_d(m, psi_p):
    """The gap grows with psi_D everywhere; E_score grows with psi_D beyond p = n, falls at m = inf below."""
    es = [err(1.0, psi_p, m, 1e-4, psi_d(x)) for x in (0.05, 0.25, 0.5, 0.75, 1.0)]
    gaps = [float(e.gap) for e in es]
    assert all(a < b for a, b in zip(gaps, gaps[1:])), gaps
    score = [float(e.score) for e in es]
    if psi_p > 1:
        assert all(a < b for a, b in zip(score, score[1:])), score
    elif m == math.inf:
        assert all(a > b for a, b in zip(score, score[1:])), score


@pytest.mark.parametrize("m", [1, math.inf])
def test_spread_at_fixed_trace_hurts_below_and_helps_above_psi_n(m):
    """Two atoms (1/2, 1 - s), (1/2, 1 + s): E_score grows with s at psi_p = psi_n/2, falls at psi_p = 4 psi_n;
    the power laws (1 - alpha) u^-alpha do the same in alpha."""
    fams = ([atoms([(0.5, 1 - s), (0.5, 1 + s)]) for s in (0.0, 0.5, 0.9, 1.0)],
            [power_law(al, order=16) for al in (0.0, 0.3, 0.6)])
    for fam in fams:
        below = [float(err(1.0, 0.5, m, 1e-4, s).score) for s in fam]
        above = [float(err(1.0, 4.0, m, 1e-4, s).score) for s in fam]
        assert all(a < b for a, b in zip(below, below[1:])), below
        assert all(a > b for a, b in zip(above, above[1:])), above
