#!/usr/bin/env python
"""High-precision Gaussian coefficients of tanh: this tree against a baseline revision, one run.

For each t: a fresh interpreter computes ``coefficients("tanh", a, delta, dps=D)`` (mu0, mu1,
||sigma||^2, v^2, s^2; the first point of a session pays everything: no cache) and prints its
wall time; the same snippet runs against ``--baseline`` (default: ``main``, extracted with
``git archive``; ``--baseline none`` skips it).  Both columns are measured in this run, one
after the other, on the same machine; the last column is their ratio.

    python benchmarks/moments.py [--dps 200] [--ts 0.1 1.0] [--baseline main]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _baseline import checkout, timed  # noqa: E402

SNIPPET = """
import math, time
t0 = time.perf_counter()
from rmt_dsm.equivalence import coefficients
c = coefficients("tanh", math.exp(-{t}), 1 - math.exp(-2 * {t}), dps={dps})
print(time.perf_counter() - t0)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dps", type=int, default=200)
    ap.add_argument("--ts", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--baseline", default="main", help="git revision to compare with ('none': skip)")
    args = ap.parse_args()
    try:
        import gmpy2  # noqa: F401
        backend = "gmpy2"
    except ImportError:
        backend = "python integers (pip install gmpy2 for faster mpmath)"
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load avg "
          f"{os.getloadavg()[0]:.1f}; mpmath backend: {backend}")
    base = None if args.baseline == "none" else checkout(args.baseline)
    label = f"baseline ({args.baseline})"
    print(f"{'t':>6} {'dps':>5} {'this tree':>12} {label:>20} {'speed-up':>9}")
    for t in args.ts:
        code = SNIPPET.format(t=repr(t), dps=args.dps)
        now = timed(code)
        before = timed(code, base) if base is not None else math.nan
        print(f"{t:6g} {args.dps:5d} {now:10.2f} s {before:18.2f} s {before / now:9.1f}", flush=True)


if __name__ == "__main__":
    main()
