"""Exact population statistics (erf, relu) against Monte Carlo; the identity E_test = E_score + F_pop."""
from __future__ import annotations

import math

import numpy as np
import pytest

from rmt_dsm.simulate import make_params, simulate
from rmt_dsm.simulate.features import apply_activation
from rmt_dsm.simulate.instance import draw_instance
from rmt_dsm.simulate.population import exact_moments, feature_covariance


def _mc_moments(pr, inst, samples=400_000, chunk=50_000, seed=123):
    """Sample means of phi phi^T, phi xi^T and phi (S^{-1} y)^T, with their standard errors."""
    gen = np.random.default_rng(seed)
    p, d = pr.p, pr.d
    s_inv = 1.0 / inst.cov.s_eigs(pr.a, pr.delta)
    acc = {k: [np.zeros(sh), np.zeros(sh)] for k, sh in (("Q", (p, p)), ("B", (p, d)), ("R", (p, d)))}
    for _ in range(samples // chunk):
        x = inst.cov.sample(gen, chunk)
        xi = gen.standard_normal((chunk, d))
        y = pr.a * x + math.sqrt(pr.delta) * xi
        phi = apply_activation(pr.activation, y @ inst.W.T / math.sqrt(d))
        sy = inst.cov.from_basis(inst.cov.to_basis(y) * s_inv)
        for key, other in (("Q", phi), ("B", xi), ("R", sy)):
            prod = phi[:, :, None] * other[:, None, :]
            acc[key][0] += prod.sum(0)
            acc[key][1] += (prod ** 2).sum(0)
    out = {}
    for key, (s1, s2) in acc.items():
        mean = s1 / samples
        out[key] = (mean, np.sqrt((s2 / samples - mean ** 2) / samples))
    return out


@pytest.mark.parametrize("activation", ["erf", "relu"])
@pytest.mark.parametrize("eigs", [None, "spread"])
def test_exact_population_statistics_match_monte_carlo(activation, eigs):
    d = 8
    sigma_eigs = None if eigs is None else np.linspace(0.3, 2.5, d)
    pr = make_params(d=d, psi_n=1, psi_p=0.625, m=1, t=0.3, activation=activation, sigma_eigs=sigma_eigs)
    inst = draw_instance(pr, 0)
    mom = exact_moments(pr, inst)
    mc = _mc_moments(pr, inst)
    z_q = np.abs(mom.Q - mc["Q"][0]) / mc["Q"][1]
    z_b = np.abs(mom.B - mc["B"][0]) / mc["B"][1]
    # Stein for the score: E[phi y^T] S^{-1} = diag(E sigma') W / sqrt(d) = B / sqrt(Delta)
    z_r = np.abs(mom.B / math.sqrt(pr.delta) - mc["R"][0]) / mc["R"][1]
    assert max(z_q.max(), z_b.max(), z_r.max()) < 5.0, (z_q.max(), z_b.max(), z_r.max())
    # the comparison has power: a 3% error in Q is rejected
    assert (np.abs(1.03 * mom.Q - mc["Q"][0]) / mc["Q"][1]).max() > 5.0


def test_feature_covariance_nonisotropic():
    d = 6
    pr = make_params(d=d, psi_n=1, psi_p=1, m=1, a=0.8, delta=0.3, sigma_eigs=np.arange(1.0, 7.0))
    inst = draw_instance(pr, 0)
    O = inst.cov.basis
    S = 0.64 * O @ np.diag(np.arange(1.0, 7.0)) @ O.T + 0.3 * np.eye(d)
    np.testing.assert_allclose(feature_covariance(inst, 0.8, 0.3), inst.W @ S @ inst.W.T / d, rtol=1e-12)
    np.testing.assert_allclose(O @ O.T, np.eye(d), atol=1e-13)


@pytest.mark.parametrize("activation,eigs", [("erf", None), ("relu", "spread")])
def test_exact_errors_match_monte_carlo_test_set(activation, eigs):
    """Same seed, same fit: exact E_test/E_score vs a Monte-Carlo test set within 4 standard errors."""
    d = 30
    kw = dict(d=d, psi_n=1, psi_p=1.5, m=2, t=0.5, lam=0.05, activation=activation, n_test=40_000,
              sigma_eigs=None if eigs is None else np.linspace(0.5, 1.5, d))
    ex = simulate(population="exact", **kw)
    mc = simulate(population="mc", **kw)
    assert ex.train.mean == mc.train.mean
    s = mc.per_seed[0]
    assert abs(ex.test.mean - s.test) < 4 * s.test_se
    assert abs(ex.score.mean - s.score) < 4 * s.score_se
    assert mc.test.stderr == s.test_se and ex.test.stderr != ex.test.stderr  # nan: exact, one seed


def test_tanh_test_equals_score_plus_floor_within_mc_error():
    r = simulate(d=30, psi_n=1, psi_p=2, m=3, t=0.4, lam=0.02, activation="tanh", n_test=30_000)
    s = r.per_seed[0]
    assert not r.params.exact_population
    assert abs(s.test - s.score - s.floor) < 4 * math.hypot(s.test_se, s.score_se)
    # E_score is estimated directly, with a smaller variance than E_test - F_pop would have
    assert s.score_se < s.test_se


def test_custom_activation_runs_by_monte_carlo():
    r = simulate(d=20, psi_n=1, psi_p=1, m=2, t=0.5, lam=0.1, activation="x*exp(-x**2)", n_test=5000)
    assert all(math.isfinite(getattr(r, k).mean) for k in ("train", "test", "score", "gap", "floor"))
    assert r.params.as_dict()["population"] == "control-variate"
