"""``rmt-dsm phase``: phase diagram (memorization vs generalization) over the (psi_n, psi_p) plane.

    rmt-dsm phase --m M (--t T | --a A --delta DELTA) [--lam L] [--activation NAME]
                  [--psi-n-range A B] [--psi-p-range A B] [--num K] [--linear]
                  [--sigma W1:L1,... | --psi-d X] [--out PREFIX] [--jobs J] [--backend joblib|dask]
                  [--scheduler ADDRESS]
                  [--no-progress]

Computes the exact asymptotic errors on a K x K grid (log-spaced by default, 0.1..10 on both
axes, K = 60) in double precision, all points solved together by the batched solver
(`rmt_dsm.batch`); grids larger than `rmt_dsm.phase.IN_PROCESS_POINTS` points are cut into chunks
of rows run on all cores (joblib, --jobs) or on a running dask.distributed cluster
(--backend dask --scheduler tcp://HOST:PORT).

Writes PREFIX.csv (columns psi_n, psi_p, train, test, score, gap, floor, memorizes; one line
per point, psi_n major; memorizes = 1 when E_train < F_pop), PREFIX.png and PREFIX.pdf
(heatmaps of E_score and of the gap, memorization region hatched and outlined, lines
psi_p = psi_n and, for finite m, psi_p = m psi_n).  Equal arguments give byte-identical files.
"""
from __future__ import annotations

import sys

from rmt_dsm.cli.options import (add_activation_option, add_schedule_options, add_sigma_options, check_out,
                                 finite_float, m_type, sigma_from_args)

__all__ = ["add_parser", "run"]

_EPILOG = ("At --lam 0 the grid points on the threshold psi_p = m psi_n (finite m) have test = score = "
           "gap = +inf: written as \"inf\" in the CSV and drawn in dark grey. Exit status 2: bad input; "
           "3: some grid point did not converge (files are still written, NaN there).")


#: most grid points per axis
MAX_NUM = 1000


def add_parser(subparsers) -> None:
    """Register ``phase`` on the dispatcher's sub-parsers."""
    p = subparsers.add_parser("phase", help="phase diagram over (psi_n, psi_p): heatmaps, memorization region",
                              description=__doc__.splitlines()[0], epilog=_EPILOG)
    p.add_argument("--m", type=m_type, required=True, help="noise draws per point: integer >= 1 or inf")
    add_schedule_options(p)
    p.add_argument("--lam", type=float, default=0.0, help="ridge lambda >= 0 (0: minimum norm)")
    add_activation_option(p)
    add_sigma_options(p)
    p.add_argument("--psi-n-range", nargs=2, type=finite_float, default=(0.1, 10.0), metavar=("A", "B"),
                   help="range of psi_n = n/d (default: 0.1 10)")
    p.add_argument("--psi-p-range", nargs=2, type=finite_float, default=(0.1, 10.0), metavar=("A", "B"),
                   help="range of psi_p = p/d (default: 0.1 10)")
    p.add_argument("--num", type=int, default=60, help=f"grid points per axis, 1 to {MAX_NUM}")
    p.add_argument("--linear", action="store_true", help="linear grid and axes (default: logarithmic)")
    p.add_argument("--out", default="rmt_dsm_phase", help="output prefix: writes PREFIX.csv, .png, .pdf")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores; 1: serial)")
    p.add_argument("--backend", choices=("joblib", "dask"), default="joblib",
                   help="parallel backend: local processes (joblib, default) or a dask.distributed cluster")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of the dask scheduler, e.g. tcp://127.0.0.1:8786 (with --backend dask)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on stderr when it is a terminal)")
    p.set_defaults(run=run)


def run(args) -> int:
    """Compute the grid, write PREFIX.csv/.png/.pdf; see the module docstring."""
    from rmt_dsm.phase import PhaseFailure, make_axis, phase_grid, plot_phase, save_deterministic, \
        write_phase_csv

    log = not args.linear
    if not 1 <= args.num <= MAX_NUM:
        raise ValueError(f"--num must be a number of grid points per axis from 1 to {MAX_NUM}, got {args.num}")
    psi_n = make_axis(*args.psi_n_range, args.num, log=log, name="--psi-n-range")
    psi_p = make_axis(*args.psi_p_range, args.num, log=log, name="--psi-p-range")
    if args.jobs is not None and args.jobs < 1:
        raise ValueError(f"--jobs must be a positive number of processes, got {args.jobs}")
    if args.backend == "dask" and not args.scheduler:
        raise ValueError("--scheduler ADDRESS is required with --backend dask")
    if args.backend == "joblib" and args.scheduler:
        raise ValueError("--scheduler is only used with --backend dask")
    check_out(args.out, [".csv", ".png", ".pdf"])
    params = {"m": args.m, "t": args.t, "lam": args.lam, "activation": args.activation, "a": args.a,
              "delta": args.delta, "sigma": sigma_from_args(args)}
    status = 0
    try:
        rows = phase_grid(psi_n, psi_p, jobs=args.jobs, backend=args.backend, scheduler=args.scheduler,
                          progress=not args.no_progress, **params)
    except PhaseFailure as exc:
        sys.stderr.write(f"rmt-dsm phase: no convergence: {' '.join(str(exc).split())}\n")
        rows, status = exc.rows, 3
    files = [f"{args.out}.csv"]
    write_phase_csv(files[0], rows)
    files += save_deterministic(plot_phase(rows, params, log=log), args.out)
    n_mem = sum(r["memorizes"] for r in rows)
    n_inf = sum(r["score"] == float("inf") for r in rows)
    note = f"; {n_inf} threshold point(s) with +inf test/score/gap" if n_inf else ""
    sys.stderr.write(f"rmt-dsm phase: {len(psi_n)} x {len(psi_p)} grid, {n_mem} memorizing point(s){note}\n")
    print("wrote " + ", ".join(files))
    return status
