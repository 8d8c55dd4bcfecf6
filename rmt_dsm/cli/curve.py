"""``rmt-dsm curve``: a learning curve (theory, optionally with finite-d simulation points).

    rmt-dsm curve --vary {psi_p,psi_n,t,lam,m,tau} --from A --to B --num K [--log]
                  [--psi-n X] [--psi-p Y] [--m M] (--t T | --a A --delta DELTA) [--lam L] [--tau TAU]
                  [--activation NAME] [--sigma W1:L1,... | --psi-d X] [--dps D] [--out PREFIX] [--json]
                  [--simulate-d D --seeds K [--simulate-points P] [--seed S]]

Every parameter except the varied one must be given.  The sweep uses
`rmt_dsm.learning_curve` (each point warm-started from the previous one) on a linear
grid, or a log-spaced grid with --log; for --vary m the grid is rounded to distinct integers.
--vary tau: errors of the gradient-flow readout versus training time (one contour quadrature for
the whole curve); the figure marks the timescales tau_gen and tau_mem (rmt_dsm.timescales).

Writes PREFIX.csv (columns: the varied parameter, train, test, score, gap, floor, and
sim_<error>_mean / sim_<error>_stderr when simulating), PREFIX.png and PREFIX.pdf (figure of
`rmt_dsm.plotting.plot_curve`) and, with --json, PREFIX.json; --json also prints the
same JSON object on stdout (the list of written files then goes to stderr).  Numbers follow
``rmt-dsm errors``: with --dps D, decimal strings of D significant digits; +inf (lambda = 0 on
the threshold psi_p = m psi_n) is the string "inf".  Exit status 0, 2 (bad input) or 3 (no
convergence) as for ``rmt-dsm errors``.
"""
from __future__ import annotations

import csv
import json
import math
import sys
import warnings

import numpy as np

from rmt_dsm.cli.errors import ERROR_KEYS, format_number, is_exact, one_line
from rmt_dsm.cli.options import (add_dps_option, add_model_options, add_tau_option, check_dps, check_out,
                                 finite_float, json_m, sigma_from_args)
from rmt_dsm.model import check_lam, check_ratio, check_tau, schedule
from rmt_dsm.progress import track

__all__ = ["add_parser", "run", "make_grid", "fixed_params"]

VARY = ("psi_p", "psi_n", "t", "lam", "m", "tau")
#: most grid points of one curve
MAX_NUM = 10000
_FLAG = {"psi_p": "--psi-p", "psi_n": "--psi-n", "t": "--t", "lam": "--lam", "m": "--m", "tau": "--tau"}


def add_parser(subparsers) -> None:
    """Register ``curve`` on the dispatcher's sub-parsers."""
    p = subparsers.add_parser("curve", help="learning curve: sweep one parameter, write CSV and figure",
                              description=__doc__.splitlines()[0])
    p.add_argument("--vary", choices=VARY, required=True, help="the parameter swept")
    p.add_argument("--from", dest="start", type=finite_float, required=True, help="first grid value")
    p.add_argument("--to", dest="stop", type=finite_float, required=True, help="last grid value")
    p.add_argument("--num", type=int, default=40,
                   help=f"number of grid points, 1 to {MAX_NUM} (for --vary m, fewer when the rounded "
                        "integers coincide; stderr says so)")
    p.add_argument("--log", action="store_true", help="log-spaced grid and log x-axis")
    add_model_options(p, required=False, lam_default=None)
    add_dps_option(p)
    add_tau_option(p)
    p.add_argument("--out", default="rmt_dsm_curve", help="output prefix: writes PREFIX.csv, .png, .pdf (.json)")
    p.add_argument("--json", action="store_true", help="also write PREFIX.json and print it on stdout")
    p.add_argument("--logy", action="store_true", help="log y-axis in the figure")
    p.add_argument("--simulate-d", type=int, default=None,
                   help="overlay finite-d simulations of the true model at dimension D")
    p.add_argument("--seeds", type=int, default=3, help="simulation seeds per point")
    p.add_argument("--simulate-points", type=int, default=8,
                   help="simulate at most this many grid points, evenly spread")
    p.add_argument("--seed", type=int, default=0, help="base seed of the simulations")
    p.set_defaults(run=run)


#: the check of the swept parameter's value (rmt_dsm.model), applied to both ends of the grid
_END_CHECKS = {"psi_n": lambda v: check_ratio("psi_n", v), "psi_p": lambda v: check_ratio("psi_p", v),
               "lam": check_lam, "t": lambda v: schedule(t=v), "tau": check_tau}


def make_grid(vary: str, start: float, stop: float, num: int, log: bool = False) -> list:
    """The sweep's values: linear or log-spaced; distinct integers for m.  Both ends must lie in
    the swept parameter's domain (then every value between them does: each domain is an
    interval); an end outside it is named (``--from`` / ``--to``).

    >>> make_grid("psi_p", 1, 3, 3)
    [1.0, 2.0, 3.0]
    >>> make_grid("psi_p", 0.1, -1, 5)
    Traceback (most recent call last):
    ...
    ValueError: --to (--vary psi_p): psi_p must be a finite positive ratio, got -1
    >>> make_grid("m", 1, 100, 6, log=True)
    [1, 3, 6, 16, 40, 100]
    >>> make_grid("m", 1, 3, 10)
    [1, 2, 3]
    """
    for flag, v in (("--from", start), ("--to", stop)):
        if not math.isfinite(v):
            raise ValueError(f"{flag} must be a finite number, got {v}")
        if log and v <= 0:
            raise ValueError(f"{flag} must be positive with --log, got {v}")
        if vary == "m" and v < 1:
            raise ValueError(f"{flag} must be >= 1 for --vary m, got {v}")
        try:  # the domain of the swept parameter is an interval: its ends decide for the grid
            _END_CHECKS.get(vary, lambda x: x)(v)
        except ValueError as exc:
            raise ValueError(f"{flag} (--vary {vary}): {exc}") from None
    if not 1 <= num <= MAX_NUM:
        raise ValueError(f"--num must be a number of points from 1 to {MAX_NUM}, got {num}")
    values = np.geomspace(start, stop, num) if log else np.linspace(start, stop, num)
    if vary == "m":
        return list(dict.fromkeys(int(round(v)) for v in values))
    return [float(v) for v in values]


def fixed_params(args) -> dict:
    """The non-varied parameters from the command line (each one required)."""
    given = {"psi_n": args.psi_n, "psi_p": args.psi_p, "m": args.m, "t": args.t, "lam": args.lam,
             "tau": getattr(args, "tau", None)}
    if given[args.vary] is not None:
        raise ValueError(f"{_FLAG[args.vary]} cannot be given together with --vary {args.vary}")
    if args.vary == "t" and (args.a is not None or args.delta is not None):
        raise ValueError("--vary t needs the Ornstein-Uhlenbeck schedule: drop --a/--delta")
    for name in ("psi_n", "psi_p", "m"):
        if name != args.vary and given[name] is None:
            raise ValueError(f"{_FLAG[name]} is required (unless --vary {name})")
    fixed = {k: v for k, v in given.items() if k != args.vary}
    if args.vary != "lam" and fixed["lam"] is None:
        fixed["lam"] = 0.0
    fixed.update(a=args.a, delta=args.delta, activation=args.activation, sigma=sigma_from_args(args))
    return fixed


def _sim_indices(n: int, points: int) -> list[int]:
    """At most ``points`` indices evenly spread over range(n), ends included.

    >>> _sim_indices(60, 4)
    [0, 20, 39, 59]
    """
    if points < 1:
        raise ValueError(f"--simulate-points must be positive, got {points}")
    return sorted(set(int(round(i)) for i in np.linspace(0, n - 1, min(points, n))))


def simulate_rows(vary, grid, fixed, d, seeds, points, seed=0) -> list[dict]:
    """Finite-d simulations (true nonlinear model) at a subset of the grid."""
    from rmt_dsm.simulate import simulate

    rows = []
    for i in track(_sim_indices(len(grid), points), "simulations"):
        kw = dict(fixed)
        kw[vary] = grid[i]
        sigma = kw.pop("sigma", None)
        eigs = None if sigma is None else sigma.eigenvalues_for(d)
        res = simulate(d=d, model="true", seeds=seeds, seed=seed, sigma_eigs=eigs, **kw)
        row = {vary: grid[i]}
        for key in ERROR_KEYS:
            est = getattr(res, key)
            row[f"sim_{key}_mean"] = est.mean
            row[f"sim_{key}_stderr"] = None if math.isnan(est.stderr) else est.stderr
        rows.append(row)
    return rows


def _columns(vary: str, with_sim: bool) -> list[str]:
    cols = [vary, *ERROR_KEYS]
    if with_sim:
        cols += [f"sim_{k}_{s}" for k in ERROR_KEYS for s in ("mean", "stderr")]
    return cols


def _merge(rows, sim_rows, vary):
    """Theory rows with the simulation columns of the same grid value (None elsewhere)."""
    by_value = {r[vary]: r for r in sim_rows or []}
    merged = []
    for r in rows:
        extra = {k: v for k, v in by_value.get(r[vary], {}).items() if k != vary}
        merged.append({**r, **extra})
    return merged


def _printable(row: dict, vary: str, dps) -> dict:
    """A row with its computed numbers in the CLI's printed form (floats / strings / "inf")."""
    out = {vary: row[vary]}
    for k, v in row.items():
        if k == vary:
            continue
        out[k] = format_number(v, dps if k in ERROR_KEYS else None) if v is not None else None
    return out


def write_csv(path: str, rows: list[dict], columns: list[str]) -> None:
    """CSV with a header; missing values are empty cells."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r[c] for c in columns])


def _fixed_json(fixed: dict) -> dict:
    out = dict(fixed)
    if "m" in out:
        out["m"] = json_m(out["m"])
    if out.get("sigma") is not None:
        out["sigma"] = out["sigma"].describe()
    return out


def _timescale_marks(fixed: dict) -> dict:
    """{label: time} of tau_gen and tau_mem at the fixed parameters (rmt_dsm.timescales)."""
    from rmt_dsm.engine import ConvergenceError
    from rmt_dsm.timescales import timescales

    try:
        ts = timescales(**{k: v for k, v in fixed.items() if k != "tau"})
    except ConvergenceError as exc:  # e.g. lam = 0 on the threshold: no converged curve to compare with
        sys.stderr.write(f"rmt-dsm curve: note: timescales not marked: {one_line(exc)}\n")
        return {}
    return {r"$\tau_{\rm gen}$": ts.tau_gen, r"$\tau_{\rm mem}$": ts.tau_mem}


def run(args) -> int:
    """Sweep, simulate if asked, write the files; see the module docstring."""
    from rmt_dsm.api import ThresholdDivergence, learning_curve
    from rmt_dsm.engine import ConvergenceError
    from rmt_dsm.plotting import plot_curve, save_figure

    dps = check_dps(args.dps)
    fixed = fixed_params(args)
    grid = make_grid(args.vary, args.start, args.stop, args.num, args.log)
    if args.simulate_d is not None and args.simulate_d < 1:
        raise ValueError(f"--simulate-d must be a positive dimension, got {args.simulate_d}")
    check_out(args.out, [".csv", ".png", ".pdf"] + ([".json"] if args.json else []))
    if args.simulate_d is not None:  # validate the simulations (sizes, memory) before any work
        from rmt_dsm.simulate.params import make_params

        sim_fixed = {k: v for k, v in fixed.items() if k != "sigma"}
        eigs = None if fixed["sigma"] is None else fixed["sigma"].eigenvalues_for(args.simulate_d)
        for i in _sim_indices(len(grid), args.simulate_points):
            make_params(d=args.simulate_d, seeds=args.seeds, seed=args.seed, sigma_eigs=eigs,
                        **{**sim_fixed, args.vary: grid[i]})
    if len(grid) < args.num:
        sys.stderr.write(f"rmt-dsm curve: note: {len(grid)} row(s), not {args.num}: the {args.num} grid values "
                         f"of m between {args.start:g} and {args.stop:g} round to {len(grid)} distinct integers\n")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ThresholdDivergence)
            curve = learning_curve(args.vary, grid, dps=dps, **fixed)
    except ConvergenceError as exc:
        sys.stderr.write(f"rmt-dsm curve: no convergence: {one_line(exc)}\n")
        return 3
    rows = [{args.vary: v, **res.as_dict()} for v, res in zip(grid, curve)]
    bad = [r for r, res in zip(rows, curve) if not is_exact(res)]
    if bad:
        sys.stderr.write(f"rmt-dsm curve: no convergence: non-finite result at {args.vary}={bad[0][args.vary]}\n")
        return 3
    sim_rows = None
    if args.simulate_d is not None:
        sim_rows = simulate_rows(args.vary, grid, fixed, args.simulate_d, args.seeds, args.simulate_points,
                                 args.seed)
    table = [_printable(r, args.vary, dps) for r in _merge(rows, sim_rows, args.vary)]
    files = [f"{args.out}.csv"]
    write_csv(files[0], table, _columns(args.vary, sim_rows is not None))
    marks = _timescale_marks(fixed) if args.vary == "tau" else None
    fig = plot_curve(rows, args.vary, fixed, sim_rows=sim_rows, log=args.log, logy=args.logy,
                     sim_label=None if sim_rows is None else f"simulation, $d={args.simulate_d}$, {args.seeds} seeds",
                     marks=marks)
    files += save_figure(fig, args.out)
    report = sys.stdout
    if args.json:
        payload = {"vary": args.vary, "params": _fixed_json(fixed), "dps": dps, "rows": table,
                   "simulation": None if sim_rows is None else {"d": args.simulate_d, "seeds": args.seeds,
                                                                "model": "true", "seed": args.seed}}
        text = json.dumps(payload)
        with open(f"{args.out}.json", "w") as fh:
            fh.write(text + "\n")
        files.append(f"{args.out}.json")
        print(text)
        report = sys.stderr
    if any(issubclass(w.category, ThresholdDivergence) for w in caught):
        sys.stderr.write("rmt-dsm curve: note: lambda = 0 on the interpolation threshold psi_p = m psi_n: "
                         "test, score and gap are +inf there (written as \"inf\", left out of the figure)\n")
    report.write("wrote " + ", ".join(files) + "\n")
    return 0

