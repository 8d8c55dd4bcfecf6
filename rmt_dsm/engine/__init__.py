"""Generic symbolic fixed-point engine (docs/model.md, "Numerical contract").

Linear pencils with Gaussian blocks -> matrix Dyson equation -> sympy system ->
LaTeX, double-precision (numpy) and arbitrary-precision (mpmath) solvers with
homotopy continuation, IFT derivatives, spectral densities.
Derivation: derivations/pencil_dyson.md.
"""
from .errors import ConvergenceError
from .latex import SYMBOL_NAMES
from .pencil import Pencil, Placement
from .solve import GUARD_DIGITS, Solution
from .spectral import atom_mass, spectral_density, support_edges
from .system import FixedPointSystem, Homotopy, StieltjesCondition

__all__ = ["Pencil", "Placement", "FixedPointSystem", "Homotopy", "StieltjesCondition", "Solution",
           "ConvergenceError", "SYMBOL_NAMES", "GUARD_DIGITS",
           "spectral_density", "support_edges", "atom_mass"]
