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

__all__ = ["Compiled", "NumpyBackend", "MpmathBackend", "Singular", "system_key", "system_functions"]


class Singular(ArithmeticError):
    """A linear solve failed (singular or non-finite Jacobian)."""


class Compiled:
    """Lambdified ``F``, ``(F, J)`` and ``F_theta`` for one module ('numpy' or 'mpmath').

    ``args = unknowns + theta``.  Common subexpressions are shared (``cse=True``).  The
    generated source is kept on disk, keyed by the symbolic source (`rmt_dsm.engine.codegen`):
    a later process skips the Jacobians and the lambdify; `from_namespace` builds the object
    from a shipped module without sympy (`rmt_dsm.compiled`).
    """

    def __init__(self, unknowns, theta, equations, module: str):
        from .codegen import Uncacheable, cached_functions, lambdified

        key = system_key(unknowns, theta, equations, module)
        meta = {"unknowns": [u.name for u in unknowns], "theta": [t.name for t in theta]}
        build = lambda: system_functions(unknowns, theta, equations, module)  # noqa: E731
        try:
            ns = cached_functions(key, build, module, meta)
        except Uncacheable:  # e.g. atom sums bound to one spectrum: lambdified in this process
            ns = {k: lambdified(a, e, module, cse) for k, (a, e, cse, _) in build().items()}
        self._init(ns, len(unknowns), len(theta))

    @classmethod
    def from_namespace(cls, ns: dict) -> "Compiled":
        """From the functions of a generated module (``META``: unknown and theta names)."""
        self = cls.__new__(cls)
        self._init(ns, len(ns["META"]["unknowns"]), len(ns["META"]["theta"]))
        return self

    def _init(self, ns, n, p):
        from ..compiled.kernels import kernel

        # at one point (Python floats, numpy longdouble scalars) the shipped functions run as
        # their C kernels (`rmt_dsm.compiled.kernels`: the same bits); arrays, mpmath: as generated
        fj, ft = ns["fj"], ns["ft"]
        self.f = kernel(ns["f"])
        self.fj = kernel(fj, ("split", n, n), lambda *a: _split(fj(*a), n, n))
        self.ft = kernel(ft, ("rows", p), lambda *a: _rows(ft(*a), n, p))
        self.n = n
        self.p = p
        self.functions = ns  # the generated functions themselves (`rmt_dsm.compiled.kernels.one_point`)
        self._columns = [kernel(ns[f"ft_{k}"]) for k in range(p)]

    def ft_column(self, k):
        """Lambdified column k of ``F_theta``: one derivative dF/dtheta_k costs a fraction of the
        whole parameter Jacobian."""
        return self._columns[k]


def system_key(unknowns, theta, equations, module: str) -> str:
    """The `rmt_dsm.engine.codegen.symbolic_key` of the functions of a system."""
    from .codegen import symbolic_key

    return symbolic_key("fixed-point system", module, list(unknowns), list(theta), list(equations))


def system_functions(unknowns, theta, equations, module: str) -> dict:
    """The functions of `Compiled` as `rmt_dsm.engine.codegen.module_source` entries: ``f`` (F),
    ``fj`` (F then J = dF/dg row-major), ``ft`` (F_theta row-major), ``ft_k`` (its column k);
    flat lists, since sympy's cse does not look into nested lists."""
    import sympy as sp

    eqs = sp.Matrix(list(equations))
    args = list(unknowns) + list(theta)
    J = eqs.jacobian(list(unknowns))
    Ft = eqs.jacobian(list(theta)) if theta else sp.zeros(len(eqs), 0)
    out = {"f": (args, list(eqs), True, False), "fj": (args, list(eqs) + list(J), True, False),
           "ft": (args, list(Ft), True, False)}
    for k in range(len(theta)):
        out[f"ft_{k}"] = (args, list(Ft[:, k]), True, False)
    return out


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
        """A, checked, for several right-hand sides (`solve_factored`): at the sizes of these
        systems LAPACK's solve per right-hand side costs less than importing scipy.linalg."""
        if not np.all(np.isfinite(A)):
            raise Singular("non-finite matrix")
        return np.array(A)

    def solve_factored(self, lu, b):
        return self.solve(lu, np.asarray(b))

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
