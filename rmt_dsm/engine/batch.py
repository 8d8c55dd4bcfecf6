r"""Newton's method and path following on N parameter points at once (numpy arrays).

A `FixedPointSystem` is solved at N points ``theta_i`` together: the lambdified functions of
the system broadcast over arrays, so one evaluation of ``F``, ``J = dF/dg`` or a column of
``dF/dtheta`` serves every point, and the small dense solves are one batched LAPACK call.
The algorithms are those of the scalar path (`rmt_dsm.engine.solve`, derivations/pencil_dyson.md,
section 5), applied point-wise with per-point state:

* `track`: the adaptive predictor-corrector along a path ``theta_i(t)``, t: 0 -> 1 (tangent
  predictor $J \dot g = -F_\theta \dot\theta$, strict Newton corrector, step halved on
  rejection and doubled after a quick acceptance; one step length per point);
* `polish`: Newton steps with the residual in extended precision (``numpy.longdouble``) and
  the double-precision Jacobian, which converge to the root of the extended-precision
  equations (the error contracts by ~ eps cond(J) per step);
* `derivatives`: $\partial g/\partial\theta_k = -J^{-1} F_{\theta_k}$ by the implicit function
  theorem, with one step of iterative refinement in extended precision.

A point that fails any stage is flagged (``ok`` False) and never returned as a plausible
number: the caller re-solves it by the scalar path.  The vectorized Newton corrector and the
batched linear solve are those of `rmt_dsm.engine.grid`.
"""
from __future__ import annotations

import numpy as np

from .grid import _apply, _newton, _norm, _solve, _take

__all__ = ["BatchFunctions", "batch_functions", "track", "polish", "derivatives", "EXTENDED"]

#: the extended floating type of the polish (x87 80-bit on x86-64: eps = 1.1e-19)
EXTENDED = np.longdouble
#: unit roundoff of EXTENDED (== that of a double on platforms without an extended type)
EXTENDED_EPS = float(np.finfo(EXTENDED).eps)
#: up to this many double points are evaluated one by one on Python floats
_FEW = 12


def _stacked(values, shape, dtype):
    """A list of k arrays/scalars (broadcastable to ``shape``) as one array ``shape + (k,)``."""
    out = np.empty(shape + (len(values),), dtype=dtype)
    for k, v in enumerate(values):
        out[..., k] = v
    return out


class BatchFunctions:
    """``F``, ``(F, J)`` and columns of ``dF/dtheta`` of a system, on arrays of points.

    ``g`` has shape (N, n); ``th`` is the extended parameter list (the system's parameters,
    then the homotopy parameter), each entry a scalar or an (N,) array.  The dtype of the
    result is that of ``g`` (float64 or `EXTENDED`).  Built on the system's own cached
    lambdified numpy functions (`rmt_dsm.engine.backends.Compiled`).
    """

    def __init__(self, system):
        self.system = system
        self.c = system._compiled_for("numpy")
        self.n = self.c.n
        self.theta = list(system._theta)

    def index(self, name) -> int:
        """Position of the parameter ``name`` in the extended parameter list."""
        return [s.name for s in self.theta].index(name)

    def _call(self, fn, g, th):
        """``fn`` at every point as an (N, k) array: one call on the arrays, or, for a few double
        points, one call per point on Python floats (numpy's per-call overhead then dominates)."""
        if len(g) > _FEW or g.dtype != float:
            return _stacked(fn(*g.T, *th), g.shape[:1], g.dtype)
        arrays = [k for k, v in enumerate(th) if isinstance(v, np.ndarray) and v.ndim]
        args = [float(v) if k not in arrays else 0.0 for k, v in enumerate(th)]
        cols = [(k, th[k].tolist()) for k in arrays]
        out = []
        for i, gi in enumerate(g.tolist()):
            for k, c in cols:
                args[k] = c[i]
            out.append(fn(*gi, *args))
        return np.array(out, dtype=float).reshape(len(g), -1)

    def F(self, g, th):
        return self._call(self.c.f, g, th)

    def evaluate(self, g, th):
        """(F, J) at every point: shapes (N, n) and (N, n, n)."""
        out = self._call(self._fj, g, th)
        return out[:, :self.n], out[:, self.n:].reshape(-1, self.n, self.n)

    def _fj(self, *args):
        f, rows = self.c.fj(*args)
        return [*f, *(v for r in rows for v in r)]

    def F_theta(self, g, th, k):
        """Column ``dF/dtheta_k`` at every point, shape (N, n)."""
        return self._call(self.c.ft_column(k), g, th)


def batch_functions(system) -> BatchFunctions:
    """The (cached) `BatchFunctions` of ``system``."""
    fns = system.__dict__.get("_batch_functions")
    if fns is None:
        fns = system.__dict__["_batch_functions"] = BatchFunctions(system)
    return fns


def track(fns, g, path, ok, h0, exact_end=True, hmin=1e-7, max_rounds=400, log_predictor=False, tangent_rhs=None,
          hmax=np.inf, record=None):
    """Follow every point's root along ``path``, t: 0 -> 1 (double precision).

    Parameters
    ----------
    fns : BatchFunctions
    g : (N, n) float array
        Roots at t = 0 (corrected first).
    path : callable ``(t, idx) -> (theta, dtheta)``
        ``theta``: the extended parameter list at the points ``idx`` and path positions ``t``
        (entries scalars or arrays of len(idx)); ``dtheta``: dict ``{k: d theta_k / dt}`` over the
        entries that move.
    ok : (N,) bool
        The points to follow (others are left as they are).
    h0 : float
        First step length.
    log_predictor : bool
        Predict each unknown as ``g exp(dt g'/g)`` instead of ``g + dt g'`` (exact when g is a power
        of a parameter that moves geometrically with t; linear where g = 0).
    tangent_rhs : callable ``(g, theta, dtheta) -> -F_theta dtheta``, optional
        The right-hand side of the tangent equation (default: from the columns of F_theta named
        by the keys of ``dtheta``; `rmt_dsm.engine.grid` passes its own).
    exact_end : bool or (N,) bool
        Correct the end points to the full double tolerances (intermediate points only to a
        residual of 1e-6, which is all the next predictor needs); per point if an array.
    hmin, hmax : float or (N,) float
        The shortest step (a point whose step falls below it is flagged) and the longest.
    record : callable ``(idx, t, g, tangent)``, optional
        Called at every round with the points ``idx`` about to step, their positions, roots and
        tangents dg/dt (a root whose step was rejected comes again, with the same values), and at
        the end with the points that got to t = 1 (the tangent along ``path(1)``).

    Returns
    -------
    (g, ok, its): the roots at t = 1, the points that got there, Newton iterations per point.
    """
    N = len(g)
    ok = ok.copy()
    loose_end = ~np.broadcast_to(np.asarray(exact_end, dtype=bool), (N,))
    t, h = np.zeros(N), np.array(np.broadcast_to(np.asarray(h0, dtype=float), (N,)))
    grow = np.ones(N, dtype=bool)  # no step doubling right after a rejection
    its_total = np.zeros(N, dtype=int)
    all_idx = np.arange(N)
    g, conv, its, J = _newton(fns, g.copy(), path(t, all_idx)[0], ok.copy(), np.ones(N, dtype=bool), maxit=20)
    ok &= conv
    its_total += its

    def tangent(idx, gi, ti):  # dg/dt = -J^{-1} F_theta dtheta/dt at the points idx, and the mask of those solved
        th, dth = path(ti, idx)
        if tangent_rhs is None:
            rhs = -sum(fns.F_theta(gi, th, k) * np.asarray(d)[..., None] for k, d in dth.items())
        else:
            rhs = tangent_rhs(gi, th, dth)
        return _solve(J[idx], rhs, np.ones(idx.size, dtype=bool))

    with np.errstate(all="ignore"):
        for _ in range(max_rounds):
            idx = np.flatnonzero(ok & (t < 1))
            if not idx.size:
                break
            gi, ti = g[idx], t[idx]
            tan, live = tangent(idx, gi, ti)
            if record is not None:
                record(idx, ti, gi, tan)
            tn = np.minimum(ti + h[idx], 1.0)
            tn = np.where(1 - tn < 1e-12, 1.0, tn)
            step = (tn - ti)[:, None] * tan
            if log_predictor:  # g exp(dt g'/g): exact for power laws g ~ lambda^p along a geometric ridge path
                with np.errstate(all="ignore"):
                    mult = gi * np.exp(step / gi)
                step = np.where(np.isfinite(mult) & (gi != 0), mult - gi, step)
            gn, conv, its, Jn = _newton(fns, gi + step, path(tn, idx)[0], live.copy(),
                                        (tn < 1) | loose_end[idx])
            acc, rej = live & conv, live & ~conv
            ia = idx[acc]
            g[ia], t[ia], J[ia] = gn[acc], tn[acc], Jn[acc]
            its_total[idx] += its
            hi = h[idx]
            hi = np.where(acc & (its <= 2) & grow[idx], 2 * hi, np.where(acc & (its >= 5), hi / 2, hi))
            hi = np.where(rej, hi / 2, hi)
            h[idx] = np.minimum(hi, hmax if np.ndim(hmax) == 0 else hmax[idx])
            grow[idx] = ~rej
            ok[idx] &= live & ~(rej & (hi < (hmin if np.ndim(hmin) == 0 else hmin[idx])))
        ok &= t >= 1
        end = np.flatnonzero(ok)
        if record is not None and end.size:
            tan, live = tangent(end, g[end], t[end])
            record(end[live], t[end][live], g[end][live], tan[live])
    return g, ok, its_total


def polish(fns, g, J, th, ok, maxit=6, inverse=None):
    """Newton polish of double roots ``g`` (N, n) in `EXTENDED` precision at ``th`` (EXTENDED
    entries): residual in extended precision, steps with the double Jacobians ``J`` (``inverse``:
    their inverses, `rmt_dsm.engine.grid._inverse`, when already computed).

    Stops at a residual <= 8 eps_ext (1 + |g|) (the tolerance of `rmt_dsm.engine.solve` at this
    precision) after at least one step (`rmt_dsm.engine.single.polish`: a residual below it
    does not bound the root's error near the threshold); a point whose residual does not
    shrink by 4 per step above it, or that moves by more than 1e-6 relative, is flagged.
    Returns (g_ext, ok, residual).
    """
    ge = g.astype(EXTENDED)
    ok = ok.copy()
    done = np.zeros(len(g), dtype=bool)
    prev = np.full(len(g), np.inf)
    r = np.full(len(g), np.inf)
    stepped = np.zeros(len(g), dtype=bool)
    with np.errstate(all="ignore"):
        for _ in range(maxit + 1):
            idx = np.flatnonzero(ok & ~done)
            if not idx.size:
                break
            F = fns.F(ge[idx], _take(th, idx))
            ri = _norm(F).astype(float)
            r[idx] = ri
            below = ri <= 8 * EXTENDED_EPS * (1 + _norm(ge[idx]).astype(float))
            conv = below & stepped[idx]
            done[idx[conv]] = True
            ok[idx] &= np.isfinite(ri) & (below | (ri <= prev[idx] / 4))
            move = ok[idx] & ~conv
            prev[idx] = ri
            if move.any():
                im = idx[move]
                dx, solved = (_solve(J[im], -F[move].astype(float), np.ones(im.size, dtype=bool)) if inverse is None
                              else _apply(inverse[im], -F[move].astype(float), np.ones(im.size, dtype=bool)))
                ok[idx[move]] &= solved
                ge[idx[move]] += dx.astype(EXTENDED)
                stepped[im] = True
        ok &= done
        ok &= _norm((ge - g).astype(float)) <= 1e-6 * (1 + _norm(g))
    return ge, ok, r


def derivatives(fns, g, J, th, ks, ok, Je=None, refine=2, inverse=None):
    """``{k: dg/dtheta_k}`` (N, n) at the extended roots ``g`` for the parameter indices ``ks``.

    The right-hand sides and the residual of the refinement steps are in the dtype of ``g``;
    the solves use the double Jacobians ``J`` (iterative refinement: one step reaches the
    extended precision when eps cond(J) << 1), all the parameters' right-hand sides in one
    batched solve.  ``Je``: the Jacobian at (g, th) in the dtype of ``g`` when known (``J``
    itself at double roots); ``refine``: the number of refinement steps; ``inverse``: the
    inverses of ``J`` (`rmt_dsm.engine.grid._inverse`) when already computed.  Returns
    (derivatives, ok).
    """
    ks = list(ks)
    if refine and Je is None:
        Je = fns.evaluate(g, th)[1]
    ok = ok.copy()
    with np.errstate(all="ignore"):
        b = -np.stack([fns.F_theta(g, th, k) for k in ks], axis=-1)  # (N, n, len(ks))
        solve = (lambda rhs: _solve(J, rhs, ok)) if inverse is None else (lambda rhs: _apply(inverse, rhs, ok))
        x, solved = solve(b.astype(float))
        x = x.astype(g.dtype)
        for _ in range(refine):
            dx, solved2 = solve((b - Je @ x).astype(float))
            x = x + dx.astype(g.dtype)
            solved &= solved2
        ok &= solved & np.isfinite(x.astype(float)).all(axis=(1, 2))
    return {k: x[:, :, j] for j, k in enumerate(ks)}, ok
