#!/usr/bin/env python
"""Monte-Carlo test error of the simulator (tanh): plain estimator against the control variate.

For each d (psi_n = psi_p = 2, m = 1, t = 0.5, lam = 0.01, seed 0, default n_test): one
``simulate`` with ``population="mc"`` (the plain estimator over n_test fresh pairs, as before the
control variate) and one with the default (``population="auto"``: control variate), in this run,
same fit.  Printed per estimator: wall time of the whole simulation, time of the test/score
evaluation, the standard error of E_test, and the efficiency 1/(SE^2 x evaluation time) (the
number of "plain-equivalent samples" per second, up to the variance of one sample), with the
ratio after/before.

    .venv/bin/python benchmarks/population.py [--dims 250 500 1000]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

from rmt_dsm.simulate import simulate


def run(d, population):
    t0 = time.perf_counter()
    r = simulate(d=d, psi_n=2, psi_p=2, m=1, t=0.5, lam=0.01, activation="tanh", population=population,
                 progress=False)
    return time.perf_counter() - t0, r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[250, 500, 1000])
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    head = (f"{'d':>5} {'estimator':>16} {'n_test':>7} {'wall s':>7} {'eval s':>7} {'SE(E_test)':>11} "
            f"{'1/(SE^2 s)':>11} {'gain':>7} {'E_test':>10}")
    print(head)
    print("-" * len(head))
    for d in args.dims:
        rows = []
        for pop, name in (("mc", "plain MC"), ("auto", "control variate")):
            wall, r = run(d, pop)
            ev = r.timings["evaluate"]
            se = r.test.stderr
            eff = 1.0 / (se * se * ev)
            rows.append(eff)
            gain = f"{eff / rows[0]:7.0f}" if len(rows) > 1 else f"{1:7.0f}"
            print(f"{d:>5} {name:>16} {r.params.n_test:>7} {wall:7.2f} {ev:7.2f} {se:11.2e} {eff:11.3g} {gain} "
                  f"{r.test.mean:10.6f}", flush=True)


if __name__ == "__main__":
    main()
