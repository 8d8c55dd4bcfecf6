#!/usr/bin/env python
"""Regenerate docs/validation.md, docs/figures/validation_*.{png,pdf} and docs/data/validation_*.csv.

    .venv/bin/python scripts/make_validation_report.py --write           # full protocol (~15-20 min, 2 idle cores)
    .venv/bin/python scripts/make_validation_report.py --skip-structured --write  # sections 1-4 only (~5 min)
    .venv/bin/python scripts/make_validation_report.py --quick --out DIR # reduced protocol (a few minutes)
    .venv/bin/python scripts/make_validation_report.py --structured-only --write  # section 6 only (~20 min)
    ... [--jobs J] [--backend dask --scheduler tcp://HOST:8786]         # where the simulations run

The tracked files under docs/ are rewritten only with --write; otherwise everything goes to
--out DIR (default: a new temporary directory, printed at the end).  Every simulation
(point x d) is one task of rmt_dsm.parallel.parallel_map: local worker processes (default: all
cores) or an existing dask.distributed cluster; the results do not depend on where they ran
(each seed has its own random streams).

Sections (machinery in rmt_dsm/validation.py):
  1. Gaussian-equivalent simulator vs theory at d = 1000 on the whole grid (m = inf exact).
  2. True nonlinear simulator vs theory, d-trend d = 250, 500, 1000, 2000 (seeds 16/8/4/2 for
     m = 1; fewer for finite m), power-law fit of the discrepancy.
  3. m = inf points: true model at m = 16, 64, 256 (theory at the same m) and the approach to m = inf.
  4. Learning curves vs psi_p with simulation points.
  6. Structured data (data spectra Sigma, rmt_dsm.validation.GRID_STRUCTURED): true model, d = 250..2000,
     train/test/score, m = inf points at m = 16, 64.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from rmt_dsm import validation as V  # noqa: E402
from rmt_dsm.parallel import cpu_seconds, default_jobs  # noqa: E402

DOCS = os.path.join(ROOT, "docs")
FIG = os.path.join(DOCS, "figures")
DATA = os.path.join(DOCS, "data")
#: structured series re-measured with independent seeds (scripts/structured_replicate.py)
REPLICATES = os.path.join(DATA, "validation_structured_replicates.json")
#: the a priori calibration of the d-trend flag rule (scripts/calibrate_trend_rule.py --write)
CALIBRATION = os.path.join(DATA, "trend_rule_calibration.json")
LOG_T0 = time.perf_counter()
#: where the simulations run (--jobs, --backend, --scheduler): keyword arguments of parallel_map
RUN = dict(jobs=1, backend="joblib", scheduler=None)


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - LOG_T0:7.1f}s] {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# protocol
# --------------------------------------------------------------------------------------------
def protocol(quick: bool) -> dict:
    """Dimensions, seeds and point subsets of each section."""
    if quick:
        return dict(
            ge_d=400, ge_seeds={"limit": 3, "finite": 2},
            m1_plan=[(250, 8), (500, 4)], m1_labels=["T4", "E7", "R3", "T3"],
            fin_plan=[(250, 6), (500, 3)], fin_labels=["F1", "F5", "F12"],
            inf_plans={16: [(250, 6), (500, 3)], 64: [(250, 4)], 256: []},
            inf_labels=["T7", "E3", "R8"],
            curve_d=250, curve_seeds=2, curve_inf_m=64, curve_inf_d=200,
            max_cost=4e11, ge_followup_plan=[(200, 8), (400, 4), (800, 3)],
            struct_plans={1: [(250, 8), (500, 4)], 4: [(250, 6), (500, 3)], 16: [(250, 6), (500, 3)]},
        )
    return dict(
        ge_d=1000, ge_seeds={"limit": 3, "finite": 2},
        m1_plan=[(250, 16), (500, 8), (1000, 4), (2000, 3)],
        m1_labels=[p.label for p in V.GRID_LIMITS if p.m == 1],
        fin_plan=[(250, 8), (500, 4), (1000, 2), (2000, 2)],
        fin_labels=[p.label for p in V.GRID_FINITE_M],
        inf_plans={16: [(250, 8), (500, 4), (1000, 2)], 64: [(250, 6), (500, 3)], 256: [(250, 3)]},
        # m = inf through m = 16, 64, 256: the six m = inf points with psi_p <= 2 covering
        # t in {0.05, 1}, lam in {1e-3, 0.5}, p < n and p > n (psi_p = 3 costs 4x more per pair)
        inf_labels=["T2", "T7", "E3", "E5", "R1", "R8"],
        curve_d=400, curve_seeds=2, curve_inf_m=64, curve_inf_d=200,
        max_cost=2e11, ge_followup_plan=[(250, 16), (500, 8), (1000, 4), (2000, 3)],
        # structured data: every point at d = 250..2000, no budget cap (rmt_dsm.validation.STRUCTURED_PLANS)
        struct_plans=V.STRUCTURED_PLANS,
    )


def capped(pt, plan, m, max_cost, model="true"):
    """The plan within the budget: at each d the seeds are reduced (not below 2) until the
    estimated cost is <= max_cost flops; a d that cannot be afforded with 2 seeds is dropped
    (the two smallest d are always kept)."""
    out = []
    for i, (d, k) in enumerate(plan):
        per_seed = V.simulation_cost(pt, d, 1, m=m, model=model)
        k2 = min(k, int(max_cost // per_seed))
        if k2 >= 2:
            out.append((d, k2))
        elif i < 2:
            out.append((d, 2))
    return out


# --------------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------------
def section_ge(P):
    items = [(pt, P["ge_d"], P["ge_seeds"]["limit" if pt.m in (1, math.inf) else "finite"], "equivalent", None)
             for pt in V.grid()]
    rows = []
    for rs in V.compare_many(items, **RUN):
        for r in rs:
            log(f"GE {r.label} {r.quantity}: theory {r.theory:.6f} sim {r.mean:.6f} +- {r.stderr:.2g} "
                f"rel {r.rel:+.2e} z {r.z:+.2f} {'ok' if V.ge_passes(r) else 'FAIL'} [{r.seconds:.1f}s]")
        rows += rs
    return rows


def section_ge_followup(P, ge_rows):
    """GE comparisons failing the criterion: a GE d-trend to tell a finite-size correction
    (shrinks with d) from a disagreement (does not)."""
    labels = []
    for r in ge_rows:
        if not V.ge_passes(r) and r.label not in labels:
            labels.append(r.label)
    series = []
    for lb in labels:
        pt = V.point(lb)
        series.append((pt, capped(pt, P["ge_followup_plan"], pt.m, P["max_cost"], model="equivalent"), None))
    res = V.trends(series, model="equivalent", log=lambda s: log("GE-TREND " + s), **RUN)
    return [t for tr in res for t in tr.values()]


def section_trends(P):
    """True-model d-trends: m = 1 and finite-m points directly, m = inf points at m = 16, 64, 256."""
    trends = []
    jobs = [(V.point(lb), P["m1_plan"], None) for lb in P["m1_labels"]]
    jobs += [(V.point(lb), P["fin_plan"], None) for lb in P["fin_labels"]]
    for lb in P["inf_labels"]:
        for m, plan in P["inf_plans"].items():
            if plan:
                jobs.append((V.point(lb), plan, m))
    total = sum(V.simulation_cost(pt, d, k, m=m) for pt, plan, m in jobs
                for d, k in capped(pt, plan, m if m else pt.m, P["max_cost"]))
    log(f"true-model trends: {len(jobs)} series, estimated {total / 1e12:.1f} Tflop")
    series = [(pt, capped(pt, plan, m if m else pt.m, P["max_cost"]), m) for pt, plan, m in jobs]
    for tr in V.trends(series, log=lambda s: log("TRUE " + s), **RUN):
        trends += list(tr.values())
    return trends


def section_structured(P, previous=None):
    """Structured data (data spectra Sigma): true-model d-trends of train, test and score; m = inf points
    at m = 16, 64 (theory at the same m).  ``previous``: tracked rows to reuse or extend by more seeds
    (`rmt_dsm.validation.compare_many`)."""
    series = V.structured_series(P["struct_plans"])
    total = sum(V.simulation_cost(pt, d, k, m=m or pt.m) for pt, plan, m in series for d, k in plan)
    log(f"structured-data trends: {len(series)} series, estimated {total / 1e12:.1f} Tflop")
    out = []
    for tr in V.trends(series, quantities=V.STRUCTURED_QUANTITIES, log=lambda s: log("STRUCT " + s),
                       previous=previous, **RUN):
        out += list(tr.values())
    return out


def section_curves(P):
    """Learning curves vs psi_p (tanh, psi_n = 1, lam = 1e-3): m = 1 and m = inf, t = 0.05 and 1."""
    import rmt_dsm
    from rmt_dsm.parallel import parallel_map

    grid_th = np.concatenate([np.linspace(0.1, 0.8, 15), np.linspace(0.82, 1.18, 37), np.linspace(1.2, 4.0, 30)])
    sim_psi = [0.25, 0.5, 0.75, 1.5, 2.0, 3.0]
    panels = []
    for m in (1, math.inf):
        for t in (0.05, 1.0):
            base = dict(psi_n=1.0, t=t, lam=1e-3, activation="tanh")
            th = rmt_dsm.learning_curve("psi_p", list(grid_th), m=m, **base)
            th_rows = [dict(psi_p=float(x), **{k: float(v) for k, v in e.as_dict().items()})
                       for x, e in zip(grid_th, th)]
            runs = []  # (model, m, psi_p, simulate kwargs)
            for psi_p in sim_psi:
                if m == 1:
                    runs.append(("true", 1, psi_p, dict(d=P["curve_d"], psi_p=psi_p, m=1, seeds=P["curve_seeds"],
                                                         **base)))
                else:
                    runs.append(("equivalent", math.inf, psi_p, dict(d=P["curve_d"], psi_p=psi_p, m=math.inf,
                                                                      seeds=P["curve_seeds"], model="equivalent",
                                                                      **base)))
                    runs.append(("true", P["curve_inf_m"], psi_p, dict(d=P["curve_inf_d"], psi_p=psi_p,
                                                                        m=P["curve_inf_m"], seeds=2, **base)))
            done = parallel_map(V.simulate_task, [kw for *_, kw in runs], label="curves", progress=False, **RUN)
            sims = [(model, mm, psi_p, r) for (model, mm, psi_p, _), r in zip(runs, done)]
            log(f"curves m={V.fmt_m(m)} t={t} done")
            extra = None
            if m == math.inf:
                th2 = rmt_dsm.learning_curve("psi_p", list(grid_th), m=P["curve_inf_m"], **base)
                extra = [dict(psi_p=float(x), **{k: float(v) for k, v in e.as_dict().items()})
                         for x, e in zip(grid_th, th2)]
            panels.append(dict(m=m, t=t, base=base, theory=th_rows, sims=sims, theory_mfin=extra))
    return panels


# --------------------------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------------------------
COL = {"train": "tab:blue", "test": "tab:red", "score": "tab:green"}


def save(fig, name):
    paths = []
    for ext in ("png", "pdf"):
        p = os.path.join(FIG, f"{name}.{ext}")
        fig.savefig(p, dpi=150)
        paths.append(p)
    plt.close(fig)
    return paths


def fig_curves(panels, P):
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), layout="constrained")
    for ax, pan in zip(axes.ravel(), panels):
        xs = [r["psi_p"] for r in pan["theory"]]
        for q in ("train", "test", "score"):
            ys = [r[q] for r in pan["theory"]]
            ax.plot(xs, ys, color=COL[q], lw=1.6, label=f"{q} (theory, m={V.fmt_m(pan['m'])})")
        if pan["theory_mfin"]:
            for q in ("train", "test"):
                ax.plot(xs, [r[q] for r in pan["theory_mfin"]], color=COL[q], lw=1.0, ls="--",
                        label=f"{q} (theory, m={P['curve_inf_m']})")
        ax.axhline(pan["theory"][0]["floor"], color="0.4", ls=":", lw=1, label="floor $F_{pop}$")
        for model, m, psi_p, r in pan["sims"]:
            mk = "o" if model == "true" and m == 1 else ("s" if model == "equivalent" else "^")
            for q in ("train", "test", "score"):
                est = getattr(r, q)
                ax.errorbar([psi_p], [est.mean], yerr=[0 if math.isnan(est.stderr) else est.stderr],
                            fmt=mk, mfc="none", color=COL[q], ms=5, capsize=2)
        if pan["m"] == 1:
            ax.plot([], [], "o", mfc="none", color="k", label=f"true model, d={P['curve_d']}")
        else:
            ax.plot([], [], "s", mfc="none", color="k", label=f"GE model m=inf, d={P['curve_d']}")
            ax.plot([], [], "^", mfc="none", color="k",
                    label=f"true model m={P['curve_inf_m']}, d={P['curve_inf_d']}")
        ax.set_xlabel(r"$\psi_p = p/d$")
        ax.set_ylabel("error per dimension")
        top = max(r["test"] for r in pan["theory"] if math.isfinite(r["test"]))
        ax.set_ylim(0, min(top * 1.05, 3.0))
        mtex = r"\infty" if pan["m"] == math.inf else str(pan["m"])
        ax.set_title(rf"tanh, $\psi_n=1$, $\lambda=10^{{-3}}$, $m={mtex}$, $t={pan['t']:g}$", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return save(fig, "validation_learning_curves")


def _by_m(trends, prefix="true model"):
    """Trends grouped as m = 1 / finite m / m = inf via finite m (panel titles)."""
    groups = {f"{prefix}, m = 1": [], f"{prefix}, finite m": [], f"{prefix}, m = inf via finite m": []}
    for tr in trends:
        pt = V.point(tr.label)
        key = ("m = 1" if pt.m == 1 else "finite m" if pt.m != math.inf else "m = inf via finite m")
        groups[f"{prefix}, {key}"].append(tr)
    return groups


def fig_trends(trends, ge_trends=()):
    groups = _by_m(trends)
    if ge_trends:
        groups["GE model (failed GE checks)"] = list(ge_trends)
    return trend_panels(groups, V.QUANTITIES, "validation_finite_size")


def fig_structured(strends):
    """Relative discrepancy vs d of the structured-data trends (train, test, score by m)."""
    return trend_panels(_by_m(strends, "structured data"), V.STRUCTURED_QUANTITIES, "validation_structured")


def trend_panels(groups, quantities, name):
    """One column per group of trends, one row per quantity: |theory - sim|/theory vs d (log-log)."""
    ncol = len(groups)
    fig, axes = plt.subplots(len(quantities), ncol, figsize=(5 * ncol, 4.25 * len(quantities)),
                             layout="constrained", squeeze=False)
    cmap = plt.get_cmap("tab20")
    for j, (title, trs) in enumerate(groups.items()):
        for i, q in enumerate(quantities):
            ax = axes[i, j]
            sel = [t for t in trs if t.quantity == q]
            for k, tr in enumerate(sel):
                c = cmap(k % 20)
                ds = np.array(tr.ds, float)
                scale = abs(tr.rows[0].theory)  # relative discrepancy: errors range from 1e-5 to 8
                diff = np.array([abs(r.diff) for r in tr.rows]) / scale
                se = np.array(tr.se_eff) / scale
                lab = tr.label + (f" (m={tr.m_sim})" if V.point(tr.label).m == math.inf else "")
                lo = np.minimum(se, diff * (1 - 1e-9))  # log axis: clip the lower bar above zero
                ax.errorbar(ds * (1 + 0.02 * (k - len(sel) / 2)), diff, yerr=[lo, se],
                            fmt="o", color=c, ms=4, capsize=2, label=lab)
                if tr.fit is not None and tr.fit.resolved:
                    dd = np.geomspace(ds.min(), ds.max(), 20)
                    ax.plot(dd, abs(tr.fit.c) * dd ** (-tr.fit.alpha) / scale, color=c, lw=1)
            dd = np.geomspace(200, 2500, 10)
            ax.plot(dd, 1.0 / dd, "k--", lw=0.8, label=r"$d^{-1}$")
            vals = [abs(r.diff) / abs(t.rows[0].theory) for t in sel for r in t.rows if r.diff != 0]
            ax.set_ylim(bottom=max(1e-6, 0.3 * min(vals)) if vals else 1e-6)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks([250, 500, 1000, 2000])
            ax.set_xticklabels(["250", "500", "1000", "2000"])
            ax.minorticks_off()
            ax.set_xlabel("dimension d")
            ax.set_ylabel(f"|theory - sim| / theory ({q} error)")
            ax.set_title(f"{title}: {q}", fontsize=10)
            ax.grid(alpha=0.3, which="both")
            ax.legend(fontsize=6, ncol=2)
    return save(fig, name)


def fig_m_approach(trends, ge_rows):
    import rmt_dsm

    labels = sorted({tr.label for tr in trends if V.point(tr.label).m == math.inf},
                    key=lambda s: [p.label for p in V.grid()].index(s))
    if not labels:
        return []
    ncol = min(4, len(labels))
    nrow = math.ceil(len(labels) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.9 * ncol, 3.3 * nrow), layout="constrained",
                             squeeze=False)
    ms = np.unique(np.concatenate([np.arange(1, 21), np.round(np.geomspace(20, 1024, 20)).astype(int)]))
    for ax, lb in zip(axes.ravel(), labels):
        pt = V.point(lb)
        curve = rmt_dsm.learning_curve("m", [int(m) for m in ms], **{k: v for k, v in pt.kwargs().items()
                                                                     if k != "m"})
        thinf = V.theory(pt)
        for q in V.QUANTITIES:
            ax.plot(ms, [float(getattr(e, q)) for e in curve], color=COL[q], lw=1.4, label=f"{q} theory (m)")
            ax.axhline(thinf[q], color=COL[q], ls=":", lw=1, label=f"{q} theory m=inf")
            for tr in trends:
                if tr.label == lb and tr.quantity == q:
                    r = max(tr.rows, key=lambda r: r.d)
                    ax.errorbar([int(tr.m_sim)], [r.mean], yerr=[r.stderr], fmt="o", mfc="none",
                                color=COL[q], ms=5, capsize=2)
            for r in ge_rows:
                if r.label == lb and r.quantity == q:
                    ax.errorbar([1400], [r.mean], yerr=[r.stderr], fmt="s", mfc="none", color=COL[q],
                                ms=5, capsize=2)
        ax.plot([], [], "o", mfc="none", color="k", label="true model (largest d)")
        ax.plot([], [], "s", mfc="none", color="k", label="GE m=inf (plotted at m=1400)")
        ax.set_xscale("log")
        ax.set_xlabel("m (noise draws per point)")
        ax.set_ylabel("error per dimension")
        ax.set_title(f"{lb}: {pt.describe().replace(', m=inf', '')}", fontsize=7)
        ax.grid(alpha=0.3)
    axes.ravel()[0].legend(fontsize=6)
    for ax in axes.ravel()[len(labels):]:
        ax.axis("off")
    return save(fig, "validation_m_to_inf")


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def pm(mean, se, digits=5):
    se_s = "n/a" if not math.isfinite(se) else f"{se:.1e}"
    return f"{mean:.{digits}f} ± {se_s}"


def md_ge(rows, P):
    out = [f"| point | parameters | quantity | theory | GE sim (d={P['ge_d']}) mean ± SE | rel. diff | z | pass |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        pt = V.point(r.label)
        out.append(f"| {r.label} | {pt.describe()} | {r.quantity} | {r.theory:.6f} | {pm(r.mean, r.stderr, 6)} "
                   f"(K={r.seeds}) | {r.rel:+.2e} | {r.z:+.1f} | {'yes' if V.ge_passes(r) else '**NO**'} |")
    return "\n".join(out)


def md_trends(trends, ds_all, relative=False):
    """Discrepancy per d (absolute, or relative to the theory), the fitted exponent and Δχ² vs 0."""
    what = "(theory − sim)/theory" if relative else "theory − sim"
    head = "| point | m sim | quantity | theory | " + " | ".join(f"{what}, d={d}" for d in ds_all) + \
        " | rel. diff (largest d) | alpha [Δχ²=1] | Δχ² vs 0 |"
    out = [head, "|" + "---|" * (7 + len(ds_all))]
    for tr in trends:
        by_d = {r.d: (r, e) for r, e in zip(tr.rows, tr.se_eff)}
        cells = []
        for d in ds_all:
            r, e = by_d.get(d, (None, None))
            scale = abs(r.theory) if r is not None and relative else 1.0
            cells.append("" if r is None else f"{r.diff / scale:+.1e} ± {e / scale:.1e} (K={r.seeds})")
        last = max(tr.rows, key=lambda r: r.d)
        if tr.fit is None:
            fit = "—"
            sig = "—"
        else:
            f = tr.fit
            fit = f"{f.alpha:.2f} [{f.alpha_lo:.2f}, {f.alpha_hi:.2f}]" if f.resolved else \
                f"undetermined ({f.alpha:.2f} [{f.alpha_lo:.2f}, {f.alpha_hi:.2f}])"
            sig = f"{f.significance:.1f}"
        out.append(f"| {tr.label} | {tr.m_sim} | {tr.quantity} | {last.theory:.5f} | " + " | ".join(cells) +
                   f" | {last.rel:+.1e} | {fit} | {sig} |")
    return "\n".join(out)


def md_m_approach(trends):
    rows = {}
    for tr in trends:
        if V.point(tr.label).m != math.inf:
            continue
        last = max(tr.rows, key=lambda r: r.d)
        rows.setdefault((tr.label, tr.quantity), {})[int(tr.m_sim)] = last
    ms = sorted({m for v in rows.values() for m in v})
    out = ["| point | quantity | " + " | ".join(f"m={m}: theory / sim (d)" for m in ms) + " | theory m=inf |",
           "|" + "---|" * (3 + len(ms))]
    for (lb, q), v in rows.items():
        cells = []
        for m in ms:
            r = v.get(m)
            cells.append("" if r is None else f"{r.theory:.5f} / {pm(r.mean, r.stderr)} ({r.d})")
        any_r = next(iter(v.values()))
        out.append(f"| {lb} | {q} | " + " | ".join(cells) + f" | {any_r.theory_point:.5f} |")
    return "\n".join(out)


def md_structured_grid():
    out = ["| point | activation | Σ (weight:eigenvalue, ...) | tr Σ/d | ψ_D | ψ_n | ψ_p | m | ψ_p/(mψ_n) | t | λ |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    from rmt_dsm.data_spectrum import parse_sigma

    for p in V.GRID_STRUCTURED:
        sp = parse_sigma(p.sigma)
        out.append(f"| {p.label} | {p.activation} | {sp.describe()} | {float(sp.q):.4g} | {float(sp.psi_d):g} | "
                   f"{p.psi_n:g} | {p.psi_p:g} | {V.fmt_m(p.m)} | {p.psi_p / (p.m * p.psi_n):.3g} | {p.t:g} | "
                   f"{p.lam:g} |")
    return "\n".join(out)


def flags(ge_rows, trends, ge_trends=()):
    """Disagreements: GE failures (with their GE d-trend); trends flagged by the d-trend rule
    (`rmt_dsm.validation.trend_failure`: a significant discrepancy that does not shrink, or one above
    FLAG_N_SE SE + the fitted remainder)."""
    out = []
    for r in ge_rows:
        if not V.ge_passes(r):
            note = ""
            for tr in ge_trends:
                if tr.label == r.label and tr.quantity == r.quantity and tr.fit is not None:
                    f = tr.fit
                    note = (f"; GE d-trend: alpha = {f.alpha:.2f} [{f.alpha_lo:.2f}, {f.alpha_hi:.2f}], "
                            f"Δχ² vs 0 = {f.significance:.1f}" + (", shrinks with d (finite-size)"
                                                               if f.resolved and f.alpha > 0.3 else ""))
            out.append(f"GE {r.label} {r.quantity} at d={r.d}: theory {r.theory:.6f}, sim {r.mean:.6f} ± "
                       f"{r.stderr:.1e} (rel {r.rel:+.2e}, z {r.z:+.1f}){note}")
    for tr in list(ge_trends) + list(trends):  # the d-trend rule of the slow tests (rmt_dsm.validation.trend_alarm)
        failure = V.trend_failure(tr)
        if failure is not None:
            out.append(failure)
    return out


def flagged_comparisons(ge_rows, trends, ge_trends=()) -> list:
    """[(label, model, simulated m, quantity, d)] of the comparisons `flags` flags: the GE failures
    at their d, the flagged d-trends at the d of their largest |D| / SE (`scripts/follow_up_flags.py`
    re-measures them)."""
    out = [(r.label, r.model, r.m_sim, r.quantity, r.d) for r in ge_rows if not V.ge_passes(r)]
    for tr in list(ge_trends) + list(trends):
        if V.trend_failure(tr) is not None:
            r, _ = max(zip(tr.rows, tr.se_eff), key=lambda p: abs(p[0].diff) / p[1])
            out.append((tr.label, r.model, tr.m_sim, tr.quantity, r.d))
    return list(dict.fromkeys(out))


def followup_rows(flagged) -> list:
    """The rows of docs/data/validation_followup.csv (`scripts/follow_up_flags.py`) of the comparisons
    ``flagged`` (`flagged_comparisons`; rows of other comparisons, from an older run, are left out)."""
    path = os.path.join(DATA, "validation_followup.csv")
    keys = {key[:4] for key in flagged}
    if not keys or not os.path.exists(path):
        return []
    return [r for r in V.read_csv(path) if (r.label, r.model, r.m_sim, r.quantity) in keys]


def cost_note(meta, prefix="") -> str:
    """', CPU time X min (--jobs J, load average L at the start)' from the run's metadata, if recorded
    (keys ``prefix + "cpu_s"`` etc.: "" for sections 1-4, "structured_" for section 6)."""
    if prefix + "cpu_s" not in meta:
        return ""
    return (f", CPU time {meta[prefix + 'cpu_s'] / 60:.1f} min (--jobs {meta[prefix + 'jobs']}; load average "
            f"{meta[prefix + 'load_start'][0]:.1f} at the start, {meta[prefix + 'load_end'][0]:.1f} at the end, "
            f"from other jobs)")


def write_report(P, meta, ge_rows, trends, ge_trends, strends=()):
    quick, runtime = meta["quick"], meta["runtime_s"]
    ds_all = sorted({r.d for tr in trends for r in tr.rows})
    n_ge = len(ge_rows)
    n_ge_pass = sum(V.ge_passes(r) for r in ge_rows)
    res = [tr.fit for tr in trends if tr.fit is not None and tr.fit.resolved]
    alphas = [f.alpha for f in res]
    fl = flags(ge_rows, trends, ge_trends)
    sfl = flags([], strends)
    lasts = [max(tr.rows, key=lambda r: r.d) for tr in trends]
    big = [r for r in lasts if abs(r.theory) >= 0.01]
    worst_rel = max(big, key=lambda r: abs(r.rel))
    small = [r for r in lasts if abs(r.theory) < 0.01]
    n_fit = sum(tr.fit is not None for tr in trends)
    z_last = [abs(tr.z_eff(max(tr.rows, key=lambda r: r.d))) for tr in trends]
    zmax = trends[int(np.argmax(z_last))]
    lines = []
    A = lines.append
    A("# Validation of the theory against finite-d simulations")
    A("")
    A("*Generated by `scripts/make_validation_report.py`" + (" --quick" if quick else "") +
      f" — do not edit by hand. Runtime of sections 1-4 {runtime / 60:.1f} min on {os.cpu_count()} cores "
      f"({platform.processor() or platform.machine()}){cost_note(meta or {})}, numpy {np.__version__}.*")
    if quick:
        A("")
        A("> **Quick protocol** (reduced grid, small d): a smoke run, not the full validation.")
    A("")
    A("The asymptotic errors returned by `rmt_dsm.errors` (the solution of the Dyson fixed-point "
      "system, docs/model.md) are compared with the finite-d simulator `rmt_dsm.simulate.simulate`, which "
      "fits the random-features readout on actual random matrices and never imports the theory. "
      "The machinery (grid, comparisons, fits) is `rmt_dsm/validation.py`; the fast checks are "
      "`tests/test_validation.py` and the slow ones `tests/test_validation_slow.py` (`pytest -m slow`).")
    A("")
    A("Conventions: errors per dimension (docs/model.md), OU schedule a = e^{-t}, Δ = 1 − e^{-2t}; "
      "`theory − sim` is the theory minus the mean over K seeds; every point has its own base seed "
      "(`Point.seed`), so that points sharing (ψ_n, ψ_p, m, d) do not share their draws (until commit "
      "329ae3d the points of sections 1–4 all drew from base seed 0); SE = std(ddof=1)/√K over seeds "
      "(for tanh each seed's test error is a Monte-Carlo estimate with a control variate of exact "
      "mean, as precise as a plain estimate on max(20000, 4p) fresh pairs, whose noise is included "
      "in the seed spread; erf and relu use exact population statistics "
      "given W, and so does the Gaussian-equivalent model). z = (theory − sim)/SE. Only train and "
      "test are tabulated: score = test − F_pop with a deterministic floor, so its discrepancy is "
      "the test one.")
    A("")
    A("## Summary")
    A("")
    A(f"* Gaussian-equivalent simulator at d = {P['ge_d']}: {n_ge_pass}/{n_ge} comparisons pass "
      "(|rel. diff| ≤ 0.3 % or |diff| ≤ 3 SE).")
    A(f"* True nonlinear simulator: {len(trends)} d-trends (train and test of "
      f"{len({(t.label, t.m_sim) for t in trends})} point/m series), d ∈ {ds_all}. "
      f"At the largest d of each series: largest |rel. diff| {abs(worst_rel.rel):.2e} ({worst_rel.label} "
      f"m={worst_rel.m_sim} {worst_rel.quantity}, d={worst_rel.d}) among errors ≥ 0.01"
      + (f"; the {len(small)} errors < 0.01 (interpolating train errors ~1e-5 at λ = 1e-3) differ by at most "
         f"{max(abs(r.diff) for r in small):.1e} in absolute terms" if small else "")
      + f"; median |z| {np.median(z_last):.1f}, max |z| {max(z_last):.1f} ({zmax.label} m={zmax.m_sim} "
        f"{zmax.quantity}, d={max(r.d for r in zmax.rows)}; SE as in section 3; see its fit in section 3).")
    A(f"* {n_fit} series have ≥ 3 dimensions and a power-law fit; the discrepancy is resolved (Δχ² ≥ 6 "
      f"against zero) in {len(res)} of them" + (f", with fitted exponents alpha median {np.median(alphas):.2f}, "
                                                f"range [{min(alphas):.2f}, {max(alphas):.2f}]." if alphas else "."))
    if strends:
        sres = [tr.fit for tr in strends if tr.fit is not None and tr.fit.resolved]
        slast = [max(tr.rows, key=lambda r: r.d) for tr in strends]
        sbig = [r for r in slast if abs(r.theory) >= 0.01]
        sworst = max(sbig, key=lambda r: abs(r.rel))
        A(f"* Structured data (section 6): {len(V.GRID_STRUCTURED)} points, {len(strends)} d-trends (train, test, "
          f"score); at the largest d the largest |rel. diff| is {abs(sworst.rel):.2e} ({sworst.label} m={sworst.m_sim} "
          f"{sworst.quantity}, d={sworst.d}) among errors ≥ 0.01; resolved discrepancies in {len(sres)} series"
          + (f", alpha median {np.median([f.alpha for f in sres]):.2f}" if sres else "") + ".")
    fl = fl + sfl
    A("* Flags (disagreements beyond the stated tolerances): " + ("none." if not fl else ""))
    for f in fl:
        A(f"  * {f}")
    follow = followup_rows(flagged_comparisons(ge_rows, trends, ge_trends))
    if follow:
        A("* The flags re-measured with more seeds (`scripts/follow_up_flags.py`: the same point, model and "
          "base seed, the report's seeds extended at the flagged d, fresh ones at 2d; the flags above stand as "
          "the protocol gave them):")
        for r in follow:
            A(f"  * {'GE' if r.model == 'equivalent' else r.model.upper()} {r.label} m={r.m_sim} {r.quantity}, "
              f"d={r.d}, K={r.seeds}: D = {r.diff:+.2e} "
              f"± {r.stderr:.1e} (z {r.z:+.1f}, rel. {r.rel:+.1e})")
    watch = [tr for tr in list(ge_trends) + list(trends)
             if tr.fit is not None and tr.fit.resolved and tr.fit.alpha > 0.3 and tr.fit.alpha_lo <= 0.3]
    if watch:
        A("* Not conclusively shrinking (resolved, best alpha > 0.3 but the Δχ² = 1 interval reaches "
          "alpha ≤ 0.3, so a constant gap is not excluded by these data):")
        for tr in watch:
            f, last = tr.fit, max(tr.rows, key=lambda r: r.d)
            A(f"  * {tr.rows[0].model} {tr.label} m={tr.m_sim} {tr.quantity}: alpha = {f.alpha:.2f} "
              f"[{f.alpha_lo:.2f}, {f.alpha_hi:.2f}], D(d={last.d}) = {last.diff:+.1e} ± "
              f"{tr.se_eff[tr.rows.index(last)]:.1e} (rel. {last.rel:+.1e})")
    A("")
    A("## 1. Grid")
    A("")
    A("m ∈ {1, ∞}: per activation a 2^(5−2) fractional factorial design over (ψ_n, ψ_p) ∈ "
      "{(1, 0.5), (2, 1)} (p < n) / {(0.5, 1.5), (1, 3)} (p > n), t ∈ {0.05, 1}, λ ∈ {1e-3, 0.5}, "
      "m ∈ {1, ∞}. Finite m ∈ {2, 3, 5, 10, 50}: 12 points with ψ_p/(mψ_n) ≥ 1.6 or ≤ 0.8 when "
      "λ = 1e-3 (away from the interpolation threshold ψ_p = mψ_n).")
    A("")
    A("| point | activation | ψ_n | ψ_p | m | t | λ | regime |")
    A("|---|---|---|---|---|---|---|---|")
    for p in V.grid():
        A(f"| {p.label} | {p.activation} | {p.psi_n:g} | {p.psi_p:g} | {V.fmt_m(p.m)} | {p.t:g} | {p.lam:g} | "
          f"{p.regime} |")
    A("")
    A("## 2. Gaussian-equivalent simulator vs theory")
    A("")
    A(f"The GE model (derivations/gaussian_equivalence.md) at d = {P['ge_d']} (m = ∞ with the exact noise average). The theory is "
      "derived from this model, so the only expected difference is the finite-d correction. "
      "Criterion: |rel. diff| ≤ 0.3 % or |diff| ≤ 3 SE.")
    A("")
    A(md_ge(ge_rows, P))
    A("")
    if ge_trends:
        A("### GE comparisons failing the criterion: d-trend")
        A("")
        A("Each GE comparison that fails at the fixed d is re-run over d to tell a finite-size correction "
          "(D shrinks with d) from a disagreement (it does not). Columns as in section 3.")
        A("")
        A(md_trends(ge_trends, sorted({r.d for tr in ge_trends for r in tr.rows})))
        A("")
    A("## 3. True nonlinear simulator: finite-size trends")
    A("")
    A("For each series the discrepancy D(d) = theory − sim is fitted as D = c d^(−alpha) by weighted "
      "least squares (alpha profiled on [0, 3]; interval where χ² ≤ χ²_min + 1). The SE shown and used "
      "is max(own SE, pooled SE): with K = 2–3 seeds a sample SE is itself unreliable, so the seed-to-seed "
      "std is fitted over the d of the series as s·d^(−beta) (beta in [0, 1], weighted by the degrees of "
      "freedom; beta = 1 for self-averaging errors), SE_pool = s·d^(−beta)/√K. "
      "Δχ² vs 0 is the "
      "improvement of the fit over D ≡ 0: below ~6 the data do not resolve any discrepancy and alpha "
      "is undetermined (the simulations agree with the theory within their errors at every d). "
      "Points with m = ∞ are simulated at m = 16, 64, 256 and compared with the theory at the same m. "
      "Runs whose estimated cost exceeded the budget were dropped (empty cells).")
    A("")
    A(md_trend_rule())
    A("")
    A(md_trends(trends, ds_all))
    A("")
    A("![finite-size trends](figures/validation_finite_size.png)")
    A("")
    A("*Relative discrepancy |theory − sim|/theory against d (log-log) with SE bars (a bar reaching the "
      "bottom edge means consistent with zero); lines: fitted c d^(−alpha) where resolved; dashed: 1/d "
      "for reference.*")
    A("")
    A("## 4. Approach of finite m to m = ∞")
    A("")
    A("Theory at m = 16, 64, 256 and the true-model simulation at the largest simulated d, next to the "
      "m = ∞ theory.")
    A("")
    A(md_m_approach(trends))
    A("")
    A("![m to infinity](figures/validation_m_to_inf.png)")
    A("")
    A("*Theory vs m (solid), its m = ∞ limit (dotted), true-model simulations at m = 16, 64, 256 "
      "(circles) and the GE m = ∞ simulation (squares, drawn at m = 1400).*")
    A("")
    A("## 5. Learning curves")
    A("")
    A("![learning curves](figures/validation_learning_curves.png)")
    A("")
    A(f"*tanh, ψ_n = 1, λ = 1e-3: theory (lines) and simulations (markers ± SE). m = 1: true model at "
      f"d = {P['curve_d']}; m = ∞: GE model with exact noise average at d = {P['curve_d']} (squares) and "
      f"the true model at m = {P['curve_inf_m']}, d = {P['curve_inf_d']} (triangles; dashed lines: "
      f"theory at m = {P['curve_inf_m']}).*")
    A("")
    if strends:
        section_structured_md(A, meta, strends, sfl)
    A("## 7. Discussion")
    A("")
    A(DISCUSSION_PLACEHOLDER)
    A("")
    A("## Data")
    A("")
    A("`docs/data/validation_ge.csv`, `docs/data/validation_true.csv`, `docs/data/validation_structured.csv` "
      "(one row per comparison: point, simulated m, model, d, seeds, quantity, theory, sim mean, SE, seconds, "
      "data spectrum, diff, rel, z), `docs/data/validation_fits.csv` (power-law fits).")
    return "\n".join(lines) + "\n", fl


DISCUSSION_PLACEHOLDER = "@@DISCUSSION@@"


def section_structured_md(A, meta, strends, sfl):
    """Section 6: structured data (derivations/structured_data.md §8)."""
    ds = sorted({r.d for tr in strends for r in tr.rows})
    A("## 6. Structured data: data covariance spectra")
    A("")
    quick = meta.get("structured_quick", meta["quick"])
    sims = {(r.label, r.m_sim, r.d): r.seconds for tr in strends for r in tr.rows}
    if meta.get("structured_extended"):
        A(f"*Wall time of this section's {len(sims)} simulations (all seeds), summed: {sum(sims.values()) / 60:.0f} min "
          f"(single processes on a shared machine); the last run (`--extend`: tracked rows reused, only the seeds "
          f"added by the protocol simulated) took {meta['structured_runtime_s'] / 60:.1f} min"
          + cost_note(meta, "structured_") + (" (quick protocol: a smoke run)" if quick else "") + ".*")
    else:
        A(f"*Runtime of this section {meta.get('structured_runtime_s', math.nan) / 60:.1f} min"
          + cost_note(meta, "structured_") + (" (quick protocol: a smoke run)" if quick else "") + ".*")
    A("")
    A("Data x ~ N(0, Σ) with the limiting spectra below (derivations/structured_data.md): the theory "
      "`rmt_dsm.errors(..., sigma=...)` against the true nonlinear simulator, whose Σ has the d eigenvalues "
      "round(w_k d) × l_k (atoms) or the quantiles l((i − 1/2)/d) (power law l(u) = (1 − α) u^(−α)) in a "
      "Haar-random basis. Same protocol as section 3 (SE = max(own, pooled), fit D = c d^(−alpha)); "
      "score = test − F_pop is compared too. As m = ∞ points are compared with the theory at the simulated m "
      "(m = 16 and 64; the m = ∞ theory is listed next to them), every point is compared with the theory at "
      "the spectrum the simulator realizes at d (its d eigenvalues as atoms, "
      "`rmt_dsm.validation.Point.simulated_sigma`). The difference from the limiting spectrum is a property "
      "of the discretization, listed in the second table: for atoms only the rounding of w_k d (zero when "
      "w_k d is an integer); for the power law the d quantiles have tr Σ/d = 1 − 0.30 d^(−1/2), a bias that "
      "decays only as d^(−1/2) and would otherwise dominate the trend of the power-law points.")
    A("")
    A(md_structured_grid())
    A("")
    A(md_trends(strends, ds, relative=True))
    A("")
    A("Discretization of the spectrum: (theory at the limiting spectrum − theory at the simulated spectrum)"
      "/theory, test error, at the simulated m (rows with a non-zero difference).")
    A("")
    A("| point | Σ | m sim | " + " | ".join(f"d={d}" for d in ds) + " |")
    A("|---|---|---|" + "---|" * len(ds))
    for tr in strends:
        if tr.quantity != "test":
            continue
        pt = V.point(tr.label)
        limit = V.theory(pt, int(tr.m_sim))["test"]
        by_d = {r.d: (limit - r.theory) / abs(limit) for r in tr.rows}
        if any(v != 0 for v in by_d.values()):
            A(f"| {tr.label} | {pt.sigma} | {tr.m_sim} | " + " | ".join(
                f"{by_d[d]:+.1e}" if d in by_d else "" for d in ds) + " |")
    A("")
    inf_rows = {}
    for tr in strends:
        if V.point(tr.label).m == math.inf and tr.quantity == "test":
            last = max(tr.rows, key=lambda r: r.d)
            inf_rows.setdefault(tr.label, []).append(last)
    if inf_rows:
        A("m = ∞ points, test error: theory at the simulated m / simulation at its largest d, and the m = ∞ "
          "theory.")
        A("")
        A("| point | " + " | ".join(f"m={m}: theory / sim (d)" for m in (16, 64)) + " | theory m=∞ |")
        A("|---|---|---|---|")
        for lb, rows in inf_rows.items():
            cells = {r.m_sim: f"{r.theory:.5f} / {pm(r.mean, r.stderr)} ({r.d})" for r in rows}
            A(f"| {lb} | {cells.get('16', '')} | {cells.get('64', '')} | {rows[0].theory_point:.5f} |")
        A("")
    A("![structured data: finite-size trends](figures/validation_structured.png)")
    A("")
    A("*Structured data: relative discrepancy |theory − sim|/theory against d (log-log) with SE bars; "
      "lines: fitted c d^(−alpha) where resolved; dashed: 1/d.*")
    A("")
    fitted = [tr for tr in strends if tr.fit is not None]
    res = [tr for tr in fitted if tr.fit.resolved]
    if res:
        al = [tr.fit.alpha for tr in res]
        A(f"{len(res)} of {len(fitted)} fitted series resolve a discrepancy (Δχ² vs 0 ≥ 6): fitted exponents median "
          f"{np.median(al):.2f}, range {min(al):.2f}–{max(al):.2f} (a constant gap would give alpha ≈ 0).")
        A("")
    if len(res) < len(fitted):
        z, lb = max((abs(tr.z_eff(tr.rows[-1])), f"{tr.label} m={tr.m_sim} {tr.quantity}")
                    for tr in fitted if not tr.fit.resolved)
        A(f"The other {len(fitted) - len(res)} agree with the theory within their noise (largest |D|/SE at the "
          f"largest d: {z:.1f}, {lb}).")
        A("")
    A("Seeds per d (`rmt_dsm.validation.STRUCTURED_PLANS`): with 3 seeds at d ≥ 1000, three series (S3 m=4 test, "
      "S4 m=16 train, S10 m=64 test) were flagged (2.6–4.3 SE at their largest d, no decay over d; data of "
      "commit 1252f8b). The protocol "
      "now runs 6 seeds at the two largest d of every finite-m simulation and 12 at m = 16, d = 2000, where the "
      "seed-to-seed spread of the m = ∞ points falls more slowly than 1/d (the seed indices are nested: the "
      "added seeds are fresh draws). S3 and S10 then agreed within their noise; S4 at m = 16 did not (below). "
      "Until commit e0b0d38 every simulation used base seed 0, so the points sharing (ψ_n, ψ_p, m, d) shared "
      "their draws seed by seed (the m = ∞ points S4, S10, S15 had correlated deviations); each point now has "
      "its own base seed (`Point.seed`, 1000 + its number).")
    A("")
    A(md_replicates(strends))
    s4 = {r.quantity: r for tr in strends for r in tr.rows if (tr.label, tr.m_sim, r.d) == ("S4", "16", 2000)}
    if s4:
        A("S4 at m = 16: in the run of e0b0d38 (base seed 0, 12 seeds at d = 2000) it was flagged by the former rule "
          "(train D = +1.56e-4 ± 3.5e-5, test +1.06e-4 ± 3.8e-5 with the SE of section 3, no trend over d; the base-seed-0 row of the table "
          "above recomputes these draws). Neither the independent replicates (base seeds 1, 2; d = 4000) nor the "
          f"protocol's own draws now (base seed {s4['train'].seed}: train {s4['train'].diff:+.1e} ± "
          f"{s4['train'].stderr:.1e}, test {s4['test'].diff:+.1e} ± {s4['test'].stderr:.1e}) reproduce it. The pooled "
          "column gives all the seeds run at d = 2000, including the base-seed-0 draws that were singled out by their "
          "flag; without them" + _pooled_without_seed0(s4) + ". The former flag rule (Δχ² ≥ 6, 4 SE) expected 0.8–1.9 false "
          "flags per slow run (section 3); the rule in use, calibrated before this run, expects ≤ 0.05. A "
          "finite-size residual of order 1e-4 at d = 2000 (3e-4 relative) remains possible; no discrepancy of the "
          "theory is resolved.")
        A("")
    A("Flags in this section: " + ("none." if not sfl else "; ".join(sfl)))
    A("")


def md_trend_rule() -> str:
    """The flag rule of the d-trends and its a priori calibration (docs/data/trend_rule_calibration.json,
    scripts/calibrate_trend_rule.py)."""
    out = [f"**Flag rule** (`rmt_dsm.validation.trend_alarm`, the same function as the slow tests'): a series is "
           f"flagged when a significant discrepancy (Δχ² vs 0 ≥ {V.FLAG_DCHI2:g}) does not shrink with d (fitted "
           f"alpha ≤ 0.3), or when at some d |D| > {V.FLAG_N_SE:g} SE + the fitted remainder |c| d^(−alpha) (counted "
           "only for a resolved fit, Δχ² ≥ 6, that shrinks). Its thresholds were chosen before the runs, from "
           "simulated pure-noise trends with the protocol's plans (`rmt_dsm.validation.alarm_rate`): the "
           f"smallest on the grid with ≤ {V.FAMILY_FALSE_ALARM:g} expected false flags per slow run when the seed "
           "spread falls as d^(−0.75) or d^(−1) (the tracked structured data: median beta 0.96)."]
    if not os.path.exists(CALIBRATION):
        return out[0]
    with open(CALIBRATION) as fh:
        cal = json.load(fh)
    rows = {(6.0, 4.0): "former thresholds (until e0b0d38)", (V.FLAG_DCHI2, V.FLAG_N_SE): "rule in use"}
    out += ["", f"Expected false flags per slow run ({cal['tests']} tests; {cal['trials']} noise trends per plan; "
                "`scripts/calibrate_trend_rule.py`):", "",
            "| rule | Δχ² | n_se | " + " | ".join(f"beta = {b}" for b in cal["expected_false_flags"]) + " |",
            "|---|---|---|" + "---|" * len(cal["expected_false_flags"])]
    for (dc, ns), name in rows.items():
        i, j = cal["dchi2"].index(dc), cal["n_se"].index(ns)
        out.append(f"| {name} | {dc:g} | {ns:g} | " + " | ".join(f"{e[i][j]:.3f}" for e in cal["expected_false_flags"].values()) + " |")
    out += ["", "Power (same function, m = 16 plan): a constant discrepancy of 8 SE at d = 2000 is flagged in ~80 % of "
                "runs, 5 SE in ~45 %; a finite-size bias c/d of 30 SE at d = 250 almost never "
                "(tests/test_validation.py)."]
    return "\n".join(out)


def _replicates(exclude_seed=None) -> list:
    """The replicate records (`REPLICATES`), without those of base seed ``exclude_seed``."""
    if not os.path.exists(REPLICATES):
        return []
    with open(REPLICATES) as fh:
        return [rec for rec in json.load(fh) if rec["seed"] != exclude_seed]


def _pooled(r, recs, q):
    """(mean, SE, K): the protocol's row ``r`` (None: not run) pooled with the per-seed values of quantity ``q``
    of the replicate records ``recs`` (`rmt_dsm.validation.pool_seeds`)."""
    values = [v for rec in recs for v in rec[q]["per_seed"]]
    if r is None:
        return float(np.mean(values)), float(np.std(values, ddof=1) / math.sqrt(len(values))), len(values)
    return (*V.pool_seeds(r.mean, r.stderr, r.seeds, values), r.seeds + len(values))


def _pooled_without_seed0(rows) -> str:
    """', the K seeds give train D = ... ± ..., test ...': the protocol's rows ``rows`` ({quantity: Row}) pooled
    with the replicates at the same (point, m, d) other than base seed 0 (`REPLICATES`)."""
    parts, k = [], 0
    for q in ("train", "test"):
        r = rows[q]
        recs = [rec for rec in _replicates(exclude_seed=0) if (rec["label"], rec["m_sim"], rec["d"]) == (r.label, r.m_sim, r.d)]
        mean, se, k = _pooled(r, recs, q)
        parts.append(f"{q} D = {r.theory - mean:+.1e} ± {se:.1e} ({(r.theory - mean) / se:+.1f} SE)")
    return f", the {k} seeds give " + ", ".join(parts)


def md_replicates(strends) -> str:
    """Series re-measured on other draws (other base seeds, `REPLICATES`; base seed 0 = the protocol's draws
    until e0b0d38) next to the protocol's rows, and all their seeds pooled (`rmt_dsm.validation.pool_seeds`)."""
    recs = _replicates()
    if not recs:
        return ""
    proto = {(r.label, r.m_sim, r.d, r.quantity): r for tr in strends for r in tr.rows}
    groups = {}
    for rec in recs:
        for q in V.STRUCTURED_QUANTITIES[:2]:
            groups.setdefault((rec["label"], rec["m_sim"], rec["d"], q), []).append(rec)
    lines = ["Replicates on draws independent of the protocol's (`scripts/structured_replicate.py`, "
             "`docs/data/validation_structured_replicates.json`): D = theory − sim ± SE (base seed, seeds; base seed 0 "
             "is the protocol's draws until commit e0b0d38); the protocol's value (its base seed) where it ran that d; "
             "all these seeds pooled.", "",
             "| point | m sim | d | quantity | independent draws | protocol | pooled |",
             "|---|---|---|---|---|---|---|"]
    for (label, m_sim, d, q), rs in groups.items():
        own = "; ".join(f"{rec[q]['diff']:+.2e} ± {rec[q]['se']:.1e} ({rec['seed']}, {rec['seeds']})" for rec in rs)
        th = rs[0][q]["theory"]
        r = proto.get((label, m_sim, d, q))
        mean, se, k = _pooled(r, rs, q)
        other = "not run" if r is None else f"{r.diff:+.2e} ± {r.stderr:.1e} ({r.seed}, {r.seeds})"
        lines.append(f"| {label} | {m_sim} | {d} | {q} | {own} | {other} | {th - mean:+.2e} ± {se:.1e} (K={k}) |")
    return "\n".join(lines) + "\n"


def discussion(ge_rows, trends, fl, ge_trends=()) -> str:
    """A short factual discussion computed from the results."""
    parts = []
    worst_ge = max(ge_rows, key=lambda r: abs(r.rel))
    n_z = sum(abs(r.z) > 3 for r in ge_rows)
    n_rel_only = sum(abs(r.z) > 3 and abs(r.rel) <= 3e-3 for r in ge_rows)
    parts.append(f"* GE model at d = {ge_rows[0].d}: largest |rel. diff| {abs(worst_ge.rel):.2e} "
                 f"({worst_ge.label}, {worst_ge.quantity}); {n_z} of {len(ge_rows)} comparisons are more than "
                 f"3 SE away, {n_rel_only} of them within 0.3 %. The median SE at this d is "
                 f"{np.median([r.stderr for r in ge_rows]):.1e}, so an O(1/d) finite-size bias of that "
                 "order is resolved; the d-trends decide "
                 "whether a difference is finite-size (shrinks with d) or a disagreement.")
    if ge_trends:
        shr = [tr for tr in ge_trends if tr.fit is not None and tr.fit.resolved and tr.fit.alpha > 0.3]
        txt = ", ".join(f"{tr.label} {tr.quantity}: c = {tr.fit.c:+.2g}, alpha = {tr.fit.alpha:.2f}" for tr in shr)
        parts.append(f"* The GE comparisons failing the criterion were re-run over d: {len(shr)} of "
                     f"{len(ge_trends)} series show a resolved discrepancy that shrinks with d ({txt or 'none'}); "
                     "any other is not resolved above the noise (see the flags for any exception).")
    res = [tr for tr in trends if tr.fit is not None and tr.fit.resolved]
    unres = [tr for tr in trends if tr.fit is not None and not tr.fit.resolved]
    if res:
        al = [tr.fit.alpha for tr in res]
        parts.append(f"* True model: {len(res)} series have a discrepancy resolved above the noise; fitted "
                     f"exponents median {np.median(al):.2f}, range {min(al):.2f}–{max(al):.2f} (a constant "
                     "gap would give alpha ≈ 0). Largest finite-size corrections at d = 1000 (|c| 1000^-alpha): " +
                     ", ".join(f"{tr.label} m={tr.m_sim} {tr.quantity} {tr.fit.remainder(1000):.1e}" for tr in
                               sorted(res, key=lambda tr: -tr.fit.remainder(1000))[:4]) + ".")
    if unres:
        parts.append(f"* {len(unres)} fitted true-model series show no discrepancy resolved above the noise "
                     "(Δχ² vs 0 < 6): agreement within the simulation error at every d; their exponent is "
                     "undetermined. Series with fewer than 3 dimensions (expensive m or ψ_p) are not fitted; "
                     "their rows in section 3 are direct comparisons.")
    parts.append("* m = ∞: the true nonlinear model cannot be averaged exactly over the noise; it is simulated "
                 "at m = 16, 64, 256 and compared with the theory at the same m (section 3), the finite-m "
                 "theory converges to the m = ∞ value (section 4), which is itself checked against the GE "
                 "simulator with the exact noise average (section 2).")
    if fl:
        parts.append(f"* **{len(fl)} flag(s)** are listed in the summary; each GE flag carries its d-trend.")
    else:
        parts.append("* No comparison disagrees beyond its stated tolerance.")
    parts.append("* Limits: Gaussian data (Σ = I in sections 1–5, the spectra of section 6) and the OU schedule only; d ≤ 2000; λ ≥ 1e-3 "
                 "(λ → 0 at the threshold ψ_p = mψ_n excluded by design); the tanh test error carries "
                 "Monte-Carlo noise; standard errors from 2–4 seeds are themselves uncertain (Student t).")
    return "\n".join(parts)


def write_fits(path, trends):
    import csv

    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["label", "m_sim", "quantity", "c", "alpha", "alpha_lo", "alpha_hi", "chi2", "dof",
                    "chi2_zero", "resolved"])
        for tr in trends:
            f = tr.fit
            if f is None:
                continue
            w.writerow([tr.label, tr.m_sim, tr.quantity, repr(f.c), f.alpha, f.alpha_lo, f.alpha_hi,
                        repr(f.chi2), f.dof, repr(f.chi2_zero), f.resolved])


def main(argv=None):
    global DOCS, FIG, DATA
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="reduced protocol (a few minutes)")
    ap.add_argument("--write", action="store_true", help="write into docs/ (tracked files)")
    ap.add_argument("--out", default=None, help="output docs directory (default: docs/ with --write, "
                                                "else a new temporary directory)")
    ap.add_argument("--from-data", action="store_true",
                    help="re-render validation.md and the trend / m figures from docs/data/*.csv "
                         "without simulating (the learning-curve figure is kept)")
    ap.add_argument("--structured-only", action="store_true",
                    help="simulate only the structured-data section (6); the other sections are re-rendered "
                         "from docs/data/*.csv")
    ap.add_argument("--extend", action="store_true",
                    help="with --structured-only: reuse the tracked structured rows whose (point, m, d) the "
                         "protocol still runs with as many seeds, and simulate only the seeds it adds (seed "
                         "indices are nested, so the rows equal those of a full run)")
    ap.add_argument("--skip-structured", action="store_true",
                    help="simulate sections 1-4 only; section 6 is re-rendered from docs/data/*.csv "
                         "(its runtime record is kept)")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores; 1: serial)")
    ap.add_argument("--backend", choices=("joblib", "dask"), default="joblib",
                    help="local processes (joblib, default) or an existing dask.distributed cluster")
    ap.add_argument("--scheduler", default=None, metavar="ADDRESS", help="dask scheduler address (--backend dask)")
    args = ap.parse_args(argv)
    RUN.update(jobs=args.jobs, backend=args.backend, scheduler=args.scheduler)
    source_data = DATA  # the tracked data, read by --from-data
    DOCS = args.out or (DOCS if args.write else tempfile.mkdtemp(prefix="rmt_dsm_validation_"))
    FIG, DATA = os.path.join(DOCS, "figures"), os.path.join(DOCS, "data")
    if not args.write and args.out is None:
        log(f"output directory (use --write to update docs/): {DOCS}")
    os.makedirs(FIG, exist_ok=True)
    os.makedirs(DATA, exist_ok=True)
    P = protocol(args.quick)
    meta_path = os.path.join(DATA, "validation_meta.json")
    if args.from_data or args.structured_only:
        meta, ge_rows, ge_trends, trends, strends = load_tracked(source_data)
        P = protocol(meta["quick"])
        if args.structured_only:
            previous = [r for tr in strends for r in tr.rows] if args.extend else None
            strends, record = structured_run(dict(P, struct_plans=protocol(args.quick)["struct_plans"]), args,
                                             previous)
            meta.update(record, structured_extended=bool(args.extend))
            with open(meta_path, "w") as fh:
                json.dump(meta, fh)
        else:
            fig_trends(trends, ge_trends)
            fig_m_approach(trends, ge_rows)
        if strends:
            fig_structured(strends)
        write_fits(os.path.join(DATA, "validation_fits.csv"), ge_trends + trends + strends)
        finish(P, meta, ge_rows, trends, ge_trends, strends)
        return
    start = run_start()
    ge_rows = section_ge(P)
    V.write_csv(os.path.join(DATA, "validation_ge.csv"), ge_rows)
    ge_trends = section_ge_followup(P, ge_rows)
    V.write_csv(os.path.join(DATA, "validation_ge_trends.csv"), [r for tr in ge_trends for r in tr.rows])
    trends = section_trends(P)
    V.write_csv(os.path.join(DATA, "validation_true.csv"), [r for tr in trends for r in tr.rows])
    panels = section_curves(P)
    meta = run_record("", start, args)  # sections 1-4
    meta["quick"] = args.quick
    if args.skip_structured:
        tracked = load_tracked(source_data)
        strends = tracked[4]
        meta.update({k: v for k, v in tracked[0].items() if k.startswith("structured_")})
        if strends:
            V.write_csv(os.path.join(DATA, "validation_structured.csv"), [r for tr in strends for r in tr.rows])
    else:
        strends, record = structured_run(P, args)
        meta.update(record)
    write_fits(os.path.join(DATA, "validation_fits.csv"), ge_trends + trends + strends)
    fig_curves(panels, P)
    fig_trends(trends, ge_trends)
    fig_m_approach(trends, ge_rows)
    if strends:
        fig_structured(strends)
    with open(meta_path, "w") as fh:
        json.dump(meta, fh)
    finish(P, meta, ge_rows, trends, ge_trends, strends)


def run_start() -> tuple:
    """(wall clock, CPU seconds, load average) at the start of a run, for `run_record`."""
    return time.perf_counter(), cpu_seconds(), os.getloadavg()


def run_record(prefix, start, args) -> dict:
    """Wall time, CPU time (this process and its workers), workers and load average of a run that
    started at ``start`` (`run_start`), under keys ``prefix + "runtime_s"`` etc."""
    t0, cpu0, load0 = start
    return {prefix + "runtime_s": time.perf_counter() - t0, prefix + "cpu_s": cpu_seconds() - cpu0,
            prefix + "jobs": args.jobs or default_jobs(), prefix + "load_start": load0,
            prefix + "load_end": os.getloadavg()}


def structured_run(P, args, previous=None) -> tuple:
    """Section 6 simulated (extending the rows ``previous`` by their added seeds, if given) and written
    to validation_structured.csv: (structured trends, its run record with keys ``structured_*``)."""
    start = run_start()
    strends = section_structured(P, previous)
    V.write_csv(os.path.join(DATA, "validation_structured.csv"), [r for tr in strends for r in tr.rows])
    return strends, dict(run_record("structured_", start, args), structured_quick=args.quick)


def load_tracked(data):
    """meta, GE rows, GE trends, true-model trends and structured trends from the CSVs in ``data``
    (no structured trends if that file does not exist yet)."""
    with open(os.path.join(data, "validation_meta.json")) as fh:
        meta = json.load(fh)
    ge_rows = V.read_csv(os.path.join(data, "validation_ge.csv"))
    ge_trends = trends_from_rows(V.read_csv(os.path.join(data, "validation_ge_trends.csv")))
    trends = trends_from_rows(V.read_csv(os.path.join(data, "validation_true.csv")))
    path = os.path.join(data, "validation_structured.csv")
    strends = trends_from_rows(V.read_csv(path)) if os.path.exists(path) else []
    return meta, ge_rows, ge_trends, trends, strends


def trends_from_rows(rows):
    """Rebuild the d-trends (and their fits) from CSV rows, in file order."""
    out = {}
    for r in rows:
        out.setdefault((r.label, r.m_sim, r.quantity), V.Trend(r.label, r.m_sim, r.quantity)).rows.append(r)
    for tr in out.values():
        if len(tr.rows) >= 3:
            tr.fit = V.fit_power_law(tr.ds, [r.diff for r in tr.rows], tr.se_eff)
    return list(out.values())


def finish(P, meta, ge_rows, trends, ge_trends, strends=()):
    runtime = meta["runtime_s"]
    text, fl = write_report(P, meta, ge_rows, trends, ge_trends, strends)
    text = text.replace(DISCUSSION_PLACEHOLDER, discussion(ge_rows, trends, fl, ge_trends))
    with open(os.path.join(DOCS, "validation.md"), "w") as fh:
        fh.write(text)
    log(f"wrote {os.path.join(DOCS, 'validation.md')} ({runtime / 60:.1f} min); flags: {len(fl)}")
    for f in fl:
        log("FLAG " + f)


if __name__ == "__main__":
    main()
