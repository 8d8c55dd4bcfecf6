#!/usr/bin/env python
"""The two timescales of gradient-flow training over psi_n, psi_p, m and t, and early stopping
versus the best ridge (derivations/training_time.md §6).

Prints markdown tables and writes docs/data/training_timescales.csv, and the figure
docs/figures/training_curve.{png,pdf} (errors versus tau with tau_gen and tau_mem marked).

    .venv/bin/python scripts/training_timescales.py [--activation erf] [--t 0.5]
"""
from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rmt_dsm import learning_curve  # noqa: E402
from rmt_dsm.timescales import best_ridge, timescales  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--activation", default="erf")
    ap.add_argument("--t", type=float, default=0.5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "data" / "training_timescales.csv"))
    args = ap.parse_args()
    act, t = args.activation, args.t
    rows = []

    def run(study, **kw):
        ts = timescales(activation=act, **{"t": t, **kw})
        row = {"study": study, **{"t": t}, **kw, "tau_gen": ts.tau_gen, "tau_mem": ts.tau_mem,
               "ratio": ts.tau_mem / ts.tau_gen, "tau_floor": ts.tau_floor, "tau_edge": ts.tau_edge, "best_score": ts.best_score,
               "final_score": ts.final_score}
        rows.append(row)
        print(f"| {study} | {kw.get('psi_n')} | {kw.get('psi_p')} | {kw.get('m')} | {kw.get('t', t)} | "
              f"{ts.tau_gen:.4g} | {ts.tau_mem:.4g} | {ts.tau_mem / ts.tau_gen:.4g} | {ts.tau_floor:.3g} | {ts.tau_edge:.4g} | "
              f"{ts.best_score:.4f} | {ts.final_score:.4f} |", flush=True)
        return ts

    print("| study | psi_n | psi_p | m | t | tau_gen | tau_mem | tau_mem/tau_gen | tau_floor | 1/E_- | best E_score | E_score(inf) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for psi_n in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):     # large psi_p: the published linear growth in n
        run("psi_n at psi_p = 32", psi_n=psi_n, psi_p=32.0, m=1)
    for psi_p in (2.0, 4.0, 8.0, 16.0):
        run("psi_p at psi_n = 1", psi_n=1.0, psi_p=psi_p, m=1)
    for m in (1, 2, 4, math.inf):
        run("m at psi_n = 0.5, psi_p = 8", psi_n=0.5, psi_p=8.0, m=m)
    for tt in (0.1, 0.5, 1.0):
        rows_t = run("t at psi_n = 1, psi_p = 8", psi_n=1.0, psi_p=8.0, m=1, t=tt)  # noqa: F841
    print()
    print("| psi_n | psi_p | m | best E_score, early stopping (lam = 0) | tau_gen | best E_score, ridge (tau = inf) | lam* |")
    print("|---|---|---|---|---|---|---|")
    for psi_n, psi_p, m in ((1.0, 4.0, 1), (0.5, 8.0, 1), (1.0, 0.5, 1), (0.5, 8.0, 4)):
        ts = timescales(psi_n, psi_p, m, t=t, activation=act)
        lam, best = best_ridge(psi_n, psi_p, m, t=t, activation=act)
        print(f"| {psi_n} | {psi_p} | {m} | {ts.best_score:.5f} | {ts.tau_gen:.4g} | {best:.5f} | {lam:.3g} |",
              flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="") as fh:
        keys = sorted({k for r in rows for k in r}, key=lambda k: list(rows[0]).index(k) if k in rows[0] else 99)
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    # the figure of the docs page
    from rmt_dsm.plotting import plot_curve, save_figure

    point = dict(psi_n=1.0, psi_p=4.0, m=1, t=t, lam=0.0, activation=act)
    taus = list(np.geomspace(0.01, 1e4, 200))
    curve = learning_curve("tau", taus, **point)
    ts = timescales(**point)
    rows_c = [{"tau": x, **e.as_dict()} for x, e in zip(taus, curve)]
    fig = plot_curve(rows_c, "tau", point, log=True,
                     marks={r"$\tau_{\rm gen}$": ts.tau_gen, r"$\tau_{\rm mem}$": ts.tau_mem})
    save_figure(fig, str(ROOT / "docs" / "figures" / "training_curve"))


if __name__ == "__main__":
    main()
