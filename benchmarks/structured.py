#!/usr/bin/env python
"""Timing of rmt_dsm.errors with a data spectrum of 1, 2, 10 and 100 atoms (and a power law).

At psi_n = 1, psi_p = 0.5, m = 5, t = 0.1, tanh, lam = LAM it prints, per spectrum:

- first call: a fresh Python process, ``import rmt_dsm`` + the first ``errors`` call (includes building
  and compiling the system: once per number of atoms up to 4, once per spectrum beyond);
- double: median over repeats of ``errors`` in an already-compiled process;
- dps = 30: median over 3 repeats;
- curve: a 50-point ``learning_curve`` in psi_p (warm starts).

The continuous power law (alpha = 0.5, 32 nodes) is solved twice per point (32 and 64 nodes, for the
reported quadrature error).

    .venv/bin/python benchmarks/structured.py [--lam 0.0] [--repeats 9]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from theory import median_time  # noqa: E402

POINT = dict(psi_n=1.0, psi_p=0.5, m=5, t=0.1)
SPECTRA = {
    "1 atom (Sigma = I)": "None",
    "2 atoms": "[(0.3, 2.5), (0.7, 0.4)]",
    "10 atoms": "[(0.1, 0.5 + k / 9) for k in range(10)]",
    "100 atoms": "[(0.01, 0.5 + k / 99) for k in range(100)]",
    "power law 0.5 (32+64)": "rmt_dsm.data_spectrum.power_law(0.5, order=32)",
}


def first_call(expr, lam):
    code = ("import time; t0 = time.perf_counter(); import rmt_dsm, rmt_dsm.data_spectrum; "
            f"rmt_dsm.errors({POINT['psi_n']}, {POINT['psi_p']}, {POINT['m']}, t={POINT['t']}, lam={lam}, "
            f"sigma={expr}); print(time.perf_counter() - t0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def fmt(x):
    return f"{x * 1e3:9.1f} ms" if x < 1 else f"{x:9.2f} s "


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lam", type=float, default=0.0)
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()

    import rmt_dsm
    import rmt_dsm.data_spectrum  # noqa: F401  (used by the spectrum expressions)

    print(f"# rmt_dsm structured-data benchmark: {POINT}, lam={args.lam:g}, tanh; {os.cpu_count()} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    header = f"{'spectrum':>24} | {'first call':>12} | {'double':>12} | {'dps=30':>12} | {'50-pt curve':>12}"
    print(header)
    print("-" * len(header))
    for name, expr in SPECTRA.items():
        sigma = eval(expr, {"rmt_dsm": rmt_dsm})
        t_first = first_call(expr, args.lam)
        f = lambda dps=None: rmt_dsm.errors(**POINT, lam=args.lam, dps=dps, sigma=sigma)  # noqa: E731
        f()
        t_double = median_time(f, args.repeats)
        f(30)
        t_30 = median_time(lambda: f(30), 3)
        kw = {k: v for k, v in POINT.items() if k != "psi_p"}
        curve = lambda: rmt_dsm.learning_curve("psi_p", np.geomspace(0.1, 10, 50), lam=args.lam, sigma=sigma, **kw)  # noqa: E731
        t_curve = median_time(curve, 1)
        print(f"{name:>24} | {fmt(t_first):>12} | {fmt(t_double):>12} | {fmt(t_30):>12} | {fmt(t_curve):>12}",
              flush=True)


if __name__ == "__main__":
    main()
