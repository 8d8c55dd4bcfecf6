"""One precision wrapper for the whole theory (numerical contract: docs/model.md).

A result asked for at ``dps = D`` digits is computed at ``D + GUARD`` digits (mpmath), then
rounded back to ``D`` digits on exit, like mpmath's own ``PrecisionManager``: every layer below
(moments, coefficients, solver, observables) works at the current ``mpmath.mp.dps`` and does not
add digits of its own.  ``dps = None`` is the double-precision fast path: floats, no mpmath
context.

`PrecisionWarning` is raised (as a warning) when a double-precision result is estimated
to be less accurate than `WARN_RELATIVE`.

Examples
--------
>>> import mpmath
>>> with working_precision(20):
...     inside, third = mpmath.mp.dps, mpmath.mpf(1) / 3
>>> inside, mpmath.mp.dps
(35, 15)
>>> abs(rounded(third, 20) - third) < mpmath.mpf(10) ** -20 < abs(rounded(third, 10) - third)
True
"""
from __future__ import annotations

from contextlib import contextmanager

import mpmath

__all__ = ["GUARD", "WARN_RELATIVE", "PrecisionWarning", "working_precision", "working_dps", "rounded"]

#: the guard digits added to a requested precision (the only such constant of the theory)
GUARD = 15
#: estimated relative error of a double-precision result above which a PrecisionWarning is issued
WARN_RELATIVE = 1e-10


class PrecisionWarning(UserWarning):
    """A double-precision result is estimated to carry fewer digits than the 10 promised by
    `WARN_RELATIVE`; ask for more digits (``dps=30``, ``--dps 30``)."""


def working_dps(dps: int) -> int:
    """The working precision (digits) of a result requested at ``dps`` digits."""
    return int(dps) + GUARD


@contextmanager
def working_precision(dps):
    """mpmath at ``dps + GUARD`` digits inside the block; nothing for ``dps=None`` (double)."""
    if dps is None:
        yield
        return
    with mpmath.workdps(working_dps(dps)):
        yield


def rounded(value, dps):
    """``value`` rounded to ``dps`` significant digits (mpf/mpc), unchanged when ``dps`` is None
    or ``value`` is not an mpmath number."""
    if dps is None or not isinstance(value, (mpmath.mpf, mpmath.mpc)):
        return value
    with mpmath.workdps(dps):
        return +value
