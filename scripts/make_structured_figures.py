#!/usr/bin/env python
"""Figures and numbers of the structured-data science page (docs/structured_data.md), from the theory.

Writes docs/figures/structured_*.png and docs/figures/structured_numbers.json:

- structured_psi_d_curves   learning curves in psi_p for psi_D = 1, 0.5, 0.25, 0.1 (m = 1, 4, inf)
- structured_spread_curves  spectra of increasing spread at tr(Sigma)/d = 1: two atoms 1 -+ s, power laws
- structured_threshold      where the test-error peak sits (lambda -> 0) and the strength of the divergence
- structured_vs_psi_d       E_score and the generalization gap against psi_D at fixed psi_p
- structured_crossover      where memorization sets in (relative gap 1/2) and where E_score is smallest,
                            against psi_D, for m = 1, 4, inf; psi_D at unit variance and at fixed trace

Data on a subspace is ``psi_d(x)`` = ``--psi-d X``: a fraction psi_D of the directions with unit variance,
the rest 0 (so tr(Sigma)/d = psi_D).  Everything is the double-precision theory (tanh, OU schedule,
psi_n = 1, t = 0.1).  Runtime: a few minutes on one core.  The tracked files are written only with
``--write``; otherwise to ``--out DIR`` (default: a new temporary directory).

    .venv/bin/python scripts/make_structured_figures.py [--write | --out DIR]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import brentq, minimize_scalar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rmt_dsm  # noqa: E402
from rmt_dsm.api import ThresholdDivergence  # noqa: E402
from rmt_dsm.data_spectrum import atoms, power_law, psi_d  # noqa: E402

OUT = ROOT / "docs" / "figures"
NUM: dict = {}
T, PSI_N, LAM = 0.1, 1.0, 1e-4
PSI_DS = (1.0, 0.5, 0.25, 0.1)
MS = (1, 4, math.inf)
SPREADS = (0.0, 0.5, 0.9, 1.0)   # two atoms (1/2, 1 - s), (1/2, 1 + s)
ALPHAS = (0.0, 0.3, 0.6, 0.8)    # power laws l(u) = (1 - alpha) u^-alpha
COLORS = ("k", "tab:blue", "tab:orange", "tab:red")


def two_atoms(s):
    return atoms([(0.5, 1 - s), (0.5, 1 + s)], label=f"two atoms 1-+{s:g}")


def curve(values, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        res = rmt_dsm.learning_curve("psi_p", list(values), **kw)
    return {k: np.array([float(getattr(e, k)) for e in res]) for k in ("train", "test", "score", "floor", "gap")}


def test_error(psi_p, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        return float(rmt_dsm.errors(psi_n=PSI_N, psi_p=psi_p, t=T, **kw).test)


def save(fig, name):
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / f"{name}.png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {OUT / name}.png", flush=True)


def peak(m, lam, sigma):
    """psi_p of the interior maximum of E_test near m psi_n (None if E_test has none there)."""
    grid = m * PSI_N * np.geomspace(0.5, 2.0, 41)
    te = curve(grid, psi_n=PSI_N, m=m, t=T, lam=lam, sigma=sigma)["test"]
    i = int(np.argmax(te))
    if i in (0, len(grid) - 1):
        return None
    res = minimize_scalar(lambda u: -test_error(math.exp(u), m=m, lam=lam, sigma=sigma),
                          bounds=(math.log(grid[i - 1]), math.log(grid[i + 1])), method="bounded",
                          options={"xatol": 1e-6})
    return math.exp(res.x)


def residue(m, sigma, eps=1e-4):
    """lim eps E_test at psi_p = m psi_n (1 -+ eps), lambda = 0: (below, above)."""
    return tuple(eps * test_error(m * PSI_N * (1 + s * eps), m=m, lam=0.0, sigma=sigma) for s in (-1, 1))


# ----------------------------------------------------------------------------- figures

def fig_psi_d_curves():
    pp = np.geomspace(0.05, 20, 90)
    fig, ax = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
    NUM["psi_d_curves"] = {}
    for j, m in enumerate(MS):
        for pd, col in zip(PSI_DS, COLORS):
            c = curve(pp, psi_n=PSI_N, m=m, t=T, lam=LAM, sigma=psi_d(pd))
            ax[0, j].plot(pp, c["test"], color=col, label=f"test, psi_D={pd:g}")
            ax[0, j].plot(pp, c["train"], color=col, ls="--", lw=1)
            ax[0, j].axhline(c["floor"][0], color=col, ls=":", lw=0.8)
            ax[1, j].plot(pp, c["score"], color=col, label=f"psi_D={pd:g}")
            i = int(np.argmin(c["score"]))
            NUM["psi_d_curves"][f"m={m} psi_D={pd:g}"] = {
                "floor": c["floor"][0], "min_score": c["score"][i], "argmin_score": pp[i],
                "max_test": float(np.max(c["test"])), "argmax_test": pp[int(np.argmax(c["test"]))]}
        mt = "inf" if m == math.inf else m
        ax[0, j].set(xscale="log", yscale="log", title=f"m = {mt}: test (solid), train (dashed), floor (dotted)")
        ax[1, j].set(xscale="log", yscale="log", xlabel="psi_p", title=f"m = {mt}: E_score")
        if m != math.inf:
            for a in ax[:, j]:
                a.axvline(m * PSI_N, color="gray", lw=0.6)
        ax[0, j].legend(fontsize=7)
    fig.suptitle(f"data on a subspace, psi_n = {PSI_N:g}, t = {T:g}, lambda = {LAM:g}, tanh")
    save(fig, "structured_psi_d_curves")


def fig_spread_curves():
    pp = np.geomspace(0.05, 20, 70)
    fig, ax = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    NUM["spread_curves"] = {}
    families = [("two atoms 1 -+ s", [(f"s={s:g}", two_atoms(s)) for s in SPREADS]),
                ("power law (1-alpha) u^-alpha", [(f"alpha={al:g}", power_law(al, order=32)) for al in ALPHAS])]
    for i, (fam, members) in enumerate(families):
        for j, m in enumerate((1, math.inf)):
            for (lab, sig), col in zip(members, COLORS):
                c = curve(pp, psi_n=PSI_N, m=m, t=T, lam=LAM, sigma=sig)
                ax[i, j].plot(pp, c["score"], color=col, label=f"{lab} (floor {c['floor'][0]:.3f})")
                k = int(np.argmin(c["score"]))
                NUM["spread_curves"][f"{fam} {lab} m={m}"] = {
                    "floor": c["floor"][0], "min_score": c["score"][k], "argmin_score": pp[k],
                    "score_at_0.5": float(np.interp(math.log(0.5), np.log(pp), c["score"])),
                    "score_at_4": float(np.interp(math.log(4), np.log(pp), c["score"]))}
            ax[i, j].set(xscale="log", yscale="log", title=f"{fam}, m = {'inf' if m == math.inf else m}: E_score")
            if m != math.inf:
                ax[i, j].axvline(m * PSI_N, color="gray", lw=0.6)
            ax[i, j].legend(fontsize=7)
    for a in ax[1]:
        a.set_xlabel("psi_p")
    fig.suptitle(f"tr(Sigma)/d = 1, increasing spread; psi_n = {PSI_N:g}, t = {T:g}, lambda = {LAM:g}")
    save(fig, "structured_spread_curves")


def fig_threshold():
    lams = (1e-2, 1e-3, 1e-4, 1e-5)
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.3))
    NUM["peak"], NUM["residue"] = {}, {}
    spectra = [(f"psi_D={pd:g}", psi_d(pd)) for pd in PSI_DS] + [("two atoms s=0.9", two_atoms(0.9)),
                                                                    ("power law alpha=0.6", power_law(0.6, order=32))]
    for m, mk in ((1, "o"), (4, "s")):
        for (lab, sig), col in zip(spectra, COLORS + ("tab:green", "tab:purple")):
            locs = [peak(m, lam, sig) for lam in lams]
            NUM["peak"][f"m={m} {lab}"] = dict(zip(map(str, lams), locs))
            ok = [(lam, loc) for lam, loc in zip(lams, locs) if loc is not None]
            if ok:
                ax[0].plot([a for a, _ in ok], [b / (m * PSI_N) for _, b in ok], mk + "-", color=col, ms=4,
                           label=f"m={m}, {lab}")
            NUM["residue"][f"m={m} {lab}"] = residue(m, sig)
    ax[0].axhline(1, color="gray", lw=0.6)
    ax[0].set(xscale="log", xlabel="lambda", ylabel="argmax E_test / (m psi_n)",
              title="location of the test-error peak (missing: no interior maximum)")
    ax[0].legend(fontsize=6.5, ncol=2)
    grid = np.linspace(0.05, 1, 20)
    for m, mk in ((1, "o"), (4, "s")):
        r = [residue(m, psi_d(x))[1] for x in grid]
        NUM["residue"][f"m={m} psi_D grid"] = dict(zip(map(float, grid), r))
        ax[1].plot(grid, r, mk + "-", ms=3, label=f"m={m}: lim eps E_test(m psi_n (1+eps))")
    pop = [float(rmt_dsm.errors(psi_n=1e6, psi_p=PSI_N, m=1, t=T, sigma=psi_d(x)).test) for x in grid]
    ax[1].plot(grid, pop, "k:", label="m=1: E_test at psi_n -> inf, psi_p = psi_n")
    ax[1].set(xlabel="psi_D", ylabel="residue A", title="strength of the divergence E_test ~ A/|1 - psi_p/(m psi_n)|")
    ax[1].legend(fontsize=7)
    save(fig, "structured_threshold")


def fig_vs_psi_d():
    grid = np.linspace(0.05, 1, 39)
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.3))
    NUM["vs_psi_d"] = {}
    for (m, pp), col in zip([(1, 0.5), (1, 2.0), (4, 2.0), (math.inf, 0.5), (math.inf, 4.0)],
                            ("tab:blue", "tab:red", "tab:orange", "tab:green", "k")):
        rows = [rmt_dsm.errors(PSI_N, pp, m, t=T, lam=LAM, sigma=psi_d(x)) for x in grid]
        sc = np.array([float(e.score) for e in rows])
        gap = np.array([float(e.gap) for e in rows])
        fl = np.array([float(e.floor) for e in rows])
        lab = f"m={'inf' if m == math.inf else m}, psi_p={pp:g}"
        ax[0].plot(grid, sc, color=col, label=lab)
        ax[0].plot(grid, sc / fl, color=col, ls="--", lw=1)
        ax[1].plot(grid, gap, color=col, label=lab)
        NUM["vs_psi_d"][lab] = {"psi_D": grid.tolist(), "score": sc.tolist(), "gap": gap.tolist(),
                                "floor": fl.tolist()}
    ax[0].set(xlabel="psi_D", yscale="log", title="E_score (solid) and E_score / F_pop (dashed)")
    ax[1].set(xlabel="psi_D", yscale="log", title="generalization gap E_test - E_train")
    for a in ax:
        a.legend(fontsize=7)
    fig.suptitle(f"psi_n = {PSI_N:g}, t = {T:g}, lambda = {LAM:g}")
    save(fig, "structured_vs_psi_d")


def fixed_trace(x):
    """Data on a subspace at tr(Sigma)/d = 1: a fraction x of the directions with variance 1/x."""
    return atoms([(x, 1 / x), (1 - x, 0)] if x < 1 else [(1, 1)], label=f"fixed trace psi_D={x:g}")


def relative_gap(psi_p, m, sigma):
    e = rmt_dsm.errors(PSI_N, psi_p, m, t=T, lam=LAM, sigma=sigma)
    return float(e.gap) / float(e.test)


def onset(m, sigma):
    """Smallest psi_p where the relative gap reaches 1/2 (None if it does not below psi_p = 1000)."""
    top = m * PSI_N * (1 - 1e-6) if m != math.inf else 1000.0
    grid = np.geomspace(0.02, top, 60)
    r = np.array([relative_gap(x, m, sigma) for x in grid])
    above = np.nonzero(r >= 0.5)[0]
    if above.size == 0:
        return None
    i = int(above[0])
    if i == 0:
        return float(grid[0])
    return math.exp(brentq(lambda u: relative_gap(math.exp(u), m, sigma) - 0.5, math.log(grid[i - 1]),
                           math.log(grid[i]), xtol=1e-9))


def fig_crossover():
    grid = (1.0, 0.75, 0.5, 0.35, 0.25, 0.15, 0.1, 0.05)
    fig, ax = plt.subplots(1, 2, figsize=(12, 4.3))
    NUM["crossover"] = {}
    for conv, make, ls in (("unit variance", psi_d, "-"), ("fixed trace", fixed_trace, "--")):
        for m, col in zip((1, 4, math.inf), ("tab:blue", "tab:orange", "k")):
            ons = [onset(m, make(x)) for x in grid]
            pp = np.geomspace(0.05, 200, 120)
            best = []
            for x in grid:
                sc = curve(pp if m == math.inf else pp[pp < m * PSI_N], psi_n=PSI_N, m=m, t=T, lam=LAM,
                           sigma=make(x))["score"]
                best.append(float(pp[int(np.argmin(sc))]))
            lab = f"m={'inf' if m == math.inf else m}, {conv}"
            NUM["crossover"][lab] = {"psi_D": list(grid), "onset": ons, "argmin_score": best}
            ok = [(x, o) for x, o in zip(grid, ons) if o is not None]
            ax[0].plot([x for x, _ in ok], [o for _, o in ok], "o" + ls, color=col, ms=3, label=lab)
            ax[1].plot(grid, best, "o" + ls, color=col, ms=3, label=lab)
    ax[0].set(xlabel="psi_D", ylabel="psi_p", yscale="log", title="memorization onset: relative gap = 1/2")
    ax[1].set(xlabel="psi_D", ylabel="psi_p", yscale="log", title="argmin of E_score over psi_p (below m psi_n)")
    for a in ax:
        a.legend(fontsize=7)
    fig.suptitle(f"psi_n = {PSI_N:g}, t = {T:g}, lambda = {LAM:g}")
    save(fig, "structured_crossover")


def main():
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("only", nargs="*", help="only the figures whose function names contain one of these")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not args.write:
        OUT = args.out or Path(tempfile.mkdtemp(prefix="rmt_dsm_structured_"))
    t0 = time.perf_counter()
    for f in (fig_psi_d_curves, fig_spread_curves, fig_threshold, fig_vs_psi_d, fig_crossover):
        if args.only and not any(o in f.__name__ for o in args.only):
            continue
        t1 = time.perf_counter()
        f()
        print(f"  {f.__name__}: {time.perf_counter() - t1:.1f} s", flush=True)
    path = OUT / ("structured_numbers.json" if not args.only else f"structured_numbers_{'_'.join(args.only)}.json")
    path.write_text(json.dumps(NUM, indent=1, default=lambda v: None if v is None else float(v)))
    print(f"wrote {path}; total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
