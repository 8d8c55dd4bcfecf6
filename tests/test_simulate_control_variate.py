"""The control-variate estimator of the Monte-Carlo test and score errors (simulate/control_variate.py).

Independent routes: exact population statistics (erf, relu: arcsine / arccosine kernels) and the
plain Monte-Carlo estimator on many samples; the surrogate's closed-form moments against a
direct Monte-Carlo average of psi(h) psi(h)^T.
"""
import math

import numpy as np
import pytest

from rmt_dsm.simulate import simulate
from rmt_dsm.simulate.control_variate import fit_surrogate

KW = dict(d=30, psi_n=1, psi_p=1.5, m=2, t=0.5, lam=0.05)


def test_surrogate_moments_against_sampling():
    rng = np.random.default_rng(1)
    p = 4
    A = rng.standard_normal((p, p))
    K = A @ A.T / p + 0.2 * np.eye(p)
    sur = fit_surrogate("tanh", float(np.mean(np.diag(K))))
    h = rng.multivariate_normal(np.zeros(p), K, size=400_000)
    psi = sur(h)
    emp = psi.T @ psi / len(h)
    se = np.sqrt(np.var(psi[:, :, None] * psi[:, None, :], axis=0) / len(h))
    assert np.all(np.abs(emp - sur.second_moment(K)) < 5 * se)
    # Stein: E psi'(h_i) = E[psi(h_i) h_i] / K_ii
    stein = np.mean(psi * h, axis=0) / np.diag(K)
    se1 = np.std(psi * h, axis=0) / np.sqrt(len(h)) / np.diag(K)
    assert np.all(np.abs(stein - sur.mean_slope(np.diag(K))) < 5 * se1)


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_control_variate_unbiased_against_exact(activation):
    """Same seed, same fit: the control-variate estimate vs the exact population statistics."""
    ex = simulate(population="exact", activation=activation, **KW)
    cv = simulate(population="cv", activation=activation, n_test=20_000, **KW)
    assert cv.params.as_dict()["population"] == "control-variate"
    s = cv.per_seed[0]
    assert ex.train.mean == cv.train.mean
    assert abs(ex.test.mean - s.test) < 4 * s.test_se
    assert abs(ex.score.mean - s.score) < 4 * s.score_se
    assert 0 < s.test_se < 2e-3


def test_control_variate_unbiased_over_seeds_relu():
    """Pooled over seeds: mean of (cv - exact) / se stays within the noise of a standard normal."""
    z = []
    for seed in range(8):
        ex = simulate(population="exact", activation="relu", seed=seed, **KW)
        s = simulate(population="cv", activation="relu", seed=seed, n_test=5_000, **KW).per_seed[0]
        z.append((s.test - ex.test.mean) / s.test_se)
    assert abs(np.mean(z)) < 4 / math.sqrt(len(z))


def test_tanh_control_variate_matches_plain_monte_carlo():
    mc = simulate(population="mc", activation="tanh", n_test=200_000, **KW).per_seed[0]
    cv = simulate(activation="tanh", n_test=20_000, **KW)
    assert cv.params.control_variate
    s = cv.per_seed[0]
    assert abs(mc.test - s.test) < 4 * math.hypot(mc.test_se, s.test_se)
    assert abs(mc.score - s.score) < 4 * math.hypot(mc.score_se, s.score_se)
    # at most as many pairs as the plain estimator with n_test = 20000, and no larger error bar
    assert s.test_se < 1.2 * mc.test_se * math.sqrt(200_000 / 20_000)
