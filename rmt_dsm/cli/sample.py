"""``rmt-dsm sample``: generated samples of the random-features diffusion model, beside the theory.

    rmt-dsm sample --d D --psi-n X --psi-p Y --m M [--lam L] [--activation NAME]
                   [--t-min T1] [--t-max TK] [--steps K] [--samples S] [--sampler sde|ode]
                   [--seeds N] [--seed B] [--no-theory] [--no-progress] [--save-samples FILE] [--json]

One random-features score per time of a log-spaced grid t_1 = T1 < ... < t_K = TK (shared W and
data, fresh noise draws per time), S samples by the reverse SDE or the probability-flow ODE from
N(0, I), then a Tweedie step at t_1 (docs/sampling.md).  With --json: one JSON object with
"params"; "memorization" (for the sample sets learned, population_score, empirical_score and
fresh_data: f_mem, nn_ratio, cov_error as {"mean", "stderr"}); "bound" (the Girsanov bound on
KL(data || samples) per dimension for the SDE sampler, from the measured score errors and from
the theory); "grid" (one row per time: t, a, delta, step, "theory" {train, test, score, gap,
floor} from rmt_dsm.errors, "simulation" {train, score, gap, fresh {...}, training {...}});
"timings".  A stderr is null where there is no estimate of it.  Without --json: a table.
A progress bar goes to stderr when it is a terminal.

Exit status: 0; 2 for bad input (one line on stderr naming the argument, nothing on stdout);
3 when the theory's solver does not converge; 1 when the simulation produced a non-finite value.
"""
from __future__ import annotations

import json
import math
import sys

from rmt_dsm.cli.options import m_type

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    """Register ``sample`` on the dispatcher's sub-parsers."""
    p = subparsers.add_parser("sample", help="generated samples: memorized fraction, covariance, theory's bound",
                              description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, required=True, help="dimension d (positive integer)")
    p.add_argument("--psi-n", type=float, required=True, help="psi_n = n/d")
    p.add_argument("--psi-p", type=float, required=True, help="psi_p = p/d")
    p.add_argument("--m", type=m_type, required=True, help="noise draws per point and time: integer >= 1")
    p.add_argument("--lam", type=float, default=0.0, help="ridge lambda >= 0 (0: minimum norm; default 0)")
    p.add_argument("--activation", default="tanh", help="tanh, erf, relu or a sympy expression in x")
    p.add_argument("--t-min", type=float, default=0.01, help="first grid time t_1 (default 0.01)")
    p.add_argument("--t-max", type=float, default=3.0, help="last grid time t_K (default 3)")
    p.add_argument("--steps", type=int, default=40, help="number K of grid times, >= 2 (default 40)")
    p.add_argument("--samples", type=int, default=1000, help="samples per seed, >= 3 (default 1000)")
    p.add_argument("--sampler", choices=("sde", "ode"), default="sde",
                   help="reverse-time SDE (default) or probability-flow ODE")
    p.add_argument("--seeds", type=int, default=1, help="independent seeds (default 1)")
    p.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    p.add_argument("--no-theory", action="store_true", help="skip the theory columns (rmt_dsm.errors)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--save-samples", default=None, metavar="FILE",
                   help="also write the samples and training points to FILE (.npz; arrays "
                        "seed<k>_<set> for the sets learned, population_score, empirical_score, "
                        "fresh_data, training)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def _fmt(e) -> str:
    if e is None:
        return "n/a"
    if isinstance(e, dict):
        se = "" if e["stderr"] is None else f" +- {e['stderr']:.2g}"
        return f"{_fmt(e['mean'])}{se}"
    return e if isinstance(e, str) else f"{e:.4g}"


def _table(out: dict) -> str:
    pr = out["params"]
    lines = [" ".join(f"{k}={v}" for k, v in pr.items())]
    lines.append(f"{'sample set':<18}{'f_mem':>20}{'nn_ratio':>22}{'cov_error':>22}")
    for name, row in out["memorization"].items():
        lines.append(f"{name:<18}{_fmt(row['f_mem']):>20}{_fmt(row['nn_ratio']):>22}{_fmt(row['cov_error']):>22}")
    b = out["bound"]
    th = b["theory"]
    lines.append(f"bound (sde) on KL/d: simulation {_fmt(b['simulation']['total'])}, theory "
                 f"{'n/a' if th is None else _fmt(th['total'])}")
    lines.append(f"{'t':>9}{'score th':>12}{'score sim':>22}{'gap th':>12}{'gap sim':>22}{'toward emp':>20}")
    for r in out["grid"]:
        th = r["theory"] or {}
        s = r["simulation"]
        lines.append(f"{r['t']:>9.4g}{_fmt(th.get('score')):>12}{_fmt(s['score']):>22}{_fmt(th.get('gap')):>12}"
                     f"{_fmt(s['gap']):>22}{_fmt(s['training']['toward_empirical']):>20}")
    return "\n".join(lines)


def _finite(out: dict) -> bool:
    vals = [e["mean"] for row in out["memorization"].values() for e in row.values()]
    vals += [r["simulation"][k]["mean"] for r in out["grid"] for k in ("train", "score", "gap")]
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in vals)


def run(args) -> int:
    """Run the experiment and print it; see the module docstring for the exit statuses."""
    from rmt_dsm.cli.errors import one_line
    from rmt_dsm.engine import ConvergenceError
    from rmt_dsm.sampling import make_sample_params, run_sample

    if args.save_samples is not None:
        from pathlib import Path

        folder = Path(args.save_samples).resolve().parent
        if not folder.is_dir():
            raise ValueError(f"--save-samples: no such directory {str(folder)!r}")
    params = make_sample_params(d=args.d, psi_n=args.psi_n, psi_p=args.psi_p, m=args.m, lam=args.lam,
                                activation=args.activation, t_min=args.t_min, t_max=args.t_max,
                                steps=args.steps, samples=args.samples, sampler=args.sampler,
                                seeds=args.seeds, seed=args.seed)
    try:
        res = run_sample(params, theory=not args.no_theory, progress=False if args.no_progress else None,
                         keep_samples=args.save_samples is not None)
    except ConvergenceError as exc:
        sys.stderr.write(f"rmt-dsm sample: no convergence: {one_line(exc)}\n")
        return 3
    out = res.as_dict()
    if not _finite(out):
        sys.stderr.write("rmt-dsm sample: error: the simulation produced a non-finite value\n")
        return 1
    if args.save_samples is not None:
        import numpy as np

        np.savez(args.save_samples, **{f"seed{k}_{name}": x for k, sets in enumerate(res.samples)
                                       for name, x in sets.items()})
    print(json.dumps(out) if args.json else _table(out))
    return 0
