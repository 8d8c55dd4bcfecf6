"""Run a snippet against another git revision of rmt_dsm (for before/after tables in one run).

``checkout(rev)`` extracts ``rmt_dsm/`` (or other paths) of ``rev`` (``git archive``) into a temporary directory;
``timed(code, path)`` runs ``code`` in a fresh interpreter with that copy first on sys.path and
returns the number it prints last (the snippet prints its own timing).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout(rev: str, paths=("rmt_dsm",)) -> Path | None:
    """A temporary copy of ``paths`` at ``rev``, or None (not a git checkout, unknown rev)."""
    tmp = Path(tempfile.mkdtemp(prefix="rmt_dsm_baseline_"))
    try:
        archive = subprocess.run(["git", "archive", rev, *paths], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    return tmp


def timed(code: str, path: Path | None = None) -> float:
    """Run ``code`` in a fresh interpreter (``path`` first on sys.path); the last line it prints."""
    env = dict(os.environ)
    root = str(path if path is not None else ROOT)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, env=env,
                         check=True)
    return float(out.stdout.strip().splitlines()[-1])
