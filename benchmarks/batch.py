#!/usr/bin/env python
"""Batched evaluation (rmt_dsm.batch) against one d = 500 simulation of the same point, in one run.

At the point psi_n = 1, psi_p = 0.5, m = 1, t = 0.1, lambda = 0 (tanh) it measures in one process
(the simulation last, so that BLAS threads left spinning slow down nothing else):

- one d = 500 simulation of the true nonlinear model (``rmt_dsm.simulate.simulate``, 1 seed;
  median of ``--sim-repeats``), with its default test-error estimate (``population="cv"``, the
  control variate of issue 12 item 5) and with plain Monte Carlo (``population="mc"``, the
  simulator as issue 12 measured it); the point and curve ratios are given against both; and, for
  reference, the default simulation with the BLAS library's own threads (two here), as the
  simulator ran before it kept problems with p <= 1000 on one thread (`rmt_dsm.simulate.core`);
- one warm point: a new point each call (psi_p moved by 1e-4, so nothing is cached but the
  compiled functions, the Gaussian coefficients of the schedule and, for ``rmt_dsm.errors``, the
  roots of earlier calls, the starts of its continuation step) by the scalar path of
  ``rmt_dsm.scalar`` (the code before batching: Newton in double, polish at 30 digits) and by
  ``rmt_dsm.errors`` (now a batch of one, `rmt_dsm.batch`); the same with no root kept (the cold
  continuation of every first point); and the amortized cost of one point inside the 1000-point
  curve;
- a 1000-point curve: ``rmt_dsm.learning_curve("psi_p", geomspace(0.1, 10, 1000))`` (it crosses
  the interpolation threshold psi_p = psi_n), median of 7 calls (each keeping its result until
  the next, as a script would) and the first of them alone; and, for reference, the scalar
  path's warm-started loop over 200 of its points (the code path before batching);
- the 60 x 60 phase diagram of ``rmt-dsm phase`` (``rmt_dsm.phase.phase_grid``, psi in 0.1..10,
  same m, t, lambda) with jobs = 1 and jobs = 2 (alternately, median of 3 each);
- the same 60 x 60 diagram by the scalar path, row by row with warm starts (the computation before
  batching, ``--no-baseline`` to skip it);
- the largest relative difference between the batched curve and the scalar path (every 10th
  point), and how many of the curve's points the batch handed to the scalar path;
- with ``--baseline REV``: the warm point and the curve by the ``rmt_dsm/`` of another git
  revision (`_baseline.checkout`), each in a fresh interpreter run right before the same
  measurement of this tree (before/after in one run, under the same load).

Targets (issue 12): one warm point >= 1000 x faster than the simulation; the 1000-point curve
in <= 1/10 of the simulation; the phase diagram >= 10 x faster than before batching (21 s in the
issue) and not slower with jobs = 2 than with jobs = 1; batched == scalar to 1e-12.

    .venv/bin/python benchmarks/batch.py [--repeats 20] [--sim-repeats 3] [--no-baseline] [--baseline REV]
"""
from __future__ import annotations

import argparse
import gc
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
#: ... and the wall time of the first call
FIRST = {}
#: calls of the 1000-point curve (median)
CURVE_REPEATS = 7


def median_time(f, repeats, key=None, collect=False):
    """Median wall time of ``f(k)``, k = 0 .. repeats - 1; with ``collect``, each call after a
    full garbage collection, so that every call starts from the same collector state (used for
    the phase diagrams run alternately with jobs = 1 and 2: a full collection, ~3-8 ms here,
    otherwise falls every other diagram, on the same setting each time -- jobs = 2 measured
    1.9 x jobs = 1 that way, the same code)."""
    ts, cs = [], []
    for k in range(repeats):
        if collect:
            gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        f(k)
        ts.append(time.perf_counter() - t0)
        cs.append(time.process_time() - c0)
    if key is not None:
        CPU[key], FIRST[key] = float(np.median(cs)), ts[0]
    return float(np.median(ts))


def fmt(x):
    return f"{x * 1e3:10.2f} ms" if x < 1 else f"{x:10.3f} s "


#: the warm point and the curve as measured in a fresh interpreter on another revision (``--baseline``)
SNIPPET = """
import time, warnings
import numpy as np
warnings.simplefilter("ignore")
import rmt_dsm
P = {point!r}
values = np.geomspace(0.1, 10, 1000)
fixed = {{k: v for k, v in P.items() if k != "psi_p"}}
rmt_dsm.errors(**P)
rmt_dsm.learning_curve("psi_p", values[:50], **fixed)
ts = []
for k in range({repeats}):
    t0 = time.perf_counter()
    if {curve}:
        rmt_dsm.learning_curve("psi_p", values, **fixed)
    else:
        rmt_dsm.errors(**{{**P, "psi_p": P["psi_p"] * (1 + 1e-4 * (k + 1))}})
    ts.append(time.perf_counter() - t0)
print(float(np.median(ts)))
"""


def scalar_curve(values, psi_n=POINT["psi_n"]):
    """The warm-started scalar loop of learning_curve before batching (one row of the phase
    diagram before batching, too)."""
    from rmt_dsm.scalar import _with_quadrature_error
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
    ap.add_argument("--baseline", metavar="REV", help="git revision whose warm point and curve are measured too")
    args = ap.parse_args()
    old = None
    if args.baseline:
        from _baseline import checkout, timed

        old = checkout(args.baseline)
        if old is None:
            ap.error(f"cannot check out {args.baseline!r}")

    def before(curve, repeats):  # the baseline's median time, in a fresh interpreter
        return timed(SNIPPET.format(point=POINT, repeats=repeats, curve=curve), old) if old else None
    warnings.simplefilter("ignore")

    import rmt_dsm
    from rmt_dsm.scalar import _with_quadrature_error
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
    t_one_old = before(False, max(args.repeats, 200))
    t_one = median_time(lambda k: rmt_dsm.errors(**moved(k)), max(args.repeats, 200), key="one")
    from rmt_dsm.batch import _WARM

    def cold(k):  # no root kept from an earlier call: the cold continuation
        _WARM.clear()
        rmt_dsm.errors(**moved(k))

    t_cold = median_time(cold, args.repeats)

    fixed = {k: v for k, v in POINT.items() if k != "psi_p"}
    curve = {}

    def run_curve(k):
        curve["res"] = rmt_dsm.learning_curve("psi_p", values, **fixed)

    t_curve_old = before(True, CURVE_REPEATS)
    t_curve = median_time(run_curve, CURVE_REPEATS, key="curve")
    t_scalar_200 = median_time(lambda k: scalar_curve(values[::5]), 1)
    phase = {1: [], 2: []}
    for k in range(3):  # alternately, so that a change of the machine's load hits both alike
        for jobs in (1, 2):
            phase[jobs].append(median_time(lambda k: phase_grid(axis, axis, m=POINT["m"], t=POINT["t"],
                                                                lam=POINT["lam"], jobs=jobs, progress=False), 1,
                                           collect=True))
    phase = {jobs: float(np.median(ts)) for jobs, ts in phase.items()}
    before = PHASE_BEFORE
    if not args.no_baseline:  # the 60 x 60 diagram as computed before batching (jobs = 1: row by row)
        before = median_time(lambda k: [scalar_curve(axis, pn) for pn in axis], 1)
    # last, so that BLAS threads left spinning disturb none of the timings above
    t_sim = median_time(lambda k: simulate(d=500, seeds=1, seed=k, model="true", **POINT), args.sim_repeats,
                        key="sim")
    t_mc = median_time(lambda k: simulate(d=500, seeds=1, seed=k, model="true", population="mc", **POINT),
                       args.sim_repeats, key="mc")
    # the simulator before it ran small problems on one BLAS thread (rmt_dsm.simulate.core.blas_threads)
    import rmt_dsm.simulate.core as sim_core

    kept, sim_core.ONE_THREAD_MAX_P = sim_core.ONE_THREAD_MAX_P, 0
    try:
        t_threads = median_time(lambda k: simulate(d=500, seeds=1, seed=k, model="true", **POINT),
                                args.sim_repeats, key="threads")
    finally:
        sim_core.ONE_THREAD_MAX_P = kept
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

    def vs(t_point):  # simulation / point, against the default and the Monte-Carlo simulation
        return f"{t_sim / t_point:8.0f} x", f"{t_mc / t_point:8.0f} x", "ok" if t_sim / t_point >= 1000 else "MISS"

    def frac(t_run):  # run / simulation, against both
        return f"{t_run / t_sim:8.3f} sim", f"{t_run / t_mc:8.3f} sim"

    rows = [
        ("one d=500 simulation (true model, 1 seed)", t_sim, "", "", "", ""),
        ("one d=500 simulation, population='mc'", t_mc, "", "", "", ""),
        ("one d=500 simulation, BLAS threads (before)", t_threads, "", "", "", ""),
        ("one warm point, scalar path (before batching)", t_scalar, *vs(t_scalar)[:2], ">= 1000 x", vs(t_scalar)[2]),
        *([(f"one warm point, rmt_dsm.errors [{args.baseline}]", t_one_old, *vs(t_one_old)[:2], ">= 1000 x",
             vs(t_one_old)[2])] if old else []),
        ("one warm point, rmt_dsm.errors (batch of one)", t_one, *vs(t_one)[:2], ">= 1000 x", vs(t_one)[2]),
        ("  the same, no root kept nearby (cold path)", t_cold, *vs(t_cold)[:2], "", ""),
        ("one point inside the 1000-point curve", t_curve / 1000, *vs(t_curve / 1000)[:2], ">= 1000 x",
         vs(t_curve / 1000)[2]),
        *([(f"1000-point curve [{args.baseline}]", t_curve_old, *frac(t_curve_old), "<= 0.1 sim",
             "ok" if t_curve_old <= 0.1 * t_sim else "MISS")] if old else []),
        ("1000-point curve (learning_curve, batched)", t_curve, *frac(t_curve), "<= 0.1 sim",
         "ok" if t_curve <= 0.1 * t_sim else "MISS"),
        ("  the same, its first call", FIRST["curve"], *frac(FIRST["curve"]), "", ""),
        ("200-point curve, scalar warm-started loop", t_scalar_200, *frac(t_scalar_200), "", ""),
        ("60 x 60 phase, before batching (scalar rows)", before, "", "", "", ""),
        ("60 x 60 phase, jobs=1", phase[1], f"{before / phase[1]:8.1f} x", "", ">= 10 x before",
         "ok" if before / phase[1] >= 10 else "MISS"),
        ("60 x 60 phase, jobs=2", phase[2], f"{phase[2] / phase[1]:8.2f} j1", "", "<= 1 x jobs=1",
         "ok" if phase[2] <= 1.1 * phase[1] else "MISS"),
    ]
    print(f"{'measurement':44} {'time':>13} {'ratio':>12} {'vs mc':>12}  {'target':>16}")
    print("-" * 105)
    for name, t, ratio, ratio_mc, target, ok in rows:
        print(f"{name:44} {fmt(t):>13} {ratio:>12} {ratio_mc:>12}  {target:>16} {ok}")
    print(f"max relative difference batched vs scalar (100 points of the curve): {worst:.1e} "
          f"(target <= 1e-12: {'ok' if worst <= 1e-12 else 'MISS'}); points of the curve handed to the "
          f"scalar path: {fallback} of {len(res)}")
    print("ratios: simulation time / point time ('x'), curve time / simulation time ('sim'), "
          "phase before / phase time, jobs=2 / jobs=1 ('j1'; 'ok' within 10 % timing noise); 'ratio' against "
          "the default simulation (population='cv'), 'vs mc' against population='mc'; the targets are checked "
          "against the default")
    print(f"CPU time (process time, all threads; the load of the machine moves these ratios less): simulation {CPU['sim']:.3f} s, one warm point {CPU['one'] * 1e3:.2f} ms "
          f"({CPU['sim'] / CPU['one']:.0f} x), 1000-point curve {CPU['curve'] * 1e3:.1f} ms "
          f"({CPU['curve'] / CPU['sim']:.3f} sim); simulation with population='mc' {CPU['mc']:.3f} s "
          f"(one warm point {CPU['mc'] / CPU['one']:.0f} x, curve {CPU['curve'] / CPU['mc']:.3f} sim)")


if __name__ == "__main__":
    main()
