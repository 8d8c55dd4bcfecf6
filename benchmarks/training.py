#!/usr/bin/env python
"""Timing of the training-time theory (a tau curve) against one simulation at one tau.

At a few points (erf, t = 0.5, lam = 0) it prints, side by side:

- curve (first): ``learning_curve("tau", 200 log-spaced times in [0.01, 1e4])`` as the first theory
  call of the process (includes building and lambdifying the sympy objects, paid once per process);
- curve (warm): the same curve at a second, different point in the same process (the cost a user
  pays per curve once the process is warm): edges of the spectrum, contour nodes with node
  doubling, the two-point matrix, and the 200 times as one matrix product;
- simulation: ``simulate(d=500, tau=T, seeds=1)`` of the true nonlinear model (exact gradient flow
  by the eigendecomposition of U), one tau;
- ratio warm curve / simulation (target: < 1).

    .venv/bin/python benchmarks/training.py [--d 500] [--num 200]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

POINTS = [dict(psi_n=1.0, psi_p=2.0, m=1), dict(psi_n=1.0, psi_p=0.5, m=1), dict(psi_n=0.5, psi_p=4.0, m=4),
          dict(psi_n=1.0, psi_p=3.0, m=math.inf)]
COMMON = dict(t=0.5, lam=0.0, activation="erf")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=500)
    ap.add_argument("--num", type=int, default=200)
    ap.add_argument("--tau", type=float, default=10.0)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs (shared machine: "
          f"wall-clock times)")
    from rmt_dsm import learning_curve
    from rmt_dsm.simulate import simulate

    taus = list(np.geomspace(0.01, 1e4, args.num))
    print(f"{'psi_n':>6} {'psi_p':>6} {'m':>4} {'curve s':>9} {'nodes':>6} {'sim d=' + str(args.d) + ' s':>12} "
          f"{'ratio':>7}")
    for i, pt in enumerate(POINTS):
        t0 = time.perf_counter()
        curve = learning_curve("tau", taus, **pt, **COMMON)
        tc = time.perf_counter() - t0
        label = "first" if i == 0 else "warm"
        m_sim = pt["m"] if math.isfinite(pt["m"]) else 64
        model = "true"
        t0 = time.perf_counter()
        simulate(d=args.d, seeds=1, tau=args.tau, model=model, **{**pt, "m": m_sim}, **COMMON)
        ts = time.perf_counter() - t0
        m = "inf" if math.isinf(pt["m"]) else pt["m"]
        sim_note = "" if math.isfinite(pt["m"]) else " (m=64)"
        print(f"{pt['psi_n']:>6g} {pt['psi_p']:>6g} {m:>4} {tc:>8.2f}{label[0]} {curve[0].info['nodes']:>6} "
              f"{ts:>12.2f}{sim_note} {tc / ts:>7.2f}")
    print("# 'f': first theory call of the process (includes the one-time sympy compile); 'w': warm")


if __name__ == "__main__":
    main()
