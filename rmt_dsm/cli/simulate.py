"""``rmt-dsm simulate``: the finite-d simulation (docs/model.md).

    rmt-dsm simulate --d D --psi-n X --psi-p Y --m M --t T --lam L [--activation NAME]
                     [--seeds K] [--seed S] [--model true|equivalent] [--n-test N]
                     [--a A --delta DELTA] [--json]
                     [--jobs J] [--backend joblib|dask] [--scheduler ADDRESS]

With --json: one JSON object {"train": {"mean": .., "stderr": ..}, "test": .., "score": ..,
"gap": .., "floor": .., "params": {...}}; a stderr is null when there is no estimate of it
(one seed and an exact population statistic). Without --json: a readable table.
A simulation whose estimated memory exceeds the memory available is refused at once
(exit status 2, the estimate on stderr).
"""
from __future__ import annotations

import json
import math
import sys

from rmt_dsm.cli.options import add_model_options

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("simulate", help="finite-d simulation of random-features DSM",
                              description=__doc__.splitlines()[0])
    p.add_argument("--d", type=int, required=True, help="dimension d (positive integer)")
    add_model_options(p, required=True)
    p.add_argument("--seeds", type=int, default=1, help="number of independent seeds K (mean and standard error)")
    p.add_argument("--seed", type=int, default=0, help="base seed")
    p.add_argument("--model", choices=("true", "equivalent"), default="true",
                   help="true nonlinear features or the Gaussian-equivalent model")
    p.add_argument("--n-test", type=int, default=None,
                   help="Monte-Carlo test pairs for activations without exact population statistics "
                        "(default: max(20000, 4p))")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--jobs", type=int, default=1, help="worker processes for the seeds (default 1: serial)")
    p.add_argument("--backend", choices=("joblib", "dask"), default="joblib",
                   help="where the seeds run: local processes (joblib, default) or a dask.distributed cluster")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="address of the dask scheduler, e.g. tcp://127.0.0.1:8786 (with --backend dask)")
    p.set_defaults(run=run)


def _table(out: dict) -> str:
    pr = out["params"]
    head = (f"d={pr['d']} n={pr['n']} p={pr['p']} m={pr['m']} N={pr['N']} a={pr['a']:.6g} "
            f"delta={pr['delta']:.6g} lam={pr['lam']:g} activation={pr['activation']} "
            f"model={pr['model']} seeds={pr['seeds']} population={pr['population']}")
    lines = [head, f"{'error':<8}{'mean':>16}{'stderr':>14}"]
    for name in ("train", "test", "score", "gap", "floor"):
        se = out[name]["stderr"]
        lines.append(f"{name:<8}{out[name]['mean']:>16.8f}{'n/a' if se is None else format(se, '.2e'):>14}")
    return "\n".join(lines)


def run(args) -> int:
    from rmt_dsm.simulate import simulate

    res = simulate(d=args.d, psi_n=args.psi_n, psi_p=args.psi_p, m=args.m, t=args.t, lam=args.lam,
                   activation=args.activation, a=args.a, delta=args.delta, seeds=args.seeds,
                   seed=args.seed, model=args.model, n_test=args.n_test, jobs=args.jobs,
                   backend=args.backend, scheduler=args.scheduler)
    out = res.as_dict()
    numbers = [out[k]["mean"] for k in ("train", "test", "score", "gap", "floor")]
    numbers += [out[k]["stderr"] for k in ("train", "test", "score", "gap", "floor")
                if out[k]["stderr"] is not None]
    if not all(math.isfinite(v) for v in numbers):
        sys.stderr.write("rmt-dsm simulate: error: the simulation produced a non-finite value "
                         f"(train={out['train']['mean']}, test={out['test']['mean']})\n")
        return 1
    print(json.dumps(out) if args.json else _table(out))
    return 0
