"""The model's parameters and their validation (docs/model.md).

This module is shared by the theory and by the finite-d simulator: it holds no
formula of either, only the diffusion schedule and the checks every public entry
point applies to its arguments.

Forward process: y = a x + sqrt(Delta) xi.  Ornstein-Uhlenbeck schedule:
a = exp(-t), Delta = 1 - exp(-2 t).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Schedule", "schedule", "check_ratio", "check_m", "check_lam"]


def _is_number(x) -> bool:
    try:
        return not math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _require_number(name: str, x) -> float:
    if isinstance(x, bool) or not _is_number(x):
        raise ValueError(f"{name} must be a real number, got {x!r}")
    return x


@dataclass(frozen=True)
class Schedule:
    """Signal scale ``a`` and noise variance ``delta`` (Delta) at one diffusion time.

    Examples
    --------
    >>> s = Schedule.from_t(0.5)
    >>> round(s.a ** 2 + s.delta, 12)
    1.0
    """

    a: float
    delta: float
    t: float | None = None

    @classmethod
    def from_t(cls, t) -> "Schedule":
        """Ornstein-Uhlenbeck schedule: a = e^{-t}, Delta = 1 - e^{-2t} (t > 0)."""
        _require_number("t", t)
        if not t > 0 or math.isinf(float(t)):
            raise ValueError(f"t must be a finite positive diffusion time, got {t!r}")
        try:  # keep mpmath numbers exact at the working precision
            import mpmath

            if isinstance(t, (mpmath.mpf,)):
                return cls(a=mpmath.exp(-t), delta=-mpmath.expm1(-2 * t), t=t)
        except ImportError:  # pragma: no cover
            pass
        return cls(a=math.exp(-t), delta=-math.expm1(-2.0 * t), t=t)


def schedule(t=None, a=None, delta=None) -> Schedule:
    """Build the schedule from ``t`` (OU) or from ``(a, delta)`` given directly.

    Examples
    --------
    >>> schedule(a=1.0, delta=0.25)
    Schedule(a=1.0, delta=0.25, t=None)
    >>> schedule(t=1.0, a=1.0)
    Traceback (most recent call last):
    ...
    ValueError: give either t, or both a and delta, not both t and (a, delta)
    """
    if t is not None:
        if a is not None or delta is not None:
            raise ValueError("give either t, or both a and delta, not both t and (a, delta)")
        return Schedule.from_t(t)
    if a is None or delta is None:
        raise ValueError("give the diffusion time t, or both a and delta")
    _require_number("a", a)
    _require_number("delta", delta)
    if math.isinf(float(a)):
        raise ValueError(f"a must be finite, got {a!r}")
    if not delta > 0 or math.isinf(float(delta)):
        raise ValueError(f"delta (Delta) must be a finite positive noise variance, got {delta!r}")
    return Schedule(a=a, delta=delta)


def check_ratio(name: str, x):
    """A positive finite aspect ratio such as psi_n = n/d or psi_p = p/d.

    Examples
    --------
    >>> check_ratio("psi_n", 0)
    Traceback (most recent call last):
    ...
    ValueError: psi_n must be a finite positive ratio, got 0
    """
    _require_number(name, x)
    if not x > 0 or math.isinf(float(x)):
        raise ValueError(f"{name} must be a finite positive ratio, got {x!r}")
    return x


def check_m(m):
    """Number of noise draws per data point: an integer >= 1 or ``math.inf``.

    Examples
    --------
    >>> check_m(math.inf)
    inf
    >>> check_m(0)
    Traceback (most recent call last):
    ...
    ValueError: m must be an integer >= 1 or inf, got 0
    """
    if isinstance(m, float) and math.isinf(m) and m > 0:
        return math.inf
    if isinstance(m, bool):
        raise ValueError(f"m must be an integer >= 1 or inf, got {m!r}")
    if isinstance(m, float) and m.is_integer():
        m = int(m)
    if not isinstance(m, int) or m < 1:
        raise ValueError(f"m must be an integer >= 1 or inf, got {m!r}")
    return m


def check_lam(lam):
    """Ridge lambda >= 0 (0 means the limit lambda -> 0+).

    Examples
    --------
    >>> check_lam(-1)
    Traceback (most recent call last):
    ...
    ValueError: lam must be a finite ridge >= 0, got -1
    """
    _require_number("lam", lam)
    if not lam >= 0 or math.isinf(float(lam)):
        raise ValueError(f"lam must be a finite ridge >= 0, got {lam!r}")
    return lam


def parse_m(text: str):
    """Parse the CLI form of m: an integer or 'inf'.

    Examples
    --------
    >>> parse_m("inf"), parse_m("3")
    (inf, 3)
    """
    if text.strip().lower() in ("inf", "infinity"):
        return math.inf
    try:
        return check_m(int(text))
    except ValueError:
        raise ValueError(f"m must be an integer >= 1 or inf, got {text!r}") from None
