"""sympy on demand: the numeric paths never import it (cold start, `rmt_dsm.engine.codegen`)."""
from __future__ import annotations

import importlib
import sys

__all__ = ["sympy", "is_sympy"]


class _OnDemand:
    """A stand-in for a module, imported at the first attribute access."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self):
        return f"<module {self._name!r}, imported on first use>"


#: use as ``from ._lazy import sympy as sp``: ``sp.Symbol`` imports sympy then
sympy = _OnDemand("sympy")


def is_sympy(value) -> bool:
    """True for a sympy object (if sympy was never imported, no object can be one)."""
    sp = sys.modules.get("sympy")
    return sp is not None and isinstance(value, sp.Basic)
