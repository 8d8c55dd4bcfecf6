"""Shared by the check scripts of derivations/: the repository on sys.path, PASS/FAIL reporting.

A check script imports this module first (``from checklib import FAILED, report``: the script's
own directory is on sys.path), reports each check with :func:`report` and exits with status 1
when :data:`FAILED` is not empty.
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: names of the failed checks of this process
FAILED = []


def report(name, ok, detail=""):
    """Print PASS/FAIL and the check's name; remember a failure."""
    print(("PASS " if ok else "FAIL ") + name + (f"  [{detail}]" if detail else ""))
    if not ok:
        FAILED.append(name)
