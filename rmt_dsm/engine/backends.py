"""Numerical back ends of the engine: double precision (numpy) and mpmath.

Both evaluate the *same* lambdified sympy objects, built once per system and
cached (`Compiled`): the residual ``F(g; theta)``, its symbolic Jacobian
``J = dF/dg`` and the parameter Jacobian ``F_theta = dF/dtheta``.  ``theta`` is
the extended parameter vector (the system's parameters, then the homotopy
parameter ``s`` when the system has one).

A back end only knows vectors and small dense linear solves; the continuation
logic in `rmt_dsm.engine.solve` is written once against this interface.
"""
from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

__all__ = ["Compiled", "NumpyBackend", "MpmathBackend", "Singular"]


class Singular(ArithmeticError):
    """A linear solve failed (singular or non-finite Jacobian)."""


class Compiled:
    """Lambdified ``F``, ``(F, J)`` and ``F_theta`` for one module ('numpy' or 'mpmath').

    ``args = unknowns + theta``.  Common subexpressions are shared (``cse=True``).
    """

    def __init__(self, unknowns, theta, equations, module: str):
        eqs = sp.Matrix(list(equations))
        args = list(unknowns) + list(theta)
        J = eqs.jacobian(list(unknowns))
        mods = "mpmath" if module == "mpmath" else ["numpy"]
        n, p = len(unknowns), len(theta)
        # flat lists: sympy's cse does not look into nested lists
        self.f = sp.lambdify(args, list(eqs), modules=mods, cse=True)
        fj = sp.lambdify(args, list(eqs) + list(J), modules=mods, cse=True)
        self.fj = lambda *a: _split(fj(*a), n, n)
        self.n = n
        self.p = p
        self._eqs, self._theta, self._args, self._mods, self._columns, self._ft = eqs, list(theta), args, mods, {}, None

    def ft(self, *a):
        """F_theta as n rows of p (the whole parameter Jacobian, differentiated and lambdified on
        first use: most solves need only the columns of the parameters that move, `ft_column`)."""
        if self._ft is None:
            Ft = self._eqs.jacobian(self._theta) if self._theta else sp.zeros(self.n, 0)
            self._ft = sp.lambdify(self._args, list(Ft), modules=self._mods, cse=True)
        return _rows(self._ft(*a), self.n, self.p)

    def ft_column(self, k):
        """Lambdified column k of ``F_theta`` (built on first use): one derivative dF/dtheta_k
        costs a fraction of the whole parameter Jacobian."""
        f = self._columns.get(k)
        if f is None:
            col = self._eqs.diff(self._theta[k])
            f = self._columns[k] = sp.lambdify(self._args, list(col), modules=self._mods, cse=True)
        return f


def _rows(flat, n, p) -> list:
    """A flat row-major list as n rows of p."""
    return [flat[i * p:(i + 1) * p] for i in range(n)]


def _split(flat, n, m) -> tuple:
    """(F, J) from the flat list F + J (J row-major, n x m)."""
    return flat[:n], _rows(flat[n:], n, m)


class NumpyBackend:
    """float64 / complex128 arithmetic; ``eps`` is the unit roundoff."""

    eps = 2.220446049250313e-16
    dps = None

    def __init__(self, compiled: Compiled, is_complex: bool):
        self.c = compiled
        self.dtype = complex if is_complex else float

    # conversions -----------------------------------------------------
    def convert(self, x):
        if isinstance(x, str):
            x = mpmath.mpmathify(x)
        if self.dtype is complex:
            return complex(x)
        if isinstance(x, (complex, mpmath.mpc)) or (hasattr(x, "imag") and x.imag != 0):
            return complex(x)
        return float(x)

    def vec(self, values):
        vals = [self.convert(v) for v in values]
        if self.dtype is float and any(isinstance(v, complex) for v in vals):
            self.dtype = complex  # a complex start switches the whole computation to complex128
        return np.array(vals, dtype=self.dtype)

    def tolist(self, g):
        return g.tolist()

    def _arr(self, x):
        try:
            a = np.array(x, dtype=self.dtype)
        except TypeError:  # complex value in a real computation
            self.dtype = complex
            a = np.array(x, dtype=complex)
        if not np.all(np.isfinite(a)):
            raise Singular("non-finite value")
        return a

    # evaluations -----------------------------------------------------
    def F(self, g, th):
        try:
            return self._arr(self.c.f(*g.tolist(), *th))
        except (ZeroDivisionError, OverflowError, FloatingPointError) as e:
            raise Singular(str(e)) from e

    def FJ(self, g, th):
        try:
            f, j = self.c.fj(*g.tolist(), *th)
            return self._arr(f), self._arr(j).reshape(self.c.n, self.c.n)
        except (ZeroDivisionError, OverflowError, FloatingPointError) as e:
            raise Singular(str(e)) from e

    def Ft(self, g, th):
        try:
            return self._arr(self.c.ft(*g.tolist(), *th)).reshape(self.c.n, self.c.p)
        except (ZeroDivisionError, OverflowError, FloatingPointError) as e:
            raise Singular(str(e)) from e

    def Ft_column(self, g, th, k):
        try:
            return self._arr(self.c.ft_column(k)(*g.tolist(), *th))
        except (ZeroDivisionError, OverflowError, FloatingPointError) as e:
            raise Singular(str(e)) from e

    # linear algebra ----------------------------------------------------
    def solve(self, A, b):
        try:
            x = np.linalg.solve(A, b)
        except np.linalg.LinAlgError as e:
            raise Singular(str(e)) from e
        if not np.all(np.isfinite(x)):
            raise Singular("non-finite solve")
        return x

    def factor(self, A):
        """LU factors of A, for several right-hand sides (`solve_factored`)."""
        from scipy.linalg import lu_factor

        if not np.all(np.isfinite(A)):
            raise Singular("non-finite matrix")
        return lu_factor(A, check_finite=False)

    def solve_factored(self, lu, b):
        from scipy.linalg import lu_solve

        x = lu_solve(lu, np.asarray(b), check_finite=False)
        if not np.all(np.isfinite(x)):
            raise Singular("non-finite solve")
        return x

    @staticmethod
    def matvec(A, v):
        return A @ np.asarray(v)

    @staticmethod
    def norm(v) -> float:
        return float(np.max(np.abs(v))) if len(v) else 0.0

    @staticmethod
    def column(A, k):
        return A[:, k]

    def number(self, x):
        """Python float/complex for the user."""
        x = complex(x) if isinstance(x, (complex, np.complexfloating)) else float(x)
        return x


class MpmathBackend:
    """mpmath arithmetic at ``mp.dps = dps`` (caller sets the context)."""

    def __init__(self, compiled: Compiled, dps: int):
        self.c = compiled
        self.dps = dps
        self.eps = mpmath.mpf(10) ** (-dps)

    def convert(self, x):
        return mpmath.mpmathify(x)

    def vec(self, values):
        return mpmath.matrix([self.convert(v) for v in values])

    @staticmethod
    def tolist(g):
        return [g[i] for i in range(g.rows)]

    @staticmethod
    def _check(vals):
        for v in vals:
            if not mpmath.isfinite(v):
                raise Singular("non-finite value")

    def F(self, g, th):
        try:
            f = self.c.f(*self.tolist(g), *th)
        except (ZeroDivisionError, OverflowError) as e:
            raise Singular(str(e)) from e
        self._check(f)
        return mpmath.matrix(f)

    def FJ(self, g, th):
        try:
            f, j = self.c.fj(*self.tolist(g), *th)
        except (ZeroDivisionError, OverflowError) as e:
            raise Singular(str(e)) from e
        self._check(f)
        return mpmath.matrix(f), mpmath.matrix(j)

    def Ft(self, g, th):
        try:
            ft = self.c.ft(*self.tolist(g), *th)
        except (ZeroDivisionError, OverflowError) as e:
            raise Singular(str(e)) from e
        return mpmath.matrix(ft) if self.c.p else mpmath.matrix(self.c.n, 0)

    def Ft_column(self, g, th, k):
        try:
            col = self.c.ft_column(k)(*self.tolist(g), *th)
        except (ZeroDivisionError, OverflowError) as e:
            raise Singular(str(e)) from e
        return mpmath.matrix(col)

    def solve(self, A, b):
        try:
            x = mpmath.lu_solve(A, b)
        except ZeroDivisionError as e:
            raise Singular(str(e)) from e
        self._check(self.tolist(x))
        return x

    def factor(self, A):
        """LU factors of A (mpmath's Gauss elimination with pivoting), for `solve_factored`."""
        try:
            return mpmath.mp.LU_decomp(A, use_cache=False)
        except ZeroDivisionError as e:
            raise Singular(str(e)) from e

    def solve_factored(self, lu, b):
        LU, p = lu
        x = mpmath.mp.U_solve(LU, mpmath.mp.L_solve(LU, mpmath.matrix(b), p))
        self._check(self.tolist(x))
        return x

    @staticmethod
    def matvec(A, v):
        return A * mpmath.matrix(list(v))

    @staticmethod
    def norm(v):
        return max((abs(v[i]) for i in range(v.rows)), default=mpmath.mpf(0))

    @staticmethod
    def column(A, k):
        return A.column(k)

    @staticmethod
    def number(x):
        return x
