#!/usr/bin/env python
"""Timing of the fixed-point engine on the shipped pencils.

Prints, per pencil: build + compile time (once per system), time per solve at double
precision (cold: homotopy from s = 0; warm: continuation from a nearby solution), at
dps = 30 and 50 (cold), and a 200-point sweep with warm starts; plus the largest residual seen.

    python benchmarks/engine.py
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rmt_dsm.engine.pencils import marchenko_pastur, product_wishart  # noqa: E402


def chain(k=4):
    """Stress pencil (not shipped): A = W1 ... Wk Wk^T ... W1^T, 2k blocks (k = 4: 8 blocks, 11 unknowns)."""
    import sympy as sp
    from rmt_dsm.engine import Pencil
    z = sp.Symbol("z")
    r = sp.symbols(f"r0:{k + 1}", positive=True)
    p = Pencil(f"chain{k}")
    p.block("u", r[0])
    for j in range(1, k + 1):
        p.block(f"y{j}", r[j])
        if j < k:
            p.block(f"v{j}", r[j])
    p.deterministic("u", "u", -z)
    p.gaussian("W1", "u", "y1")
    for j in range(1, k):
        p.deterministic(f"y{j}", f"v{j}", -1)
        p.gaussian(f"W{j + 1}", f"v{j}", f"y{j + 1}")
    p.deterministic(f"y{k}", f"y{k}", -1)
    p.stieltjes("u", z, lower=0)
    return p, {"z": z}


def timeit(f, reps):
    best = []
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        best.append(time.perf_counter() - t)
    return float(np.median(best)), out


def bench(name, factory, params, near, sweep_param, sweep_values):
    t0 = time.perf_counter()
    pencil, _ = factory()
    sysm = pencil.dyson_system().compile()
    t_build = time.perf_counter() - t0
    res = []
    t_cold, sol = timeit(lambda: sysm.solve(params), 50)
    res.append(abs(sol.residual))
    t_warm, s2 = timeit(lambda: sysm.solve(near, start=sol), 200)
    res.append(abs(s2.residual))
    t30, s30 = timeit(lambda: sysm.solve(params, dps=30), 10)
    t50, s50 = timeit(lambda: sysm.solve(params, dps=50), 10)
    t50w, _ = timeit(lambda: sysm.solve(near, dps=50, start=s50), 10)
    t0 = time.perf_counter()
    sw = sysm.sweep(params, sweep_param, sweep_values)
    t_sweep = time.perf_counter() - t0
    res += [abs(s.residual) for s in sw]
    return dict(name=name, n=len(sysm.unknowns), build=t_build, cold=t_cold, warm=t_warm, cold_its=sol.iterations,
                warm_its=s2.iterations, d30=t30, d50=t50, d50w=t50w, sweep=t_sweep,
                res=max(res), res50=float(abs(s50.residual)))


def main():
    rows = [
        bench("marchenko_pastur", marchenko_pastur, {"alpha": 2.0, "z": 0.5 + 0.1j},
              {"alpha": 2.0, "z": 0.52 + 0.1j}, "z", [x + 0.1j for x in np.linspace(0.01, 4, 200)]),
        bench("marchenko_pastur (real z)", marchenko_pastur, {"alpha": 2.0, "z": -1.0},
              {"alpha": 2.0, "z": -1.02}, "z", np.linspace(-3, -0.01, 200)),
        bench("product_wishart", product_wishart, {"psi_p": 0.5, "psi_n": 1.5, "z": 1 + 0.2j},
              {"psi_p": 0.5, "psi_n": 1.5, "z": 1.02 + 0.2j}, "z", [x + 0.05j for x in np.linspace(0.01, 5, 200)]),
        bench("product_wishart (real z)", product_wishart, {"psi_p": 2.0, "psi_n": 0.75, "z": -0.5},
              {"psi_p": 2.0, "psi_n": 0.75, "z": -0.51}, "psi_p", np.linspace(0.2, 3, 200)),
        bench("chain4 (8 blocks, stress)", chain, {"r0": 1.0, "r1": 1.3, "r2": 1.6, "r3": 1.9, "r4": 2.2, "z": 1 + 0.2j},
              {"r0": 1.0, "r1": 1.3, "r2": 1.6, "r3": 1.9, "r4": 2.2, "z": 1.02 + 0.2j}, "z",
              [x + 0.1j for x in np.linspace(0.01, 5, 200)]),
    ]
    hdr = (f"{'pencil':28s} {'unk':>3s} {'build+jit':>9s} {'cold f64':>9s} {'warm f64':>9s} {'its c/w':>7s} "
           f"{'dps30':>8s} {'dps50':>8s} {'dps50 warm':>10s} {'sweep200':>8s} {'max res f64':>11s} {'res dps50':>9s}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        print(f"{r['name']:28s} {r['n']:3d} {r['build']:8.3f}s {1e3 * r['cold']:7.2f}ms {1e3 * r['warm']:7.2f}ms "
              f"{r['cold_its']:3d}/{r['warm_its']:<3d} {1e3 * r['d30']:6.1f}ms {1e3 * r['d50']:6.1f}ms "
              f"{1e3 * r['d50w']:8.1f}ms {r['sweep']:7.3f}s {r['res']:11.1e} {r['res50']:9.1e}")


if __name__ == "__main__":
    main()
