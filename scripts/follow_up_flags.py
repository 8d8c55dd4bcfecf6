#!/usr/bin/env python
"""Re-measure every flag of sections 1-4 of docs/validation.md with more seeds.

A flag of the report rests on a few seeds at one or a few d (3 seeds for the GE comparisons at
d = 1000 and for the m = 256 series at d = 250), and a standard error over 3 seeds is itself
uncertain by ~50 %.  For each flagged comparison (recomputed from the tracked data, as the report
flags it) this script simulates the same point and model again at the flagged d with
``--seeds`` seeds (default 12; the first seeds are the report's own, the seed indices are nested,
so the result pools all of them) and at 2d with ``--seeds-2d`` seeds (default 4, d <= 1000), then
writes docs/data/validation_followup.csv.  ``make_validation_report.py`` (also ``--from-data``)
lists these rows under the flags; nothing is unflagged by them.

    .venv/bin/python scripts/follow_up_flags.py            # ~5 min for three flags
    .venv/bin/python scripts/make_validation_report.py --from-data --write
"""
from __future__ import annotations

import argparse
import os
import sys
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "scripts"))

import rmt_dsm.validation as V  # noqa: E402

OUT = os.path.join(ROOT, "docs", "data", "validation_followup.csv")


def flagged(data=None) -> list:
    """`make_validation_report.flagged_comparisons` of the tracked data (sections 1-4)."""
    from make_validation_report import DATA, flagged_comparisons, load_tracked

    _, ge_rows, ge_trends, trends, _ = load_tracked(data or DATA)
    return flagged_comparisons(ge_rows, trends, ge_trends)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=12, help="seeds at the flagged d")
    ap.add_argument("--seeds-2d", type=int, default=4, help="seeds at twice the flagged d (d <= 1000)")
    args = ap.parse_args(argv)
    for flag, k in (("--seeds", args.seeds), ("--seeds-2d", args.seeds_2d)):
        if k < 2:
            ap.error(f"{flag} must be at least 2 (a standard error over seeds), got {k}")
    warnings.simplefilter("ignore")
    points = {p.label: p for p in V.GRID_LIMITS + V.GRID_FINITE_M}
    rows = []
    for label, model, m_sim, quantity, d in flagged():
        m = None if m_sim in ("inf", str(points[label].m)) else int(m_sim)
        for dd, k in ((d, args.seeds), (2 * d, args.seeds_2d)):
            if dd > 2 * 1000:
                continue
            got = V.compare(points[label], dd, k, model, m=m, quantities=(quantity,))
            rows += got
            for r in got:
                print(f"{label} {model} m={m_sim} {quantity} d={dd} K={k}: D = {r.diff:+.2e} ± {r.stderr:.1e} "
                      f"(z {r.z:+.1f}) [{r.seconds:.0f} s]", flush=True)
    V.write_csv(OUT, rows)
    print(f"wrote {OUT} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
