"""The model's parameters and their validation (docs/model.md).

This module is shared by the theory and by the finite-d simulator: it holds no
formula of either, only the diffusion schedule and the checks every public entry
point applies to its arguments.

Forward process: y = a x + sqrt(Delta) xi.  Ornstein-Uhlenbeck schedule:
a = exp(-t), Delta = 1 - exp(-2 t).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

__all__ = ["Schedule", "schedule", "check_ratio", "check_m", "check_lam", "check_dps", "check_tau", "MAX_DPS"]

#: largest working precision (significant digits) accepted: at 100 digits one point takes a
#: few seconds, at 150 about a minute and at 300 several minutes (the Gaussian quadratures)
MAX_DPS = 100


def _require_number(name: str, x):
    """``x`` itself if it is a real number (int, float, numpy, Fraction, mpmath or sympy
    number) and not NaN; a string, bool, complex or other object is refused.

    >>> _require_number("psi_n", "2")
    Traceback (most recent call last):
    ...
    ValueError: psi_n must be a real number, got '2' (a str)
    """
    if type(x) is float:  # the common case, without the abstract-class checks below
        if x != x:
            raise ValueError(f"{name} must be a real number, got {x!r}")
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        shown = repr(x) if len(repr(x)) <= 60 else repr(x)[:57] + "..."
        raise ValueError(f"{name} must be a real number, got {shown} (a {type(x).__name__})")
    try:
        nan = math.isnan(float(x))
    except OverflowError:
        raise ValueError(f"{name} must be a finite number, got one too large for a float") from None
    except (TypeError, ValueError):
        nan = True
    if nan:
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
    try:  # Gamma^2 = a^2 + Delta, the variance of the pre-activations, must be a float
        float(a) ** 2 + float(delta)
    except OverflowError:
        raise ValueError(f"a is too large: a^2 + Delta overflows a double, got a={a!r}") from None
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
    if type(m) is int and m >= 1:  # the common case
        return m
    if isinstance(m, float) and math.isinf(m) and m > 0:
        return math.inf
    if isinstance(m, bool):
        raise ValueError(f"m must be an integer >= 1 or inf, got {m!r}")
    if isinstance(m, float) and m.is_integer():
        m = int(m)
    if isinstance(m, numbers.Integral) and not isinstance(m, int):
        m = int(m)  # numpy and sympy integers
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


def check_dps(dps, name: str = "dps"):
    """Working precision: None (double precision) or an integer number of significant digits
    in 1..MAX_DPS.

    >>> check_dps(30), check_dps(None)
    (30, None)
    >>> check_dps(100000)
    Traceback (most recent call last):
    ...
    ValueError: dps must be an integer number of digits from 1 to 100, got 100000
    """
    if dps is None:
        return None
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or not 1 <= dps <= MAX_DPS:
        raise ValueError(f"{name} must be an integer number of digits from 1 to {MAX_DPS}, got {dps!r}")
    return int(dps)


def check_tau(tau):
    """Gradient-flow training time tau > 0; None or ``math.inf`` mean the converged (ridge) readout.

    >>> check_tau(None), check_tau(math.inf), check_tau(2)
    (inf, inf, 2)
    >>> check_tau(0)
    Traceback (most recent call last):
    ...
    ValueError: tau must be a positive training time or inf, got 0
    """
    if tau is None:
        return math.inf
    _require_number("tau", tau)
    if not tau > 0:
        raise ValueError(f"tau must be a positive training time or inf, got {tau!r}")
    return tau


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
