"""The theory along the time grid: :func:`rmt_dsm.errors` at each t_k and the Girsanov bound.

Imports the theory only (never the simulator).  At lambda = 0 on the interpolation threshold
psi_p = m psi_n the score errors are +inf, and so is the bound.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from .bound import BoundTerms, girsanov_bound, initial_kl
from .grid import TimeGrid

__all__ = ["TheoryAlongGrid", "theory_along_grid", "ERROR_KEYS"]

ERROR_KEYS = ("train", "test", "score", "gap", "floor")


@dataclass(frozen=True)
class TheoryAlongGrid:
    """rows[k]: {train, test, score, gap, floor} at t_k (floats); the bound of derivations/sampling.md §4."""

    rows: tuple
    bound: BoundTerms


def theory_along_grid(psi_n, psi_p, m, lam, activation, grid: TimeGrid) -> TheoryAlongGrid:
    """Exact asymptotic errors at every grid time (one warm-started :func:`rmt_dsm.learning_curve`
    along t) and the bound with e_k = E_score(t_k) / Delta_k."""
    from rmt_dsm.api import ThresholdDivergence, learning_curve

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        curve = learning_curve("t", list(grid.t), psi_n=psi_n, psi_p=psi_p, m=m, lam=lam,
                               activation=activation)
    rows = tuple({k: float(getattr(res, k)) for k in ERROR_KEYS} for res in curve)
    e = [rows[k]["score"] / grid.delta[k] for k in range(grid.K - 1)]
    init = initial_kl(grid.a[-1], grid.delta[-1])
    if any(math.isinf(v) for v in e):
        inf = math.inf
        return TheoryAlongGrid(rows=rows, bound=BoundTerms(inf, inf, init, inf))
    return TheoryAlongGrid(rows=rows, bound=girsanov_bound(e, grid.h, init))
