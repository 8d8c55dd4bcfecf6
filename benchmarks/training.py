#!/usr/bin/env python
"""Timing of the training-time theory (a tau curve) against one simulation at one tau.

At a few points (erf, t = 0.5, lam = 0; the last two with a two-atom data spectrum and a power law,
the latter a continuous spectrum: its curve is computed at the quadrature order and twice it) it
prints, side by side:

- cold: ``learning_curve("tau", 200 log-spaced times in [0.01, 1e4])`` in a fresh python process,
  import of rmt_dsm included (shipped generated code for Sigma = I and up to 4 atoms, no sympy; a
  continuous spectrum builds and lambdifies its sympy system once per process);
- warm: the same curve in a process that has already computed a curve (at another point): edges
  of the spectrum, contour nodes with node doubling, the two-point matrix, and the 200 times as
  one matrix product -- the cost per curve once the process is warm;
- simulation: ``simulate(d=500, tau=T, seeds=1)`` of the true nonlinear model (exact gradient flow
  by the eigendecomposition of U), one tau;
- ratios cold / simulation and warm / simulation (target: < 1).

    .venv/bin/python benchmarks/training.py [--d 500] [--num 200]
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rmt_dsm.data_spectrum import parse_sigma  # noqa: E402

POINTS = [dict(psi_n=1.0, psi_p=2.0, m=1), dict(psi_n=1.0, psi_p=0.5, m=1), dict(psi_n=0.5, psi_p=4.0, m=4),
          dict(psi_n=1.0, psi_p=3.0, m=math.inf), dict(psi_n=1.0, psi_p=0.5, m=1, sigma="0.5:2,0.5:0"),
          dict(psi_n=1.0, psi_p=2.0, m=1, sigma="power:0.5")]
COMMON = dict(t=0.5, lam=0.0, activation="erf")
ROOT = Path(__file__).resolve().parents[1]


def cold(pt: dict, num: int) -> float:
    """Wall time of import + one tau curve in a fresh process."""
    code = ("import math, sys, time; t0 = time.perf_counter(); import numpy as np; "
            "from rmt_dsm import learning_curve; kw = eval(sys.argv[1], {'inf': math.inf}); "
            f"learning_curve('tau', list(np.geomspace(0.01, 1e4, {num})), **kw); print(time.perf_counter() - t0)")
    out = subprocess.run([sys.executable, "-c", code, repr({**pt, **COMMON})], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=500)
    ap.add_argument("--num", type=int, default=200)
    ap.add_argument("--tau", type=float, default=10.0)
    args = ap.parse_args()
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load avg "
          f"{os.getloadavg()[0]:.1f} (shared machine: wall-clock times)")
    from rmt_dsm import learning_curve
    from rmt_dsm.simulate import simulate

    taus = list(np.geomspace(0.01, 1e4, args.num))
    learning_curve("tau", taus, psi_n=0.8, psi_p=1.5, m=2, **COMMON)           # warm-up (isotropic)
    learning_curve("tau", taus, psi_n=0.8, psi_p=0.6, m=2, sigma="0.3:3,0.7:0", **COMMON)  # warm-up (two atoms)
    print(f"{'psi_n':>6} {'psi_p':>6} {'m':>4} {'sigma':>13} {'cold s':>7} {'warm s':>7} {'nodes':>6} "
          f"{'sim d=' + str(args.d) + ' s':>12} {'cold/sim':>9} {'warm/sim':>9}")
    for pt in POINTS:
        tc = cold(pt, args.num)
        t0 = time.perf_counter()
        curve = learning_curve("tau", taus, **pt, **COMMON)
        tw = time.perf_counter() - t0
        m_sim = pt["m"] if math.isfinite(pt["m"]) else 64
        sim_kw = {k: v for k, v in pt.items() if k != "sigma"}
        eigs = parse_sigma(pt["sigma"]).eigenvalues_for(args.d) if "sigma" in pt else None
        t0 = time.perf_counter()
        simulate(d=args.d, seeds=1, tau=args.tau, model="true", sigma_eigs=eigs, **{**sim_kw, "m": m_sim}, **COMMON)
        ts = time.perf_counter() - t0
        m = "inf" if math.isinf(pt["m"]) else pt["m"]
        sim_note = "" if math.isfinite(pt["m"]) else " (m=64)"
        print(f"{pt['psi_n']:>6g} {pt['psi_p']:>6g} {m:>4} {pt.get('sigma', '1:1'):>13} {tc:>7.2f} {tw:>7.2f} "
              f"{curve[0].info['nodes']:>6} {ts:>12.2f}{sim_note} {tc / ts:>9.2f} {tw / ts:>9.2f}")
    print("# cold: fresh process, import and the one-time sympy compile included; warm: a process that has "
          "computed a curve before")


if __name__ == "__main__":
    main()
