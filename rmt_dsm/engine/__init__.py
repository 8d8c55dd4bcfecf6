"""Generic symbolic fixed-point engine (docs/model.md, "Numerical contract").

Linear pencils with Gaussian blocks -> matrix Dyson equation -> sympy system ->
LaTeX, double-precision (numpy) and arbitrary-precision (mpmath) solvers with
homotopy continuation, IFT derivatives, spectral densities.
Derivation: derivations/pencil_dyson.md.
"""
from .errors import ConvergenceError
from .solve import GUARD_DIGITS, Solution
from .system import FixedPointSystem, Homotopy, StieltjesCondition

__all__ = ["Pencil", "Placement", "FixedPointSystem", "Homotopy", "StieltjesCondition", "Solution",
           "ConvergenceError", "SYMBOL_NAMES", "GUARD_DIGITS",
           "spectral_density", "support_edges", "atom_mass"]

#: imported on first use (they need sympy; the numeric path does not)
_LAZY = {"SYMBOL_NAMES": "latex", "Pencil": "pencil", "Placement": "pencil", "spectral_density": "spectral",
         "support_edges": "spectral", "atom_mass": "spectral"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
