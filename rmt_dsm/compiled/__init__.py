r"""Numeric code generated from the symbolic DSM objects, shipped with the package.

One module per (object, target): ``dsm_<entry>_<numpy|mpmath>`` (the DSM Dyson system of
`rmt_dsm.dsm.system`: F, (F, J), F_theta and its columns) and ``observables_<entry>_<target>``
(`rmt_dsm.dsm.observables`), for ``entry`` = isotropic, explicit1 ... explicit4
(`rmt_dsm.dsm.numeric.entry_for`).  Each holds the source sympy's lambdify generates, the names
it uses imported from numpy / mpmath, ``META`` (argument names) and ``KEY``, the sha256 of the
symbolic source (`rmt_dsm.engine.codegen.symbolic_key`).  `rmt_dsm.dsm.numeric` imports them
without sympy; `rmt_dsm.engine.codegen.cached_functions` finds them by key.

``python -m rmt_dsm.compiled --check`` regenerates every key from sympy and reports stale or
missing modules (exit status 1); ``--write`` regenerates the modules and the index ``_index.py``.

The numpy modules are also translated to C (`rmt_dsm.compiled.cgen`: ``_kernels.c`` and ``_kernels_body.h``, checked and
written with them), built at install into the optional extension ``_kernels``, which
`rmt_dsm.compiled.kernels` uses at one point (the same bits, a fraction of the time).

Without sympy the keys cannot be recomputed at run time; instead the index records the hash of
the files the symbolic objects are built from (`SOURCE_FILES`), and `load` serves nothing when
they changed since the last ``--write`` (the numeric path then falls back to the symbolic one:
slower, never stale).
"""
from __future__ import annotations

import hashlib
import importlib
from functools import lru_cache
from pathlib import Path

__all__ = ["load", "shipped_by_key", "sources_hash", "SOURCE_FILES"]

#: the files (relative to the package) that define the symbolic objects of the shipped modules
SOURCE_FILES = ("dsm/system.py", "dsm/atoms.py", "dsm/populations.py", "dsm/symbols.py", "dsm/observables.py",
                "dsm/numeric.py", "engine/system.py", "engine/backends.py", "engine/codegen.py")


def _shipped() -> dict:
    try:
        from ._index import SHIPPED
    except ImportError:  # pragma: no cover - before the first --write
        return {}
    return SHIPPED


def sources_hash() -> str:
    """sha256 of `SOURCE_FILES` (names and bytes)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for name in SOURCE_FILES:
        h.update(name.encode() + b"\n" + (root / name).read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=None)
def _current() -> bool:
    """The shipped modules were generated from the source files as they are now."""
    try:
        from ._index import SOURCES
    except ImportError:  # pragma: no cover
        return False
    try:
        return SOURCES == sources_hash()
    except OSError:  # pragma: no cover - sources not installed
        return False


@lru_cache(maxsize=None)
def load(name: str) -> dict | None:
    """The namespace of the shipped module ``name`` (None if there is none, or if the symbolic
    sources changed since it was generated)."""
    if name not in _shipped() or not _current():
        return None
    return vars(importlib.import_module(f".{name}", __name__))


def shipped_by_key(key: str) -> dict | None:
    """The namespace of the shipped module whose ``KEY`` is ``key``, or None (the key is that of
    the symbolic source itself: valid whatever the source files)."""
    for name, k in _shipped().items():
        if k == key:
            return vars(importlib.import_module(f".{name}", __name__))
    return None
