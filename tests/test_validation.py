"""Fast validation: theory (rmt_dsm.errors) vs finite-d simulations (rmt_dsm.simulate).

True nonlinear model at d = 300 (tanh, erf, relu; m = 1 and m = 3) and the Gaussian-equivalent
(GE) model at d = 400 with the exact noise average (m = inf).  Each check asserts

    |theory - sim mean| <= 4 SE + allowance(d),

SE = std(ddof=1)/sqrt(K) over K seeds.  The allowance is the finite-size (O(d^-alpha)) bias of
the simulation, measured by the slow validation (tests/test_validation_slow.py and
docs/validation.md, section 3) as |c| d^-alpha fitted over d = 250..2000 -- see ALLOWANCE.
The full report is the evidence; these tests guard against regressions of the theory or the
simulator at a cost of ~1 min.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from rmt_dsm import validation as V

D_TRUE, K_TRUE = 300, 6
D_GE, K_GE = 400, 3

#: (label, model, quantity) -> (c, alpha): finite-size bias |c| d^-alpha measured by the slow
#: validation (tests/test_validation_slow.py: d = 250/500/1000(/2000) with 16/8/4(/3) seeds for the
#: true model, d = 200/400/800/1600 with 16/8/4/2 seeds for GE; weighted fit, alpha's Delta chi^2 = 1
#: interval in brackets).  Only discrepancies resolved above the noise (Delta chi^2 >= 6 against
#: zero) get an allowance; the others are (0, 0): the check is then the pure 4 SE criterion.
ALLOWANCE = {
    ("T4", "true", "train"): (0.0, 0.0),   # unresolved (dchi2 = 3.9)
    ("T4", "true", "test"): (0.0, 0.0),    # unresolved (dchi2 = 1.7)
    ("E2", "true", "train"): (0.0, 0.0),   # unresolved (dchi2 = 2.2)
    ("E2", "true", "test"): (0.0, 0.0),    # unresolved (dchi2 = 1.0)
    ("R3", "true", "train"): (0.0, 0.0),   # unresolved (dchi2 = 1.8)
    ("R3", "true", "test"): (12.0, 1.35),  # c = -12, alpha = 1.35 [0.87, 2.16], dchi2 = 6.7: 5.4e-3 at d = 300
    ("F5", "true", "train"): (0.0, 0.0),   # unresolved (dchi2 = 0.1)
    ("F5", "true", "test"): (0.0, 0.0),    # unresolved (dchi2 = 0.1)
    ("F12", "true", "train"): (0.0, 0.0),  # unresolved (dchi2 = 0.7)
    ("F12", "true", "test"): (1.62, 1.15),  # c = -1.62, alpha = 1.15 [0.95, 1.37], dchi2 = 101: 2.3e-3 at d = 300
    ("T7", "equivalent", "train"): (2.09, 1.56),  # c = -2.09, alpha = 1.56 [0.87, 2.88], dchi2 = 6.9: 1.8e-4 at d = 400
    ("T7", "equivalent", "test"): (1.29, 1.52),   # c = -1.29, alpha = 1.52 [0.87, 2.69], dchi2 = 7.9: 1.4e-4 at d = 400
    ("E3", "equivalent", "train"): (0.0, 0.0),    # unresolved (dchi2 = 0.3)
    ("E3", "equivalent", "test"): (0.0, 0.0),     # unresolved (dchi2 = 0.2)
    ("R8", "equivalent", "train"): (0.0, 0.0),    # unresolved (dchi2 = 4.4)
    ("R8", "equivalent", "test"): (0.561, 1.22),  # c = -0.561, alpha = 1.22 [0.68, 2.06], dchi2 = 11: 3.8e-4 at d = 400
}


def _check(row, allowance):
    bound = 4 * row.stderr + allowance
    msg = (f"{row.label} ({V.point(row.label).describe()}), m_sim={row.m_sim}, d={row.d}, {row.quantity}: "
           f"theory {row.theory:.6f} vs sim {row.mean:.6f} +- {row.stderr:.2e} "
           f"(|diff| {abs(row.diff):.2e} > 4 SE + allowance = {bound:.2e})")
    assert math.isfinite(row.stderr) and row.stderr > 0, msg
    assert abs(row.diff) <= bound, msg


# ---------------------------------------------------------------------------------------------
# the machinery
# ---------------------------------------------------------------------------------------------
def test_grid_spans_the_design():
    pts = V.grid()
    assert len(V.GRID_LIMITS) >= 20 and len(V.GRID_FINITE_M) >= 12
    assert len({p.label for p in pts}) == len(pts)
    assert {p.activation for p in pts} == {"tanh", "erf", "relu"}
    assert {p.m for p in V.GRID_LIMITS} == {1, math.inf}
    assert {p.m for p in V.GRID_FINITE_M} == {2, 3, 5, 10, 50}
    assert {p.t for p in pts} == {0.05, 1.0} and {p.lam for p in pts} == {1e-3, 0.5}
    assert {p.regime for p in pts} == {"p<n", "p>n"}
    for act in ("tanh", "erf", "relu"):  # every activation sees both m, both t, both lam, both regimes
        sub = [p for p in V.GRID_LIMITS if p.activation == act]
        for attr in ("m", "t", "lam", "regime"):
            assert len({getattr(p, attr) for p in sub}) == 2, (act, attr)
    for p in V.GRID_FINITE_M:  # away from the interpolation threshold at small ridge
        ratio = p.psi_p / (p.m * p.psi_n)
        assert p.lam >= 0.5 or not 0.8 < ratio < 1.6, p


def test_power_law_fit_recovers_exponent_and_flags_noise():
    ds = np.array([250.0, 500.0, 1000.0, 2000.0])
    f = V.fit_power_law(ds, 0.4 * ds ** -0.7, 1e-3 * np.ones(4) / ds)
    assert f.alpha == pytest.approx(0.7, abs=0.01) and f.c == pytest.approx(0.4, rel=0.05) and f.resolved
    rng = np.random.default_rng(0)
    se = 1e-3 * np.ones(4)
    noise = V.fit_power_law(ds, rng.normal(0, 1, 4) * se * 0.5, se)
    assert not noise.resolved
    flat = V.fit_power_law(ds, 0.01 * np.ones(4), 1e-4 * np.ones(4))
    assert flat.resolved and flat.alpha < 0.05  # a constant gap is detected as not shrinking


def test_ge_criterion_and_csv_roundtrip(tmp_path):
    pt = V.point("E4")
    row = lambda mean, se: V.Row(pt.label, pt.activation, pt.psi_n, pt.psi_p, pt.t, pt.lam, "inf", "inf",  # noqa: E731
                                 "equivalent", 400, 3, "test", 0.75, 0.75, mean, se, 0.1)
    assert V.ge_passes(row(0.7522, 1e-5))      # 0.29 % off, 22 SE: passes on the relative criterion
    assert V.ge_passes(row(0.7530, 2e-3))      # 0.4 % off, 1.5 SE: passes on the SE criterion
    assert not V.ge_passes(row(0.7530, 2e-4))  # 0.4 % and 15 SE: fails
    rows = [row(0.7524, 1e-4)]
    path = tmp_path / "rows.csv"
    V.write_csv(path, rows)
    back = V.read_csv(path)
    assert back == rows and back[0].z == pytest.approx(rows[0].z)


# ---------------------------------------------------------------------------------------------
# theory vs simulations
# ---------------------------------------------------------------------------------------------
def _allowance(key, d):
    c, alpha = ALLOWANCE[key]
    return abs(c) * d ** (-alpha)


TRUE_CASES = ["T4", "E2", "R3", "F5", "F12"]  # tanh/erf/relu m = 1; erf/relu m = 3


@pytest.mark.parametrize("label", TRUE_CASES)
def test_true_model_matches_theory(label):
    pt = V.point(label)
    for row in V.compare(pt, D_TRUE, K_TRUE, model="true"):
        _check(row, _allowance((label, "true", row.quantity), D_TRUE))


GE_CASES = ["T7", "E3", "R8"]  # m = inf: GE simulator with the exact noise average


@pytest.mark.parametrize("label", GE_CASES)
def test_equivalent_model_m_inf_matches_theory(label):
    pt = V.point(label)
    assert pt.m == math.inf
    for row in V.compare(pt, D_GE, K_GE, model="equivalent"):
        _check(row, _allowance((label, "equivalent", row.quantity), D_GE))
