#!/usr/bin/env python
"""Run every check script of derivations/ (``check_*.py``) and exit non-zero if any fails.

Each script runs in its own Python process (the interpreter running this file), from the
repository root, in name order; its output is passed through, prefixed by a header. A check
fails when its exit status is non-zero (an uncaught exception or ``AssertionError`` included).

    python derivations/run_checks.py [--list] [--timeout SECONDS] [NAME ...]

NAME selects scripts by file name (``check_dsm.py`` or ``check_dsm``); default: all of them.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def discover(names=None) -> list[Path]:
    """The check scripts, sorted by name (optionally only ``names``)."""
    scripts = sorted(HERE.glob("check_*.py"))
    if names:
        wanted = {n if n.endswith(".py") else n + ".py" for n in names}
        missing = wanted - {p.name for p in scripts}
        if missing:
            raise SystemExit(f"run_checks: no such check script: {', '.join(sorted(missing))}")
        scripts = [p for p in scripts if p.name in wanted]
    return scripts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="check scripts to run (default: all check_*.py)")
    ap.add_argument("--list", action="store_true", help="list the check scripts and exit")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per script, in seconds (default 1800)")
    args = ap.parse_args(argv)
    scripts = discover(args.names)
    if args.list:
        print("\n".join(p.name for p in scripts))
        return 0
    if not scripts:
        print("run_checks: no check_*.py found in derivations/", file=sys.stderr)
        return 1
    results = []
    for path in scripts:
        print(f"==== {path.name} ====", flush=True)
        t0 = time.perf_counter()
        try:
            status = subprocess.run([sys.executable, str(path)], cwd=ROOT, timeout=args.timeout).returncode
        except subprocess.TimeoutExpired:
            status = "timeout"
        results.append((path.name, status, time.perf_counter() - t0))
    print("==== summary ====")
    for name, status, wall in results:
        verdict = "ok" if status == 0 else f"FAILED (exit status {status})"
        print(f"{name:30s} {verdict:28s} {wall:7.1f} s")
    failed = [r for r in results if r[1] != 0]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
