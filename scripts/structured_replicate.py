"""Replicate a structured-data validation series with independent seeds (a base seed other than the point's).

The validation protocol (scripts/make_validation_report.py section 6) simulates every point with seed
indices 0..K-1 of its own base seed (`rmt_dsm.validation.Point.seed`, 1000 + its number; base seed 0
for all points until commit e0b0d38, when points sharing (psi_n, psi_p, m, d) shared their draws).  A
discrepancy found there is re-measured here on draws independent of them (base seed ``--seed``) and at
other d (e.g. beyond the protocol's largest), against the theory at the simulated spectrum; per-seed
values are kept.  The result is appended to docs/data/validation_structured_replicates.json (with
--write), which section 6 of docs/validation.md lists.

    .venv/bin/python scripts/structured_replicate.py S4 --m 16 --plan 2000:6,4000:4 --seed 1 --jobs 2 --write
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from rmt_dsm import validation as V
from rmt_dsm.simulate import simulate

PATH = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "data", "validation_structured_replicates.json")


def replicate(label: str, m, plan, seed: int, jobs: int = 1) -> list:
    """One record per (d, seeds) of ``plan``: theory at the simulated spectrum, per-seed values, mean,
    standard error and discrepancy D = theory - mean of train, test and score."""
    pt = V.point(label)
    out = []
    for d, k in plan:
        th = V.theory(pt, m, d=d)
        t0 = time.perf_counter()
        res = simulate(d=d, seeds=k, seed=seed, model="true", sigma_eigs=pt.sigma_eigs(d), jobs=jobs,
                       **pt.kwargs(m))
        rec = dict(label=label, m_sim=V.fmt_m(pt.m if m is None else m), d=d, seeds=k, seed=seed,
                   seconds=time.perf_counter() - t0)
        for q in V.STRUCTURED_QUANTITIES:
            vals = [getattr(s, q) for s in res.per_seed]
            rec[q] = dict(theory=th[q], per_seed=vals, mean=float(np.mean(vals)), se=getattr(res, q).stderr,
                          diff=th[q] - float(np.mean(vals)))
            print(f"{label} m={rec['m_sim']} d={d} K={k} seed={seed} {q}: theory {th[q]:.6f} "
                  f"D = {rec[q]['diff']:+.2e} +- {rec[q]['se']:.1e} [{rec['seconds']:.0f}s]", flush=True)
        out.append(rec)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("label", help="structured point (rmt_dsm.validation.GRID_STRUCTURED)")
    ap.add_argument("--m", type=int, default=None, help="simulated m (default: the point's)")
    ap.add_argument("--plan", required=True, help="D:K,... dimensions and seeds")
    ap.add_argument("--seed", type=int, default=1, help="base seed (not the point's own, which the protocol uses)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--write", action="store_true", help=f"append to {os.path.normpath(PATH)}")
    args = ap.parse_args(argv)
    labels = [p.label for p in V.GRID_STRUCTURED]
    if args.label not in labels:
        ap.error(f"label: {args.label!r} is not a structured point ({', '.join(labels)})")
    own = V.point(args.label).seed
    if args.seed == own:
        ap.error(f"--seed must differ from the protocol's base seed of {args.label}, {own}")
    try:
        plan = [tuple(int(x) for x in item.split(":")) for item in args.plan.split(",")]
    except ValueError:
        plan = []
    if not plan or any(len(it) != 2 or it[0] < 2 or it[1] < 2 for it in plan):
        ap.error(f"--plan: expected D:K,... with integers D >= 2 and K >= 2 seeds, got {args.plan!r}")
    recs = replicate(args.label, args.m, plan, args.seed, args.jobs)
    if args.write:
        old = json.load(open(PATH)) if os.path.exists(PATH) else []
        with open(PATH, "w") as fh:
            json.dump(old + recs, fh, indent=1)


if __name__ == "__main__":
    main()
