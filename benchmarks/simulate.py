"""Benchmark of the finite-d simulator's accumulation of U and V.

For d in {250, 500, 1000, 2000} at psi_n = psi_p = 2 and m in {1, 8}: wall time of one
simulation (erf features, exact population statistics, lam = 0.01), the time and flop
count N (4 p d + p (p + 1)) of the accumulation, its achieved GFLOP/s, and the float64
matrix-multiply rate of this machine measured in the same run on a GEMM of the same shape
as the feature GEMM (chunk x d) @ (d x p), just before and just after each simulation
(the machine may be shared: the two rates bracket the load during the run; the ratio uses
their mean).

    .venv/bin/python benchmarks/simulate.py [--dims 250 500 1000 2000] [--ms 1 8]
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from rmt_dsm.simulate import simulate
from rmt_dsm.simulate.features import default_chunk_rows


def gemm_rate(rows: int, d: int, p: int, min_time: float = 1.0) -> float:
    """Best GFLOP/s of C = A B with A (rows x d), B (d x p) in float64 over ~min_time seconds."""
    gen = np.random.default_rng(0)
    A, B = gen.standard_normal((rows, d)), gen.standard_normal((d, p))
    out = np.empty((rows, p))
    np.matmul(A, B, out=out)
    best, spent = 0.0, 0.0
    while spent < min_time:
        t0 = time.perf_counter()
        np.matmul(A, B, out=out)
        dt = time.perf_counter() - t0
        spent += dt
        best = max(best, 2.0 * rows * d * p / dt / 1e9)
    return best


def blas_info() -> str:
    try:
        from threadpoolctl import threadpool_info

        return "; ".join(f"{i.get('internal_api')} {i.get('version')} threads={i.get('num_threads')} "
                         f"arch={i.get('architecture')}" for i in threadpool_info())
    except ImportError:
        cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
        blas = cfg.get("Build Dependencies", {}).get("blas", {}) if isinstance(cfg, dict) else {}
        return f"threadpoolctl not installed; numpy BLAS: {blas.get('name')} {blas.get('version')}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="+", default=[250, 500, 1000, 2000])
    ap.add_argument("--ms", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--psi", type=float, default=2.0)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE')!r}, "
          f"OMP/OPENBLAS_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}/{os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"# {blas_info()}")
    head = (f"{'d':>5} {'m':>3} {'n':>5} {'p':>5} {'N':>6} {'wall s':>8} {'accum s':>8} {'GFLOP':>8} "
            f"{'GFLOP/s':>8} {'GEMM GF/s (pre/post)':>20} {'ratio':>6} {'solve s':>8} {'eval s':>7}")
    print(head)
    for d in args.dims:
        n = p = round(args.psi * d)
        for m in args.ms:
            before = gemm_rate(default_chunk_rows(p, d), d, p, min_time=0.5)
            t0 = time.perf_counter()
            r = simulate(d=d, psi_n=args.psi, psi_p=args.psi, m=m, t=0.5, lam=0.01, activation="erf",
                         progress=False)
            wall = time.perf_counter() - t0
            after = gemm_rate(default_chunk_rows(p, d), d, p, min_time=0.5)
            rate = 0.5 * (before + after)
            acc = r.timings["accumulate"]
            gf = r.flops_accumulate / 1e9
            print(f"{d:>5} {m:>3} {n:>5} {p:>5} {n * m:>6} {wall:>8.2f} {acc:>8.2f} {gf:>8.1f} "
                  f"{gf / acc:>8.1f} {before:>9.1f} / {after:>8.1f} {gf / acc / rate:>6.2f} {r.timings['solve']:>8.2f} "
                  f"{r.timings['evaluate']:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
