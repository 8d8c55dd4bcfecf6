"""Slow validation (pytest -m slow): finite-size trend of theory - simulation for the TRUE model.

For a few points (tanh, erf, relu; m = 1, 3 and m = inf through m = 16) the discrepancy
D(d) = theory - simulation mean is measured at d = 250, 500, 1000 (2000 where cheap) with
seeds 16/8/4/2 and fitted as D = c d^{-alpha} (rmt_dsm.validation.fit_power_law).

Assertions per series (`rmt_dsm.validation.trend_alarm`, also the report's flags):
* if the data resolve a discrepancy significantly (Delta chi^2 >= FLAG_DCHI2 against D = 0), it must
  shrink with d: fitted alpha > 0.3 (a gap that does not shrink would be a bug in the theory or the simulator);
* at every d, |D| <= FLAG_N_SE SE + |c| d^{-alpha} (the fitted remainder, counted only for a resolved
  fit, Delta chi^2 >= 6, that shrinks).
The thresholds are calibrated a priori (`alarm_rate`, scripts/calibrate_trend_rule.py) so that a correct
theory fails a whole run with probability <= FAMILY_FALSE_ALARM = 5 %; with the former thresholds (6 and
4 SE) each pure-noise series failed with probability ~1 %, i.e. most runs of ~130 series had a false flag.

The fitted exponents justify the decay rate alpha >= 1 that the fast tests
(tests/test_validation.py, rmt_dsm.validation.two_size_check) assume when they bound the
finite-size bias from two dimensions measured in the same run.
Runtime: ~5-10 min on 2 shared cores, plus ~1-2 h (one process) for the structured-data protocol
(rmt_dsm.validation.structured_series, docs/validation.md section 6; its m = 16 series ~15 min each).
"""
from __future__ import annotations

import pytest

from rmt_dsm import validation as V

pytestmark = pytest.mark.slow

CASES = [
    # (label, simulated m or None for the point's m, plan [(d, seeds)])
    ("T4", None, [(250, 16), (500, 8), (1000, 4)]),             # tanh, m = 1 (Monte-Carlo test set)
    ("R3", None, [(250, 16), (500, 8), (1000, 4), (2000, 3)]),  # relu, m = 1, lam = 1e-3
    ("E2", None, [(250, 16), (500, 8), (1000, 4), (2000, 3)]),  # erf, m = 1, t = 0.05, lam = 0.5
    ("F5", None, [(250, 16), (500, 8), (1000, 4)]),             # erf, m = 3
    ("F12", None, [(250, 16), (500, 8), (1000, 4)]),            # relu, m = 3, p > n
    ("E3", 16, [(250, 8), (500, 4), (1000, 2)]),                # erf, m = inf point at m = 16
]


@pytest.mark.parametrize("label,m,plan", CASES, ids=[f"{c[0]}-m{c[1] or 'pt'}" for c in CASES])
def test_discrepancy_shrinks_with_d(label, m, plan):
    pt = V.point(label)
    trends = V.trend(pt, plan, m=m, log=print)
    _assert_shrinks(label, trends)


def _assert_shrinks(label, trends, tag=""):
    """The d-trend rule `rmt_dsm.validation.trend_alarm` (the report's flags, the same function): a
    significant discrepancy (Delta chi^2 >= FLAG_DCHI2) must shrink with d (alpha > 0.3), and at every d
    |D| <= FLAG_N_SE SE + the fitted finite-size remainder (counted only for a resolved, shrinking fit).
    Its thresholds keep the false alarms of a whole run under FAMILY_FALSE_ALARM (tests/test_validation.py)."""
    for q, tr in trends.items():
        f = tr.fit
        if f is not None:
            print(f"{label}{tag} {q}: c={f.c:+.3g} alpha={f.alpha:.2f} [{f.alpha_lo:.2f}, {f.alpha_hi:.2f}] "
                  f"dchi2={f.significance:.1f} resolved={f.resolved}")
        failure = V.trend_failure(tr)
        assert failure is None, f"{failure}; D = {[r.diff for r in tr.rows]}, SE = {tr.se_eff}"


GE_CASES = ["T7", "E3", "R8"]  # m = inf with the exact noise average (GE simulator)


@pytest.mark.parametrize("label", GE_CASES)
def test_equivalent_model_m_inf_discrepancy_shrinks(label):
    pt = V.point(label)
    trends = V.trend(pt, [(200, 16), (400, 8), (800, 4), (1600, 2)], model="equivalent", log=print)
    _assert_shrinks(label, trends, tag=" GE")


STRUCTURED = V.structured_series()  # the full protocol of docs/validation.md section 6


@pytest.mark.parametrize("pt,plan,m", STRUCTURED, ids=[f"{p.label}-m{m or V.fmt_m(p.m)}" for p, _, m in STRUCTURED])
def test_structured_discrepancy_shrinks_with_d(pt, plan, m):
    """Structured data (data spectra Sigma): train, test and score over d = 250..2000 (m = inf points at
    m = 16 and 64, theory at the same m)."""
    trends = V.trend(pt, plan, m=m, quantities=V.STRUCTURED_QUANTITIES, log=print)
    _assert_shrinks(pt.label, trends, tag=f" m={m or V.fmt_m(pt.m)}")
