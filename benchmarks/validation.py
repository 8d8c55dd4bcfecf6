#!/usr/bin/env python
"""Regeneration of the validation report: this tree (all cores) against a baseline revision (serial).
On a shared machine a run with J workers also gets a larger share of the CPU than a serial one, so
the ratio overstates the parallel gain (at most 2x on an idle 2-core machine).

Runs ``scripts/make_validation_report.py --quick`` (the reduced protocol: same sections, smaller
d and fewer points) twice in this run, into temporary directories: first the baseline revision
(default ``main``, extracted with ``git archive``; it runs its simulations one after the other),
then this tree with ``--jobs`` worker processes (default: all cores).  Prints both wall times,
their ratio, and the full report's last recorded runtime (docs/data/validation_meta.json)
divided by that ratio: an extrapolation, since the full protocol has larger d and more points.

    python benchmarks/validation.py [--baseline main] [--jobs J]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _baseline import ROOT, checkout  # noqa: E402


def report_time(tree: Path, extra) -> float:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "scripts/make_validation_report.py", "--quick", "--out", out, *extra],
                       cwd=tree, env=env, check=True, capture_output=True)
        return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="main")
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    base = checkout(args.baseline, ("rmt_dsm", "scripts"))
    if base is None:
        print(f"# baseline {args.baseline!r} not available: nothing to compare")
        return
    before = report_time(base, [])
    after = report_time(ROOT, [] if args.jobs is None else ["--jobs", str(args.jobs)])
    meta = json.loads((ROOT / "docs" / "data" / "validation_meta.json").read_text())
    full = meta["runtime_s"] / 60
    print(f"{'report (--quick)':28s} {'wall':>9s}")
    print(f"{'baseline ' + args.baseline + ' (serial)':28s} {before / 60:7.2f} min")
    print(f"{'this tree (jobs=' + str(args.jobs or 'all') + ')':28s} {after / 60:7.2f} min")
    print(f"ratio {before / after:.2f}; full report: last recorded {full:.1f} min -> about "
          f"{full / (before / after):.1f} min at this ratio (extrapolated)")


if __name__ == "__main__":
    main()
