"""The one exception of the engine (docs/model.md, "Numerical contract": never a silently wrong number)."""
from __future__ import annotations

import mpmath

__all__ = ["ConvergenceError", "format_params"]


def format_params(params) -> str:
    """``name=value`` pairs of a parameter dict, shortest readable form.

    Examples
    --------
    >>> import sympy as sp
    >>> format_params({sp.Symbol("z"): -1.0, sp.Symbol("alpha"): 2})
    'alpha=2, z=-1.0'
    """
    items = sorted(((str(k), v) for k, v in params.items()), key=lambda kv: kv[0])
    out = []
    for name, v in items:
        if isinstance(v, (mpmath.mpf, mpmath.mpc)):
            v = mpmath.nstr(v, 12)
        out.append(f"{name}={v}")
    return ", ".join(out)


class ConvergenceError(RuntimeError):
    """Raised when no converged solution on the physical branch was found.

    The message names the system and every parameter value, the residual and
    the number of Newton iterations, and a hint what to change.  The same data
    are attributes: ``system``, ``params``, ``residual``, ``iterations``,
    ``reason``, ``hint``.
    """

    def __init__(self, system: str, reason: str, params=None, residual=None,
                 iterations: int | None = None, hint: str = ""):
        self.system = system
        self.reason = reason
        self.params = dict(params or {})
        self.residual = residual
        self.iterations = iterations
        self.hint = hint
        msg = f"{system}: {reason}"
        if self.params:
            msg += f" at {format_params(self.params)}"
        bits = []
        if residual is not None:
            try:
                bits.append(f"residual {float(abs(residual)):.3e}")
            except (TypeError, ValueError, OverflowError):
                bits.append(f"residual {residual}")
        if iterations is not None:
            bits.append(f"{iterations} Newton iterations")
        if bits:
            msg += " (" + ", ".join(bits) + ")"
        if hint:
            msg += f". Hint: {hint}"
        super().__init__(msg)
