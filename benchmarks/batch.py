#!/usr/bin/env python
"""Batched evaluation (rmt_dsm.batch) against one d = 500 simulation of the same point, in one run.

At the point psi_n = 1, psi_p = 0.5, m = 1, t = 0.1, lambda = 0 (tanh) it measures in one process
(the simulation last, so that the BLAS threads it leaves spinning slow down nothing else):

- one d = 500 simulation of the true nonlinear model (``rmt_dsm.simulate.simulate``, 1 seed;
  median of ``--sim-repeats``);
- one warm point: a new point each call (psi_p moved by 1e-4, so nothing is cached but the
  compiled functions and the Gaussian coefficients of the schedule) by the scalar path of
  ``rmt_dsm.api`` (the code before batching: Newton in double, polish at 30 digits) and by
  ``rmt_dsm.errors`` (now a batch of one, `rmt_dsm.batch`); and the amortized cost of one point
  inside the 1000-point curve;
- a 1000-point curve: ``rmt_dsm.learning_curve("psi_p", geomspace(0.1, 10, 1000))`` (it crosses
  the interpolation threshold psi_p = psi_n); and, for reference, the scalar path's warm-started
  loop over 200 of its points (the code path before batching);
- the 60 x 60 phase diagram of ``rmt-dsm phase`` (``rmt_dsm.phase.phase_grid``, psi in 0.1..10,
  same m, t, lambda) with jobs = 1 and jobs = 2 (alternately, median of 3 each);
- the same 60 x 60 diagram by the scalar path, row by row with warm starts (the computation before
  batching, ``--no-baseline`` to skip it);
- the largest relative difference between the batched curve and the scalar path (every 10th
  point), and how many of the curve's points the batch handed to the scalar path.

Targets (issue 12): one warm point >= 1000 x faster than the simulation; the 1000-point curve
in <= 1/10 of the simulation; the phase diagram >= 10 x faster than before batching (21 s in the
issue) and not slower with jobs = 2 than with jobs = 1; batched == scalar to 1e-12.

    .venv/bin/python benchmarks/batch.py [--repeats 20] [--sim-repeats 3] [--no-baseline]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POINT = dict(psi_n=1.0, psi_p=0.5, m=1, t=0.1, lam=0.0)
#: the 60 x 60 phase diagram before batching as given in issue 12 (used with --no-baseline)
PHASE_BEFORE = 21.0


#: median CPU times (process time, all threads of the process) of the timings given a key
CPU = {}


def median_time(f, repeats, key=None):
    ts, cs = [], []
    for k in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        f(k)
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    if key is not None:
        CPU[key] = float(np.median(cs))
    return float(np.median(ts))


def fmt(x):
    return f"{x * 1e3:10.2f} ms" if x < 1 else f"{x:10.3f} s "


def scalar_curve(values, psi_n=POINT["psi_n"]):
    """The warm-started scalar loop of learning_curve before batching (one row of the phase
    diagram before batching, too)."""
    from rmt_dsm.api import _with_quadrature_error
    from rmt_dsm.point import point

    out, prev, chart = [], None, None
    for v in values:
        pt = point(**{**POINT, "psi_n": float(psi_n), "psi_p": float(v)})
        res, sol = _with_quadrature_error(pt, start=prev if chart == pt.chart else None)
        out.append(res)
        prev, chart = sol, pt.chart
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20, help="repeats of the one-point timings")
    ap.add_argument("--sim-repeats", type=int, default=3, help="repeats of the d = 500 simulation")
    ap.add_argument("--no-baseline", action="store_true",
                    help=f"skip the phase diagram before batching (then taken as {PHASE_BEFORE:g} s)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    import rmt_dsm
    from rmt_dsm.api import _with_quadrature_error
    from rmt_dsm.phase import make_axis, phase_grid
    from rmt_dsm.point import point
    from rmt_dsm.simulate import simulate

    print(f"# point psi_n={POINT['psi_n']}, psi_p={POINT['psi_p']}, m={POINT['m']}, t={POINT['t']}, "
          f"lam={POINT['lam']:g}, tanh; {platform.machine()}, {len(os.sched_getaffinity(0))} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    values = np.geomspace(0.1, 10, 1000)
    axis = make_axis(0.1, 10, 60)
    # compile everything first (not timed): scalar and batched paths, phase
    rmt_dsm.errors(**POINT)
    _with_quadrature_error(point(**POINT))
    rmt_dsm.learning_curve("psi_p", values[:50], **{k: v for k, v in POINT.items() if k != "psi_p"})

    def moved(k):
        return {**POINT, "psi_p": POINT["psi_p"] * (1 + 1e-4 * (k + 1))}

    t_scalar = median_time(lambda k: _with_quadrature_error(point(**moved(k))), args.repeats)
    t_one = median_time(lambda k: rmt_dsm.errors(**moved(k)), args.repeats, key="one")

    fixed = {k: v for k, v in POINT.items() if k != "psi_p"}
    curve = {}

    def run_curve(k):
        curve["res"] = rmt_dsm.learning_curve("psi_p", values, **fixed)

    t_curve = median_time(run_curve, 3, key="curve")
    t_scalar_200 = median_time(lambda k: scalar_curve(values[::5]), 1)
    phase = {1: [], 2: []}
    for k in range(3):  # alternately, so that a change of the machine's load hits both alike
        for jobs in (1, 2):
            phase[jobs].append(median_time(lambda k: phase_grid(axis, axis, m=POINT["m"], t=POINT["t"],
                                                                lam=POINT["lam"], jobs=jobs, progress=False), 1))
    phase = {jobs: float(np.median(ts)) for jobs, ts in phase.items()}
    before = PHASE_BEFORE
    if not args.no_baseline:  # the 60 x 60 diagram as computed before batching (jobs = 1: row by row)
        before = median_time(lambda k: [scalar_curve(axis, pn) for pn in axis], 1)
    # last, so that the BLAS threads it leaves spinning disturb none of the timings above
    t_sim = median_time(lambda k: simulate(d=500, seeds=1, seed=k, model="true", **POINT), args.sim_repeats,
                        key="sim")
    # accuracy: batched curve vs the scalar path, every 10th point
    worst = 0.0
    res = curve["res"]
    fallback = sum(r.solution is not None for r in res)
    for v, r in list(zip(values, res))[::10]:
        ref = _with_quadrature_error(point(**{**POINT, "psi_p": float(v)}))[0]
        for f in ("train", "test", "score", "gap", "floor"):
            a, b = getattr(r, f), getattr(ref, f)
            if a != b and math.isfinite(b):
                worst = max(worst, abs(a - b) / abs(b))

    rows = [
        ("one d=500 simulation (true model, 1 seed)", t_sim, "", "", ""),
        ("one warm point, scalar path (before batching)", t_scalar, f"{t_sim / t_scalar:8.0f} x", ">= 1000 x",
         "ok" if t_sim / t_scalar >= 1000 else "MISS"),
        ("one warm point, rmt_dsm.errors (batch of one)", t_one, f"{t_sim / t_one:8.0f} x", ">= 1000 x",
         "ok" if t_sim / t_one >= 1000 else "MISS"),
        ("one point inside the 1000-point curve", t_curve / 1000, f"{t_sim / (t_curve / 1000):8.0f} x", ">= 1000 x",
         "ok" if t_sim / (t_curve / 1000) >= 1000 else "MISS"),
        ("1000-point curve (learning_curve, batched)", t_curve, f"{t_curve / t_sim:8.3f} sim", "<= 0.1 sim",
         "ok" if t_curve <= 0.1 * t_sim else "MISS"),
        ("200-point curve, scalar warm-started loop", t_scalar_200, f"{t_scalar_200 / t_sim:8.3f} sim", "", ""),
        ("60 x 60 phase, before batching (scalar rows)", before, "", "", ""),
        ("60 x 60 phase, jobs=1", phase[1], f"{before / phase[1]:8.1f} x", ">= 10 x before",
         "ok" if before / phase[1] >= 10 else "MISS"),
        ("60 x 60 phase, jobs=2", phase[2], f"{phase[2] / phase[1]:8.2f} j1", "<= 1 x jobs=1",
         "ok" if phase[2] <= 1.1 * phase[1] else "MISS"),
    ]
    print(f"{'measurement':44} {'time':>13} {'ratio':>12}  {'target':>16}")
    print("-" * 92)
    for name, t, ratio, target, ok in rows:
        print(f"{name:44} {fmt(t):>13} {ratio:>12}  {target:>16} {ok}")
    print(f"max relative difference batched vs scalar (100 points of the curve): {worst:.1e} "
          f"(target <= 1e-12: {'ok' if worst <= 1e-12 else 'MISS'}); points of the curve handed to the "
          f"scalar path: {fallback} of {len(res)}")
    print("ratios: simulation time / point time ('x'), curve time / simulation time ('sim'), "
          "phase before / phase time, jobs=2 / jobs=1 ('j1'; 'ok' within 10 % timing noise)")
    print(f"CPU time (process time; the simulation's BLAS threads included, so the load of the machine moves "
          f"these ratios less): simulation {CPU['sim']:.3f} s, one warm point {CPU['one'] * 1e3:.2f} ms "
          f"({CPU['sim'] / CPU['one']:.0f} x), 1000-point curve {CPU['curve'] * 1e3:.1f} ms "
          f"({CPU['curve'] / CPU['sim']:.3f} sim)")


if __name__ == "__main__":
    main()
