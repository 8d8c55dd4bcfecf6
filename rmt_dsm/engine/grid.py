r"""Newton's method on a whole grid of points at once (numpy), for the spectral density.

The spectral density needs the same solution at hundreds of points ``z = x + i eta``
that differ only in ``z``.  Instead of one continuation per point (Python overhead per
solve), every stage below is one *vectorized* operation over all the points:

1. cold start far from the spectrum, at ``eta_c = max(eta_0, 1, max |x|)``: the homotopy
   ``s: 0 -> 1`` of a pencil system (exact solution ``g_0 = -F(0; theta, 0)`` at s = 0,
   fixed-point form);
2. the eta ladder ``eta_c > eta_0 > eta_1 > ... > eta``, rung by rung, eta decreasing
   geometrically along each rung.

Each path is followed by the predictor-corrector of `rmt_dsm.engine.solve`
(derivations/pencil_dyson.md, section 5), applied
point-wise with one step length per point: tangent predictor (implicit function theorem,
$J \dot g = -\partial_t F$), then a Newton corrector whose first step must be
small compared to ``1 + |g|`` and whose steps must contract by half; a rejected step is
halved, a quick acceptance doubles the next one.  A point whose step falls below 1e-7
is marked *failed* (never returned as a plausible wrong number: the caller re-solves it
with the scalar continuation).  The tolerances are those of the scalar path.

With ``dps``: the double-precision grid solution is polished point-wise in mpmath at
``dps + GUARD_DIGITS`` digits, still vectorized (numpy object arrays of mpmath numbers
through the same lambdified expressions), by the simplified Newton iteration
$g \leftarrow g - M F(g)$ with M the double-precision inverse of J at the double
solution: the error contracts by $\|I - MJ\| = O(10^{-16}\,\mathrm{cond}\,J)$ per
sweep, i.e. about 15 digits (no Jacobian in mpmath, no mpmath linear solve).

Functions are lambdified once per (system, z) and cached on the system.
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from .solve import GUARD_DIGITS

__all__ = ["GridFunctions", "grid_functions", "solve_grid", "polish_grid"]

#: double-precision tolerances (residual, step, acceptance), relative to 1 + |g|, as in solve.py
_EPS = 2.220446049250313e-16
_TOL_RES, _TOL_STEP, _ACCEPT = 8 * _EPS, 64 * _EPS, 1e-10
#: residual accepted at the intermediate points of a path
_LOOSE = 1e-6


@dataclass(frozen=True)
class GridFunctions:
    """``F``, ``J = dF/dg`` and ``dF/dtheta_k`` for the spectral variable and the homotopy s.

    ``evaluate(g, th)`` takes ``g`` of shape (N, n) and ``th`` a list of scalars or (N,)
    arrays (the extended parameters: the system's parameters, then s); it returns
    F (N, n), J (N, n, n); ``tangent(g, th)`` returns F_z (N, n) and F_s (N, n).
    ``evaluate(g, th, mp=True)`` with object arrays of mpmath numbers returns F only.
    Each function is lambdified from a *flat* list of expressions (sympy applies common
    subexpression elimination to flat lists only).
    """

    n: int
    z_index: int
    fj_fn: object
    tangent_fn: object
    mpmath_fn: object

    def _columns(self, fn, g, th, dtype):
        vals = fn(*[g[:, i] for i in range(self.n)], *th)
        out = np.empty((g.shape[0], len(vals)), dtype=dtype)
        for k, v in enumerate(vals):
            out[:, k] = v
        return out

    def evaluate(self, g, th, mp=False):
        n = self.n
        if mp:
            return self._columns(self.mpmath_fn, g, th, object), None
        out = self._columns(self.fj_fn, g, th, complex)
        return out[:, :n], out[:, n:].reshape(-1, n, n)

    def tangent(self, g, th):
        out = self._columns(self.tangent_fn, g, th, complex)
        return out[:, :self.n], out[:, self.n:]


def grid_functions(sysm, z) -> GridFunctions:
    """Lambdified grid functions of ``sysm`` for the spectral variable ``z`` (cached)."""
    cache = sysm.__dict__.setdefault("_grid_cache", {})
    if z in cache:
        return cache[z]
    hom = sysm.homotopy
    import sympy as sp

    from .codegen import lambdify  # code generation only here: the solvers below need none

    eqs = sp.Matrix(list(hom.equations if hom is not None else sysm.equations))
    unknowns = list(sysm.unknowns)
    theta = list(sysm._theta)
    args = unknowns + theta
    J = eqs.jacobian(unknowns)
    Fs = eqs.diff(hom.symbol) if hom is not None else sp.zeros(len(unknowns), 1)
    fns = GridFunctions(n=len(unknowns), z_index=theta.index(z),
                        fj_fn=lambdify(args, list(eqs) + list(J), modules=["numpy"], cse=True),
                        tangent_fn=lambdify(args, list(eqs.diff(z)) + list(Fs), modules=["numpy"], cse=True),
                        mpmath_fn=lambdify(args, list(eqs), modules="mpmath", cse=True))
    cache[z] = fns
    return fns


# ------------------------------------------------------------------ double precision
def _norm(v):
    """Max-abs over the last axis (per point)."""
    return np.max(np.abs(v), axis=-1) if v.shape[-1] else np.zeros(v.shape[:-1])


def _solve(J, b, ok):
    """x = J^{-1} b for the points in ``ok``; returns (x, mask of the points solved).

    ``b`` has shape (N, n), or (N, n, K) for K right-hand sides at once.  One batched LAPACK
    call (Cramer's rule for n <= 2, cheaper in numpy); points with a non-finite or singular J
    are not solved.
    """
    many = b.ndim == J.ndim
    n = J.shape[-1]
    if n <= 2:
        if many:  # one right-hand side at a time
            cols = [_solve(J, b[..., k], ok) for k in range(b.shape[-1])]
            return np.stack([c[0] for c in cols], axis=-1), np.logical_and.reduce([c[1] for c in cols])
        with np.errstate(all="ignore"):
            if n == 1:
                x = b / J[:, 0]
            else:
                det = J[:, 0, 0] * J[:, 1, 1] - J[:, 0, 1] * J[:, 1, 0]
                x = np.stack([J[:, 1, 1] * b[:, 0] - J[:, 0, 1] * b[:, 1],
                              J[:, 0, 0] * b[:, 1] - J[:, 1, 0] * b[:, 0]], axis=-1) / det[:, None]
        return x, ok & np.isfinite(x).all(axis=-1)
    B = b if many else b[..., None]
    good = ok & np.isfinite(J).all(axis=(-2, -1)) & np.isfinite(B).all(axis=(-2, -1))
    if not good.all():  # identity for the others, so that the batch stays well defined
        J = np.where(good[:, None, None], J, np.eye(J.shape[-1]))
        B = np.where(good[:, None, None], B, 0)
    x = _lapack(np.linalg.solve, good, lambda: np.zeros_like(B), J, B)
    good &= np.isfinite(x).all(axis=(-2, -1))
    return (x if many else x[..., 0]), good


def _lapack(fn, good, fallback, *stacks):
    """``fn`` (a batched numpy.linalg function) over the matrix ``stacks``; where some matrix is
    exactly singular, point by point over the ``good`` ones (cleared where ``fn`` fails; the
    others keep their entry of ``fallback()``)."""
    try:
        return fn(*stacks)
    except np.linalg.LinAlgError:  # some J exactly singular: one by one
        out = fallback()
        for i in np.flatnonzero(good):
            try:
                out[i] = fn(*(a[i] for a in stacks))
            except np.linalg.LinAlgError:
                good[i] = False
        return out


def _inverse(J, ok):
    """The inverses of the matrices ``J`` (N, n, n) at the points ``ok`` whose J is finite and
    invertible (the identity elsewhere), and the mask of those: one batched LAPACK call, then each
    solve with the same matrices is a product (`_apply`) instead of a factorization."""
    good = ok & np.isfinite(J).all(axis=(-2, -1))
    if not good.all():
        J = np.where(good[:, None, None], J, np.eye(J.shape[-1]))
    inv = _lapack(np.linalg.inv, good, lambda: np.broadcast_to(np.eye(J.shape[-1]), J.shape).copy(), J)
    return inv, good & np.isfinite(inv).all(axis=(-2, -1))


def _apply(inverse, b, ok):
    """x = J^{-1} b from ``inverse = _inverse(J, ok)`` (``b``: (N, n) or (N, n, K)); returns (x,
    mask of the points solved), as `_solve`."""
    x = inverse @ b if b.ndim == inverse.ndim else (inverse @ b[..., None])[..., 0]
    return x, ok & np.isfinite(x).all(axis=tuple(range(1, x.ndim)))


def _take(th, idx):
    """The parameter list ``th`` (scalars and per-point arrays) at the points ``idx``."""
    return [v[idx] if isinstance(v, np.ndarray) and v.ndim else v for v in th]


def _newton(fns, g, th, ok, loose, maxit=8):
    """Point-wise strict Newton corrector (see module doc).

    ``loose`` (bool per point): accept a residual <= 1e-6 (1 + |g|) (intermediate points of
    a path, where the next predictor needs no more); else the tolerances of solve.py.
    Each step evaluates and solves only at the points still moving.
    Returns (g, ok, its, J at the returned g): ``ok`` the points that
    converged (among those given ok), ``its`` the iterations per point.
    """
    N = len(g)
    done = np.zeros(N, dtype=bool)
    prev = np.full(N, np.inf)
    ndx = np.zeros(N)
    move = np.zeros(N, dtype=bool)
    its = np.zeros(N, dtype=int)
    tol = np.where(loose, _LOOSE, _TOL_RES)
    with np.errstate(all="ignore"):
        F, J = fns.evaluate(g, th)
        g = g.copy()
        scale = 1 + _norm(g)
        r = _norm(F)
        for it in range(maxit + 1):
            ok &= np.isfinite(r)
            if it:
                small = move & (ndx <= _TOL_STEP * scale)
                done |= small & (r <= _ACCEPT * scale)
                ok &= ~(small & (r > _ACCEPT * scale))
            done |= ok & (r <= tol * scale)
            todo = ok & ~done
            if not todo.any():
                break
            if it == maxit:
                ok &= done
                break
            idx = np.flatnonzero(todo)
            dx, solved = _solve(J[idx], -F[idx], np.ones(idx.size, dtype=bool))
            ok[idx] &= solved
            ndx_i = _norm(dx)
            s_i, p_i = scale[idx], prev[idx]
            bad = (np.isinf(p_i) & (ndx_i > 0.25 * s_i)) | (np.isfinite(p_i) & (ndx_i > 0.5 * p_i) & (ndx_i > _TOL_STEP * s_i))
            ok[idx] &= ~bad
            move[:] = False
            keep = ok[idx]
            im = idx[keep]
            move[im] = True
            ndx[im] = ndx_i[keep]
            g[im] += dx[keep]
            its[im] += 1
            prev[im] = ndx_i[keep]
            if 2 * im.size > N:  # most points move: evaluate all (cheaper than indexing)
                F, J = fns.evaluate(g, th)
                scale, r = 1 + _norm(g), _norm(F)
            elif im.size:
                Fi, Ji = fns.evaluate(g[im], _take(th, im))
                F[im], J[im] = Fi, Ji
                scale[im] = 1 + _norm(g[im])
                r[im] = _norm(Fi)
    return g, ok, its, J


def _track(fns, base, g, path, ok, h0, exact_end=True, hmin=1e-7, max_rounds=400):
    """Follow every point's root along ``path(t, idx) -> (z, dz/dt, s, ds/dt)``, t: 0 -> 1.

    The vectorized predictor-corrector of `rmt_dsm.engine.batch.track` (that of solve.py with
    one step length per point), the tangent from F_z and F_s in one evaluation.  Intermediate
    points are corrected to a residual of 1e-6 (they only feed the next predictor), the end
    point fully unless ``exact_end`` is False.  Returns (g, ok).
    """
    from .batch import track

    def theta_path(t, idx):
        zi, dzi, si, dsi = path(t, idx)
        return _theta(base, fns, zi, si), (dzi, dsi)

    def tangent_rhs(gi, th, d):
        Fz, Fs = fns.tangent(gi, th)
        return -(Fz * d[0][:, None] + Fs * d[1])

    g, ok, _ = track(fns, g, theta_path, ok, h0, exact_end, hmin, max_rounds, tangent_rhs=tangent_rhs)
    return g, ok


def _homotopy_path(x, eta):
    """s: 0 -> 1 at z = x + i eta."""
    z = x + 1j * eta
    return lambda t, idx: (z[idx], np.zeros(idx.size), t, 1.0)


def _eta_path(x, eta0, eta1):
    """z = x + i eta, eta: eta0 -> eta1 geometrically (s = 1)."""
    r = np.log(eta1 / eta0)

    def path(t, idx):
        e = eta0 * np.exp(r * t)
        return x[idx] + 1j * e, 1j * r * e, 1.0, 0.0
    return path


def _theta(base, fns, zv, s):
    th = list(base)
    th[fns.z_index] = zv
    if s is not None:
        th[-1] = s
    return th


def solve_grid(sysm, z, base_theta, x, etas):
    """Solutions at ``x + i eta`` for every eta of ``etas`` (decreasing) and every x.

    Parameters
    ----------
    sysm : FixedPointSystem with a homotopy in fixed-point form (pencil systems).
    z : the spectral parameter (Symbol).
    base_theta : extended parameter values (complex; the entry of z is ignored, s = 1 last).
    x : (N,) real array.
    etas : decreasing positive imaginary parts; the cold start (homotopy in s) is made at
        ``eta_c = max(etas[0], 1, max |x|)`` (far from the spectrum, where the homotopy
        path is short), then eta decreases geometrically from rung to rung.

    Returns
    -------
    (sols, J, ok): ``sols[k]`` the (N, n) solutions at ``etas[k]`` (to the full double
    precision tolerances for the last two rungs, to a residual of 1e-6 before), J the
    Jacobians at the last rung, ``ok`` the (N,) mask of points that converged at every stage.
    """
    if sysm.homotopy is None or sysm.homotopy.start is not None:
        raise ValueError(f"{sysm.name}: the grid solver needs a homotopy in fixed-point form")
    fns = grid_functions(sysm, z)
    N = len(x)
    ok = np.ones(N, dtype=bool)
    eta_c = max(float(etas[0]), 1.0, float(np.max(np.abs(x))))
    with np.errstate(all="ignore"):
        g = -fns.evaluate(np.zeros((N, fns.n), dtype=complex), _theta(base_theta, fns, x + 1j * eta_c, 0.0))[0]
        g, ok = _track(fns, base_theta, g, _homotopy_path(x, eta_c), ok, h0=0.25, exact_end=False)
        sols = []
        e_prev = eta_c
        for k, e in enumerate(etas):
            if e != e_prev:  # rungs before the last two only feed the next predictor
                g, ok = _track(fns, base_theta, g, _eta_path(x, e_prev, e), ok, h0=1.0,
                               exact_end=k >= len(etas) - 2)
            sols.append(g)
            e_prev = e
        J = fns.evaluate(g, _theta(base_theta, fns, x + 1j * etas[-1], 1.0))[1]
    return sols, J, ok


# ------------------------------------------------------------------ mpmath polish
def polish_grid(sysm, z, theta_mp, zv, g, J, dps, maxit=12):
    """Polish the double grid solution ``g`` (N, n) at ``zv`` (N mpc) to ``dps`` digits.

    Runs at the caller's mpmath precision (``dps + GUARD_DIGITS``): simplified Newton
    sweeps ``g <- g - M F(g)`` with M the double-precision inverse of ``J`` (module doc),
    only on the points not yet converged, until the residual is below the tolerance of
    solve.py, ``8 * 10^-(dps + GUARD_DIGITS) (1 + |g|)``.
    Returns (g_mp as an (N, n) object array, ok mask).
    """
    fns = grid_functions(sysm, z)
    N, n = g.shape
    mpc = np.vectorize(mpmath.mpc, otypes=[object])
    # every argument an (N,) object array: an mpmath scalar times an ndarray would make
    # mpmath try (slowly) to convert the array
    th = [v if isinstance(v, np.ndarray) else np.full(N, v, dtype=object)
          for v in _theta(theta_mp, fns, zv, theta_mp[-1] if sysm.homotopy is not None else None)]
    with np.errstate(all="ignore"):
        M = np.linalg.inv(J)
    ok = np.isfinite(M).all(axis=(-2, -1))
    Mo = mpc(np.where(ok[:, None, None], M, 0))
    G = mpc(g)
    tol = 8.0 * 10.0 ** (-(dps + GUARD_DIGITS))  # a double: residuals are compared in double
    done = np.zeros(N, dtype=bool)
    for _ in range(maxit + 1):
        idx = np.flatnonzero(ok & ~done)
        if not idx.size:
            break
        F = fns.evaluate(G[idx], [v[idx] for v in th], mp=True)[0]
        r = np.abs(F.astype(complex)).max(axis=1)
        scale = 1 + np.abs(g[idx]).max(axis=1)
        conv = r <= tol * scale
        done[idx[conv]] = True
        move = idx[~conv]
        if move.size:  # one sweep gains about 15 digits
            G[move] -= (Mo[move] * F[~conv][:, None, :]).sum(axis=2)
    ok &= done
    return G, ok
