#!/usr/bin/env python
"""Cold start: a fresh ``rmt-dsm errors ... --json`` process against ``python -c "import numpy"``.

Every command runs in a fresh interpreter ``--repeats`` times (default 7), the commands
interleaved round-robin so that they share the machine's load alike; the table gives the median
and the minimum wall time and the ratio of the medians to ``import numpy`` (target of issue 12:
the default errors call within 3x).  Rows: the default isotropic ridge point (the target), then for
information ``--dps 30``, a 2-atom ``--sigma``, ``--psi-d`` (two atoms, one at 0) and a finite
``--tau`` (which still builds sympy objects: the two-point structure of the contour quadrature).  ``--baseline REV`` adds the same commands run on the ``rmt_dsm/`` of another git
revision (e.g. one before the generated code) in the same run.

Byte code: with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` every module of the package
is compiled from source in each process; ``--compile`` first byte-compiles the trees measured
(``compileall``, what ``pip install`` does for a regular install) so that the table shows both
situations when run with and without it.

    .venv/bin/python benchmarks/cold_start.py [--repeats 7] [--baseline REV] [--compile]
"""
from __future__ import annotations

import argparse
import compileall
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

POINT = ["--psi-n", "1", "--psi-p", "2", "--m", "4", "--t", "0.3", "--lam", "0.01", "--json"]
CASES = {
    "errors (default point)": [],
    "errors --dps 30": ["--dps", "30"],
    "errors --sigma 0.5:0.5,0.5:1.5": ["--sigma", "0.5:0.5,0.5:1.5"],
    "errors --psi-d 0.5": ["--psi-d", "0.5"],
    "errors --tau 30": ["--tau", "30"],
}


def _run(cmd, env, cwd) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--baseline", help="git revision whose rmt_dsm/ is measured too")
    ap.add_argument("--compile", action="store_true", help="byte-compile the measured trees first")
    ap.add_argument("--only-default", action="store_true", help="only the default point")
    args = ap.parse_args(argv)

    trees = {"now": ROOT}
    if args.baseline:
        from _baseline import checkout

        old = checkout(args.baseline)
        if old is None:
            ap.error(f"cannot check out {args.baseline!r}")
        trees[args.baseline] = old
    if args.compile:
        for tree in trees.values():
            compileall.compile_dir(str(tree / "rmt_dsm"), quiet=1)
    cases = dict(list(CASES.items())[:1]) if args.only_default else CASES
    commands = {"python -c 'import numpy'": ([sys.executable, "-c", "import numpy"], ROOT)}
    for label, tree in trees.items():
        for name, extra in cases.items():
            key = name if label == "now" else f"{name} [{label}]"
            commands[key] = ([sys.executable, "-m", "rmt_dsm.cli", "errors", *POINT, *extra], tree)
    times = {k: [] for k in commands}
    for _ in range(args.repeats):
        for key, (cmd, tree) in commands.items():
            env = dict(os.environ, PYTHONPATH=str(tree) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            times[key].append(_run(cmd, env, tree))  # cwd first on sys.path: that tree's rmt_dsm

    base = statistics.median(times["python -c 'import numpy'"])
    cached = any((ROOT / "rmt_dsm").glob("__pycache__/*.pyc"))
    print(f"# {platform.machine()}, {os.cpu_count()} cpus, load avg {os.getloadavg()[0]:.1f}; "
          f"{args.repeats} fresh processes per row, interleaved; PYTHONDONTWRITEBYTECODE="
          f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}, rmt_dsm byte code cached: {cached}")
    print(f"{'command':44s} {'median s':>9s} {'min s':>7s} {'/ numpy':>8s}")
    for key, ts in times.items():
        med = statistics.median(ts)
        print(f"{key:44s} {med:9.3f} {min(ts):7.3f} {med / base:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
