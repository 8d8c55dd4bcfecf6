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
"""
from __future__ import annotations

import importlib
from functools import lru_cache

__all__ = ["load", "shipped_by_key"]


def _shipped() -> dict:
    try:
        from ._index import SHIPPED
    except ImportError:  # pragma: no cover - before the first --write
        return {}
    return SHIPPED


@lru_cache(maxsize=None)
def load(name: str) -> dict | None:
    """The namespace of the shipped module ``name`` (None if there is none)."""
    if name not in _shipped():
        return None
    return vars(importlib.import_module(f".{name}", __name__))


def shipped_by_key(key: str) -> dict | None:
    """The namespace of the shipped module whose ``KEY`` is ``key``, or None."""
    for name, k in _shipped().items():
        if k == key:
            return load(name)
    return None
