"""``python -m derivations``: the same as ``python derivations/run_checks.py``."""
import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.argv[0] = str(Path(__file__).with_name("run_checks.py"))
    runpy.run_path(sys.argv[0], run_name="__main__")
