#!/usr/bin/env python
"""Spectral densities: the engine against RMTool 1.0.0 and the published solver of Bonnaire et al.

All timings are measured side by side in this one run, interleaved (engine, reference,
engine, reference, ...) and reported as medians, so that the ratios see the same load.

1. Marchenko-Pastur (alpha = n/d = 2) and the product of two Wisharts
   A = W X X^T W^T/(d n) (psi_p = 0.5, psi_n = 1.5), 400 points each:
   ``engine.spectral_density`` on the shipped pencils (system compiled once per process)
   in double precision and at dps = 50, against RMTool's polynomial method (building the
   bivariate polynomial, then ``Lmz2pdf`` on the same 400 points).  RMTool is not a
   dependency of rmt_dsm: ``pip install rmtool==1.0.0`` in the benchmark environment, else
   these rows are skipped with a message.  The densities are compared point-wise
   (max |difference| over the points where both are finite, away from the edges by 1e-3).
   The product is, in RMTool's calculus, A = (d/p) * (S x psi_p MP(1/psi_p)) on its
   non-zero part, S = MP(1/psi_n): rho_A = rho_B / psi_p with
   B = AtimesB(wishartpol(1/psi_n), scaleA(wishartpol(1/psi_p), psi_p)).
2. The DSM spectrum of U at m = infinity (tanh, t = 0.1, psi_n = 1, psi_p = 2; Sigma = I):
   ``rmt_dsm.dsm.spectrum.spectrum`` on 400 energies against the published solver of
   Bonnaire et al. (arXiv:2505.17638, ``Theory/src/plot_spectrum_U.py`` of their repository,
   scipy ``root(method='lm')`` on an eta ladder per point).  Their file is not part of this
   repository: give its path with ``--bonnaire PATH`` (or the environment variable
   RMT_DSM_BONNAIRE_SRC); its solver functions are loaded from it at run time (the script
   itself runs a plot on import).  Their parameters map to ours as
   e^{-t} a_t = mu1 a (taken with t = 0), b_t^2 = mu1^2 Delta, v_t^2 = v^2, s_t^2 = s^2,
   p/n = psi_p/psi_n, lambda1 = lambda2 = 1 (Sigma = I).  Time per point (their solver
   on ``--bonnaire-points`` energies), and the max density difference on those energies: with
   the engine at their eta = 1e-9 without extrapolation (the same quantity), and with the
   engine's default (eta = 1e-7 and the Richardson step, which removes their O(eta) bias).

    python benchmarks/spectral.py [--repeats 5] [--bonnaire PATH] [--bonnaire-points 8]
"""
from __future__ import annotations

import argparse
import ast
import math
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rmt_dsm.engine.pencils import marchenko_pastur, product_wishart  # noqa: E402
from rmt_dsm.engine.spectral import spectral_density  # noqa: E402

N_POINTS = 400
MP = dict(alpha=2.0)
PW = dict(psi_p=0.5, psi_n=1.5)
DSM = dict(psi_n=1.0, psi_p=2.0, t=0.1)


def interleaved(funcs, repeats):
    """Median wall time of each function, calls interleaved round-robin; and the last outputs."""
    times = [[] for _ in funcs]
    outs = [None] * len(funcs)
    for _ in range(repeats):
        for k, f in enumerate(funcs):
            t0 = time.perf_counter()
            outs[k] = f()
            times[k].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times], outs


def fmt(t):
    return f"{t * 1e3:8.1f} ms" if t < 1 else f"{t:8.2f} s "


# ------------------------------------------------------------------ RMTool
def rmtool_densities():
    """Callables (x -> density) for MP and the product with RMTool, or None if absent."""
    try:
        import sympy as sp
        from rmtool import AtimesB, Lmz2pdf, scaleA, wishartpol
    except ImportError:
        return None

    def mp(x):
        return Lmz2pdf(wishartpol(sp.Rational(1) / sp.nsimplify(MP["alpha"])), x).density

    def pw(x):
        pp, pn = sp.nsimplify(PW["psi_p"]), sp.nsimplify(PW["psi_n"])
        L = AtimesB(wishartpol(1 / pn), scaleA(wishartpol(1 / pp), pp))
        return Lmz2pdf(L, x).density / float(pp)

    return mp, pw


def max_diff(a, b, x, edges):
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = np.nan_to_num(a), np.nan_to_num(b)
    keep = np.ones(len(x), dtype=bool)
    for e in edges:
        keep &= np.abs(x - e) > 1e-3
    return float(np.max(np.abs(a - b)[keep]))


def densities(repeats):
    rows = []
    ref = rmtool_densities()
    if ref is None:
        print("# RMTool not installed (pip install rmtool==1.0.0): the RMTool columns are skipped")
    c = 1 / MP["alpha"]
    cases = [
        ("Marchenko-Pastur", marchenko_pastur, ("a", "a"), MP, np.linspace(0.01, 4.0, N_POINTS),
         [(1 - math.sqrt(c)) ** 2, (1 + math.sqrt(c)) ** 2]),
        ("product of two Wisharts", product_wishart, ("u", "u"), PW, np.linspace(0.01, 6.0, N_POINTS), []),
    ]
    for k, (name, factory, g, params, x, edges) in enumerate(cases):
        t0 = time.perf_counter()
        sysm = factory()[0].dyson_system().compile()
        spectral_density(sysm, g, "z", params, x[:2])  # build the grid functions
        t_build = time.perf_counter() - t0
        f64 = lambda: spectral_density(sysm, g, "z", params, x)  # noqa: E731
        d50 = lambda: spectral_density(sysm, g, "z", params, x, dps=50)  # noqa: E731
        funcs = [f64] + ([lambda: ref[k](x)] if ref else [])
        (t64, *t_ref), (rho, *rho_ref) = interleaved(funcs, repeats)
        (t50,), (rho50,) = interleaved([d50], max(1, repeats // 2))
        diff50 = max(abs(float(a) - b) for a, b in zip(rho50, rho))
        if not edges:
            edges = list(x[np.flatnonzero(np.diff(rho > 1e-6))])
        row = dict(name=name, build=t_build, t64=t64, t50=t50, diff50=diff50,
                   t_ref=t_ref[0] if ref else math.nan,
                   diff=max_diff(rho, rho_ref[0], x, edges) if ref else math.nan)
        rows.append(row)
    print(f"# {N_POINTS} points; engine: system compiled once per process (build column), then "
          "spectral_density per call")
    head = (f"{'density':26s} {'build':>9s} {'engine f64':>11s} {'RMTool':>11s} {'RMTool/eng':>10s} "
            f"{'engine dps50':>12s} {'dps50/f64':>9s} {'|eng-RMTool|':>12s} {'|dps50-f64|':>11s}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['name']:26s} {fmt(r['build'])} {fmt(r['t64']):>11s} {fmt(r['t_ref']):>11s} "
              f"{r['t_ref'] / r['t64']:10.2f} {fmt(r['t50']):>12s} {r['t50'] / r['t64']:9.1f} "
              f"{r['diff']:12.1e} {r['diff50']:11.1e}")
    return rows


# ------------------------------------------------------------------ Bonnaire et al.
def load_bonnaire(path):
    """The solver functions of plot_spectrum_U.py (hat_s_of_q, hat_r_of_rq, equations,
    solve_equations), compiled from their source file at run time (it is not vendored)."""
    from scipy.optimize import root

    tree = ast.parse(Path(path).read_text())
    wanted = {"hat_s_of_q", "hat_r_of_rq", "equations", "solve_equations"}
    body = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in wanted]
    if {f.name for f in body} != wanted:
        raise ValueError(f"{path}: expected the functions {sorted(wanted)}")
    ns = {"np": np, "root": root}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(path), "exec"), ns)  # noqa: S102
    return ns


def dsm_vs_bonnaire(repeats, path, n_theirs):
    from rmt_dsm.dsm.spectrum import spectrum
    from rmt_dsm.equivalence import coefficients
    from rmt_dsm.model import schedule

    sch = schedule(t=DSM["t"])
    co = coefficients("tanh", float(sch.a), float(sch.delta), q=1)
    mu1, v2, s2 = float(co.mu1), float(co.v2), float(co.s2)
    energies = np.linspace(0.02, 6.0, N_POINTS)
    spectrum(DSM["psi_n"], DSM["psi_p"], math.inf, energies[:2], t=DSM["t"])  # compile
    ours = lambda: spectrum(DSM["psi_n"], DSM["psi_p"], math.inf, energies, t=DSM["t"]).density  # noqa: E731
    (t_ours,), (rho,) = interleaved([ours], repeats)
    per_ours = t_ours / N_POINTS
    print(f"\n# DSM spectrum of U, m = inf, tanh, t = {DSM['t']}, psi_n = {DSM['psi_n']}, "
          f"psi_p = {DSM['psi_p']}: engine {fmt(t_ours)} for {N_POINTS} energies = "
          f"{per_ours * 1e3:.3f} ms per point")
    if path is None or not Path(path).is_file():
        print("# published solver of Bonnaire et al. not found: pass --bonnaire PATH to their "
              "Theory/src/plot_spectrum_U.py (or set RMT_DSM_BONNAIRE_SRC); comparison skipped")
        return None
    ns = load_bonnaire(path)
    d = 1000
    params = {"a_t": mu1 * float(sch.a), "b_t": mu1 * math.sqrt(float(sch.delta)), "v_t": math.sqrt(v2),
              "t": 0.0, "p": DSM["psi_p"] * d, "n": DSM["psi_n"] * d, "psi_p": DSM["psi_p"],
              "s_t_sq": s2, "lambda1": 1.0, "lambda2": 1.0}
    pick = np.linspace(0, N_POINTS - 1, n_theirs).round().astype(int)
    theirs_rho = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        for i in pick:
            sol = ns["solve_equations"](energies[i], params)
            theirs_rho.append(abs(sol[1]) / math.pi)
        t_theirs = time.perf_counter() - t0
    per_theirs = t_theirs / len(pick)
    # our per-point time again, right after theirs (same load)
    (t_ours2,), _ = interleaved([ours], max(1, repeats // 2))
    per_ours = min(per_ours, t_ours2 / N_POINTS)
    theirs_rho = np.array(theirs_rho)
    diff = float(np.max(np.abs(theirs_rho - rho[pick])))
    rel = float(np.max(np.abs(theirs_rho - rho[pick]) / np.maximum(np.abs(theirs_rho), 1e-3)))
    # their density is Im q / pi at eta = 1e-9 without extrapolation: the engine at the same eta
    from rmt_dsm.dsm.spectrum import spectrum_system, z
    from rmt_dsm.dsm.system import g_v

    raw = spectral_density(spectrum_system(), g_v, z, dict(psi_n=DSM["psi_n"], psi_p=DSM["psi_p"], kappa=0,
                                                           a=float(sch.a), delta=float(sch.delta), mu1=mu1,
                                                           v2=v2, s2=s2),
                           list(energies[pick]), eta=1e-9, extrapolate=False)
    same = float(np.max(np.abs(theirs_rho - raw)))
    print(f"{'solver':34s} {'per point':>12s} {'speed-up':>9s}")
    print(f"{'Bonnaire et al. (scipy lm, eta ladder)':34s} {per_theirs * 1e3:9.2f} ms {1:9.1f}")
    print(f"{'rmt_dsm engine (grid)':34s} {per_ours * 1e3:9.3f} ms {per_theirs / per_ours:9.1f}")
    print(f"density on {len(pick)} energies: max |engine(eta = 1e-9, no extrapolation) - theirs| = {same:.1e}; "
          f"engine default (eta = 1e-7, Richardson): max |diff| = {diff:.1e}, max rel. {rel:.1e} "
          "(their eta = 1e-9 bias near the edge)")
    return dict(per_theirs=per_theirs, per_ours=per_ours, diff=diff, same=same)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--bonnaire", default=os.environ.get("RMT_DSM_BONNAIRE_SRC"),
                    help="path to Theory/src/plot_spectrum_U.py of Bonnaire et al.")
    ap.add_argument("--bonnaire-points", type=int, default=8)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    densities(args.repeats)
    dsm_vs_bonnaire(args.repeats, args.bonnaire, args.bonnaire_points)


if __name__ == "__main__":
    main()
