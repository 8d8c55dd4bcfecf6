r"""The result of `rmt_dsm.errors` at one point: `Errors`, its error names, and the warnings it raises.

Shared by the one-point path (`rmt_dsm.scalar`), the batched path (`rmt_dsm.batch`), the
training-time path (`rmt_dsm.training_time`) and the public API (`rmt_dsm.api`), which
re-exports `Errors`, `ERROR_NAMES` and `ThresholdDivergence`.  The errors are those of
docs/model.md [D eq. (6.4), S eq. (5.5)].
"""
from __future__ import annotations

import math
import types
import warnings
from dataclasses import dataclass, field

from .precision import WARN_RELATIVE, PrecisionWarning

__all__ = ["Errors", "ERROR_NAMES", "ThresholdDivergence"]

ERROR_NAMES = ("train", "test", "score", "gap", "floor")


class ThresholdDivergence(UserWarning):
    """lambda -> 0+ at the interpolation threshold psi_p = m psi_n: the test error diverges."""


@dataclass(frozen=True)
class Errors:
    r"""Asymptotic per-dimension errors at one parameter point (docs/model.md).

    Attributes
    ----------
    train : float or mpmath.mpf
        E_train.  Floats in double precision; with ``dps`` mpmath numbers rounded to ``dps``
        significant digits (the same for every error).
    test : float or mpmath.mpf
        E_test; the exact +inf of the threshold divergence is ``math.inf`` / ``mpmath.inf``.
    score : float or mpmath.mpf
        E_score = E_test - F_pop.
    gap : float or mpmath.mpf
        The generalization gap E_test - E_train.
    floor : float or mpmath.mpf
        The population floor F_pop.
    params : dict
        Every parameter of the point (psi_n, psi_p, m, t, lam, a, delta, activation, dps).
    residual : float or mpf or None
        Max-abs residual of the fixed-point equations at the solution (None at the divergence).
    iterations : int or None
        Newton iterations of the last solve.
    chart : str
        ``"primal"`` (x = -1, y = lambda), ``"dual"`` (x = lambda, y = -1) or ``"threshold"``
        (the exact divergence, nothing solved) [D§5.2].
    accuracy : dict
        Estimated relative error of each of train, test, score, gap, floor (floats).  Double
        precision: from a second evaluation (see Notes of `errors`); ``dps=D``: the
        precision contract 10^-(D-5).
    coefficients : rmt_dsm.equivalence.Coefficients
        The Gaussian-equivalent coefficients mu0, mu1, v2, s2 used.
    solution : rmt_dsm.engine.Solution or None
        The solution of the Dyson system (working precision); None for a point solved by the
        batched double-precision path (`rmt_dsm.batch`).
    diverged : bool
        True at lambda = 0 on the interpolation threshold (test, score, gap = +inf).
    quadrature : dict or None
        Finite training time ``tau`` only: the contour quadrature (nodes, spectrum edges, and in
        double precision the reusable ``curve``) [derivations/training_time.md].
    """

    train: object
    test: object
    score: object
    gap: object
    floor: object
    params: dict
    residual: object = None
    iterations: int | None = None
    chart: str = "primal"
    accuracy: dict = field(default_factory=dict, compare=False)
    coefficients: object = field(default=None, repr=False, compare=False)
    solution: object = field(default=None, repr=False, compare=False)
    diverged: bool = False
    quadrature: dict | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The five errors by name."""
        return {k: getattr(self, k) for k in ERROR_NAMES}

    @property
    def digits(self) -> int:
        """Estimated number of correct significant digits of the least accurate value."""
        worst = max(self.accuracy.values(), default=0.0)
        return 17 if worst <= 0 else max(0, int(math.floor(-math.log10(worst))))

    @property
    def info(self) -> types.MappingProxyType:
        """Read-only mapping view of the solver attributes (kept for older callers): residual,
        iterations, chart, accuracy, coefficients, solution, diverged."""
        return types.MappingProxyType({**{k: getattr(self, k) for k in (
            "residual", "iterations", "chart", "accuracy", "coefficients", "solution", "diverged")},
            **(self.quadrature or {})})


def _double_result(values, params, residual, iterations, chart, accuracy, coefficients) -> Errors:
    """``Errors(*values, params=..., ..., solution=None)`` of a double-precision point, built
    without the frozen dataclass's field-by-field ``__init__`` (a batched curve builds a thousand).

    Examples
    --------
    >>> args = ([0.1, 0.5, 0.2, 0.4, 0.3], {"psi_n": 1.0}, 1e-16, 3, "primal", dict.fromkeys(ERROR_NAMES, 1e-15), None)
    >>> fast, slow = _double_result(*args), Errors(*args[0], *args[1:])
    >>> fast == slow, repr(fast) == repr(slow), vars(fast) == vars(slow)
    (True, True, True)
    """
    train, test, score, gap, floor = values
    out = object.__new__(Errors)
    out.__dict__.update({"train": train, "test": test, "score": score, "gap": gap, "floor": floor, "params": params,
                         "residual": residual, "iterations": iterations, "chart": chart, "accuracy": accuracy,
                         "coefficients": coefficients, "solution": None, "diverged": False, "quadrature": None})
    return out


def _warn_precision(res: Errors) -> None:
    """PrecisionWarning when a double-precision value is estimated worse than 1e-10 relative."""
    if res.params.get("dps") is not None:
        return
    name, worst = max(res.accuracy.items(), key=lambda kv: kv[1])
    if worst > WARN_RELATIVE:
        pr = ", ".join(f"{k}={v}" for k, v in res.params.items() if v is not None and k != "dps")
        warnings.warn(f"estimated relative error {worst:.1e} of {name} (about {res.digits} correct digits) in "
                      f"double precision at {pr}: ask for more digits (dps=30, --dps 30)", PrecisionWarning,
                      stacklevel=4)

