#!/usr/bin/env python
"""Figures (and the numbers quoted in docs/role_of_m.md) of the published DSM phenomena, from the theory.

Writes docs/figures/phenomena_*.png and .pdf and docs/figures/phenomena_numbers.json:

- phenomena_threshold_m1      (a) m = 1: divergence of E_test at psi_p = psi_n (lambda -> 0), rates
- phenomena_memorization      (b) m = inf: memorization onset (relative gap 1/2) vs the floor diagnostic
                                (E_train = F_pop), E_score minimum, small vs large t
- phenomena_m1_vs_minf        (c) E_score for m = 1 and m = inf on both sides of psi_p = psi_n
- phenomena_crossover         (c) where E_score(m = 1) = E_score(m = inf), and the sign of dE_score/dm
- phenomena_finite_m_threshold (d) the threshold moves to psi_p = m psi_n
- phenomena_vs_m              (d) E_train, E_test, E_score against m (both sides, small/large t)
- phenomena_m_convergence     (d) |E(m) - E(inf)| against m (rate ~ 1/m)

Everything is the double-precision theory (``rmt_dsm.errors`` / ``rmt_dsm.learning_curve``),
activation tanh, OU schedule, psi_n = 1 unless stated.  Runtime: about a minute on one core.
The tracked files under docs/figures are written only with ``--write``; otherwise the figures
go to ``--out DIR`` (default: a new temporary directory, printed).

    .venv/bin/python scripts/make_phenomena_figures.py [NAME ...] [--write | --out DIR]   (vs_m: only fig_vs_m)
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
from scipy.optimize import brentq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rmt_dsm  # noqa: E402
from rmt_dsm.api import ThresholdDivergence  # noqa: E402
from rmt_dsm.plotting import COLORS as C, LABELS as L  # noqa: E402

OUT = ROOT / "docs" / "figures"
NUM: dict = {}


# ----------------------------------------------------------------------------- theory helpers

def curve(vary, values, **kw):
    """learning_curve as arrays {train, test, score, floor} (warm starts along ``values``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        res = rmt_dsm.learning_curve(vary, list(values), **kw)
    return {k: np.array([getattr(e, k) for e in res], float) for k in ("train", "test", "score", "floor")}


def approach(center, eps, side, vary="psi_p", **kw):
    """Errors at center + side * eps for decreasing eps (warm-started towards the threshold)."""
    eps = np.sort(np.asarray(eps, float))[::-1]
    return eps, curve(vary, center + side * eps, **kw)


def slope(x, y):
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def two_sided(values, m, psi_n=1.0, **kw):
    """Curve in psi_p at lam = 0 split at the threshold m psi_n (each side warm-started outwards)."""
    values = np.asarray(values, float)
    if m == math.inf:
        return values, curve("psi_p", values, psi_n=psi_n, m=m, **kw)
    thr = m * psi_n
    lo, hi = values[values < thr][::-1], values[values > thr]
    a = curve("psi_p", lo, psi_n=psi_n, m=m, **kw)
    b = curve("psi_p", hi, psi_n=psi_n, m=m, **kw)
    x = np.concatenate([lo[::-1], [thr], hi])
    return x, {k: np.concatenate([a[k][::-1], [np.nan], b[k]]) for k in a}


def save(fig, name):
    OUT.mkdir(parents=True, exist_ok=True)
    for ext in ("png", "pdf"):
        fig.savefig(OUT / f"{name}.{ext}", dpi=130, bbox_inches="tight")
    plt.close(fig)
    print(f"wrote {OUT / name}.png/.pdf")


# ----------------------------------------------------------------------------- (a)

def fig_threshold_m1():
    t = 0.1
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.3))
    pp = np.concatenate([np.geomspace(0.1, 0.97, 60), np.geomspace(1.03, 10, 60)])
    for lam, ls in [(0.0, "-"), (1e-3, "--"), (1e-2, "-."), (1e-1, ":")]:
        if lam == 0:
            x, e = two_sided(pp, 1, t=t, lam=0.0)
        else:
            x, e = pp, curve("psi_p", pp, psi_n=1.0, m=1, t=t, lam=lam)
        ax[0].plot(x, e["test"], ls, color=C["test"], label=rf"{L['test']}, $\lambda={lam:g}$")
        ax[0].plot(x, e["train"], ls, color=C["train"], lw=1, label=rf"{L['train']}, $\lambda={lam:g}$")
    ax[0].axhline(e["floor"][0], color=C["floor"], lw=1.5, label=r"floor $F_{\rm pop}=e^{-2t}$")
    ax[0].axvline(1.0, color="k", lw=0.8, ls=":", label=r"threshold $\psi_p=\psi_n$")
    ax[0].set(xscale="log", yscale="log", ylim=(1e-2, 1e3), xlabel=r"$\psi_p = p/d$", ylabel="error",
              title=rf"$m=1$, $\psi_n=1$, $t={t}$")
    ax[0].legend(fontsize=7, ncol=2)

    eps = np.geomspace(1e-6, 1e-1, 26)
    rates = {}
    for tt, col in [(0.01, "tab:purple"), (0.1, "tab:red"), (1.0, "tab:orange")]:
        for side, mk in [(-1, "v"), (1, "^")]:
            ee, e = approach(1.0, eps, side, psi_n=1.0, m=1, t=tt, lam=0.0)
            sel = ee <= 1e-3
            k = slope(ee[sel], e["test"][sel])
            amp = float(np.median(e["test"][sel] * ee[sel]))
            rates[f"t={tt},{'below' if side < 0 else 'above'}"] = {"exponent": k, "amplitude": amp}
            ax[1].loglog(ee, e["test"], mk, ms=3, color=col,
                         label=rf"$t={tt}$, $\psi_p {'<' if side < 0 else '>'} \psi_n$: slope {k:.4f}")
        ax[1].loglog(eps, amp / eps, "-", color=col, lw=0.6)
    ax[1].set(xlabel=r"$|\psi_p-\psi_n|$", ylabel=r"$E_{\rm test}$ at $\lambda=0$",
              title=r"divergence rate at $\psi_p\to\psi_n$ ($m=1$)")
    ax[1].legend(fontsize=7)
    NUM["a_rate_psi"] = rates

    lams = np.geomspace(1.0, 1e-12, 49)
    lrates = {}
    for tt, col in [(0.01, "tab:purple"), (0.1, "tab:red"), (1.0, "tab:orange")]:
        e = curve("lam", lams, psi_n=1.0, psi_p=1.0, m=1, t=tt)
        sel = lams <= 1e-6
        k = slope(lams[sel], e["test"][sel])
        lrates[f"t={tt}"] = {"exponent": k, "amplitude": float(np.median(e["test"][sel] * np.sqrt(lams[sel])))}
        ax[2].loglog(lams, e["test"], color=col, label=rf"$t={tt}$: slope {k:.4f} for $\lambda\leq10^{{-6}}$")
        ax[2].axhline(e["floor"][0], color=col, lw=0.6, ls=":")
    ax[2].set(xlabel=r"ridge $\lambda$", ylabel=r"$E_{\rm test}$ at $\psi_p=\psi_n=1$",
              title=r"$m=1$ at the threshold: $E_{\rm test}$ vs $\lambda$ (floors dotted)")
    ax[2].legend(fontsize=7)
    NUM["a_rate_lam"] = lrates
    save(fig, "phenomena_threshold_m1")


# ----------------------------------------------------------------------------- (b)

def root_loglinear(x, f):
    """First sign change of f on the grid x, located by cubic interpolation in log x (None if none)."""
    idx = np.where(np.diff(np.sign(f)) != 0)[0]
    if not len(idx):
        return None
    i = int(idx[0])
    lo, hi = max(i - 1, 0), min(i + 3, len(x))
    lx = np.log(x[lo:hi])
    poly = np.polyfit(lx, f[lo:hi], min(3, hi - lo - 1))
    return float(np.exp(brentq(lambda u: np.polyval(poly, u), np.log(x[i]), np.log(x[i + 1]))))


def argmin_loglinear(x, f):
    """Interior minimum of f on the grid x by a parabola in log x through the 3 points around it."""
    j = int(np.argmin(f))
    if not 0 < j < len(x) - 1:
        return None, float(f[j])
    lx = np.log(x[j - 1:j + 2])
    c = np.polyfit(lx, f[j - 1:j + 2], 2)
    u = -c[1] / (2 * c[0])
    return float(np.exp(u)), float(np.polyval(c, u))


def crossing_and_min(t, psi_n=1.0, lam=0.0):
    """m = inf: psi_p where E_train = floor (the floor diagnostic), where the relative gap
    (E_test - E_train)/E_test reaches 1/2 (memorization onset, docs/model.md), argmin of E_score over
    psi_p, and E_score there.

    Located by interpolation on a warm-started grid (~80 points per decade).
    """
    r = np.geomspace(1e-2, 200, 350)
    e = curve("psi_p", r * psi_n, psi_n=psi_n, m=math.inf, t=t, lam=lam)
    out = {}
    xc = root_loglinear(r * psi_n, e["train"] - e["floor"])
    out["train_crosses_floor_at_psi_p"] = xc
    out["relative_gap_half_at_psi_p"] = root_loglinear(r * psi_n, 0.5 - e["train"] / e["test"])
    out["score_argmin_psi_p"], out["score_min"] = argmin_loglinear(r * psi_n, e["score"])
    out["score_at_psi_p=psi_n"] = float(np.interp(0.0, np.log(r), e["score"]))
    out["floor"] = float(e["floor"][0])
    return out


def fig_memorization():
    fig, ax = plt.subplots(1, 3, figsize=(15, 4.3))
    pp = np.geomspace(0.02, 100, 120)
    cms = {}
    for k, t in enumerate([0.01, 1.0]):
        e = curve("psi_p", pp, psi_n=1.0, m=math.inf, t=t, lam=0.0)
        for name in ("train", "test", "score"):
            ax[k].plot(pp, e[name], color=C[name], label=L[name])
        ax[k].axhline(e["floor"][0], color=C["floor"], lw=1.5, ls="--", label=r"floor $F_{\rm pop}$")
        ax[k].axvline(1.0, color="k", lw=0.8, ls=":", label=r"$\psi_p=\psi_n$")
        cm = cms[t] = crossing_and_min(t)
        if cm["train_crosses_floor_at_psi_p"]:
            x = cm["train_crosses_floor_at_psi_p"]
            ax[k].plot([x], [cm["floor"]], "o", color=C["train"],
                       label=rf"$E_{{\rm train}}=F_{{\rm pop}}$ (floor diagnostic) at $\psi_p={x:.3g}$")
        if cm["relative_gap_half_at_psi_p"]:
            x = cm["relative_gap_half_at_psi_p"]
            ax[k].axvline(x, color="k", lw=1.2, ls="-.",
                          label=rf"memorization onset $E_{{\rm train}}=E_{{\rm test}}/2$ at $\psi_p={x:.3g}$")
        if cm["score_argmin_psi_p"]:
            x = cm["score_argmin_psi_p"]
            ax[k].plot([x], [cm["score_min"]], "s", color=C["score"], label=rf"min $E_{{\rm score}}$ at $\psi_p={x:.3g}$")
        ax[k].set(xscale="log", yscale="log", xlabel=r"$\psi_p = p/d$", ylabel="error",
                  title=rf"$m=\infty$, $\psi_n=1$, $\lambda\to0^+$, $t={t}$")
        ax[k].legend(fontsize=7)
    # crossing and minimum against t, several psi_n
    ts = np.geomspace(0.005, 2.0, 10)
    table = {}
    for psi_n, mk in [(0.5, "o"), (1.0, "s"), (2.0, "^")]:
        rows = [crossing_and_min(float(t), psi_n) for t in ts]
        table[f"psi_n={psi_n}"] = {f"{t:.4g}": r for t, r in zip(ts, rows)}
        xc = [r["train_crosses_floor_at_psi_p"] / psi_n if r["train_crosses_floor_at_psi_p"] else np.nan for r in rows]
        xm = [r["score_argmin_psi_p"] / psi_n if r["score_argmin_psi_p"] else np.nan for r in rows]
        xg = [r["relative_gap_half_at_psi_p"] / psi_n if r["relative_gap_half_at_psi_p"] else np.nan for r in rows]
        ax[2].plot(ts, xg, mk + "-.", color="k", ms=4, label=rf"memorization $E_{{\rm train}}=E_{{\rm test}}/2$, $\psi_n={psi_n}$")
        ax[2].plot(ts, xc, mk + "-", color=C["train"], ms=4, label=rf"$E_{{\rm train}}=F_{{\rm pop}}$ (diagnostic), $\psi_n={psi_n}$")
        ax[2].plot(ts, xm, mk + "--", color=C["score"], ms=4, label=rf"argmin $E_{{\rm score}}$, $\psi_n={psi_n}$")
    ax[2].axhline(1.0, color="k", lw=0.8, ls=":")
    ax[2].set(xscale="log", yscale="log", xlabel=r"diffusion time $t$", ylabel=r"$\psi_p/\psi_n$",
              title=r"$m=\infty$, $\lambda\to0^+$: the three points against $t$")
    ax[2].legend(fontsize=6, ncol=2, loc="upper left")
    NUM["b_crossing_min"] = table
    NUM["b_t=0.01"] = cms[0.01]
    NUM["b_t=1"] = cms[1.0]
    save(fig, "phenomena_memorization")


# ----------------------------------------------------------------------------- (c)

def crossover_ratio(t, lam, psi_n=1.0, rmax=1000.0):
    """Smallest psi_p/psi_n > 1.02 where E_score(m=1) = E_score(m=inf), or None (no sign change up
    to rmax); located by interpolation on a warm-started grid (~33 points per decade)."""
    r = np.geomspace(1.02, rmax, 100)
    e1 = curve("psi_p", r * psi_n, psi_n=psi_n, m=1, t=t, lam=lam)["score"]
    ei = curve("psi_p", r * psi_n, psi_n=psi_n, m=math.inf, t=t, lam=lam)["score"]
    return root_loglinear(r, ei - e1)


def fig_m1_vs_minf():
    fig, ax = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
    r = np.concatenate([np.geomspace(0.05, 0.97, 50), np.geomspace(1.03, 100, 70)])
    for i, lam in enumerate([0.0, 1e-2]):
        for j, t in enumerate([0.01, 0.1, 1.0]):
            a = ax[i, j]
            if lam == 0:
                x, e1 = two_sided(r, 1, t=t, lam=0.0)
            else:
                x, e1 = r, curve("psi_p", r, psi_n=1.0, m=1, t=t, lam=lam)
            ei = curve("psi_p", r, psi_n=1.0, m=math.inf, t=t, lam=lam)
            a.plot(x, e1["score"], color="tab:blue", label=r"$E_{\rm score}$, $m=1$")
            a.plot(r, ei["score"], color="tab:red", label=r"$E_{\rm score}$, $m=\infty$")
            a.axvline(1.0, color="k", lw=0.8, ls=":", label=r"$\psi_p=\psi_n$")
            rs = crossover_ratio(t, lam)
            if rs:
                a.axvline(rs, color="tab:green", lw=1.2, ls="--", label=rf"equal at $\psi_p/\psi_n={rs:.3g}$")
            a.set(xscale="log", yscale="log", title=rf"$t={t}$, $\lambda={lam:g}$, $\psi_n=1$")
            if i == 1:
                a.set_xlabel(r"$\psi_p/\psi_n$")
            if j == 0:
                a.set_ylabel(r"score error $E_{\rm score}$")
            a.legend(fontsize=7)
    save(fig, "phenomena_m1_vs_minf")


def fig_crossover():
    fig, ax = plt.subplots(1, 3, figsize=(19, 4.8), gridspec_kw={"wspace": 0.3})
    ts = np.geomspace(0.003, 3.0, 13)
    table = {}
    for lam, col in [(0.0, "k"), (1e-3, "tab:blue"), (1e-2, "tab:green"), (1e-1, "tab:red")]:
        rs = [crossover_ratio(float(t), lam) for t in ts]
        table[f"lam={lam:g}"] = {f"{t:.4g}": v for t, v in zip(ts, rs)}
        ax[0].plot(ts, [v if v else np.nan for v in rs], "o-", ms=3, color=col, label=rf"$\lambda={lam:g}$, $\psi_n=1$")
    for psi_n, mk in [(0.5, "v"), (2.0, "^")]:
        rs = [crossover_ratio(float(t), 1e-2, psi_n=psi_n) for t in ts]
        table[f"lam=0.01,psi_n={psi_n}"] = {f"{t:.4g}": v for t, v in zip(ts, rs)}
        ax[0].plot(ts, [v if v else np.nan for v in rs], mk + ":", ms=4, color="tab:green",
                   label=rf"$\lambda=0.01$, $\psi_n={psi_n}$")
    ax[0].axhline(1.0, color="k", lw=0.8, ls=":")
    ax[0].set(xscale="log", yscale="log", xlabel=r"diffusion time $t$",
              ylabel=r"crossover $\psi_p^*/\psi_n$",
              title="crossover $E_{\\rm score}(1)=E_{\\rm score}(\\infty)$\n(no crossover beyond a line's end)")
    ax[0].legend(fontsize=7)
    NUM["c_crossover_ratio"] = table

    # maps over (psi_p/psi_n, t) at lam = 1e-2: log ratio E(inf)/E(1), and signs of dE/dm at m=1 and m->inf
    lam = 1e-2
    r = np.geomspace(0.1, 100, 31)
    ts2 = np.geomspace(0.003, 3.0, 17)
    R = np.zeros((len(ts2), len(r)))
    S1 = np.zeros_like(R)
    Sinf = np.zeros_like(R)
    for i, t in enumerate(ts2):
        e1 = curve("psi_p", r, psi_n=1.0, m=1, t=float(t), lam=lam)["score"]
        e2 = curve("psi_p", r, psi_n=1.0, m=2, t=float(t), lam=lam)["score"]
        eb = curve("psi_p", r, psi_n=1.0, m=1000, t=float(t), lam=lam)["score"]
        ei = curve("psi_p", r, psi_n=1.0, m=math.inf, t=float(t), lam=lam)["score"]
        R[i] = np.log10(ei / e1)
        S1[i] = e2 - e1               # dE/dm at m = 1 (forward difference)
        Sinf[i] = -(eb - ei)          # dE/dm as m -> inf has the sign of -(E(m) - E(inf))
    X, Y = np.meshgrid(r, ts2)
    v = np.max(np.abs(R))
    pc = ax[1].pcolormesh(X, Y, R, cmap="RdBu_r", vmin=-v, vmax=v, shading="auto")
    fig.colorbar(pc, ax=ax[1], label=r"$\log_{10}E_{\rm score}(\infty)/E_{\rm score}(1)$")
    ax[1].contour(X, Y, R, levels=[0], colors="k", linewidths=1.5)
    ax[1].axvline(1.0, color="k", lw=0.8, ls=":")
    ax[1].set(xscale="log", yscale="log", xlabel=r"$\psi_p/\psi_n$", ylabel=r"diffusion time $t$",
              title="$\\lambda=0.01$; red: $m=\\infty$ worse than $m=1$\n(black: equal)")
    ax[2].contourf(X, Y, np.sign(S1) + 2 * np.sign(Sinf), levels=[-3.5, -2, 0, 2, 3.5],
                   colors=["#9ecae1", "#fdd0a2", "#c7e9c0", "#fc9272"])
    ax[2].contour(X, Y, S1, levels=[0], colors="tab:blue", linewidths=1.5)
    ax[2].contour(X, Y, Sinf, levels=[0], colors="tab:red", linewidths=1.5, linestyles="--")
    ax[2].axvline(1.0, color="k", lw=0.8, ls=":")
    from matplotlib.patches import Patch
    ax[2].legend(handles=[Patch(color="#9ecae1", label=r"decreasing at $m=1$ and $m\to\infty$ (m helps)"),
                          Patch(color="#fdd0a2", label=r"increasing at $m=1$, decreasing at $m\to\infty$"),
                          Patch(color="#c7e9c0", label=r"decreasing at $m=1$, increasing at $m\to\infty$"),
                          Patch(color="#fc9272", label=r"increasing at both (more draws raise $E_{\rm score}$)")],
                 fontsize=6.5, loc="lower left")
    ax[2].set(xscale="log", yscale="log", xlabel=r"$\psi_p/\psi_n$", ylabel=r"diffusion time $t$",
              title="sign of $\\partial E_{\\rm score}/\\partial m$, $\\lambda=0.01$\n(zero lines: blue at $m=1$, red dashed as $m\\to\\infty$)")
    NUM["c_map_lam=0.01"] = {"r": r.tolist(), "t": ts2.tolist(), "log10_ratio": R.tolist(),
                             "dE_dm_at_1": S1.tolist(), "minus_E1000_minus_Einf": Sinf.tolist()}
    save(fig, "phenomena_crossover")


# ----------------------------------------------------------------------------- (d)

def fig_finite_m_threshold():
    t = 0.1
    fig, ax = plt.subplots(1, 2, figsize=(11, 4.3))
    pp = np.geomspace(0.1, 30, 200)
    cols = {1: "tab:blue", 2: "tab:orange", 4: "tab:green", math.inf: "tab:red"}
    for m, col in cols.items():
        x, e = two_sided(pp[np.abs(pp / (m if m != math.inf else 1e9) - 1) > 0.02], m, t=t, lam=0.0)
        lab = "\\infty" if m == math.inf else m
        ax[0].plot(x, e["test"], color=col, label=rf"{L['test']}, $m={lab}$")
        ax[1].plot(x, e["train"], color=col, label=rf"{L['train']}, $m={lab}$")
        if m != math.inf:
            for a in ax:
                a.axvline(m, color=col, lw=0.8, ls=":")
    for a in ax:
        a.axhline(math.exp(-2 * t), color=C["floor"], lw=1.5, ls="--", label=r"floor $F_{\rm pop}$")
        a.set(xscale="log", xlabel=r"$\psi_p$ ($\psi_n=1$; dotted: $\psi_p=m\psi_n$)")
    ax[0].set(yscale="log", ylabel=r"$E_{\rm test}$", title=rf"$\lambda\to0^+$, $t={t}$: threshold at $\psi_p=m\psi_n$")
    ax[1].set(ylabel=r"$E_{\rm train}$", title=r"$E_{\rm train}=0$ once $\psi_p\geq m\psi_n$ (interpolation)")
    ax[0].legend(fontsize=7)
    ax[1].legend(fontsize=7)
    eps = np.geomspace(2e-1, 1e-4, 12)
    rates = {}
    for m in (2, 4):
        for side in (-1, 1):
            ee, e = approach(float(m), eps, side, psi_n=1.0, m=m, t=t, lam=0.0)
            rates[f"m={m},{'below' if side < 0 else 'above'}"] = slope(ee[ee < 4e-3], e["test"][ee < 4e-3])
    NUM["d_threshold_rates_t=0.1"] = rates
    save(fig, "phenomena_finite_m_threshold")


M_GRID = [1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30, 40, 50, 70, 100, 150, 200, 300, 500, 700, 1000]


def fig_vs_m():
    fig, ax = plt.subplots(2, 2, figsize=(12, 8))
    table = {}
    for i, r in enumerate([0.5, 4.0]):
        for j, t in enumerate([0.01, 1.0]):
            a = ax[i, j]
            for lam, ls in [(0.0, "-"), (1e-2, "--")]:
                ms = [m for m in M_GRID if m != r]
                e = curve("m", ms, psi_n=1.0, psi_p=r, t=t, lam=lam)
                ei = rmt_dsm.errors(1.0, r, math.inf, t=t, lam=lam)
                for name in ("train", "test", "score"):
                    a.plot(ms, e[name], ls, color=C[name], label=rf"{L[name]}, $\lambda={lam:g}$")
                    a.axhline(getattr(ei, name), color=C[name], lw=0.7, ls=":")
                table[f"psi_p/psi_n={r},t={t},lam={lam:g}"] = {
                    "m": ms, "score": e["score"].tolist(), "train": e["train"].tolist(),
                    "test": e["test"].tolist(), "inf": ei.as_dict()}
            a.axhline(e["floor"][0], color=C["floor"], lw=1.5, ls="-.", label=r"floor $F_{\rm pop}$")
            if r > 1:
                a.axvline(r, color="k", lw=0.8, ls=":", label=r"threshold $m=\psi_p/\psi_n$ ($\lambda=0$)")
            a.set(xscale="log", yscale="log", xlabel=r"$m$ (noise draws per point)", ylabel="error",
                  title=rf"$\psi_p/\psi_n={r}$, $t={t}$ ($\psi_n=1$; dotted: $m=\infty$)")
            a.legend(fontsize=6.5, ncol=2)
    NUM["d_vs_m"] = table
    save(fig, "phenomena_vs_m")


def fig_m_convergence():
    fig, ax = plt.subplots(1, 1, figsize=(6.5, 4.6))
    rates = {}
    ms = [m for m in M_GRID if m >= 5]
    for (r, t), col in zip([(0.5, 0.01), (0.5, 1.0), (4.0, 0.01), (4.0, 1.0)],
                           ["tab:blue", "tab:orange", "tab:green", "tab:red"]):
        lam = 1e-2
        e = curve("m", ms, psi_n=1.0, psi_p=r, t=t, lam=lam)
        ei = rmt_dsm.errors(1.0, r, math.inf, t=t, lam=lam)
        for name, mk in [("score", "o"), ("train", "x")]:
            d = np.abs(e[name] - getattr(ei, name))
            sel = np.array(ms) >= 50
            k = slope(np.array(ms)[sel], d[sel])
            rates[f"psi_p/psi_n={r},t={t},{name}"] = {"exponent": k, "m*(E(m)-E(inf)) at m=1000":
                                                      float(1000 * (e[name][-1] - getattr(ei, name)))}
            ax.loglog(ms, d, mk + "-", ms=3, lw=0.8, color=col,
                      label=rf"$|\Delta E_{{\rm {name}}}|$, $\psi_p/\psi_n={r}$, $t={t}$: slope {k:.3f}")
    ax.loglog(ms, 1.0 / np.array(ms, float), "k:", label=r"$1/m$")
    ax.set(xlabel=r"$m$", ylabel=r"$|E(m)-E(\infty)|$", title=r"convergence to $m=\infty$ ($\lambda=0.01$, $\psi_n=1$)")
    ax.legend(fontsize=6.5)
    NUM["d_convergence"] = rates
    save(fig, "phenomena_m_convergence")


def main(only=()):
    """Make all figures, or only those whose function names contain one of ``only`` (numbers merged)."""
    t0 = time.perf_counter()
    path = OUT / "phenomena_numbers.json"
    if only and path.exists():
        NUM.update(json.loads(path.read_text()))
    for f in (fig_threshold_m1, fig_memorization, fig_m1_vs_minf, fig_crossover, fig_finite_m_threshold,
              fig_vs_m, fig_m_convergence):
        if only and not any(o in f.__name__ for o in only):
            continue
        t1 = time.perf_counter()
        f()
        print(f"  {f.__name__}: {time.perf_counter() - t1:.1f} s")
    path.write_text(json.dumps(NUM, indent=1, default=float))
    print(f"wrote {path}; total {time.perf_counter() - t0:.1f} s")


def cli(argv=None):
    """Parse the command line, choose the output directory, run :func:`main`."""
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("only", nargs="*", help="only the figures whose function names contain one of these")
    ap.add_argument("--write", action="store_true", help=f"write into {OUT} (tracked files)")
    ap.add_argument("--out", default=None, help="output directory (default: a new temporary directory)")
    args = ap.parse_args(argv)
    if args.out is not None:
        OUT = Path(args.out)
    elif not args.write:
        OUT = Path(tempfile.mkdtemp(prefix="rmt_dsm_phenomena_"))
    main(tuple(args.only))


if __name__ == "__main__":
    cli()
