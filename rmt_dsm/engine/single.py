r"""`rmt_dsm.engine.batch` for one point, on Python numbers (no array overhead).

A batch of one spends its time in numpy's per-call overhead, not in arithmetic: the system's
lambdified functions cost ~10 us on Python floats and ~250 us on arrays of length 1.  These are
the same algorithms -- predictor-corrector (`track`), Newton polish in extended precision
(`polish`), derivatives by the implicit function theorem with iterative refinement
(`derivatives`) -- written for one point whose unknowns are a list of floats (or of
``numpy.longdouble`` scalars in the extended stages).  Failures raise `Failed` (the caller
then uses the scalar path of `rmt_dsm.engine.solve`).
"""
from __future__ import annotations

import math
from operator import mul

from .batch import EXTENDED, EXTENDED_EPS
from .grid import _ACCEPT, _EPS, _LOOSE, _TOL_RES, _TOL_STEP

__all__ = ["Failed", "lu_solve", "solver", "newton", "track", "polish", "derivatives", "derivative_along",
           "extended"]


_INF, _NEG_INF = math.inf, -math.inf
#: the default iterations of `newton` and `polish`, and steps of `track`
NEWTON_MAXIT, POLISH_MAXIT, MAX_STEPS = 8, 6, 400
#: `track`: the iterations of the Newton that starts a path without a root, and the default shortest step
START_MAXIT, HMIN = 20, 1e-7


class Failed(ArithmeticError):
    """The point did not converge (or a Jacobian was singular) on this path."""


def lu_solve(A, b) -> list:
    """x = A^{-1} b by Gaussian elimination with partial pivoting (A: rows of floats)."""
    n = len(b)
    if n == 3:  # the DSM system: the same operations, written out
        return lu3_solve(lu3(A), b)
    M = [[*row, float(bi)] for row, bi in zip(A, b)]
    for k in range(n):
        p, big = k, abs(M[k][k])
        for i in range(k + 1, n):
            if abs(M[i][k]) > big:
                p, big = i, abs(M[i][k])
        if not 0 < big < math.inf:
            raise Failed("singular Jacobian")
        M[k], M[p] = M[p], M[k]
        Mk = M[k]
        for i in range(k + 1, n):
            Mi = M[i]
            f = Mi[k] / Mk[k]
            if f:
                for j in range(k, n + 1):
                    Mi[j] -= f * Mk[j]
    x = [0.0] * n
    for i in range(n - 1, -1, -1):
        Mi = M[i]
        acc = Mi[n]
        for j in range(i + 1, n):
            acc -= Mi[j] * x[j]
        x[i] = acc / Mi[i]
    if not all(-math.inf < v < math.inf for v in x):
        raise Failed("non-finite solve")
    return x


def solver(A):
    """``b -> A^{-1} b`` (`lu_solve`) for several right-hand sides, a 3 x 3 matrix factored once."""
    if len(A) == 3:
        lu = lu3(A)
        return lambda b: lu3_solve(lu, b)
    return lambda b: lu_solve(A, b)


def lu3(A) -> tuple:
    """The LU factors of a 3 x 3 matrix with partial pivoting, for `lu3_solve` (one factorization
    for several right-hand sides); raises `Failed` when a pivot is zero or not finite."""
    r0, r1, r2 = A
    i0, big = 0, abs(r0[0])
    if abs(r1[0]) > big:
        i0, big = 1, abs(r1[0])
    if abs(r2[0]) > big:
        i0, big = 2, abs(r2[0])
    if not 0 < big < math.inf:
        raise Failed("singular Jacobian")
    # the pivot row first, the others in their order after the exchange of rows 0 and i0
    (p0, p1, p2, _), (iu, (c0, u1, u2)), (iv, (d0, v1, v2)) = (
        ((*r0[:3], 0), (1, r1[:3]), (2, r2[:3])) if i0 == 0 else
        ((*r1[:3], 1), (0, r0[:3]), (2, r2[:3])) if i0 == 1 else
        ((*r2[:3], 2), (1, r1[:3]), (0, r0[:3])))
    fu = c0 / p0
    if fu:
        u1, u2 = u1 - fu * p1, u2 - fu * p2
    fv = d0 / p0
    if fv:
        v1, v2 = v1 - fv * p1, v2 - fv * p2
    if abs(v1) > abs(u1):
        (fu, u1, u2, iu), (fv, v1, v2, iv) = (fv, v1, v2, iv), (fu, u1, u2, iu)
    if not 0 < abs(u1) < math.inf:
        raise Failed("singular Jacobian")
    f = v1 / u1
    if f:
        v2 = v2 - f * u2
    if not 0 < abs(v2) < math.inf:
        raise Failed("singular Jacobian")
    return i0, iu, iv, fu, fv, f, p0, p1, p2, u1, u2, v2


def lu3_solve(lu, b) -> list:
    """x = A^{-1} b from ``lu = lu3(A)``: the operations of Gaussian elimination with partial pivoting
    on [A | b] in their order, those on A done once by `lu3`."""
    i0, iu, iv, fu, fv, f, p0, p1, p2, u1, u2, v2 = lu
    p3, u3, v3 = float(b[i0]), float(b[iu]), float(b[iv])
    if fu:
        u3 = u3 - fu * p3
    if fv:
        v3 = v3 - fv * p3
    if f:
        v3 = v3 - f * u3
    x2 = v3 / v2
    x1 = (u3 - u2 * x2) / u1
    x0 = (p3 - p1 * x1 - p2 * x2) / p0
    if not (_NEG_INF < x0 < _INF and _NEG_INF < x1 < _INF and _NEG_INF < x2 < _INF):
        raise Failed("non-finite solve")
    return [x0, x1, x2]


def _norm(v) -> float:
    return float(max(map(abs, v))) if len(v) else 0.0


def _fj(c, g, th):
    """F and J (rows) at (g, th); raises `Failed` at a division by zero or a non-finite residual."""
    try:
        f, J = c.fj(*g, *th)
    except (ZeroDivisionError, OverflowError) as exc:
        raise Failed(str(exc)) from None
    if not -math.inf < float(sum(map(abs, f))) < math.inf:
        raise Failed("non-finite residual")
    return f, J


def extended(v) -> list:
    """The floats ``v`` as EXTENDED scalars (exactly: ``EXTENDED(0) + v`` widens v and adds 0,
    a fraction of the cost of the constructor ``EXTENDED(v)``)."""
    return [_ZERO + x for x in v]


_ZERO = EXTENDED(0)


def newton(c, g, th, loose=False, maxit=NEWTON_MAXIT, strict=True):
    """Newton at fixed parameters ``th`` from ``g`` (the corrector of `rmt_dsm.engine.grid._newton`).
    Returns (g, F and J at g, iterations); raises `Failed`."""
    f, J = _fj(c, g, th)
    prev = None
    for its in range(maxit + 1):
        scale = 1 + _norm(g)
        r = _norm(f)
        if r <= (_LOOSE if loose else _TOL_RES) * scale:
            return g, f, J, its
        if its == maxit:
            break
        dx = lu_solve(J, f)  # minus the step -J^{-1} F (the solve's operations are odd in F)
        ndx = _norm(dx)
        if strict and ((prev is None and ndx > 0.25 * scale) or
                       (prev is not None and ndx > 0.5 * prev and ndx > _TOL_STEP * scale)):
            raise Failed("Newton corrector does not contract")
        g = [a - b for a, b in zip(g, dx)]
        f, J = _fj(c, g, th)
        if ndx <= _TOL_STEP * scale:
            if _norm(f) <= _ACCEPT * scale:
                return g, f, J, its + 1
            raise Failed("Newton stalled at a large residual")
        prev = ndx
    raise Failed("Newton did not converge")


def track(c, g, path, h0, exact_end=True, hmin=HMIN, max_steps=MAX_STEPS, log_predictor=False, J=None, solve=None,
          hmax=math.inf, record=None):
    """`rmt_dsm.engine.batch.track` for one point: ``path(t) -> (theta, {k: dtheta_k/dt})``.
    With ``J``, ``g`` is the end of a previous `track` at the same parameters ``path(0)`` (a root
    to at least the loose tolerance) and ``J`` its Jacobian there (``solve``: ``solver(J)`` when
    already factored, for the first tangent): the first corrector, which would take no step, is
    skipped.  Steps are at most ``hmax`` long; with a list ``record``, the start and every
    accepted step append [t, g, J, dg/dt] to it (dg/dt: the tangent along ``path(t)``; None at
    the last root of a path that ran out of steps).  Returns (g, F, J, iterations) at t = 1;
    raises `Failed`."""
    its_total, f = 0, None
    if J is None:
        g, f, J, its_total = newton(c, g, path(0.0)[0], loose=True, maxit=START_MAXIT)
        solve = None
    if record is not None:
        record.append([0.0, g, J, None])
    t, h = 0.0, float(h0)
    grow = True  # no step doubling right after a rejection
    tan = None  # the tangent at t (kept across rejected steps: the same g, the same parameters)
    for _ in range(max_steps):
        if t >= 1 and record is None:
            return g, f, J, its_total
        if tan is None:
            th, dth = path(t)
            tan = derivative_along(c, g, J, th, {k % len(th): d for k, d in dth.items()}, solve)
            if record is not None:
                record[-1][3] = tan
        if t >= 1:
            return g, f, J, its_total
        tn = min(t + h, 1.0)
        tn = 1.0 if 1 - tn < 1e-12 else tn
        dt = tn - t
        if log_predictor:
            pred = [gi * math.exp(dt * ti / gi) if gi and abs(dt * ti / gi) < 700 else gi + dt * ti
                    for gi, ti in zip(g, tan)]
        else:
            pred = [gi + dt * ti for gi, ti in zip(g, tan)]
        try:
            gn, fn, Jn, its = newton(c, pred, path(tn)[0], loose=tn < 1 or not exact_end)
        except Failed:
            h /= 2
            grow = False
            if h < hmin:
                raise Failed(f"continuation stalled at t = {t:.6g}") from None
            continue
        its_total += its
        g, f, J, t, tan, solve = gn, fn, Jn, tn, None, None
        if record is not None:
            record.append([t, g, J, None])
        h = min(2 * h if its <= 2 and grow else (h / 2 if its >= 5 else h), hmax)
        grow = True
    raise Failed("too many continuation steps")


def polish(c, g, J, th, maxit=POLISH_MAXIT, solve=None) -> tuple:
    """`rmt_dsm.engine.batch.polish` for one point: the root in EXTENDED scalars (``solve``:
    ``solver(J)`` when already factored), and the EXTENDED Jacobian there (for the iterative
    refinement of `derivatives`).  The residual at the double root is evaluated alone (``f``),
    at every later iterate with the Jacobian (``fj``): one Newton step from a double root
    nearly always reaches the extended tolerance, so that the Jacobian comes with the final
    residual; None when the double root needed no step.  The tolerance is scaled by the double
    root (the iterates differ from it by ~ its rounding).  At least one step is taken: near the
    interpolation threshold a double root whose extended residual is already below the tolerance
    can still be ~cond(J) eps_ext |F| off (1e-13 relative measured at 2e-4 of the threshold,
    where the certificate then saw no difference between the two evaluations).  Returns (root,
    Jacobian)."""
    ge = extended(g)
    prev = math.inf
    Je = None
    scale = 1 + _norm(g)
    for its in range(maxit + 1):
        if its:
            f, Je = _fj(c, ge, th)
        else:
            f = c.f(*ge, *th)
        r = _norm(f)
        if not math.isfinite(r):
            raise Failed("extended-precision polish does not contract")
        if its and r <= 8 * EXTENDED_EPS * scale:
            if _norm([float(a) - b for a, b in zip(ge, g)]) > 1e-6 * scale:
                raise Failed("the polish moved the root")
            return ge, Je
        if r > prev / 4:
            raise Failed("extended-precision polish does not contract")
        solve = solve or solver(J)
        ge = [a - b for a, b in zip(ge, solve(f))]  # the step -J^{-1} F (the solve's operations are odd in F)
        prev = r
    raise Failed("extended-precision polish did not converge")


def derivatives(c, g, J, th, ks, Je=None, refine=2, solve=None) -> dict:
    """`rmt_dsm.engine.batch.derivatives` for one point: {k: dg/dtheta_k} in the type of ``g``.
    ``Je``: the Jacobian at (g, th) in the type of ``g`` when known (``J`` itself at a double root);
    ``solve``: ``solver(J)`` when already factored;
    ``refine``: at most this many steps of iterative refinement, fewer once the next correction,
    about |d|/|x| times the last one |d| (the refinement contracts the error by ~ eps cond(J),
    and the first correction is that error), is below the rounding of the type of ``g``."""
    if Je is None and refine:
        _, Je = _fj(c, g, th)
    ext = type(g[0]) is EXTENDED
    tol = 4 * (EXTENDED_EPS if ext else _EPS)
    solve = solve or solver(J)
    if len(g) == 3:  # the DSM system: the same operations, written out
        return {k: _refined3(solve, c.ft_column(k)(*g, *th), Je, refine, tol, ext) for k in ks}
    out = {}
    for k in ks:
        b = [-v for v in c.ft_column(k)(*g, *th)]
        x = extended(solve(b)) if ext else solve(b)
        for _ in range(refine):
            d = solve(_residual(b, Je, x))
            x = [xi + di for xi, di in zip(x, d)]  # a float correction widened exactly to the type of x
            nd, nx = _norm(d), _norm(x)
            if nd * nd <= tol * nx * nx:
                break
        out[k] = x
    return out


def derivative_along(c, g, J, th, direction, solve=None) -> list:
    """dg/du = -J^{-1} sum_k F_theta_k dtheta_k/du at the root ``g`` (Jacobian ``J``; ``solve``:
    ``solver(J)`` when already factored) when the parameters move along ``direction``
    {k: dtheta_k/du} (the implicit function theorem; the tangent of `track`)."""
    rhs = [0.0] * len(g)
    for k, d in direction.items():
        rhs = [r - float(v) * d for r, v in zip(rhs, c.ft_column(k)(*g, *th))]
    return solve(rhs) if solve is not None else lu_solve(J, rhs)


def _refined3(solve, column, A, refine, tol, ext) -> list:
    """The loop of `derivatives` for one column dF/dtheta_k (``column``) of a system of 3
    unknowns, written out (no list per step): x = -A^{-1} column by ``solve``, refined against
    ``A`` (rows)."""
    b0, b1, b2 = column
    b0, b1, b2 = -b0, -b1, -b2
    x0, x1, x2 = solve((b0, b1, b2))
    if ext:
        x0, x1, x2 = _ZERO + x0, _ZERO + x1, _ZERO + x2
    if refine:
        (a0, a1, a2), (a3, a4, a5), (a6, a7, a8) = A
    for _ in range(refine):
        d0, d1, d2 = solve((b0 - (a0 * x0 + a1 * x1 + a2 * x2), b1 - (a3 * x0 + a4 * x1 + a5 * x2),
                            b2 - (a6 * x0 + a7 * x1 + a8 * x2)))
        x0, x1, x2 = x0 + d0, x1 + d1, x2 + d2
        nd, nx = max(abs(d0), abs(d1), abs(d2)), float(max(abs(x0), abs(x1), abs(x2)))
        if nd * nd <= tol * nx * nx:
            break
    return [x0, x1, x2]


def _residual(b, A, x) -> list:
    """b - A x (A: rows; three unknowns go through `_refined3`)."""
    return [bi - sum(map(mul, row, x)) for bi, row in zip(b, A)]
