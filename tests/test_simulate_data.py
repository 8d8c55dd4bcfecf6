"""The simulator trained on given samples (`simulate(..., data=...)`, rmt_dsm/simulate/data.py).

* a large pool of Gaussian samples gives the errors of the Gaussian simulator with the pool's
  covariance (two independent routes: held-out Monte Carlo vs exact population statistics);
* training rows and held-out rows partition the pool;
* bad input: ValueError naming data.
"""
import math

import numpy as np
import pytest

from rmt_dsm.simulate import make_params, simulate
from rmt_dsm.simulate.instance import draw_instance


def _pool(d, rows, seed=7):
    gen = np.random.default_rng(seed)
    scales = np.sqrt(np.linspace(0.2, 1.8, d))  # Sigma = diag(0.2 .. 1.8) in the canonical basis
    return gen.standard_normal((rows, d)) * scales


def test_gaussian_pool_matches_gaussian_simulation():
    d, seeds = 40, 6
    pool = _pool(d, 40000)
    kw = dict(d=d, psi_n=1.0, psi_p=0.75, m=2, t=0.3, lam=0.01, activation="erf", seeds=seeds)
    on_data = simulate(**kw, data=pool, n_test=20000)
    eigs = np.linalg.eigvalsh(pool.T @ pool / pool.shape[0])
    gauss = simulate(**kw, sigma_eigs=eigs, seed=1)
    assert on_data.params.as_dict()["population"] == "monte-carlo"
    assert abs(on_data.floor.mean - gauss.floor.mean) < 1e-12
    for name in ("train", "test", "score"):
        a, b = getattr(on_data, name), getattr(gauss, name)
        assert abs(a.mean - b.mean) < 4 * math.hypot(a.stderr, b.stderr), (name, a, b)


def test_training_and_held_out_rows_partition_the_pool():
    pool = _pool(8, 50) + np.arange(50)[:, None] * 1e3  # rows identifiable by their first entry
    params = make_params(d=8, psi_n=2.5, psi_p=1, m=1, t=0.5, data=pool)
    inst = draw_instance(params, 0)
    assert inst.X.shape == (20, 8) and inst.test_pool.shape == (30, 8)
    ids = np.round(np.concatenate([inst.X[:, 0], inst.test_pool[:, 0]]) / 1e3)
    assert sorted(ids.tolist()) == list(range(50))
    x = inst.test_inputs(np.random.default_rng(0), 100)
    assert set(np.round(x[:, 0] / 1e3).tolist()) <= set(np.round(inst.test_pool[:, 0] / 1e3).tolist())


@pytest.mark.parametrize("kw, needle", [
    (dict(data=np.zeros((10, 3))), "d = 8 columns"),
    (dict(data=np.full((30, 8), np.nan)), "finite"),
    (dict(data=np.zeros((20, 8))), "no held-out"),
    (dict(data=np.zeros((30, 8)), sigma_eigs=np.ones(8)), "either data or sigma_eigs"),
    (dict(data=np.zeros((30, 8)), model="equivalent"), "true model"),
    (dict(data=np.zeros((30, 8)), population="cv"), "Gaussian inputs"),
])
def test_bad_data_raises_naming_data(kw, needle):
    with pytest.raises(ValueError, match="data") as exc:
        make_params(d=8, psi_n=2.5, psi_p=1, m=1, t=0.5, **kw)
    assert needle in str(exc.value)
