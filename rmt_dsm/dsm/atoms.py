r"""Sums over the atoms of the data spectrum [S§4]: sum_k w_k f(l_k) for a per-atom expression f(l).

The reduced Dyson system of the structured-data pencil (derivations/structured_data.md) contains
the data spectrum only through three such sums, each of a rational function of the eigenvalue
placeholder `l` of the form (p0 + p1 l)/(d0 + d1 l).  A *reduction* turns a per-atom
expression into a sympy expression of the whole system; three reductions exist:

* `IsotropicAtoms` (Sigma = I): l = 1 substituted, no atom parameters;
* `ExplicitAtoms` (K <= `EXPLICIT_MAX` atoms): the sum written out, with the atoms as
  parameters ``w_k``, ``l_k`` of the system (compiled once per K; the one-atom case is the
  isotropic system of derivations/dsm_learning_curves.md with l_1 = 1);
* `BoundAtoms` (any number of atoms, e.g. the quadrature nodes of a continuous spectrum):
  each sum becomes a combination of the functions ``AtomSum(j, n, c0, c1) =
  sum_k w_k l_k^j / (c0 + c1 l_k)^n`` of one spectrum, evaluated as vectorized reductions over
  the atom arrays (numpy in double precision, mpmath ``fsum`` at any precision);
* `SymbolicAtoms`: a sympy ``Sum`` over k = 1..K with ``IndexedBase`` w_k, l_k (LaTeX).

>>> import sympy as sp
>>> c = sp.Symbol("c")
>>> ExplicitAtoms(2).sum(l / (1 - c * l))
l_1*w_1/(-c*l_1 + 1) + l_2*w_2/(-c*l_2 + 1)
"""
from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from .numeric import EXPLICIT_MAX, atom_parameter_values

__all__ = ["l", "EXPLICIT_MAX", "IsotropicAtoms", "ExplicitAtoms", "BoundAtoms", "SymbolicAtoms", "AtomSum",
           "reduction_for"]

#: the eigenvalue of one atom, as a placeholder in per-atom expressions
l = sp.Symbol("l", nonnegative=True)


class ExplicitAtoms:
    """sum_k w_k f(l_k) written out for K atoms; the atoms are parameters ``w_k``, ``l_k``
    (no ``w_1`` for K = 1: its weight is 1)."""

    def __init__(self, K: int):
        self.K = K
        self.l = tuple(sp.Symbol(f"l_{k}", nonnegative=True) for k in range(1, K + 1))
        self.w = (sp.Integer(1),) if K == 1 else tuple(sp.Symbol(f"w_{k}", positive=True) for k in range(1, K + 1))
        self.key = ("explicit", K)

    def sum(self, expr) -> sp.Expr:
        return sp.Add(*(w * sp.sympify(expr).xreplace({l: lk}) for w, lk in zip(self.w, self.l)))

    def values(self, spectrum, convert) -> dict:
        """Parameter values {name: value} of the atoms of ``spectrum`` (``convert``: to a number)."""
        return atom_parameter_values(spectrum, convert)

    @property
    def names(self) -> dict:
        """LaTeX names of the atom parameters."""
        return {s.name: s.name.replace("_", "_{") + "}" for s in (*self.l, *self.w) if isinstance(s, sp.Symbol)}


class AtomSum(sp.Function):
    r""":math:`\sum_k w_k l_k^j (c_0 + c_1 l_k)^{-n}` over the atoms of one data spectrum.

    Derivatives: d/dc0 = -n AtomSum(j, n+1), d/dc1 = -n AtomSum(j+1, n+1).  The numerical value
    (``_imp_``) exists only on the subclasses bound to a spectrum by `BoundAtoms`.
    """

    nargs = 4

    def fdiff(self, argindex=1):
        j, n, c0, c1 = self.args
        if argindex == 3:
            return -n * self.func(j, n + 1, c0, c1)
        if argindex == 4:
            return -n * self.func(j + 1, n + 1, c0, c1)
        raise sp.ArgumentIndexError(self, argindex)

    def _latex(self, printer):
        j, n, c0, c1 = (printer._print(a) for a in self.args)
        lj = "" if self.args[0] == 0 else (" l_k" if self.args[0] == 1 else f" l_k^{{{j}}}")
        return rf"\sum_k w_k{lj} \left({c0} + {c1}\, l_k\right)^{{-{n}}}"


def _mp(v):
    """A spectrum number at the working precision (a python float by its shortest decimal repr)."""
    return mpmath.mpf(repr(v)) if isinstance(v, float) else mpmath.mpmathify(v)


def _bound_sum(weights, eigenvalues):
    """The numerical AtomSum of one spectrum: float/complex (numpy) or mpmath arguments."""
    w64, l64 = np.array([float(w) for w in weights]), np.array([float(x) for x in eigenvalues])
    cache = {}

    def atoms_mp():
        key = mpmath.mp.prec
        if key not in cache:
            cache[key] = [(_mp(w), _mp(x)) for w, x in zip(weights, eigenvalues)]
        return cache[key]

    def value(j, n, c0, c1):
        j, n = int(j), int(n)
        if isinstance(c0, (mpmath.mpf, mpmath.mpc)) or isinstance(c1, (mpmath.mpf, mpmath.mpc)):
            return mpmath.fsum(w * x**j / (c0 + c1 * x) ** n for w, x in atoms_mp())
        if np.ndim(c0) or np.ndim(c1):  # arrays of points (a batched solve): one sum per point
            c0, c1 = np.asarray(c0)[..., None], np.asarray(c1)[..., None]
            return np.sum(w64 * l64**j / (c0 + c1 * l64) ** n, axis=-1)
        return np.sum(w64 * l64**j / (c0 + c1 * l64) ** n)

    return value


class BoundAtoms:
    """sum_k w_k f(l_k) for one spectrum with any number of atoms, as AtomSum functions."""

    def __init__(self, spectrum):
        self.spectrum = spectrum
        self.key = ("bound", spectrum)
        self.func = type("AtomSum", (AtomSum,), {"_imp_": staticmethod(_bound_sum(spectrum.weights,
                                                                                  spectrum.eigenvalues))})

    def sum(self, expr) -> sp.Expr:
        num, den = sp.fraction(sp.together(sp.sympify(expr)))
        d = sp.Poly(den, l)
        if d.degree() > 1:
            raise ValueError(f"per-atom expression {expr} is not (p0 + p1 l)/(d0 + d1 l)")
        d0, d1 = d.coeff_monomial(1), d.coeff_monomial(l)
        p = sp.Poly(num, l)
        return sp.Add(*(c * self.func(j, 1, d0, d1) for (j,), c in p.terms()))

    def values(self, spectrum, convert) -> dict:
        return {}

    names: dict = {}


class SymbolicAtoms:
    """sum_{k=1}^{K} w_k f(l_k) as a sympy Sum with IndexedBase w, l (for LaTeX)."""

    k = sp.Idx("k")
    K = sp.Symbol("K", positive=True, integer=True)
    w_k = sp.IndexedBase("w")
    l_k = sp.IndexedBase("l")
    key = ("symbolic",)

    def sum(self, expr) -> sp.Expr:
        return sp.Sum(self.w_k[self.k] * sp.sympify(expr).xreplace({l: self.l_k[self.k]}), (self.k, 1, self.K))


class IsotropicAtoms(ExplicitAtoms):
    """Sigma = I: the one atom (1, 1) substituted (no atom parameters: the system of
    derivations/dsm_learning_curves.md, with the parameters it always had)."""

    def __init__(self):
        super().__init__(1)
        self.key = ("isotropic",)

    def sum(self, expr) -> sp.Expr:
        return sp.sympify(expr).xreplace({l: sp.Integer(1)})

    def values(self, spectrum, convert) -> dict:
        return {}

    names: dict = {}


def reduction_for(spectrum):
    """The reduction of a spectrum: none for Sigma = I, explicit for at most EXPLICIT_MAX atoms,
    else bound."""
    if spectrum.is_identity:
        return _isotropic()
    if spectrum.size <= EXPLICIT_MAX and spectrum.quantile is None:
        return _explicit(spectrum.size)
    return _bound(spectrum)


@lru_cache(maxsize=None)
def _isotropic():
    return IsotropicAtoms()


@lru_cache(maxsize=None)
def _explicit(K):
    return ExplicitAtoms(K)


@lru_cache(maxsize=16)
def _bound(spectrum):
    return BoundAtoms(spectrum)
