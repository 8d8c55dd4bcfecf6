#!/usr/bin/env python
"""Timing of the theory (rmt_dsm.errors / rmt_dsm.learning_curve) against the simulator.

For m in {1, 5, inf} at one point (psi_n = 1, psi_p = 0.5, t = 0.1, tanh, lam = LAM) it prints:

- first call: a fresh Python process, ``import rmt_dsm`` + the first ``errors`` call, which
  includes building and lambdifying the sympy system (the compile cost paid once per process);
- double: median over repeats of ``errors`` in an already-compiled process (cold solve:
  homotopy from the large-ridge solution, plus the continuation to lam = 0 when lam = 0);
- dps = 30 and dps = 50: median over repeats of ``errors(..., dps=...)``;
- curve: a 200-point ``learning_curve`` in psi_p (0.1 .. 10, warm starts), median over repeats;
- simulation: ``simulate(d=1000, ..., seeds=1)`` at the same point, measured in the same run
  (m = inf only exists for the Gaussian-equivalent model: model="equivalent" there), and the
  ratio theory(double) / simulation.

Targets (issue 4): one point <= 20 ms (double), <= 2 s at dps = 50, 200-point curve <= 2 s.

    .venv/bin/python benchmarks/theory.py [--lam 0.0] [--repeats 15] [--no-sim]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POINT = dict(psi_n=1.0, psi_p=0.5, t=0.1)
MS = [1, 5, math.inf]
TARGETS = {"double": 0.020, "dps50": 2.0, "curve": 2.0}


def median_time(f, repeats):
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def first_call(m, lam):
    """Wall time of import + first errors() call in a fresh interpreter (includes compile)."""
    mm = "math.inf" if m == math.inf else str(m)
    code = ("import time; t0 = time.perf_counter(); import math, rmt_dsm; "
            f"rmt_dsm.errors({POINT['psi_n']}, {POINT['psi_p']}, {mm}, t={POINT['t']}, lam={lam}); "
            "print(time.perf_counter() - t0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def fmt(x, target=None):
    s = f"{x * 1e3:9.1f} ms" if x < 1 else f"{x:9.2f} s "
    if target is not None:
        s += " ok" if x <= target else " MISS"
    else:
        s += "   "
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lam", type=float, default=0.0, help="ridge of the point (default 0: lambda -> 0+)")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--no-sim", action="store_true", help="skip the d = 1000 simulation")
    args = ap.parse_args()
    lam = args.lam

    import rmt_dsm
    from rmt_dsm.simulate import simulate

    print(f"# rmt_dsm theory benchmark: psi_n={POINT['psi_n']}, psi_p={POINT['psi_p']}, t={POINT['t']}, "
          f"lam={lam:g}, tanh; {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    header = (f"{'m':>4} | {'first call':>12} | {'double':>15} | {'dps=30':>12} | {'dps=50':>15} | "
              f"{'200-pt curve':>15} | {'sim d=1000':>12} | {'theory/sim':>10}")
    print(header)
    print("-" * len(header))
    values = np.geomspace(0.1, 10, 200)
    rows = []
    for m in MS:
        t_first = first_call(m, lam)
        f = lambda dps=None: rmt_dsm.errors(POINT["psi_n"], POINT["psi_p"], m, t=POINT["t"], lam=lam, dps=dps)  # noqa: E731
        f()  # compile in this process
        t_double = median_time(f, args.repeats)
        t_30 = median_time(lambda: f(30), 3)
        t_50 = median_time(lambda: f(50), 3)
        curve = lambda: rmt_dsm.learning_curve("psi_p", values, psi_n=POINT["psi_n"], m=m, t=POINT["t"], lam=lam)  # noqa: E731
        curve()
        t_curve = median_time(curve, 3)
        if args.no_sim:
            t_sim, ratio, simtxt = math.nan, math.nan, "       n/a"
        else:
            model = "equivalent" if m == math.inf else "true"
            t0 = time.perf_counter()
            simulate(d=1000, psi_n=POINT["psi_n"], psi_p=POINT["psi_p"], m=m, t=POINT["t"], lam=lam,
                     seeds=1, model=model)
            t_sim = time.perf_counter() - t0
            ratio = t_double / t_sim
            simtxt = fmt(t_sim) + ("*" if model == "equivalent" else " ")
        mm = "inf" if m == math.inf else str(m)
        print(f"{mm:>4} | {fmt(t_first):>12} | {fmt(t_double, TARGETS['double']):>15} | {fmt(t_30):>12} | "
              f"{fmt(t_50, TARGETS['dps50']):>15} | {fmt(t_curve, TARGETS['curve']):>15} | {simtxt:>12} | "
              f"{ratio:10.2e}", flush=True)
        rows.append((m, t_first, t_double, t_30, t_50, t_curve, t_sim))
    print("first call: fresh process, import + compile + solve; double/dps: median per point, compiled;"
          " curve: 200 points, warm starts;")
    print("* m = inf simulated with the Gaussian-equivalent model (the true model needs finite m).")
    print(f"targets: double <= {TARGETS['double'] * 1e3:.0f} ms, dps=50 <= {TARGETS['dps50']:.0f} s, "
          f"200-pt curve <= {TARGETS['curve']:.0f} s")
    return rows


if __name__ == "__main__":
    main()
