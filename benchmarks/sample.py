"""Benchmark of ``rmt-dsm sample``: wall time of one experiment and its parts.

Default case (the speed target of the sampling experiment): d = 100, psi_n = 1, psi_p = 4,
K = 40 grid times, 1000 samples, one seed, lam = 0 and 1e-2, m = 1 and 4, tanh features; the
time to fit the K scores, to draw the three sample sets, to measure them (nearest neighbours,
second moments, score distances at every grid time) and to evaluate the theory along the grid.
The machine's load average is printed with the table: on a shared machine the times include
the waiting for a core.

    .venv/bin/python benchmarks/sample.py [--d 100] [--psi-n 1] [--psi-p 4] [--steps 40]
                                          [--samples 1000] [--ms 1 4] [--lams 0 0.01]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

from rmt_dsm.sampling import sample


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=100)
    ap.add_argument("--psi-n", type=float, default=1.0)
    ap.add_argument("--psi-p", type=float, default=4.0)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--ms", type=int, nargs="+", default=[1, 4])
    ap.add_argument("--lams", type=float, nargs="+", default=[0.0, 0.01])
    ap.add_argument("--sampler", choices=("sde", "ode"), default="sde")
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print(f"# d={args.d} psi_n={args.psi_n} psi_p={args.psi_p} K={args.steps} samples={args.samples} "
          f"sampler={args.sampler} activation=tanh seeds=1")
    head = f"{'m':>4}{'lam':>8}{'fit s':>8}{'sample s':>10}{'measure s':>11}{'theory s':>10}{'total s':>9}{'f_mem':>8}"
    print(head)
    print("-" * len(head))
    for m in args.ms:
        for lam in args.lams:
            t0 = time.perf_counter()
            r = sample(d=args.d, psi_n=args.psi_n, psi_p=args.psi_p, m=m, lam=lam, steps=args.steps,
                       samples=args.samples, sampler=args.sampler, progress=False)
            total = time.perf_counter() - t0
            tm = r.timings
            print(f"{m:>4}{lam:>8g}{tm['fit']:>8.2f}{tm['sample']:>10.2f}{tm['measure']:>11.2f}"
                  f"{tm['theory']:>10.2f}{total:>9.2f}{r.memorization['learned']['f_mem'].mean:>8.3f}", flush=True)
    print(f"# load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
