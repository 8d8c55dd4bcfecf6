#!/usr/bin/env python
"""Calibrate the d-trend rule (`rmt_dsm.validation.trend_alarm`) a priori: its false alarms under a correct theory.

A run of the slow validation (tests/test_validation_slow.py) tests many series (point, simulated m, quantity).
Each is flagged when a significant discrepancy (Delta chi^2 >= dchi2) does not shrink with d, or when some d is
more than n_se standard errors (+ the fitted finite-size remainder) away.  For every plan [(d, seeds)] of the
run this script simulates pure-noise trends (`rmt_dsm.validation.alarm_rate`: mean-zero Gaussian seed
values with spread d^-beta) and sums the false-alarm rates over the run's tests: the expected number of false
flags per run (>= the probability of at least one).  The noise exponent beta of the tracked data
(docs/data/validation_structured.csv) has median 0.96 over the structured series, 0.6-0.7 for some m = inf
proxies; the thresholds chosen are the smallest (most powerful) on the grid with at most FAMILY_FALSE_ALARM
expected false flags per run at beta = 0.75 and at beta = 1.  The table is printed (markdown); with --write
it is stored in docs/data/trend_rule_calibration.json, which docs/validation.md (section 3) shows.  The
constants FLAG_DCHI2 / FLAG_N_SE in rmt_dsm/validation.py are set from it by hand.

    .venv/bin/python scripts/calibrate_trend_rule.py [--trials 100000] [--write]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from rmt_dsm import validation as V  # noqa: E402

DCHI2 = np.array([6.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0])
N_SE = np.array([4.0, 4.5, 5.0, 5.5, 6.0])
BETAS = (0.5, 0.75, 1.0)


def run_tests():
    """[(name, plan, number of tests)] of one slow run: the structured series (3 quantities) and the Sigma = I
    and GE series of tests/test_validation_slow.py (2 quantities)."""
    from test_validation_slow import CASES

    out = [(f"{pt.label} m={m or V.fmt_m(pt.m)}", plan, len(V.STRUCTURED_QUANTITIES))
           for pt, plan, m in V.structured_series()]
    out += [(f"{label} m={m or 'pt'}", plan, len(V.QUANTITIES)) for label, m, plan in CASES]
    out += [(f"GE {label}", [(200, 16), (400, 8), (800, 4), (1600, 2)], len(V.QUANTITIES)) for label in ("T7", "E3", "R8")]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--write", action="store_true", help="store the table in docs/data/trend_rule_calibration.json")
    args = ap.parse_args()
    if args.trials < 1:
        ap.error(f"--trials: expected a positive number of noise trends, got {args.trials}")
    tests = run_tests()
    plans = {}
    for name, plan, n in tests:
        plans.setdefault(tuple(plan), 0)
        plans[tuple(plan)] += n
    expected = {}
    for beta in BETAS:
        total = np.zeros((DCHI2.size, N_SE.size))
        for plan, n in plans.items():
            total += n * V.alarm_rate(list(plan), trials=args.trials, noise_exponent=beta,
                                           dchi2=DCHI2[:, None], n_se=N_SE[None, :])
        expected[beta] = total
    n_tests = sum(plans.values())
    print(f"# expected false flags per slow run ({n_tests} tests, {len(plans)} plans, {args.trials} noise trends "
          f"per plan and beta); rows Delta chi^2 threshold, columns n_se\n")
    for beta in BETAS:
        print(f"beta = {beta}:\n")
        print("| Δχ² \\ n_se | " + " | ".join(f"{x:g}" for x in N_SE) + " |")
        print("|---" * (N_SE.size + 1) + "|")
        for i, dc in enumerate(DCHI2):
            print(f"| {dc:g} | " + " | ".join(f"{v:.3f}" for v in expected[beta][i]) + " |")
        print()
    ok = [(dc, ns) for i, dc in enumerate(DCHI2) for j, ns in enumerate(N_SE)
          if max(expected[0.75][i, j], expected[1.0][i, j]) <= V.FAMILY_FALSE_ALARM]
    best = min(ok) if ok else None
    print(f"smallest thresholds with <= {V.FAMILY_FALSE_ALARM} expected false flags at beta = 0.75 and 1: "
          f"{None if best is None else tuple(float(v) for v in best)}; in use: Δχ² >= {V.FLAG_DCHI2:g}, {V.FLAG_N_SE:g} SE")
    if args.write:
        out = Path(__file__).resolve().parents[1] / "docs" / "data" / "trend_rule_calibration.json"
        out.write_text(json.dumps(dict(
            trials=args.trials, tests=n_tests, plans=[[list(map(list, p)), n] for p, n in plans.items()],
            dchi2=DCHI2.tolist(), n_se=N_SE.tolist(), expected_false_flags={str(b): e.tolist() for b, e in expected.items()},
            family_false_alarm=V.FAMILY_FALSE_ALARM, chosen=None if best is None else [float(v) for v in best]), indent=1))
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
