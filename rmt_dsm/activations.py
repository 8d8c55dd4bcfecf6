"""Activation functions sigma: definitions only (no Gaussian moments here).

An activation is one sympy expression in the symbol ``x``; everything else
(numpy evaluation, derivative) is derived from it.  Named activations:
``tanh``, ``erf``, ``relu``; any other string is a formula in ``x`` (e.g.
``"x*exp(-x**2)"``) read by `rmt_dsm.expression.parse_expression`, which
never evaluates the text (a whitelist of numbers, ``x``, ``+ - * / **`` and named
functions).  Adding a named activation touches only ``NAMED`` below; its Gaussian
moments live in `rmt_dsm.moments`.  `check_gaussian_moments` refuses an
activation whose Gaussian moments do not exist at a given variance.

This module is shared by the theory and by the finite-d simulator.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import mpmath
import numpy as np

from ._lazy import sympy as sp

__all__ = ["Activation", "get_activation", "check_gaussian_moments", "x", "NAMED", "NAMED_NUMERIC"]

#: the named activations (their sympy expressions: `NAMED`, built on first use)
NAMED_NAMES = ("tanh", "erf", "relu")


def _symbols() -> dict:
    """``x`` and ``NAMED`` (name -> sympy expression in x), built once, on first use."""
    if not _SYMBOLIC:
        x = sp.Symbol("x", real=True)
        _SYMBOLIC.update(x=x, NAMED={"tanh": sp.tanh(x), "erf": sp.erf(x), "relu": sp.Max(x, 0)})
    return _SYMBOLIC


_SYMBOLIC: dict = {}


def __getattr__(name):  # x and NAMED need sympy: made on first access
    if name in ("x", "NAMED"):
        return _symbols()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _heaviside(v):
    return (np.asarray(v) > 0).astype(float)


def _np_erf(v):
    from scipy.special import erf

    return erf(v)


#: the named activations evaluated without sympy: name -> (sigma, sigma') on numpy arrays and
#: (sigma, sigma') on mpmath numbers, the same functions as the lambdified `NAMED` expressions and
#: their derivatives (relu: the Heaviside step for sigma'; tests/test_cold_start.py compares)
NAMED_NUMERIC = {
    "tanh": ((np.tanh, lambda v: 1 - np.tanh(v) ** 2),
             (mpmath.tanh, lambda v: 1 - mpmath.tanh(v) ** 2)),
    "erf": ((_np_erf, lambda v: 2 * np.exp(-np.square(v)) / math.sqrt(math.pi)),
            (mpmath.erf, lambda v: 2 * mpmath.exp(-v**2) / mpmath.sqrt(mpmath.pi))),
    "relu": ((lambda v: np.maximum(v, 0.0), _heaviside),
             (lambda v: max(v, 0), lambda v: mpmath.mpf(0) if v < 0 else (mpmath.mpf(1) if v > 0 else mpmath.mpf("0.5")))),
}


def _numpy_function(expr):
    x = _symbols()["x"]
    if expr == sp.Max(x, 0):
        return lambda v: np.maximum(v, 0.0)
    if expr == sp.Heaviside(x):
        return _heaviside
    modules = ["numpy", {"erf": _np_erf, "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0)}]
    f = sp.lambdify(x, expr, modules=modules)
    const = not expr.has(x)
    if const:
        return lambda v: np.full(np.shape(v), float(expr))
    return f


@dataclass(frozen=True)
class Activation:
    """An entrywise activation sigma(x), given by a sympy expression in ``x``.

    Identified by its ``name`` (a named activation or the text of the formula).  A named
    activation is evaluated without sympy (`NAMED_NUMERIC`); ``expr`` is then built on first use.

    Examples
    --------
    >>> act = get_activation("erf")
    >>> float(act(np.array([0.0]))[0])
    0.0
    >>> act.derivative_expr
    2*exp(-x**2)/sqrt(pi)
    """

    name: str
    _expr: object = field(repr=False, compare=False, default=None)
    _f: object = field(repr=False, compare=False, default=None)
    _df: object = field(repr=False, compare=False, default=None)

    @property
    def expr(self):
        """sigma as a sympy expression in ``x``."""
        if self._expr is None:
            object.__setattr__(self, "_expr", _symbols()["NAMED"][self.name])
        return self._expr

    @property
    def derivative_expr(self):
        """sigma'(x); for relu the Heaviside step (its value at 0 is irrelevant: a null set)."""
        x = _symbols()["x"]
        if self.expr == sp.Max(x, 0):
            return sp.Heaviside(x)
        return sp.diff(self.expr, x)

    def __call__(self, v):
        """sigma evaluated entrywise on a numpy array (float64)."""
        return self._f(v)

    def derivative(self, v):
        """sigma' evaluated entrywise on a numpy array."""
        return self._df(v)


@lru_cache(maxsize=64)
def get_activation(name: str) -> Activation:
    """The activation called ``name``: one of NAMED, or a formula in x.

    Parameters
    ----------
    name : str
        ``tanh``, ``erf``, ``relu`` or a formula in ``x`` built from numbers, ``+ - * / **``
        and the functions of `rmt_dsm.expression.FUNCTIONS`.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        Naming ``activation``: a text outside that grammar (never evaluated), a formula that
        does not depend on x, or one that is not a finite real number on the real line.

    Examples
    --------
    >>> get_activation("x*exp(-x**2)").expr
    x*exp(-x**2)
    >>> get_activation("sin(y)")
    Traceback (most recent call last):
    ...
    ValueError: activation: unknown name 'y' (allowed: x, pi, E and the functions Abs, Heaviside, Max, Min, abs, asinh, atan, cos, cosh, erf, erfc, exp, gelu, log, max, min, relu, sigmoid, sign, sin, sinh, softplus, sqrt, tan, tanh)
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"activation must be a non-empty string, got {name!r}")
    key = name.strip()
    if key in NAMED_NAMES:
        f, df = NAMED_NUMERIC[key][0]
        return Activation(name=key, _f=f, _df=df)
    from .expression import parse_expression

    x = _symbols()["x"]
    expr = parse_expression(key, x)
    if not expr.has(x):
        raise ValueError(f"activation: {key!r} does not depend on x")
    act = Activation(name=key, _expr=expr)
    object.__setattr__(act, "_f", _numpy_function(expr))
    object.__setattr__(act, "_df", _numpy_function(act.derivative_expr))
    _check_real(act)
    return act


#: the grid on which a custom activation must be a finite real number: [-10, 10], shifted by
#: an irrational offset so that removable singularities (sin(x)/x at 0) are not hit exactly
_REAL_GRID = np.linspace(-10.0, 10.0, 2001) + 1.0 / (7.0 * math.pi)


def _values(f, v):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = np.asarray(f(v))
        except (ValueError, TypeError, ArithmeticError):
            return np.full(np.shape(v), np.nan)
    if np.iscomplexobj(out):
        out = np.where(np.abs(out.imag) > 0, np.nan, out.real)
    return np.broadcast_to(out.astype(float, copy=False), np.shape(v))


#: points where the Gaussian quadratures evaluate sigma: 0 (every split) and the dyadic
#: grid of step 1/16 on [-12, 12] (the nodes of the trapezoidal rules)
_SAMPLED = np.arange(-12 * 16, 12 * 16 + 1) / 16.0


def _check_real(act: Activation) -> None:
    """sigma(x) must be a real number at every x (except isolated points) of [-10, 10], and a
    finite one at the points where the quadratures evaluate it."""
    vals = _values(act, _REAL_GRID)
    bad = np.flatnonzero(np.isnan(vals))
    if bad.size:
        raise ValueError(f"activation {act.name!r} is not a real number at x = {_REAL_GRID[bad[0]]:.4g} "
                         "(an activation must be real on the whole real line)")
    vals = _values(act, _SAMPLED)
    bad = np.flatnonzero(~np.isfinite(vals))
    if bad.size:
        where = _SAMPLED[bad[np.argmin(np.abs(_SAMPLED[bad]))]]
        raise ValueError(f"activation {act.name!r} is not finite at x = {where:g}, where the Gaussian "
                         "quadratures evaluate it (a singularity, 0/0 or an overflow there)")


#: |z| up to which the Gaussian integrals of `check_gaussian_moments` are taken
#: (exp(-z^2/2) < 1e-190 beyond: any activation whose moments are computable is negligible there)
_Z_MAX = 30.0


@lru_cache(maxsize=256)
def _moments_problem(act: Activation, gamma2: float) -> str | None:
    """Why E sigma(Gamma z)^2 does not exist (numerically), or None."""
    from scipy.integrate import quad

    G = math.sqrt(gamma2)

    def log_integrand(z):  # log(sigma(G z)^2 exp(-z^2/2)), overflow-free
        with np.errstate(divide="ignore"):
            return 2 * np.log(np.abs(_values(act, G * np.asarray(z, dtype=float)))) - z * z / 2

    grid = np.linspace(-_Z_MAX, _Z_MAX, 6001) + 1.0 / (7.0 * math.pi)
    lw = log_integrand(grid)
    if np.any(np.isnan(lw)):
        return f"sigma(x) is not a real number at x = {G * grid[np.isnan(lw)][0]:.4g}"
    if np.any(lw[np.abs(grid) > _Z_MAX - 5] > math.log(1e-12)):
        return ("sigma(x)^2 grows too fast for its Gaussian integral to converge "
                "(like exp(x^2/(2 Gamma^2)) or faster)")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = quad(lambda z: float(np.exp(log_integrand(np.array([z]))[0])), -_Z_MAX, _Z_MAX,
                   points=[0.0], limit=400, full_output=1)
    if len(res) != 3 or not math.isfinite(res[0]):  # quadpack's ier != 0: no convergence
        return ("the adaptive quadrature of E sigma(Gamma z)^2 does not converge (a non-integrable "
                "singularity, or oscillations too fast to resolve)")
    return None


def check_gaussian_moments(activation, gamma2) -> Activation:
    """The activation, if its Gaussian moments exist at variance ``gamma2``.

    The theory and the simulator need E sigma(Gamma z)^2 < inf for z ~ N(0, 1) and
    Gamma^2 = a^2 tr(Sigma)/d + Delta (then mu0, mu1 = E[z sigma(Gamma z)]/Gamma and every
    cross moment exist, by Cauchy-Schwarz).  This is checked numerically in
    double precision: sigma must be real, its squared values times exp(-z^2/2) must decay in
    the tails (|z| near 30), and an adaptive quadrature on [-30, 30] must converge (it does
    not at a non-integrable singularity such as 1/x, nor for oscillations too fast to resolve,
    such as sin(1000 x): such an activation is refused although its moments exist).  The named
    activations always pass.

    Parameters
    ----------
    activation : str or Activation
    gamma2 : float
        Gamma^2 > 0.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        Naming ``activation`` and saying which moment does not exist.

    Examples
    --------
    >>> check_gaussian_moments("x*exp(-x**2)", 1.0).name
    'x*exp(-x**2)'
    >>> check_gaussian_moments("exp(x**2)", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: activation 'exp(x**2)' has no Gaussian moments at Gamma^2 = 1: sigma(x)^2 grows too fast for its Gaussian integral to converge (like exp(x^2/(2 Gamma^2)) or faster)
    """
    act = activation if isinstance(activation, Activation) else get_activation(activation)
    if act.name in NAMED_NAMES:
        return act
    problem = _moments_problem(act, float(gamma2))
    if problem is not None:
        raise ValueError(f"activation {act.name!r} has no Gaussian moments at Gamma^2 = "
                         f"{float(gamma2):.6g}: {problem}")
    return act
