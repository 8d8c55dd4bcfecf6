"""Published DSM phenomena (George-Veiga-Macris arXiv:2502.00336; Bonnaire et al. arXiv:2505.17638)
as structural facts of the theory: divergence rates, monotonicity, locations of crossings and minima,
orderings.  No value is pasted from a run; docs/role_of_m.md gives the numbers and figures
(scripts/make_phenomena_figures.py).
"""
import math
import warnings

import numpy as np
import pytest

import rmt_dsm
from rmt_dsm.api import ThresholdDivergence

INF = math.inf


def _slope(x, y):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


def _curve(vary, values, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        c = rmt_dsm.learning_curve(vary, list(values), **kw)
    return {k: np.array([getattr(e, k) for e in c]) for k in ("train", "test", "score", "floor")}


# ----------------------------------------------------------------------------- (a) m = 1 threshold

def test_m1_test_error_diverges_like_inverse_distance_from_both_sides():
    """m = 1, lambda -> 0+: E_test ~ A/|psi_p - psi_n| on both sides, with the same amplitude A
    (as for the variance of ridgeless least squares, sigma^2/|1 - gamma|)."""
    eps = np.geomspace(2e-1, 1e-4, 12)
    amp = {}
    for side in (-1, 1):
        e = _curve("psi_p", 1.0 + side * eps, psi_n=1.0, m=1, t=0.1, lam=0.0)
        assert np.all(np.diff(e["test"]) > 0), "E_test grows without bound towards psi_p = psi_n"
        k = _slope(eps[6:], e["test"][6:])
        assert abs(k + 1) < 0.03, f"exponent {k}, expected -1 (side {side})"
        amp[side] = e["test"][-1] * eps[-1]
        if side > 0:
            assert np.all(e["train"] == 0), "psi_p > psi_n at lambda -> 0+: interpolation, E_train = 0"
        else:
            assert np.all(np.diff(e["train"]) < 0) and e["train"][-1] < 1e-2 * e["train"][0]
    assert abs(amp[1] / amp[-1] - 1) < 0.01
    with pytest.warns(ThresholdDivergence):
        assert rmt_dsm.errors(1.0, 1.0, 1, t=0.1, lam=0.0).test == INF


def test_m1_at_threshold_test_error_grows_like_lambda_to_minus_half():
    lams = np.geomspace(1.0, 1e-10, 21)
    for t in (0.01, 1.0):
        e = _curve("lam", lams, psi_n=1.0, psi_p=1.0, m=1, t=t)
        small = lams <= 1e-2
        assert np.all(np.diff(e["test"][small]) > 0), "E_test grows as lambda -> 0 at psi_p = psi_n"
        k = _slope(lams[-8:], e["test"][-8:])
        assert abs(k + 0.5) < 0.02, f"t={t}: E_test ~ lambda^{k}, expected lambda^-1/2"


def test_m1_peak_sits_at_psi_n_and_ridge_tames_it():
    """At lambda > 0 the m = 1 test error is finite; its maximum over psi_p lies just above psi_p = psi_n,
    moves right and decreases as lambda grows."""
    pp = np.geomspace(0.3, 3.0, 61)
    peaks, where = [], []
    for lam in (1e-3, 1e-2):
        e = _curve("psi_p", pp, psi_n=1.0, m=1, t=0.1, lam=lam)
        j = int(np.argmax(e["test"]))
        peaks.append(e["test"][j])
        where.append(pp[j])
    assert all(0.9 < w < 1.5 for w in where) and where[0] < where[1], where
    assert peaks[0] > peaks[1]


# ----------------------------------------------------------------------------- (b) m = inf memorization

PP = np.geomspace(0.02, 50, 45)


def test_m_inf_small_t_memorizes_beyond_a_crossing_below_psi_n():
    """m = inf, t small: E_train decreases in psi_p and crosses the floor once, at psi_c < psi_n;
    E_score has one interior minimum at psi_min < psi_c, then grows by orders of magnitude."""
    e = _curve("psi_p", PP, psi_n=1.0, m=INF, t=0.01, lam=0.0)
    assert np.all(np.diff(e["train"]) < 0)
    below = e["train"] < e["floor"]
    i_c = int(np.argmax(below))
    assert below[i_c] and np.all(below[i_c:]) and not np.any(below[:i_c]), "a single crossing"
    psi_c = PP[i_c]
    assert psi_c < 1.0, "E_train is below the floor already at psi_p = psi_n"
    j = int(np.argmin(e["score"]))
    assert 0 < j < len(PP) - 1, "interior minimum of E_score"
    assert np.all(np.diff(e["score"][:j + 1]) < 0) and np.all(np.diff(e["score"][j:]) > 0), "unimodal"
    assert PP[j] < psi_c
    assert e["score"][-1] > 100 * e["score"][j]
    gap = e["test"] - e["train"]
    assert np.all(np.diff(gap[PP > 1]) > 0), "the generalization gap grows with p beyond n"


def test_m_inf_large_t_generalizes():
    """m = inf, t = 1: E_score decreases over psi_p up to several psi_n, E_train ~ E_test."""
    e = _curve("psi_p", PP[PP <= 5], psi_n=1.0, m=INF, t=1.0, lam=0.0)
    assert np.all(np.diff(e["score"]) < 0)
    assert e["score"][-1] < 0.05 * e["score"][0]
    small = _curve("psi_p", [5.0], psi_n=1.0, m=INF, t=0.01, lam=0.0)
    rel_gap_large_t = (e["test"][-1] - e["train"][-1]) / e["test"][-1]
    rel_gap_small_t = (small["test"][0] - small["train"][0]) / small["test"][0]
    assert rel_gap_large_t < 0.25 < 0.9 < rel_gap_small_t


def test_m_inf_floor_crossing_moves_to_larger_p_with_t():
    """The floor crossing E_train = F_pop (a diagnostic, not the memorization onset) moves to larger
    psi_p/psi_n as t grows."""
    onsets = []
    for t in (0.01, 0.1, 1.0):
        e = _curve("psi_p", PP, psi_n=1.0, m=INF, t=t, lam=0.0)
        below = e["train"] < e["floor"]
        assert below.any()
        onsets.append(PP[int(np.argmax(below))])
    assert onsets[0] < onsets[1] < onsets[2]


# ----------------------------------------------------------------------------- (c) m = 1 vs m = inf

@pytest.mark.parametrize("t", [0.01, 0.1, 1.0])
def test_m_inf_better_than_m1_below_psi_n(t):
    for lam in (0.0, 1e-2, 1e-1):
        for r in (0.1, 0.5, 0.9):
            s1 = rmt_dsm.errors(1.0, r, 1, t=t, lam=lam).score
            si = rmt_dsm.errors(1.0, r, INF, t=t, lam=lam).score
            assert si < s1, (t, lam, r)


def test_m_inf_amplifies_memorization_far_above_psi_n_only_at_small_t():
    r = 20.0
    for lam in (0.0, 1e-3, 1e-2, 1e-1):
        s = {(t, m): rmt_dsm.errors(1.0, r, m, t=t, lam=lam).score for t in (0.01, 1.0) for m in (1, INF)}
        assert s[0.01, INF] > s[0.01, 1], f"lam={lam}: at small t, infinitely many draws memorize"
        assert s[1.0, INF] < s[1.0, 1], f"lam={lam}: at large t, more draws still help"


def test_crossover_above_psi_n_moves_out_with_t_and_lambda():
    """E_score(m=1) = E_score(m=inf) at a ratio psi_p*/psi_n > 1, which grows with t (lambda -> 0+)
    and with lambda (t = 0.1)."""
    r = np.geomspace(1.02, 300, 80)

    def crossover(t, lam):
        d = _curve("psi_p", r, psi_n=1.0, m=INF, t=t, lam=lam)["score"] - \
            _curve("psi_p", r, psi_n=1.0, m=1, t=t, lam=lam)["score"]
        assert d[0] < 0, "just above psi_n, m = inf is still better"
        idx = np.where(d > 0)[0]
        return r[idx[0]] if len(idx) else INF

    by_t = [crossover(t, 0.0) for t in (0.005, 0.02, 0.1)]
    assert 1 < by_t[0] < by_t[1] < by_t[2] < INF
    by_lam = [crossover(0.1, lam) for lam in (1e-3, 1e-1)]
    assert by_t[2] <= by_lam[0] < by_lam[1] < INF
