"""``rmt-dsm errors``: the exact high-dimensional errors at one parameter point (docs/model.md).

    rmt-dsm errors --psi-n X --psi-p Y --m M (--t T | --a A --delta DELTA) [--lam L]
                   [--activation NAME] [--dps D] [--json]

With --json: one JSON object with keys train, test, score, gap, floor (JSON numbers; with
--dps D, decimal strings of D significant digits), "params" (every parameter, once: psi_n,
psi_p, m as an int or "inf", t, lam, a, delta, activation, dps), "solver" (residual,
iterations, chart) and "accuracy" (estimated relative error of each value, and the estimated
number of correct digits of the least accurate one).  Without --json: a readable table.  When a
double-precision value is estimated less accurate than 1e-10 (relative), one line on stderr
names the estimated digits and suggests --dps.

Exit status: 0 when every printed number is a converged solution; 2 for bad input (one line
on stderr naming the argument, nothing on stdout); 3 when the solver does not converge.
At lambda = 0 on the interpolation threshold psi_p = m psi_n (finite m) the test, score and
gap are exactly +inf: they are printed as the string "inf" (JSON has no infinity), a note
goes to stderr, and the exit status is 0 because +inf is the exact answer.
"""
from __future__ import annotations

import json
import math
import sys
import warnings

import mpmath

from rmt_dsm.cli.options import add_dps_option, add_model_options, check_dps, json_m

__all__ = ["add_parser", "run", "format_number", "errors_payload", "is_exact", "one_line"]

ERROR_KEYS = ("train", "test", "score", "gap", "floor")

_EPILOG = ("Threshold: at --lam 0 with psi_p = m psi_n (finite m) the test, score and gap errors are "
           "+inf; they are printed as the string \"inf\" (JSON has no infinity), a note goes to "
           "stderr and the exit status is 0 (+inf is the exact answer). Exit status 2: bad input; "
           "3: the fixed-point solver did not converge.")


def add_parser(subparsers) -> None:
    """Register ``errors`` on the dispatcher's sub-parsers."""
    p = subparsers.add_parser("errors", help="exact asymptotic train/test/score errors at one point",
                              description=__doc__.splitlines()[0], epilog=_EPILOG)
    add_model_options(p, required=True)
    add_dps_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def format_number(v, dps=None):
    """One computed value as printed: a float (double precision), a ``dps``-digit decimal
    string (mpmath), or the string "inf" for +inf.

    >>> format_number(0.25), format_number(mpmath.mpf(1) / 3, 5), format_number(math.inf)
    (0.25, '0.33333', 'inf')
    """
    if v is None:
        return None
    if mpmath.isinf(v):
        return "inf" if v > 0 else "-inf"
    if dps is None:
        return float(v)
    if not isinstance(v, mpmath.mpf):  # an exact int/float; mpf(v) of an mpf would round it
        v = mpmath.mpf(v)
    return mpmath.nstr(v, dps)


def _param_value(v, dps):
    """A parameter for JSON: computed mpmath values as decimal strings, others as they are."""
    if isinstance(v, mpmath.mpf):
        return format_number(v, dps)
    if isinstance(v, float) and math.isinf(v):
        return "inf"
    return v


def errors_payload(res, dps=None) -> dict:
    """The JSON object of one `rmt_dsm.api.Errors` result."""
    out = {k: format_number(getattr(res, k), dps) for k in ERROR_KEYS}
    params = {k: _param_value(v, dps) for k, v in res.params.items()}
    params["m"] = json_m(res.params["m"])
    params["dps"] = dps
    out["params"] = params
    residual = res.residual
    out["solver"] = {
        "residual": None if residual is None else float(abs(residual)),
        "iterations": res.iterations,
        "chart": res.chart,
        "diverged": bool(res.diverged),
    }
    out["accuracy"] = {"relative": {k: float(v) for k, v in res.accuracy.items()}, "digits": res.digits}
    return out


def _table(out: dict) -> str:
    pr, sv = out["params"], out["solver"]
    sched = f"t={pr['t']}" if pr.get("t") is not None else ""
    head = (f"psi_n={pr['psi_n']} psi_p={pr['psi_p']} m={pr['m']} {sched} a={pr['a']} delta={pr['delta']} "
            f"lam={pr['lam']} activation={pr['activation']} dps={pr['dps']}")
    lines = [" ".join(head.split()), f"{'error':<8}{'value':>28}"]
    for k in ERROR_KEYS:
        v = out[k]
        lines.append(f"{k:<8}{v if isinstance(v, str) else format(v, '.12g'):>28}")
    lines.append(f"solver: chart={sv['chart']} residual={sv['residual']} iterations={sv['iterations']}")
    return "\n".join(lines)


def is_exact(res) -> bool:
    """Every value is finite, except the exact +inf of the threshold divergence."""
    diverged = res.diverged
    for k in ERROR_KEYS:
        v = getattr(res, k)
        if mpmath.isnan(v) or (mpmath.isinf(v) and not (diverged and v > 0)):
            return False
    return True


def one_line(exc: BaseException) -> str:
    """An exception message collapsed to one line."""
    return " ".join(str(exc).split())


def run(args) -> int:
    """Compute and print; see the module docstring for the exit statuses."""
    from rmt_dsm.api import ThresholdDivergence, errors
    from rmt_dsm.engine import ConvergenceError
    from rmt_dsm.precision import PrecisionWarning

    dps = check_dps(args.dps)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ThresholdDivergence)
            warnings.simplefilter("always", PrecisionWarning)
            res = errors(args.psi_n, args.psi_p, args.m, t=args.t, lam=args.lam, activation=args.activation,
                         a=args.a, delta=args.delta, dps=dps)
    except ConvergenceError as exc:
        sys.stderr.write(f"rmt-dsm errors: no convergence: {one_line(exc)}\n")
        return 3
    if not is_exact(res):
        sys.stderr.write(f"rmt-dsm errors: no convergence: non-finite result {res.as_dict()} at {res.params}\n")
        return 3
    out = errors_payload(res, dps)
    print(json.dumps(out) if args.json else _table(out))
    for w in caught:
        if issubclass(w.category, ThresholdDivergence):
            sys.stderr.write(f"rmt-dsm errors: note: {one_line(w.message)}\n")
    if any(issubclass(w.category, PrecisionWarning) for w in caught):
        worst = max(res.accuracy.values())
        sys.stderr.write(f"rmt-dsm errors: warning: estimated relative error {worst:.1e} (about {res.digits} "
                         "correct digits) in double precision; rerun with --dps 30 for more digits\n")
    return 0
