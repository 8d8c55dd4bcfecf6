#!/usr/bin/env python
"""Validation of the training-time theory against exact gradient-flow simulations of the true model.

For each point of :data:`POINTS` and each training time of :data:`TAUS`, the theory
(``rmt_dsm.errors(..., tau=T)``) is compared with the simulator's exact gradient flow (eigen-
decomposition of U, ``rmt_dsm.simulate`` with ``tau``) of the *true* nonlinear model at several d;
one fit per seed serves every tau. m = inf is represented by m = 64 in both (the true model cannot
average the noise exactly; the theory at m = 64 is within O(1/m) of m = inf). The discrepancy
D(d) = theory - mean is fitted by D = c d^(-alpha) (weighted least squares on log|D|, weights from
the standard errors pooled along d as in rmt_dsm.validation.effective_stderr,
rmt_dsm.validation.fit_power_law) when the data resolve it (Delta chi^2 >= 6
against D = 0), else reported as "within noise".

Writes docs/data/validation_training.csv (one row per point, tau, d) and prints a markdown table.

    .venv/bin/python scripts/validate_training.py [--dims 250 500 1000] [--seeds 4 2 1] [--quick]
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rmt_dsm import errors  # noqa: E402
from rmt_dsm.data_spectrum import parse_sigma  # noqa: E402
from rmt_dsm.validation import effective_stderr, fit_power_law  # noqa: E402
from rmt_dsm.simulate import make_params  # noqa: E402
from rmt_dsm.simulate.core import Fit, fit_seed, population_errors  # noqa: E402
from rmt_dsm.simulate.readout import flow_readout, train_error  # noqa: E402

POINTS = [
    dict(activation="erf", psi_n=1.0, psi_p=0.5, m=1, t=0.5, lam=0.0),       # p < N
    dict(activation="relu", psi_n=0.5, psi_p=1.5, m=1, t=0.3, lam=0.0),      # p > N, minimum norm
    dict(activation="erf", psi_n=0.25, psi_p=2.0, m=4, t=0.5, lam=0.01),     # p > m n, ridge
    dict(activation="relu", psi_n=0.5, psi_p=1.0, m=4, t=1.0, lam=0.0),      # p < m n
    dict(activation="erf", psi_n=0.25, psi_p=1.0, m=64, t=0.5, lam=0.001),   # m = inf proxy
    dict(activation="tanh", psi_n=0.5, psi_p=1.0, m=1, t=0.5, lam=0.05),     # Monte-Carlo test set
    # anisotropic data [S]: two atoms, half of the directions without data variance (psi_D = 0.5)
    dict(activation="tanh", psi_n=1.0, psi_p=0.5, m=1, t=0.3, lam=0.0, sigma="0.5:2,0.5:0"),    # p < N
    dict(activation="erf", psi_n=0.5, psi_p=1.5, m=4, t=0.5, lam=0.01, sigma="0.5:2,0.5:0"),    # p < m n
    dict(activation="erf", psi_n=0.25, psi_p=1.5, m=4, t=0.5, lam=0.0, sigma="0.5:2,0.5:0"),    # p > m n
    dict(activation="tanh", psi_n=0.5, psi_p=1.5, m=1, t=0.3, lam=0.05, sigma="0.5:2,0.5:0"),   # p > N
]
TAUS = [1.0, 30.0, 1000.0]


def simulate_taus(point, d, seeds, taus, first_seed=0):
    """(train, test) per seed and tau: one fit (U, V, eigendecomposition) per seed, all taus.
    A point's ``sigma`` (data spectrum string) gives the d eigenvalues of Sigma, as in
    ``rmt-dsm simulate --sigma``."""
    kw = {k: v for k, v in point.items() if k != "sigma"}
    eigs = parse_sigma(point["sigma"]).eigenvalues_for(d) if point.get("sigma", "1:1") != "1:1" else None
    prm = make_params(d=d, seeds=seeds, seed=first_seed, model="true", sigma_eigs=eigs, **kw)
    out = np.empty((seeds, len(taus), 2))
    for k in range(seeds):
        fit = fit_seed(prm, k)
        for j, tau in enumerate(taus):
            Ct = flow_readout(fit.sums.U, fit.sums.V, point["lam"], tau)
            te = population_errors(prm, Fit(fit.instance, fit.sums, Ct, fit.coeffs))
            out[k, j] = train_error(fit.sums, Ct), te.test
    return out


def _key(point, d, seed) -> str:
    point = {k: v for k, v in point.items() if not (k == "sigma" and v == "1:1")}
    return json.dumps({**point, "d": d, "seed": seed}, sort_keys=True)


def cached_taus(point, d, seeds, taus, raw: Path | None, first_seed=0):
    """`simulate_taus` seed by seed, each seed's (train, test) rows kept in the JSON-lines file
    ``raw`` (keyed by point, d and seed index) and read back from it when present: a run can be
    extended with more seeds or dimensions, and the simulations can run before the theory."""
    done = {}
    if raw is not None and raw.exists():
        for line in raw.read_text().splitlines():
            rec = json.loads(line)
            if rec["taus"] == list(taus):
                done[rec["key"]] = rec["values"]
    out = []
    for k in range(first_seed, first_seed + seeds):
        key = _key(point, d, k)
        if key not in done:
            done[key] = simulate_taus(point, d, 1, taus, first_seed=k)[0].tolist()
            if raw is not None:
                with raw.open("a") as fh:
                    fh.write(json.dumps({"key": key, "taus": list(taus), "values": done[key]}) + "\n")
        out.append(done[key])
    return np.array(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[250, 500, 1000])
    ap.add_argument("--seeds", type=int, nargs="+", default=[6, 3, 2])
    ap.add_argument("--points", type=int, nargs="*", default=None, help="indices into POINTS")
    ap.add_argument("--out", default=str(ROOT / "docs" / "data" / "validation_training.csv"))
    ap.add_argument("--table-only", action="store_true", help="print the table of an existing --out CSV")
    ap.add_argument("--append", action="store_true", help="add the new rows to an existing --out CSV")
    ap.add_argument("--raw", default=None, help="JSON-lines cache of per-seed simulations (read and extended)")
    ap.add_argument("--simulate-only", action="store_true", help="fill the --raw cache, no theory, no CSV")
    args = ap.parse_args()
    rows = []
    chosen = [POINTS[i] for i in args.points] if args.points else POINTS
    if args.table_only or args.append:
        with open(args.out) as fh:
            rows = [{"sigma": "1:1", **{k: (v if k in ("activation", "error", "sigma") else float(v))
                                        for k, v in r.items()}} for r in csv.DictReader(fh)]
    if args.table_only:
        chosen = []
    all_dims = sorted({int(r["d"]) for r in rows} | set(args.dims if not args.table_only else []))
    raw = Path(args.raw) if args.raw else None
    for point in chosen:
        if args.simulate_only:
            for d, seeds in zip(args.dims, args.seeds):
                t0 = time.perf_counter()
                cached_taus(point, d, max(seeds, 2), TAUS, raw)
                print(f"# {point} d={d}: {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
            continue
        th = [errors(**point, tau=tau) for tau in TAUS]
        point = {"sigma": "1:1", **point}  # the data spectrum column (Sigma = I: 1:1)
        rows = [r for r in rows if not all(r.get(k) == v for k, v in point.items())] if args.append else rows
        for d, seeds in zip(args.dims, args.seeds):
            t0 = time.perf_counter()
            sim = cached_taus(point, d, max(seeds, 2), TAUS, raw)
            wall = time.perf_counter() - t0
            for j, tau in enumerate(TAUS):
                for i, key in enumerate(("train", "test")):
                    vals = sim[:, j, i]
                    mean, se = float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(len(vals)))
                    rows.append({**point, "tau": tau, "d": d, "seeds": len(vals), "error": key,
                                 "theory": getattr(th[j], key), "sim_mean": mean, "sim_stderr": se,
                                 "diff": getattr(th[j], key) - mean,
                                 "rel_diff": (getattr(th[j], key) - mean) / max(abs(getattr(th[j], key)), 1e-2),
                                 "wall_s": wall})
            print(f"# {point} d={d}: {wall:.1f}s", file=sys.stderr, flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    print("| activation | sigma | psi_n | psi_p | m | t | lam | tau | error | theory | rel. diff. (theory - sim)/max(|theory|, "
          "0.01) at d = " + ", ".join(map(str, all_dims)) + " (where run; seeds) | fitted D = c d^-alpha |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    keyf = lambda r: (r["activation"], r["sigma"], r["psi_n"], r["psi_p"], int(r["m"]), r["t"], r["lam"], r["tau"],  # noqa: E731
                      r["error"])
    groups = {}
    for r in rows:
        groups.setdefault(keyf(r), []).append(r)
    for k, rs in groups.items():
        rs.sort(key=lambda r: r["d"])
        D = [r["theory"] - r["sim_mean"] for r in rs]
        # standard errors pooled along the d-trend as in the project's validation protocol
        se = [max(e, 1e-12) for e in effective_stderr(
            [SimpleNamespace(d=int(r["d"]), seeds=int(r["seeds"]), stderr=r["sim_stderr"]) for r in rs])]
        fit = fit_power_law([r["d"] for r in rs], D, se) if len(rs) >= 2 else None
        rel = ", ".join(f"{r['rel_diff']:+.1e} (±{e / max(abs(r['theory']), 1e-2):.0e}; {int(r['seeds'])})"
                        for r, e in zip(rs, se))
        fit_s = ("within noise" if fit is None or not fit.resolved
                 else f"c = {fit.c:+.2g}, alpha = {fit.alpha:.2f} [{fit.alpha_lo:.2f}, {fit.alpha_hi:.2f}]")
        print(f"| {' | '.join(str(x) for x in k)} | {rs[0]['theory']:.6f} | {rel} | {fit_s} |")


if __name__ == "__main__":
    main()
