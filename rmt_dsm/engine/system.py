r"""Symbolic fixed-point systems ``F(g; theta) = 0`` and their solver front end.

A `FixedPointSystem` holds sympy objects only (unknowns, parameters,
equations, optionally a homotopy); the lambdified numerical functions are built
on first use and cached on the object (one set for numpy, one for mpmath).

Examples
--------
The Marchenko-Pastur equation written directly (c = 1/alpha),
``m = 1/(-z + 1/(1 + c m))``, solved from a user guess:

>>> import sympy as sp
>>> m, z, c = sp.symbols("m z c")
>>> sysm = FixedPointSystem([m], None, [m - 1/(-z + 1/(1 + c*m))], start=lambda p: [0.5])
>>> sysm.parameters
[c, z]
>>> sol = sysm.solve({c: 0.5, z: -1})
>>> round(sol[m], 10)   # positive root of c z m^2 + (z + c - 1) m + 1 = 0
0.5615528128
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Sequence

import copy
import sys

import mpmath

from .backends import Compiled, MpmathBackend, NumpyBackend
from .errors import ConvergenceError

__all__ = ["FixedPointSystem", "Homotopy", "StieltjesCondition", "Name"]


@dataclass(frozen=True)
class Name:
    """An unknown or parameter of a system built from generated code (`FixedPointSystem.generated`):
    it stands for the sympy Symbol of that ``name`` (no sympy needed)."""

    name: str

    def __str__(self):
        return self.name

    __repr__ = __str__


@dataclass(frozen=True)
class Homotopy:
    r"""A homotopy ``F(g; theta, s)``, s in [0, 1], with ``F(.; theta, 1)`` the target.

    ``start(params) -> initial values`` must give the *exact* solution at s = 0;
    ``start=None`` means the equations are in fixed-point form ``g - T_s(g)`` with
    ``T_0`` independent of g, so the solution at s = 0 is ``-F(0; theta, 0)``.
    """

    symbol: sp.Symbol
    equations: tuple
    start: Callable | None = None


@dataclass(frozen=True)
class StieltjesCondition:
    r"""Declared sign condition: ``g`` is ``sign`` times a Stieltjes transform in ``z``.

    With $g(z) = \text{sign}\int \rho(x)\,dx/(x - z)$, $\rho \ge 0$:

    * Im z > 0  =>  sign * Im g >= 0;  Im z < 0  =>  sign * Im g <= 0;
    * z real    =>  g real (|Im g| <= tol);
    * z real and z < ``lower`` (a lower bound of the support, e.g. 0 for a
      positive semi-definite matrix)  =>  sign * g > 0.
    """

    g: sp.Symbol
    z: sp.Symbol
    sign: int = 1
    lower: object = None

    def violation(self, sol) -> str | None:
        params = sol.params
        if self.z not in params:
            return None
        zv, gv = params[self.z], sol.values[self.g]
        gi = mpmath.im(gv) if sol.dps is not None else complex(gv).imag
        gr = mpmath.re(gv) if sol.dps is not None else complex(gv).real
        zi = mpmath.im(zv) if sol.dps is not None else complex(zv).imag
        zr = mpmath.re(zv) if sol.dps is not None else complex(zv).real
        tol = (1e-9 if sol.dps is None else mpmath.mpf(10) ** (-sol.dps)) * (1 + abs(gv))
        if zi > 0 and self.sign * gi < -tol:
            return f"Im {self.g} = {gi} has the wrong sign for a Stieltjes transform (Im {self.z} > 0)"
        if zi < 0 and self.sign * gi > tol:
            return f"Im {self.g} = {gi} has the wrong sign for a Stieltjes transform (Im {self.z} < 0)"
        if zi == 0:
            if abs(gi) > tol:
                return f"{self.g} = {gv} is not real for real {self.z}"
            if self.lower is not None and zr < self.lower and not self.sign * gr > 0:
                return (f"{self.g} = {gv} does not have the sign of a Stieltjes transform "
                        f"below the spectrum ({self.z} < {self.lower})")
        return None


class FixedPointSystem:
    """A square system ``F(g; theta) = 0`` of sympy expressions.

    Parameters
    ----------
    unknowns : sequence of sympy Symbols ``g``.
    parameters : sequence of Symbols, or None (free symbols of the equations
        that are not unknowns, sorted by name).
    equations : sequence of sympy expressions, ``len(equations) == len(unknowns)``.
    start : callable ``params -> guess`` (dict Symbol/name -> value or sequence
        in the order of ``unknowns``), used when there is no homotopy.
    homotopy : `Homotopy` (pencil systems carry one: Gaussian couplings scaled by s).
    checks : callables ``check(solution)`` returning None/True when fine, False or a
        violation message (str) otherwise; run on every solution; plus declared `StieltjesCondition`.
    fixed_point_form : True if ``F = g - T(g)`` (enables the averaged fixed-point
        fallback ``g <- g - w F(g)``).
    rhs : for fixed-point form, the expressions ``T(g)`` (used by `latex`).
    """

    def __init__(self, unknowns: Sequence, parameters, equations: Sequence, start=None, *,
                 homotopy: Homotopy | None = None, checks: Sequence = (), conditions: Sequence = (),
                 fixed_point_form: bool = False, rhs: Sequence | None = None, name: str = "system",
                 pairs: dict | None = None, symbol_names: dict | None = None):
        import sympy as sp

        self.unknowns = list(unknowns)
        self.equations = [sp.sympify(e) for e in equations]
        if len(self.equations) != len(self.unknowns):
            raise ValueError(f"{len(self.equations)} equations for {len(self.unknowns)} unknowns")
        free = set().union(*[e.free_symbols for e in self.equations]) - set(self.unknowns)
        if homotopy is not None:
            free.discard(homotopy.symbol)
        if parameters is None:
            parameters = free
        missing = free - set(parameters)
        if missing:
            raise ValueError(f"equations contain symbols that are neither unknowns nor parameters: "
                             f"{sorted(map(str, missing))}")
        self.parameters = sorted(parameters, key=lambda s: s.name)
        self.start = start
        self.homotopy = homotopy
        self.checks = list(checks)
        self.conditions = list(conditions)
        self.fixed_point_form = fixed_point_form
        self.rhs = list(rhs) if rhs is not None else None
        self.name = name
        self._pairs = dict(pairs or {})
        self._by_name = {s.name: s for s in self.unknowns}
        self._pby_name = {s.name: s for s in self.parameters}
        self.symbol_names = dict(symbol_names or {})
        self._compiled: dict = {}

    @classmethod
    def generated(cls, compiled: dict, name: str, *, homotopy: bool, checks: Sequence = (),
                  fixed_point_form: bool = False, symbolic=None) -> "FixedPointSystem":
        """A system from generated code only (no sympy): ``compiled`` maps 'numpy' / 'mpmath' to
        the namespace of a generated module of `rmt_dsm.engine.backends.Compiled` (``META``:
        the names of the unknowns and of theta = parameters [+ the homotopy parameter]).

        Unknowns and parameters are `Name` objects.  ``symbolic``: a callable returning the
        symbolic system the code was generated from; ``equations`` and ``rhs`` are read from it
        (importing sympy then), and symbolic work (Jacobians, LaTeX) belongs to it.  A
        homotopy, if any, must be in fixed-point form (start ``-F(0; theta, 0)``).
        """
        self = cls.__new__(cls)
        meta = next(iter(compiled.values()))["META"]
        theta = [Name(t) for t in meta["theta"]]
        self.unknowns = [Name(u) for u in meta["unknowns"]]
        self.symbolic = symbolic
        self.parameters = theta[:-1] if homotopy else theta
        self.start = None
        self.homotopy = Homotopy(theta[-1], (), None) if homotopy else None
        self.checks, self.conditions = list(checks), []
        self.fixed_point_form, self.name = fixed_point_form, name
        self._pairs, self.symbol_names = {}, {}
        self._by_name = {s.name: s for s in self.unknowns}
        self._pby_name = {s.name: s for s in self.parameters}
        self._compiled = {module: Compiled.from_namespace(ns) for module, ns in compiled.items()}
        return self

    def variant(self, name: str, *, checks: Sequence = (), fixed_point_form: bool | None = None) -> "FixedPointSystem":
        """The same equations and compiled code (symbolic or generated) under another name, with
        other branch checks (declared conditions dropped) and optionally without the averaged
        fixed-point fallback (``fixed_point_form=False``)."""
        new = copy.copy(self)
        new.name, new.checks, new.conditions = name, list(checks), []
        if fixed_point_form is not None:
            new.fixed_point_form = fixed_point_form
        return new

    def __getattr__(self, attr):  # only for a generated system: its symbolic source on demand
        symbolic = self.__dict__.get("symbolic")
        if attr in ("equations", "rhs") and symbolic is not None:
            return getattr(symbolic(), attr)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")

    # ------------------------------------------------------------------ access
    def __repr__(self):
        return (f"FixedPointSystem({self.name!r}, unknowns={self.unknowns}, "
                f"parameters={self.parameters})")

    def unknown(self, a, b=None) -> sp.Symbol:
        """The unknown ``g_ab`` (order-insensitive), or by name when b is None."""
        if b is None:
            return self._key(a)
        return self._key((a, b))

    def _key(self, key):
        if getattr(key, "name", None) in self._by_name and not isinstance(key, str):  # a Symbol or Name
            return self._by_name[key.name]
        if isinstance(key, str) and key in self._by_name:
            return self._by_name[key]
        if isinstance(key, tuple) and len(key) == 2:
            k = frozenset(key) if key[0] != key[1] else frozenset([key[0]])
            if k in self._pairs:
                return self._pairs[k]
            raise KeyError(f"{self.name}: no unknown for blocks {key} (structurally zero or not "
                           f"equal-size); unknowns: {[s.name for s in self.unknowns]}")
        raise KeyError(f"{self.name}: unknown {key!r}; unknowns: {[s.name for s in self.unknowns]}")

    def _param_symbol(self, key):
        """The parameter Symbol named ``key`` (a str); any other key is returned unchanged."""
        return self._pby_name.get(key if isinstance(key, str) else getattr(key, "name", None), key)

    def _param_index(self, param) -> int:
        param = self._param_symbol(param)
        try:
            return self.parameters.index(param)
        except ValueError:
            raise KeyError(f"{param!r} is not a parameter of {self.name}: {self.parameters}") from None

    def _param_values(self, params) -> dict:
        """dict Symbol -> raw value, in parameter order; names or Symbols accepted."""
        given = {}
        for k, v in dict(params).items():
            s = self._pby_name.get(k if isinstance(k, str) else getattr(k, "name", None))
            if s is not None:
                given[s] = v
        missing = [p.name for p in self.parameters if p not in given]
        if missing:
            raise ValueError(f"{self.name}: missing parameter value(s) {missing}; "
                             f"parameters are {[p.name for p in self.parameters]}")
        out = {}
        for p in self.parameters:
            v = given[p]
            if _is_sympy(v):
                v = _sympy_number(v)
            elif isinstance(v, Fraction):
                v = mpmath.mpf(v.numerator) / v.denominator
            out[p] = v
        return out

    def _as_vector(self, guess) -> list:
        if isinstance(guess, dict):
            return [guess[u] if u in guess else guess[u.name] for u in self.unknowns]
        guess = list(guess)
        if len(guess) != len(self.unknowns):
            raise ValueError(f"start has {len(guess)} values for {len(self.unknowns)} unknowns")
        return guess

    # ------------------------------------------------------------ numerics
    @property
    def _theta(self) -> list:
        return self.parameters + ([self.homotopy.symbol] if self.homotopy is not None else [])

    def _compiled_for(self, module: str) -> Compiled:
        c = self._compiled.get(module)
        if c is None:
            eqs = self.homotopy.equations if self.homotopy is not None else self.equations
            c = Compiled(self.unknowns, self._theta, eqs, module)
            self._compiled[module] = c
        return c

    def compile(self):
        """Build (and cache) the numpy and mpmath functions now."""
        self._compiled_for("numpy")
        self._compiled_for("mpmath")
        return self

    def _backend_for(self, dps, pvals, start_vector=None):
        """(backend, theta_1) at the current precision; theta_1 has s = 1 appended."""
        if dps is None:
            vals = list(pvals.values()) + list(start_vector or [])
            is_c = any(_is_complex(v) for v in vals)
            be = NumpyBackend(self._compiled_for("numpy"), is_c)
        else:
            be = MpmathBackend(self._compiled_for("mpmath"), mpmath.mp.dps)
        th = [be.convert(_mp_ready(v) if dps is not None else v) for v in pvals.values()]
        if self.homotopy is not None:
            th.append(be.convert(1))
        return be, th

    def _homotopy_start(self, be, th0, pvals):
        if self.homotopy.start is None:  # fixed-point form: g0 = T_0 = -F(0; theta, 0)
            return -be.F(be.vec([0] * len(self.unknowns)), th0)
        return be.vec(self._as_vector(self.homotopy.start(dict(pvals))))

    def _run_checks(self, sol, checks=None):
        msgs = []
        for c in self.conditions:
            m = c.violation(sol)
            if m:
                msgs.append(m)
        for c in list(self.checks) + list(checks or []):
            m = c(sol)
            if m is False or isinstance(m, str):
                msgs.append(m if isinstance(m, str) else f"check {getattr(c, '__name__', c)} failed")
        if msgs:
            raise ConvergenceError(self.name, "branch check failed: " + "; ".join(msgs), sol.params,
                                   sol.residual, sol.iterations,
                                   "the solver reached a non-physical branch; continue from a point on the "
                                   "physical branch (e.g. Im z > 0 or a larger ridge) with start=...")

    def solve(self, params, dps: int | None = None, start=None, checks=None):
        """Solve at ``params`` (dict Symbol or name -> value).

        ``dps=None``: double precision (numpy; float or complex); ``dps=int``:
        mpmath with ``dps`` + guard digits.  ``start``: None (homotopy from the
        exact s = 0 solution, or the system's ``start``), a previous
        `Solution` (continuation along the straight parameter segment),
        or a guess (dict / sequence / callable).  ``checks``: extra branch checks.
        Raises `ConvergenceError` on failure.
        """
        from .solve import solve_system

        return solve_system(self, params, dps=dps, start=start, checks=checks)

    def sweep(self, params_base, param, values, dps: int | None = None, start=None) -> list:
        """Solutions along ``param in values`` (others fixed), each warm-started from the previous."""
        out = []
        prev = start
        key = self._param_symbol(param)
        base = {self._param_symbol(k): val for k, val in dict(params_base).items()}
        for v in values:
            p = dict(base)
            p[key] = v
            sol = self.solve(p, dps=dps, start=prev)
            out.append(sol)
            prev = sol
        return out

    def add_condition(self, condition: StieltjesCondition):
        self.conditions.append(condition)
        return self

    # ------------------------------------------------------------- display
    def latex(self, symbol_names: dict | None = None) -> str:
        """An ``align`` environment with the equations (symbol names of docs/model.md)."""
        from .latex import latex_system

        names = dict(self.symbol_names)
        names.update(symbol_names or {})
        return latex_system(self, names)


def _is_complex(v) -> bool:
    if isinstance(v, _Exact):
        return v.imag != 0
    if isinstance(v, (complex, mpmath.mpc)):
        return v.imag != 0
    if isinstance(v, str):
        return "j" in v or "i" in v.lower().replace("inf", "")
    return False


def _is_sympy(v) -> bool:
    """A sympy object (sympy is then imported already: nothing to import to tell)."""
    sp = sys.modules.get("sympy")
    return sp is not None and isinstance(v, sp.Basic)


def _sympy_number(v):
    """A sympy number as a python/mpmath number (exact decimal string at high precision)."""
    if not v.is_number:
        raise ValueError(f"parameter value {v} is not a number")
    return _Exact(v)


class _Exact:
    """A sympy number carried to the back end, evaluated at the working precision."""

    __slots__ = ("v",)

    def __init__(self, v):
        self.v = v

    def __complex__(self):
        return complex(self.v.evalf(20))

    def __float__(self):
        return float(self.v.evalf(20))

    @property
    def imag(self):
        return float(self.v.evalf(20).as_real_imag()[1])

    def mp(self):
        x = self.v.evalf(mpmath.mp.dps + 5)
        re, im = x.as_real_imag()
        return mpmath.mpc(str(re), str(im)) if im != 0 else mpmath.mpf(str(re))

    def __repr__(self):
        return str(self.v)


def _mp_ready(v):
    if isinstance(v, _Exact):
        return v.mp()
    if isinstance(v, str):
        return mpmath.mpmathify(v)
    return v
