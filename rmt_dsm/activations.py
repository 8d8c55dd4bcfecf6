"""Activation functions sigma: definitions only (no Gaussian moments here).

An activation is one sympy expression in the symbol ``x``; everything else
(numpy evaluation, derivative) is derived from it.  Named activations:
``tanh``, ``erf``, ``relu``; any other string is parsed as a sympy expression in
``x`` (e.g. ``"x*exp(-x**2)"``).  Adding a named activation touches only
``NAMED`` below; its Gaussian moments live in `rmt_dsm.moments`.

This module is shared by the theory and by the finite-d simulator.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

__all__ = ["Activation", "get_activation", "x", "NAMED"]

x = sp.Symbol("x", real=True)

#: name -> sympy expression in x
NAMED: dict[str, sp.Expr] = {
    "tanh": sp.tanh(x),
    "erf": sp.erf(x),
    "relu": sp.Max(x, 0),
}


def _numpy_function(expr: sp.Expr):
    if expr == sp.Max(x, 0):
        return lambda v: np.maximum(v, 0.0)
    if expr == sp.Heaviside(x):
        return lambda v: (np.asarray(v) > 0).astype(float)
    modules = ["numpy", {"erf": _np_erf, "Heaviside": lambda v, h0=0.5: np.heaviside(v, h0)}]
    f = sp.lambdify(x, expr, modules=modules)
    const = not expr.has(x)
    if const:
        return lambda v: np.full(np.shape(v), float(expr))
    return f


def _np_erf(v):
    from scipy.special import erf

    return erf(v)


@dataclass(frozen=True)
class Activation:
    """An entrywise activation sigma(x), given by a sympy expression in ``x``.

    Examples
    --------
    >>> act = get_activation("erf")
    >>> float(act(np.array([0.0]))[0])
    0.0
    >>> act.derivative_expr
    2*exp(-x**2)/sqrt(pi)
    """

    name: str
    expr: sp.Expr
    _f: object = field(repr=False, compare=False, default=None)
    _df: object = field(repr=False, compare=False, default=None)

    @property
    def derivative_expr(self) -> sp.Expr:
        """sigma'(x); for relu the Heaviside step (its value at 0 is irrelevant: a null set)."""
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
    """The activation called ``name``: one of NAMED, or a sympy expression in x.

    Examples
    --------
    >>> get_activation("x*exp(-x**2)").expr
    x*exp(-x**2)
    >>> get_activation("sin(y)")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of tanh, erf, relu or a sympy expression in x, got 'sin(y)'
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"activation must be a non-empty string, got {name!r}")
    key = name.strip()
    if key in NAMED:
        expr = NAMED[key]
    else:
        bad = ValueError(
            "activation must be one of " + ", ".join(NAMED) + f" or a sympy expression in x, got {name!r}"
        )
        try:
            expr = sp.sympify(key, locals={"x": x, "relu": lambda e: sp.Max(e, 0)})
        except (sp.SympifyError, SyntaxError, TypeError, AttributeError):
            raise bad from None
        if not isinstance(expr, sp.Expr) or expr.free_symbols - {x} or not expr.has(x):
            raise bad
    act = Activation(name=key, expr=expr)
    object.__setattr__(act, "_f", _numpy_function(expr))
    object.__setattr__(act, "_df", _numpy_function(act.derivative_expr))
    return act
