"""Finite m (issue 5): structural facts the theory must satisfy for any number m of noise draws.

- the interpolation threshold sits at psi_p = m psi_n (divergence like 1/|psi_p - m psi_n| at
  lambda -> 0+), and nowhere else;
- m = 1 is random-features ridge regression of a linear target with label noise: it equals the
  Mei-Montanari closed form (arXiv:1908.05355, Thm. 1 / Def. 1), coded here independently (its own
  Gaussian coefficients by mpmath quadrature, nothing from rmt_dsm but the value under test), to
  working precision at dps = 30, also at a^2 + Delta != 1;
- E(m) -> E(inf) at rate 1/m; m = 10^12 is m = inf to double precision;
- below the threshold side (psi_p < psi_n) the score error decreases with m; at lambda -> 0+ and
  psi_p > psi_n it peaks at m = psi_p/psi_n.
"""
import math
import warnings

import mpmath as mp
import numpy as np
import pytest

import rmt_dsm
from rmt_dsm.api import ThresholdDivergence


def _slope(x, y):
    return np.polyfit(np.log(x), np.log(y), 1)[0]


# ----------------------------------------------------------------------------- threshold at m psi_n

@pytest.mark.parametrize("m,psi_n", [(3, 1.0), (2, 0.75)])
def test_threshold_moves_to_m_psi_n(m, psi_n):
    thr = m * psi_n
    eps = np.geomspace(2e-1, 1e-4, 12)  # warm-started from 20 % away (cold starts fail within ~1 %)
    for side in (-1, 1):
        c = rmt_dsm.learning_curve("psi_p", thr + side * eps * psi_n, psi_n=psi_n, m=m, t=0.1, lam=0.0)
        test = np.array([e.test for e in c])
        assert np.all(np.diff(test) > 0), "E_test must grow towards psi_p = m psi_n"
        k = _slope(eps[6:], test[6:])
        assert abs(k + 1) < 0.03, f"divergence exponent {k} (expected -1) on side {side}"
        train = np.array([e.train for e in c])
        if side > 0:
            assert np.all(train == 0), "psi_p > m psi_n, lambda -> 0+: the N = n m pairs are interpolated"
        else:
            assert np.all(train > 0) and np.all(np.diff(train) < 0)
    with pytest.warns(ThresholdDivergence):
        assert rmt_dsm.errors(psi_n, thr, m, t=0.1, lam=0.0).test == math.inf


def test_no_divergence_at_psi_n_for_m_gt_1():
    """For m = 3 nothing special happens at psi_p = psi_n (the m = 1 threshold): E_test is smooth there."""
    x = 1.0 + np.array([-2e-3, -1e-3, 0.0, 1e-3, 2e-3])
    c = rmt_dsm.learning_curve("psi_p", x, psi_n=1.0, m=3, t=0.1, lam=0.0)
    test = np.array([e.test for e in c])
    assert np.all(np.isfinite(test)) and test.max() < 3
    second = np.diff(test, 2)  # bounded curvature: a smooth curve, no pole
    assert np.max(np.abs(second)) < 1e-3 * test.mean()


# ----------------------------------------------------------------------------- m = 1: Mei-Montanari

def _tanh_mm_coefficients(Gamma):
    """(mu_1, mu_star^2) of u -> tanh(Gamma u) in Mei-Montanari's normalization, by mpmath quadrature
    here (not rmt_dsm.moments / rmt_dsm.equivalence): mu_1 = E[G tanh(Gamma G)],
    mu_star^2 = E tanh(Gamma G)^2 - mu_1^2 (mu_0 = 0: tanh is odd; both integrands are even)."""
    half = lambda f: 2 * mp.quad(lambda z: f(z) * mp.npdf(z), [0, 1, mp.inf])  # noqa: E731
    m1 = half(lambda z: z * mp.tanh(Gamma * z))
    return m1, half(lambda z: mp.tanh(Gamma * z) ** 2) - m1**2


def _mei_montanari_score(psi_n, psi_p, t, lam, dps=30, a=None, delta=None):
    """E_score at m = 1 from the closed form of random-features ridge regression.

    m = 1: one pair (y, xi) per data point, y ~ N(0, Gamma^2 I), and xi = (sqrt(Delta)/Gamma^2) y + noise
    of variance tau^2 = 1 - Delta/Gamma^2 per coordinate.  Rescaled input y/Gamma, activation
    sigma(Gamma .): F1^2 = Delta/Gamma^2, mu_1(MM) = Gamma mu1, mu_*^2 = v2 + s2, psi1 = psi_p (features),
    psi2 = psi_n (samples); our ridge lam (C = V^T (U + lam I)^-1) is lambda_MM = lam/psi_p.  E_score is
    the excess risk R = F1^2 B + tau^2 V of Mei-Montanari.
    """
    with mp.workdps(dps + 10):
        if t is not None:
            a = mp.e ** (-mp.mpf(str(t)))
            D = 1 - a**2
        else:
            a, D = mp.mpf(str(a)), mp.mpf(str(delta))
        G2 = a**2 + D
        mu1_mm, mus2 = _tanh_mm_coefficients(mp.sqrt(G2))
        z = mu1_mm / mp.sqrt(mus2)
        p1, p2 = mp.mpf(str(psi_p)), mp.mpf(str(psi_n))
        xi = 1j * mp.sqrt(p1 * p2 * mp.mpf(str(lam)) / (p1 * mus2))

        def F(n1, n2):
            q = 1 - z**2 * n1 * n2
            return [n1 - p1 / (-xi - n2 - z**2 * n2 / q), n2 - p2 / (-xi - n1 - z**2 * n1 / q)]

        n1, n2 = 1j * p1, 1j * p2
        for _ in range(400):  # damped iteration to the Stieltjes branch, then Newton
            q = 1 - z**2 * n1 * n2
            n1 = (n1 + p1 / (-xi - n2 - z**2 * n2 / q)) / 2
            q = 1 - z**2 * n1 * n2
            n2 = (n2 + p2 / (-xi - n1 - z**2 * n1 / q)) / 2
        n1, n2 = mp.findroot(F, (n1, n2))
        assert n1.imag > 0 and n2.imag > 0
        x = n1 * n2
        E0 = (-x**5 * z**6 + 3 * x**4 * z**4 + (p1 * p2 - p2 - p1 + 1) * x**3 * z**6 - 2 * x**3 * z**4
              - 3 * x**3 * z**2 + (p1 + p2 - 3 * p1 * p2 + 1) * x**2 * z**4 + 2 * x**2 * z**2 + x**2
              + 3 * p1 * p2 * x * z**2 - p1 * p2)
        E1 = p2 * x**3 * z**4 - p2 * x**2 * z**2 + p1 * p2 * x * z**2 - p1 * p2
        E2 = (x**5 * z**6 - 3 * x**4 * z**4 + (p1 - 1) * x**3 * z**6 + 2 * x**3 * z**4 + 3 * x**3 * z**2
              + (-p1 - 1) * x**2 * z**4 - 2 * x**2 * z**2 - x**2)
        return (D / G2 * E1 / E0 + (1 - D / G2) * E2 / E0).real


@pytest.mark.parametrize("psi_n,psi_p,t,lam,a,delta", [(1.0, 0.5, 0.3, 0.1, None, None),
                                                       (2.0, 3.0, 1.0, 0.01, None, None),
                                                       (1.5, 0.8, None, 0.05, 1.0, 0.5)])
def test_m1_equals_mei_montanari_dps30(psi_n, psi_p, t, lam, a, delta):
    ref = _mei_montanari_score(psi_n, psi_p, t, lam, dps=30, a=a, delta=delta)
    e = rmt_dsm.errors(psi_n, psi_p, 1, t=t, lam=lam, a=a, delta=delta, dps=30)
    with mp.workdps(40):
        assert abs(e.score - ref) <= mp.mpf(10) ** -27 * abs(ref)
    # m given as the float 1.0 is the same point
    kw = dict(t=t, lam=lam, a=a, delta=delta)
    assert rmt_dsm.errors(psi_n, psi_p, 1.0, **kw).score == rmt_dsm.errors(psi_n, psi_p, 1, **kw).score


# ----------------------------------------------------------------------------- m -> inf

@pytest.mark.parametrize("ratio,t", [(0.5, 0.1), (4.0, 0.01), (4.0, 1.0)])
def test_large_m_converges_to_m_inf_at_rate_one_over_m(ratio, t):
    ms = [100, 200, 400, 800, 1600, 3200]
    lam = 1e-2
    c = rmt_dsm.learning_curve("m", ms, psi_n=1.0, psi_p=ratio, t=t, lam=lam)
    inf = rmt_dsm.errors(1.0, ratio, math.inf, t=t, lam=lam)
    for name in ("train", "test", "score"):
        d = np.array([getattr(e, name) - getattr(inf, name) for e in c])
        assert np.all(d != 0) and np.all(np.sign(d) == np.sign(d[0])), "E(m) approaches E(inf) from one side"
        k = _slope(ms, np.abs(d))
        assert abs(k + 1) < 0.03, f"{name}: |E(m) - E(inf)| ~ m^{k}, expected m^-1"
        md = np.array(ms) * d  # m (E(m) - E(inf)) -> a finite limit c_1 (next term ~ 1/m)
        assert abs(md[-1] - md[-2]) < abs(md[-2] - md[-3])
    huge = rmt_dsm.errors(1.0, ratio, 10**12, t=t, lam=lam)
    assert abs(huge.score - inf.score) < 1e-8 * max(1.0, abs(inf.score))


# ----------------------------------------------------------------------------- E against m

@pytest.mark.parametrize("t", [0.01, 1.0])
@pytest.mark.parametrize("lam", [0.0, 1e-2])
def test_score_decreases_with_m_when_p_below_n(t, lam):
    ms = [1, 2, 3, 5, 8, 13, 21, 34, 55, 100]
    c = rmt_dsm.learning_curve("m", ms, psi_n=1.0, psi_p=0.5, t=t, lam=lam)
    s = np.array([e.score for e in c])
    assert np.all(np.diff(s) < 0)
    assert s[-1] > rmt_dsm.errors(1.0, 0.5, math.inf, t=t, lam=lam).score


@pytest.mark.parametrize("t", [0.01, 0.1, 1.0])
def test_score_peaks_at_m_equal_ratio_when_p_above_n(t):
    """lambda -> 0+, psi_p = 4 psi_n: E_score diverges at m = 4 (threshold p = n m) and the neighbours
    m = 3, 5 are worse than both m = 1 and m = inf."""
    r = 4
    with pytest.warns(ThresholdDivergence):
        assert rmt_dsm.errors(1.0, float(r), r, t=t, lam=0.0).score == math.inf
    s = {m: rmt_dsm.errors(1.0, float(r), m, t=t, lam=0.0).score for m in (1, r - 1, r + 1, math.inf)}
    assert min(s[r - 1], s[r + 1]) > max(s[1], s[math.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        after = [rmt_dsm.errors(1.0, float(r), m, t=t, lam=0.0).score for m in (5, 8, 16, 64)]
    assert np.all(np.diff(after) < 0), "past the threshold (N > p) more draws help again"
