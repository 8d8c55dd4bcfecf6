#!/usr/bin/env python
"""Figure and numbers of docs/sampling.md: f_mem and the Girsanov bound against psi_p / psi_n for several m.

For every m in MS and every ratio psi_p / psi_n in RATIOS, one ``rmt_dsm.sampling.sample`` run
(SDE sampler, tanh features, the grid and sizes of CONFIG, several seeds) with the theory along
the grid.  Writes

- docs/figures/sampling_fmem.png and .pdf: (a) f_mem of the learned score, with the anchors
  (empirical optimal score, fresh data), the interpolation thresholds psi_p = m psi_n and the
  boundaries E_train(t_1) = F_pop(t_1) of the theory; (b) the Girsanov bound per dimension, theory
  (lines) and simulation (markers); (c) the projection coefficient of the learned score on the
  empirical optimal score at t_1 (noised training points); (d) f_mem against the theory's gap at t_1;
- docs/figures/sampling_numbers.json: every number of the figure and the run parameters;
- the tables between the markers ``<!-- sampling-table -->`` ... ``<!-- /sampling-table -->``
  and ``<!-- sampling-lam-table -->`` ... of docs/sampling.md; the second one is the ridge
  sweep CONFIG["lam_sweep"] (one m and p/n, several lambda).

    .venv/bin/python scripts/make_sampling_figure.py [--jobs J]            (about 10 min on 2 busy cores)
    .venv/bin/python scripts/make_sampling_figure.py --quick --out DIR --page PAGE   (seconds; tests)
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402,F401
from scipy.optimize import brentq  # noqa: E402

CONFIG = dict(d=20, psi_n=1.0, lam=0.0, activation="tanh", t_min=0.01, t_max=3.0, steps=30, samples=500,
              seeds=3, sampler="sde", ms=(1, 4, 16, 64), ratios=(0.5, 1.5, 3, 6, 12, 24, 48, 96),
              lam_sweep=dict(m=64, ratio=48, lams=(1e-4, 1e-3, 1e-2, 1e-1)))
QUICK = dict(d=8, psi_n=1.0, lam=1e-3, activation="tanh", t_min=0.02, t_max=2.0, steps=5, samples=40,
             seeds=2, sampler="sde", ms=(1, 4), ratios=(1.5, 6), lam_sweep=dict(m=4, ratio=6, lams=(0.1,)))
MARK = ("<!-- sampling-table -->", "<!-- /sampling-table -->")
MARK_LAM = ("<!-- sampling-lam-table -->", "<!-- /sampling-lam-table -->")


def run_point(task: dict) -> dict:
    """One (m, ratio) point: the sampling experiment and the numbers the figure needs."""
    from rmt_dsm.sampling import sample

    cfg, m, ratio, lam = task["cfg"], task["m"], task["ratio"], task.get("lam", task["cfg"]["lam"])
    t0 = time.perf_counter()
    r = sample(d=cfg["d"], psi_n=cfg["psi_n"], psi_p=ratio * cfg["psi_n"], m=m, lam=lam,
               activation=cfg["activation"], t_min=cfg["t_min"], t_max=cfg["t_max"], steps=cfg["steps"],
               samples=cfg["samples"], sampler=cfg["sampler"], seeds=cfg["seeds"], progress=False)
    est = lambda e: [e.mean, e.stderr]  # noqa: E731
    mem = r.memorization
    first = r.rows[0]
    return {"m": m, "ratio": ratio, "lam": lam, "psi_p": ratio * cfg["psi_n"], "p": r.params.p, "n": r.params.n,
            "f_mem": est(mem["learned"]["f_mem"]), "nn_ratio": est(mem["learned"]["nn_ratio"]),
            "cov_error": est(mem["learned"]["cov_error"]),
            "f_mem_empirical_score": est(mem["empirical_score"]["f_mem"]),
            "f_mem_population_score": est(mem["population_score"]["f_mem"]),
            "f_mem_fresh": est(mem["fresh_data"]["f_mem"]),
            "bound_simulation": est(r.bound["total"]), "bound_theory": r.theory.bound.total,
            "score_term_theory": r.theory.bound.score_integral,
            "gap_t1_theory": r.theory.rows[0]["gap"], "train_t1_theory": r.theory.rows[0]["train"],
            "floor_t1": r.theory.rows[0]["floor"], "gap_t1_simulation": est(first["gap"]),
            "toward_empirical_t1": est(first["training"]["toward_empirical"]),
            "seconds": time.perf_counter() - t0}


def memorization_boundary(m, cfg) -> float | None:
    """psi_p / psi_n where the theory's E_train(t_1) crosses F_pop(t_1) (docs/phase.md's criterion),
    searched in the plotted range; None when there is no crossing there."""
    from rmt_dsm import errors
    from rmt_dsm.api import ThresholdDivergence

    def f(log_ratio):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ThresholdDivergence)
            e = errors(cfg["psi_n"], math.exp(log_ratio) * cfg["psi_n"], m, t=cfg["t_min"], lam=max(cfg["lam"], 1e-8),
                       activation=cfg["activation"])
        return float(e.train - e.floor)

    lo, hi = math.log(min(cfg["ratios"]) / 4), math.log(max(cfg["ratios"]) * 2)
    if f(lo) * f(hi) > 0:
        return None
    return math.exp(brentq(f, lo, hi, xtol=1e-6))


def figure(rows, cfg, bounds):
    ms = cfg["ms"]
    colors = {m: plt.cm.viridis(i / max(1, len(ms) - 1) * 0.85) for i, m in enumerate(ms)}
    fig, ax = plt.subplots(2, 2, figsize=(11, 8.2))
    (a, b), (c, e) = ax
    for m in ms:
        rs = sorted((r for r in rows if r["m"] == m), key=lambda r: r["ratio"])
        x = [r["ratio"] for r in rs]
        col = colors[m]
        a.errorbar(x, [r["f_mem"][0] for r in rs], yerr=[r["f_mem"][1] for r in rs], color=col, marker="o",
                   ms=4, capsize=2, label=f"$m={m}$")
        fin = [(r["ratio"], r["bound_theory"]) for r in rs if math.isfinite(r["bound_theory"])]
        b.plot([u for u, _ in fin], [v for _, v in fin], color=col, label=f"theory, $m={m}$")
        b.errorbar(x, [r["bound_simulation"][0] for r in rs], yerr=[r["bound_simulation"][1] for r in rs],
                   color=col, marker="o", ms=4, ls="none", capsize=2)
        c.errorbar(x, [r["toward_empirical_t1"][0] for r in rs], yerr=[r["toward_empirical_t1"][1] for r in rs],
                   color=col, marker="o", ms=4, capsize=2, label=f"$m={m}$")
        gap = [(r["gap_t1_theory"], r["f_mem"]) for r in rs if math.isfinite(r["gap_t1_theory"])]
        e.errorbar([g for g, _ in gap], [f[0] for _, f in gap], yerr=[f[1] for _, f in gap], color=col,
                   marker="o", ms=4, ls="none", capsize=2, label=f"$m={m}$")
        for axis in (a, b, c):
            axis.axvline(m, color=col, ls=":", lw=1)
            if bounds.get(m) is not None:
                axis.axvline(bounds[m], color=col, ls="--", lw=0.8, alpha=0.6)
    emp = [r["f_mem_empirical_score"][0] for r in rows]
    fresh = [r["f_mem_fresh"][0] for r in rows]
    a.axhline(sum(emp) / len(emp), color="tab:red", lw=1, label="empirical optimal score")
    a.axhline(sum(fresh) / len(fresh), color="0.4", lw=1, ls="-.", label="fresh data")
    for axis in (a, b, c):
        axis.axvline(1.0, color="k", ls="--", lw=0.8)
        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_xlabel(r"$\psi_p/\psi_n = p/n$")
    b.set_yscale("log")
    a.set_ylabel(r"memorized fraction $f_{\rm mem}$")
    b.set_ylabel(r"Girsanov bound on KL$/d$ (SDE)")
    c.set_ylabel(r"projection on $s_{\rm emp}-s_{\rm pop}$ at $t_1$ (training points)")
    e.set_xlabel(r"theory's gap $E_{\rm test}-E_{\rm train}$ at $t_1$")
    e.set_ylabel(r"$f_{\rm mem}$")
    e.set_xscale("symlog", linthresh=1.0)
    a.set_title("(a) memorized fraction; black dashed: $p = n$, dotted: $p = nm$\n"
                "(thin dashed, if in range: $E_{\\rm train}=F_{\\rm pop}$ at $t_1$)", fontsize=9)
    b.set_title("(b) bound: theory (lines), simulation (points)", fontsize=9)
    c.set_title("(c) learned score between population (0) and empirical (1)", fontsize=9)
    e.set_title("(d) does the theory's gap predict $f_{\\rm mem}$?", fontsize=9)
    a.legend(fontsize=7)
    c.legend(fontsize=7)
    fig.suptitle(f"random-features diffusion samples: d={cfg['d']}, $\\psi_n$={cfg['psi_n']:g}, "
                 f"$\\lambda$={cfg['lam']:g}, {cfg['activation']}, t in [{cfg['t_min']:g}, {cfg['t_max']:g}], "
                 f"K={cfg['steps']}, {cfg['samples']} samples x {cfg['seeds']} seeds", fontsize=10)
    fig.tight_layout()
    return fig


def table(rows, bounds) -> str:
    lines = ["| m | p/n | f_mem | nn ratio | toward s_emp (t_1) | theory gap (t_1) | bound: theory | bound: simulation |",
             "|---|---|---|---|---|---|---|---|"]
    pm = lambda v: f"{v[0]:.3f} ± {v[1]:.3f}"  # noqa: E731
    for r in sorted(rows, key=lambda r: (r["m"], r["ratio"])):
        th = r["bound_theory"]
        lines.append(f"| {r['m']} | {r['ratio']:g} | {pm(r['f_mem'])} | {pm(r['nn_ratio'])} | "
                     f"{pm(r['toward_empirical_t1'])} | {r['gap_t1_theory']:.3g} | "
                     f"{'inf' if math.isinf(th) else format(th, '.3g')} | "
                     f"{r['bound_simulation'][0]:.3g} ± {r['bound_simulation'][1]:.2g} |")
    lines.append("")
    lines.append("Theory's boundary E_train(t_1) = F_pop(t_1), in p/n: " + ", ".join(
        f"m = {m}: {'none in range' if v is None else format(v, '.3g')}" for m, v in bounds.items()) + ".")
    return "\n".join(lines)


def lam_table(rows) -> str:
    lines = ["| lam | f_mem | nn ratio | toward s_emp (t_1) | theory gap (t_1) | bound: theory | bound: simulation |",
             "|---|---|---|---|---|---|---|"]
    pm = lambda v: f"{v[0]:.3f} ± {v[1]:.3f}"  # noqa: E731
    for r in sorted(rows, key=lambda r: r["lam"]):
        lines.append(f"| {r['lam']:g} | {pm(r['f_mem'])} | {pm(r['nn_ratio'])} | {pm(r['toward_empirical_t1'])} | "
                     f"{r['gap_t1_theory']:.3g} | {r['bound_theory']:.3g} | "
                     f"{r['bound_simulation'][0]:.3g} ± {r['bound_simulation'][1]:.2g} |")
    return "\n".join(lines)


def write_table(page: Path, text: str, mark=MARK) -> None:
    src = page.read_text()
    pat = re.compile(re.escape(mark[0]) + ".*?" + re.escape(mark[1]), re.S)
    if not pat.search(src):
        raise SystemExit(f"{page}: markers {mark[0]} ... {mark[1]} not found")
    page.write_text(pat.sub(lambda _: f"{mark[0]}\n{text}\n{mark[1]}", src))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small case (seconds), for the tests")
    ap.add_argument("--out", default=str(ROOT / "docs" / "figures"), help="directory of the figure and JSON")
    ap.add_argument("--page", default=str(ROOT / "docs" / "sampling.md"), help="page whose table is rewritten")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    args = ap.parse_args(argv)
    from rmt_dsm.parallel import parallel_map
    from rmt_dsm.phase import save_deterministic

    cfg = dict(QUICK if args.quick else CONFIG)
    tasks = [{"cfg": cfg, "m": m, "ratio": r} for m in cfg["ms"] for r in cfg["ratios"]]
    sweep = cfg["lam_sweep"]
    tasks += [{"cfg": cfg, "m": sweep["m"], "ratio": sweep["ratio"], "lam": lam} for lam in sweep["lams"]]
    t0 = time.perf_counter()
    jobs = 1 if args.quick else args.jobs
    done = parallel_map(run_point, tasks, jobs=jobs, progress=not args.quick, label="sample")
    rows, lam_rows = done[:-len(sweep["lams"])], done[-len(sweep["lams"]):]
    base = next((r for r in rows if r["m"] == sweep["m"] and r["ratio"] == sweep["ratio"]), None)
    if base is not None:
        lam_rows = [base] + lam_rows
    bounds = {m: memorization_boundary(m, cfg) for m in cfg["ms"]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig = figure(rows, cfg, bounds)
    save_deterministic(fig, str(out / "sampling_fmem"))
    plt.close(fig)
    numbers = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
               "memorization_boundary": {str(m): v for m, v in bounds.items()}, "rows": rows,
               "lam_rows": lam_rows, "seconds": time.perf_counter() - t0}
    (out / "sampling_numbers.json").write_text(json.dumps(numbers, indent=1, default=lambda v: "inf") + "\n")
    write_table(Path(args.page), table(rows, bounds))
    write_table(Path(args.page), lam_table(lam_rows), MARK_LAM)
    print(table(rows, bounds))
    print(lam_table(lam_rows))
    print(f"# {numbers['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
