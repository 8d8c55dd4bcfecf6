"""Longer simulator checks (run with: pytest -m slow)."""
from __future__ import annotations

import math

import pytest

from rmt_dsm.simulate import simulate

pytestmark = pytest.mark.slow


def test_true_and_equivalent_models_agree_at_larger_d():
    kw = dict(d=400, psi_n=1, psi_p=2, m=4, t=0.5, lam=0.01, activation="erf", seeds=2)
    tr, eq = simulate(model="true", **kw), simulate(model="equivalent", **kw)
    for name in ("train", "test", "score"):
        a, b = getattr(tr, name), getattr(eq, name)
        assert a.mean == pytest.approx(b.mean, rel=0.02), name


def test_equivalent_large_m_approaches_m_inf():
    kw = dict(d=150, psi_n=1, psi_p=2, t=0.5, lam=0.01, activation="relu", model="equivalent", seeds=2)
    inf, big = simulate(m=math.inf, **kw), simulate(m=256, **kw)
    assert big.train.mean == pytest.approx(inf.train.mean, rel=0.02)
    assert big.test.mean == pytest.approx(inf.test.mean, rel=0.02)


def test_tanh_monte_carlo_matches_gaussian_equivalent_at_larger_d():
    kw = dict(d=300, psi_n=2, psi_p=1, m=2, t=1.0, lam=0.001, activation="tanh")
    tr, eq = simulate(model="true", n_test=20000, **kw), simulate(model="equivalent", **kw)
    assert tr.test.mean == pytest.approx(eq.test.mean, rel=0.02)
