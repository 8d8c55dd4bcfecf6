r"""Newton corrector, predictor-corrector continuation and the solve driver.

Path following (see derivations/pencil_dyson.md, section 5).  A path is a
straight segment ``theta(t) = theta_0 + t (theta_1 - theta_0)``, ``t in [0, 1]``,
in the extended parameter space (parameters, then the homotopy parameter s).

* cold start of a pencil system: ``theta_0 = (params, s=0)``,
  ``theta_1 = (params, s=1)``; at s = 0 the solution is ``G = Lambda^{-1}`` exactly;
* warm start from a previous `Solution`: ``theta_0 = (old params, 1)``,
  ``theta_1 = (new params, 1)``.

Each step: predictor along the tangent given by the implicit function theorem,

$$
J\,\dot g = -F_\theta\,(\theta_1-\theta_0),
$$

then a Newton corrector ``g <- g - J^{-1} F`` that must contract (a Newton step
larger than the predictor scale or a step that does not shrink by half rejects
the step); the step length ``h`` halves on rejection and doubles after quick
acceptance.  This keeps the tracked root on the branch it started from, as
long as the Jacobian stays invertible along the path.

``dps=int``: the path is tracked in double precision, then Newton polishes the
end point in mpmath at ``dps + GUARD`` digits (quadratic convergence: a few
iterations); if the double stage fails or the polish moves the point by more
than 1e-6 (relative), the whole path is tracked in mpmath instead.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np

from ..precision import GUARD
from .backends import Singular
from .errors import ConvergenceError

__all__ = ["Solution", "GUARD_DIGITS", "solve_system"]

#: extra digits carried internally by the mpmath path (the one guard constant of the theory)
GUARD_DIGITS = GUARD

_HINT_PATH = ("the continuation path crosses a point where the Jacobian (or L) is singular; "
              "move the spectral variable off the real axis (Im z > 0), increase the ridge, "
              "or warm-start from a nearby solution")


@dataclass(frozen=True)
class Solution:
    """Converged solution of a `FixedPointSystem` (frozen, like scipy's OptimizeResult).

    Attributes
    ----------
    values : dict Symbol -> number (python float/complex at double precision,
        mpmath mpf/mpc at ``dps`` digits, computed with guard digits).
    params : dict Symbol -> number, the parameter values used.
    residual : max-abs residual of the system's equations at ``values`` (working precision).
    iterations : total number of Newton iterations (all stages).
    path : tuple of ``(kind, t)`` points accepted by the continuation,
        kind ``"homotopy"`` (t = s, Gaussian couplings scaled by s) or
        ``"parameters"`` (t along the straight segment from the warm start),
        ``"polish"`` (mpmath Newton at the end point), ``"fixed-point"`` (averaged iteration fallback).
    dps : requested decimal digits, or None for double precision.

    Notes
    -----
    There is no ``success`` flag, since a Solution is always converged (failures raise
    `ConvergenceError`).
    """

    values: dict
    params: dict
    residual: Any
    iterations: int
    path: tuple
    dps: int | None
    system: Any = field(repr=False, compare=False)
    _jacobian: dict = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, key):
        return self.values[self.system._key(key)]

    @property
    def vector(self) -> list:
        """Values in the order of ``system.unknowns``."""
        return [self.values[u] for u in self.system.unknowns]

    def derivative(self, param) -> dict:
        r"""``dg/dparam`` for every unknown, by the implicit function theorem.

        $\partial_\theta g = -J^{-1}\,\partial_\theta F$ with the symbolic
        Jacobians evaluated at the solution, at the working precision.
        """
        system = self.system
        k = system._param_index(param)
        with _precision(self.dps):
            be, th = system._backend_for(self.dps, self.params, self.vector)
            g = be.vec(self.vector)
            if "LU" not in self._jacobian:  # J at the solution, factored once per solution
                J = self._jacobian.get("J")
                self._jacobian["LU"] = be.factor(be.FJ(g, th)[1] if J is None else J)
            dg = be.solve_factored(self._jacobian["LU"], -be.Ft_column(g, th, k))
            out = [be.number(v) for v in be.tolist(dg)]
        return dict(zip(system.unknowns, out))

    def derivatives(self) -> dict:
        """``{param: derivative(param)}`` for every parameter of the system."""
        return {p: self.derivative(p) for p in self.system.parameters}


def _precision(dps):
    """Context: mpmath at dps + GUARD_DIGITS (no-op for dps=None)."""
    return nullcontext() if dps is None else mpmath.workdps(dps + GUARD_DIGITS)


# ---------------------------------------------------------------------------
# Newton corrector and path tracking
# ---------------------------------------------------------------------------
class _Fail(Exception):
    def __init__(self, reason, residual=None, iterations=0, where=""):
        super().__init__(reason)
        self.reason, self.residual, self.iterations, self.where = reason, residual, iterations, where


def _tolerances(be, dps):
    """(residual tol, step tol, acceptance tol), relative to 1 + |g|."""
    if dps is None:
        return 8 * be.eps, 64 * be.eps, 1e-10
    eps = be.eps  # 10^-(dps + GUARD)
    return 8 * eps, 1000 * eps, mpmath.mpf(10) ** (-(dps + 5))


def _newton(be, g, th, dps, maxit, strict):
    """Newton iteration at fixed theta.  Returns (g, J, residual, iterations).

    ``strict`` (corrector inside continuation): the first step must be small
    compared to 1+|g| and steps must contract by half; otherwise _Fail.
    """
    tol_res, tol_step, accept = _tolerances(be, dps)
    f, J = be.FJ(g, th)
    r = be.norm(f)
    its = 0
    prev = None
    while True:
        scale = 1 + be.norm(g)
        if r <= tol_res * scale:
            return g, J, r, its
        if its >= maxit:
            raise _Fail("Newton did not converge", r, its)
        dx = be.solve(J, -f)
        ndx = be.norm(dx)
        if strict:
            if prev is None and ndx > 0.25 * scale:
                raise _Fail("predictor too far from the path", r, its)
            if prev is not None and ndx > 0.5 * prev and ndx > tol_step * scale:
                raise _Fail("Newton corrector does not contract", r, its)
        g = g + dx
        its += 1
        f, J = be.FJ(g, th)
        r = be.norm(f)
        if ndx <= tol_step * scale:
            if r <= accept * scale:
                return g, J, r, its
            raise _Fail("Newton stalled at a large residual", r, its)
        prev = ndx


def _polish(be, g, J_double, th, dps, maxit=8):
    """Newton polish of a double-precision root at the mpmath precision of ``be`` with the
    double Jacobian: each step costs one mpmath residual (not a Jacobian); the iteration
    contracts by ~ eps * cond(J) per step, and _Fail when it does not (then full Newton)."""
    tol_res, _, _ = _tolerances(be, dps)
    prev = None
    for its in range(maxit + 1):
        f = be.F(g, th)
        r = be.norm(f)
        if r <= tol_res * (1 + be.norm(g)):
            return g, its
        if prev is not None and r > prev / 4:
            break
        step = np.linalg.solve(J_double, -np.array([complex(v) if J_double.dtype.kind == "c" else float(v)
                                                    for v in be.tolist(f)]))
        g = g + be.vec(step.tolist())
        prev = r
    raise _Fail("quasi-Newton polish does not contract", r, its)


def _lerp(th0, th1, t):
    if t == 1:
        return list(th1)
    return [a + t * (b - a) for a, b in zip(th0, th1)]


def _theta_derivative(be, g, th, dth):
    """F_theta dth from the columns of the parameters that move (each built on first use)."""
    cols = [be.Ft_column(g, th, k) * v for k, v in enumerate(dth) if v]
    out = cols[0]
    for c in cols[1:]:
        out = out + c
    return out


def _track(be, g, th0, th1, dps, h0, kind, path, maxit=8, hmin=1e-7):
    """Follow the root from theta_0 (where g solves F = 0) to theta_1."""
    dth = [b - a for a, b in zip(th0, th1)]
    t, h, its_total = 0.0, h0, 0
    g, J, _, its = _newton(be, g, th0, dps, maxit=20, strict=False)
    its_total += its
    while t < 1:
        h = min(h, 1 - t)
        th = _lerp(th0, th1, t)
        tangent = be.solve(J, -_theta_derivative(be, g, th, dth)) if any(dth) else None
        while True:
            t_new = 1 if 1 - (t + h) < 1e-12 else t + h
            g_pred = g if tangent is None else g + (t_new - t) * tangent
            try:
                g_new, J_new, _, its = _newton(be, g_pred, _lerp(th0, th1, t_new), dps, maxit, True)
                its_total += its
                break
            except (_Fail, Singular) as e:
                its_total += getattr(e, "iterations", 0)
                h /= 2
                if h < hmin:
                    r = getattr(e, "residual", None)
                    raise _Fail(f"continuation stalled ({e})", r, its_total,
                                f"{kind} t={t:.6g}") from None
        t = t_new
        g, J = g_new, J_new
        path.append((kind, float(t)))
        if its <= 2:
            h *= 2
        elif its >= 5:
            h /= 2
    return g, J, its_total


def _fixed_point_iteration(be, g, th, dps, w=0.5, maxit=5000):
    """Averaged fixed-point iteration g <- g - w F(g) for systems F = g - T(g)."""
    tol = 1e-9 if dps is None else mpmath.mpf(10) ** (-8)
    for k in range(maxit):
        f = be.F(g, th)
        if be.norm(f) <= tol * (1 + be.norm(g)):
            return g, k
        g = g - w * f
    raise _Fail("averaged fixed-point iteration did not converge", be.norm(f), maxit)


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------
def _run(sysm, pvals, dps, start, path):
    """Track to the solution in one back end.  Returns (backend, g, its, theta, J at g)."""
    be, th1 = sysm._backend_for(dps, pvals)
    g0, th0, kind, h0 = initial_point(sysm, be, pvals, th1, start, dps)
    try:
        if kind == "newton":
            g, J, _, its = _newton(be, g0, th1, dps, maxit=50, strict=False)
            path.append(("newton", 1.0))
            return be, g, its, th1, J
        g, J, its = _track(be, g0, th0, th1, dps, h0, kind, path)
        return be, g, its, th1, J
    except (_Fail, Singular) as err:
        first = err if isinstance(err, _Fail) else _Fail(f"singular Jacobian or division by zero ({err})")
        if not sysm.fixed_point_form:
            raise first from None
        # fallback: averaged fixed-point iteration from Lambda^{-1}, then Newton
        try:
            if sysm.homotopy is not None:
                g_fp, _ = _homotopy_origin(sysm, be, pvals, th1)
            else:
                g_fp = g0
            g, k = _fixed_point_iteration(be, g_fp, th1, dps)
            g, J, _, its = _newton(be, g, th1, dps, maxit=50, strict=False)
        except (_Fail, Singular):
            first.reason += "; the averaged fixed-point fallback failed too"
            raise first from None
        path.append(("fixed-point", 1.0))
        return be, g, its + k, th1, J


def _homotopy_origin(sysm, be, pvals, th1):
    """(g0, theta0): the exact solution at s = 0 and theta_1 with s set to 0."""
    th0 = list(th1[:-1]) + [be.convert(0)]
    return sysm._homotopy_start(be, th0, pvals), th0


def initial_point(sysm, be, pvals, th1, start, dps):
    """(g0, theta0, kind, h0): where the path starts and how (see module doc)."""
    hom = sysm.homotopy is not None
    if start is None:
        if hom:
            return (*_homotopy_origin(sysm, be, pvals, th1), "homotopy", 0.25)
        if sysm.start is None:
            raise ValueError(f"{sysm.name}: no start: give start=... (a guess, a callable params -> guess, "
                             "or a previous Solution) or build the system with a homotopy")
        return be.vec(sysm._as_vector(sysm.start(dict(pvals)))), th1, "newton", 1.0
    if isinstance(start, Solution):
        if list(start.system.unknowns) != list(sysm.unknowns):
            raise ValueError("warm start from a Solution of a different system")
        th0 = [be.convert(start.params[p]) for p in sysm.parameters] + ([be.convert(1)] if hom else [])
        return be.vec(start.vector), th0, "parameters", 1.0
    guess = start(dict(pvals)) if callable(start) else start
    return be.vec(sysm._as_vector(guess)), th1, "newton", 1.0


def _fail(sysm, pvals, e, hint=_HINT_PATH):
    where = f" ({e.where})" if getattr(e, "where", "") else ""
    return ConvergenceError(sysm.name, f"{e.reason if isinstance(e, _Fail) else e}{where}",
                            pvals, getattr(e, "residual", None), getattr(e, "iterations", None), hint)


def solve_system(sysm, params, dps=None, start=None, checks=None) -> Solution:
    """Solve ``sysm`` at ``params``; see `FixedPointSystem.solve`."""
    pvals = sysm._param_values(params)
    path: list = []
    if dps is not None:
        dps = int(dps)
        if dps < 1:
            raise ValueError(f"dps must be a positive integer, got {dps}")
    its_total = 0
    if dps is None:
        try:
            be, g, its, th, J = _run(sysm, pvals, None, start, path)
        except (_Fail, Singular) as e:
            raise _fail(sysm, pvals, e) from None
        its_total += its
    else:
        # stage 1: double precision path, stage 2: mpmath polish
        g = None
        try:
            dpv = {k: _to_double(v) for k, v in pvals.items()}
            _, g_d, its, _, J_d = _run(sysm, dpv, None, start, path)
            its_total += its
        except (_Fail, Singular, ConvergenceError, OverflowError, TypeError, ValueError):
            g_d = None
        with _precision(dps):
            if g_d is not None:
                be, th = sysm._backend_for(dps, pvals)
                gd = be.vec(g_d.tolist())
                try:
                    try:  # cheap: residuals in mpmath, steps with the double Jacobian
                        g, its = _polish(be, gd, J_d, th, dps)
                        J = None
                    except (_Fail, Singular):
                        g, J, _, its = _newton(be, gd, th, dps, maxit=30, strict=False)
                    its_total += its
                    if be.norm(g - gd) > mpmath.mpf("1e-6") * (1 + be.norm(g)):
                        g = None
                    else:
                        path.append(("polish", 1.0))
                except (_Fail, Singular):
                    g = None
            if g is None:
                path.clear()
                try:
                    be, g, its, th, J = _run(sysm, pvals, dps, start, path)
                except (_Fail, Singular) as e:
                    raise _fail(sysm, pvals, e) from None
                its_total += its
    with _precision(dps):
        f = be.F(g, th)
        residual = be.norm(f)
        values = dict(zip(sysm.unknowns, [be.number(v) for v in be.tolist(g)]))
        if dps is None:
            pv = {k: be.number(be.convert(v)) for k, v in pvals.items()}
        else:
            pv = {k: be.convert(v) for k, v in pvals.items()}
        sol = Solution(values=values, params=pv, residual=be.number(residual) if dps is None else residual,
                       iterations=its_total, path=tuple(path), dps=dps, system=sysm,
                       _jacobian={} if J is None else {"J": J})  # J at g, for the derivatives
        sysm._run_checks(sol, checks)
    return sol


def _to_double(v):
    if isinstance(v, str):
        v = mpmath.mpmathify(v)
    if isinstance(v, (complex, mpmath.mpc)) or (hasattr(v, "imag") and not isinstance(v, (int, float)) and v.imag != 0):
        return complex(v)
    try:
        return float(v)
    except TypeError:
        return complex(v)
