"""The grid of diffusion times t_1 < ... < t_K of the sampler (derivations/sampling.md §1).

Times are log-spaced between t_min and t_max (finer near t = 0, where the score changes
fastest); each time carries its Ornstein-Uhlenbeck schedule a_k = exp(-t_k),
Delta_k = 1 - exp(-2 t_k).  The reverse step from t_{k+1} down to t_k has length
h_k = t_{k+1} - t_k and uses the score fitted at t_k.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmt_dsm.model import Schedule

__all__ = ["TimeGrid", "time_grid"]


@dataclass(frozen=True)
class TimeGrid:
    """Times t_1 < ... < t_K (K >= 2) and their schedules (tuples of floats)."""

    t: tuple
    a: tuple
    delta: tuple

    @property
    def K(self) -> int:
        """Number of grid times."""
        return len(self.t)

    @property
    def h(self) -> np.ndarray:
        """Step lengths h_k = t_{k+1} - t_k, k = 1..K-1."""
        return np.diff(np.asarray(self.t))

    def as_dict(self) -> dict:
        return {"t": list(self.t), "a": list(self.a), "delta": list(self.delta)}


def _check_time(name: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a finite positive diffusion time, got {v!r}")
    v = float(v)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a finite positive diffusion time, got {v!r}")
    return v


def time_grid(t_min, t_max, steps) -> TimeGrid:
    """K = ``steps`` log-spaced times from t_min to t_max (both included).

    Raises ValueError naming t_min, t_max or steps on bad input.

    >>> g = time_grid(0.01, 1.0, 3)
    >>> [round(v, 12) for v in g.t]
    [0.01, 0.1, 1.0]
    >>> round(g.a[2] ** 2 + g.delta[2], 12)
    1.0
    >>> time_grid(1.0, 0.5, 3)
    Traceback (most recent call last):
    ...
    ValueError: t_max must be larger than t_min, got t_min = 1.0, t_max = 0.5
    """
    t_min = _check_time("t_min", t_min)
    t_max = _check_time("t_max", t_max)
    if not t_max > t_min:
        raise ValueError(f"t_max must be larger than t_min, got t_min = {t_min}, t_max = {t_max}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2 (number of grid times), got {steps!r}")
    ts = np.geomspace(t_min, t_max, int(steps))
    ts[0], ts[-1] = t_min, t_max
    sch = [Schedule.from_t(float(v)) for v in ts]
    return TimeGrid(t=tuple(float(v) for v in ts), a=tuple(s.a for s in sch), delta=tuple(s.delta for s in sch))
