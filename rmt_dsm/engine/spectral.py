r"""Spectral densities and support edges from a Stieltjes-transform unknown.

Convention: if ``g(z) = sign * \int rho(x) dx / (x - z)`` (``sign = +1`` for the
resolvent $(A - z)^{-1}$, which is what the shipped pencils read off), then

$$
\rho(x) = \frac{\text{sign}}{\pi}\lim_{\eta\to 0^+}\operatorname{Im} g(x + i\eta)
$$

(Stieltjes inversion).  ``sign`` defaults to the one declared with
`Pencil.stieltjes` for ``g`` (else +1).

Limit eta -> 0+: for each x the solution is continued from ``x + i eta_start``
(warm-started from the previous x) down a geometric ladder of eta to
``x + 2 eta`` and ``x + i eta``; Richardson extrapolation
$\rho \approx 2 f(\eta) - f(2\eta)$ removes the O(eta) term
(``Im g(x+i eta) = pi rho(x) + eta Re g'(x) + O(eta^2)`` where rho is smooth).
Near a square-root edge the error is O(sqrt(eta)) instead.  With ``dps`` digits the
default eta is 10^-(dps + 5), below the working precision, and no extrapolation is
needed.  Atoms (e.g. at 0) are not part of rho; `atom_mass` measures them.

Pencil systems are solved on the whole grid of x at once (vectorized continuation,
`rmt_dsm.engine.grid`); a point where that fails is solved again by the per-point
continuation above, so the grid only changes the speed, never the answer.

Support edges (`support_edges`): coarse grid of rho, bisection of
``rho > threshold`` on each sign change, then Newton on the fold system

$$
F(g; x) = 0,\qquad J(g; x)\,v = 0,\qquad \ell\cdot v = 1
$$

for (g, v, x) real: at a square-root edge the real solution branch of the
(real-z) equations folds, i.e. the Jacobian J = dF/dg is singular.  The fold is
a regular root of this augmented system, so the edge is obtained at the working
precision (double, or ``dps`` digits).
"""
from __future__ import annotations

from contextlib import nullcontext

import mpmath
import numpy as np
import sympy as sp

from ..progress import track
from .grid import polish_grid, solve_grid
from .solve import GUARD_DIGITS, _to_double
from .system import FixedPointSystem, _mp_ready

__all__ = ["spectral_density", "support_edges", "atom_mass"]

#: eta ladder from the upper half plane towards the real axis (double precision)
_ETA_LADDER = [0.1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6]


def _sign(sysm, g, sign):
    if sign is not None:
        return sign
    for c in sysm.conditions:
        if c.g == g:
            return c.sign
    return 1


def _im(v):
    return mpmath.im(v) if isinstance(v, (mpmath.mpc, mpmath.mpf)) else complex(v).imag


def _solve_ladder(sysm, params, z, x, etas, dps, prev):
    """Solve at x + i eta for eta in etas (decreasing), warm-starting down the ladder."""
    sols = []
    start = prev
    for e in etas:
        p = dict(params)
        p[z] = mpmath.mpc(x, e) if dps is not None else complex(x, e)
        sol = sysm.solve(p, dps=dps, start=start)
        sols.append(sol)
        start = sol
    return sols


def spectral_density(sysm: FixedPointSystem, g, z, params: dict, x_values, eta=None, eta_start=0.1,
                     dps=None, sign=None, extrapolate=None):
    """rho(x) on ``x_values`` (see module docstring).

    ``eta``: smallest imaginary part (default 1e-8 at double precision,
    10^-(dps + 5) with ``dps``).  ``extrapolate``: Richardson step from ``2 eta`` and
    ``eta`` (default: True at double precision, where eta leaves an O(eta) bias; False
    with ``dps``, where the default eta is below the working precision).
    Returns a numpy array (double) or a list of mpf.

    Systems with a homotopy (pencil systems) are solved on the whole grid at once
    (`rmt_dsm.engine.grid`); the points where that fails, and other systems,
    by one continuation per point, warm-started from the previous x.
    """
    g = sysm._key(g)
    z = sysm._param_symbol(z)
    sgn = _sign(sysm, g, sign)
    if eta is None:
        eta = 1e-8 if dps is None else mpmath.mpf(10) ** (-(dps + 5))
    if dps is not None:
        eta = mpmath.mpf(eta)
    if extrapolate is None:
        extrapolate = dps is None
    # geometric ladder eta_start -> 1e-9 (below, g hardly moves), then 2 eta and eta
    ladder = []
    e = eta_start
    while e > max(20 * eta, 1e-9):
        ladder.append(e)
        e = e / 10
    ladder += [2 * eta, eta] if extrapolate else [eta]
    base = {sysm._param_symbol(k): v for k, v in params.items()}
    xs = list(x_values)
    out = [None] * len(xs)
    if sysm.homotopy is not None and sysm.homotopy.start is None and xs:
        for i, val in _density_grid(sysm, g, z, base, xs, ladder, dps, sgn, extrapolate):
            out[i] = val
    todo = [i for i, v in enumerate(out) if v is None]
    top, last = None, None
    for i in track(todo, "spectrum"):
        sols = _solve_ladder(sysm, base, z, xs[i], ladder, dps, top if last == i - 1 else None)
        top, last = sols[0], i
        with mpmath.workdps(dps + GUARD_DIGITS) if dps is not None else nullcontext():
            f1 = _im(sols[-1][g])
            val = 2 * f1 - _im(sols[-2][g]) if extrapolate else f1
            out[i] = sgn * val / (mpmath.pi if dps is not None else np.pi)
    return np.array(out, dtype=float) if dps is None else out


def _density_grid(sysm, g, z, base, xs, ladder, dps, sgn, extrapolate):
    """(index, rho) for the points that the vectorized grid solver gets right (module grid.py)."""
    p = dict(base)
    p[z] = 0
    pvals = sysm._param_values(p)
    theta = [complex(_to_double(v)) for v in pvals.values()] + [1.0]
    x = np.array([float(v) for v in xs])
    etas = [float(e) for e in ladder]
    try:
        sols, J, ok = solve_grid(sysm, z, theta, x, etas)
    except (ArithmeticError, TypeError, ValueError):  # e.g. a constant that numpy cannot take
        return []
    k = sysm.unknowns.index(g)
    for c in sysm.conditions:  # declared Stieltjes signs (Im z > 0), at the two last rungs
        if c.z == z and c.g in sysm.unknowns:
            j = sysm.unknowns.index(c.g)
            for s in sols[-2:]:
                ok &= c.sign * s[:, j].imag >= -1e-9 * (1 + np.abs(s[:, j]))
    if dps is None:
        f1 = sols[-1][:, k].imag
        val = sgn * (2 * f1 - sols[-2][:, k].imag if extrapolate else f1) / np.pi
        return [(i, float(val[i])) for i in np.flatnonzero(ok)]
    rungs = 2 if extrapolate else 1
    with mpmath.workdps(dps + GUARD_DIGITS):
        theta_mp = [mpmath.mpmathify(_mp_ready(v)) for v in pvals.values()] + [mpmath.mpf(1)]
        idx = np.flatnonzero(ok)
        xm = [mpmath.mpf(xs[i]) for i in idx]
        ims = []
        for e, s in zip(ladder[-rungs:], sols[-rungs:]):
            zv = np.array([mpmath.mpc(xv, e) for xv in xm], dtype=object)
            G, good = polish_grid(sysm, z, theta_mp, zv, s[idx], J[idx], dps)
            ok[idx] &= good
            ims.append([mpmath.im(v) for v in G[:, k]])
            tol = mpmath.mpf(10) ** (-dps)
            for c in sysm.conditions:  # declared Stieltjes signs, at the working precision
                if c.z == z and c.g in sysm.unknowns:
                    j = sysm.unknowns.index(c.g)
                    ok[idx] &= np.array([c.sign * mpmath.im(v) >= -tol * (1 + abs(v)) for v in G[:, j]],
                                        dtype=bool)
        out = []
        for pos, i in enumerate(idx):
            if ok[i]:
                val = 2 * ims[1][pos] - ims[0][pos] if extrapolate else ims[0][pos]
                out.append((i, sgn * val / mpmath.pi))
    return out


def atom_mass(sysm, g, z, params, x0=0.0, eta=1e-7, sign=None):
    """Mass of an atom at x0: ``sign * lim eta Im g(x0 + i eta)`` (double precision)."""
    g = sysm._key(g)
    sgn = _sign(sysm, g, sign)
    base = dict(params)
    sols = _solve_ladder(sysm, base, z, x0, _ETA_LADDER + [eta], None, None)
    return sgn * eta * complex(sols[-1][g]).imag


# --------------------------------------------------------------------- edges
def _fold_system(sysm, z):
    cache = sysm.__dict__.setdefault("_fold_cache", {})
    if z in cache:
        return cache[z]
    n = len(sysm.unknowns)
    v = [sp.Symbol(f"_v{i}") for i in range(n)]
    ell = [sp.Symbol(f"_l{i}") for i in range(n)]
    F = sp.Matrix(sysm.equations)
    J = F.jacobian(sysm.unknowns)
    Jv = J * sp.Matrix(v)
    eqs = list(F) + list(Jv) + [sum(a * b for a, b in zip(ell, v)) - 1]
    params = [p for p in sysm.parameters if p != z] + ell
    fs = FixedPointSystem(list(sysm.unknowns) + v + [z], params, eqs, name=f"{sysm.name} (fold)")
    cache[z] = (fs, v, ell)
    return cache[z]


def _refine_edge(sysm, g, z, base, x0, dps):
    """Newton on the fold system from x0 (approximate edge)."""
    fs, v, ell = _fold_system(sysm, z)
    # real solution guess: Re g at x0 + i*tiny
    sols = _solve_ladder(sysm, base, z, float(x0), _ETA_LADDER, None, None)
    g0 = np.array([complex(sols[-1].values[u]).real for u in sysm.unknowns])
    p = dict(base)
    p[z] = float(x0)
    be, th = sysm._backend_for(None, sysm._param_values(p))
    _, Jm = be.FJ(be.vec(g0), th)
    _, _, Vh = np.linalg.svd(np.real(Jm))
    v0 = Vh[-1]
    l0 = v0 / np.dot(v0, v0)
    fp = {k: val for k, val in base.items() if k != z}
    fp.update({sym: float(l) for sym, l in zip(ell, l0)})
    guess = list(g0) + list(v0) + [float(x0)]
    sol = fs.solve(fp, start=guess)
    if dps is not None:
        sol = fs.solve(fp, dps=dps, start=sol.vector)
    return sol.values[z]


def support_edges(sysm: FixedPointSystem, g, z, params: dict, x_range, n_grid=300, threshold=None,
                  eta=1e-9, refine=True, dps=None, sign=None):
    """Edges of the support of rho inside ``x_range = (x_min, x_max)`` (sorted).

    Grid + bisection of ``rho > threshold`` (default 1e-4 * max rho), then,
    with ``refine=True``, Newton on the fold system (module docstring); the
    refined edge is kept only if it lies within two grid steps of the bracket.
    """
    g = sysm._key(g)
    z = sysm._param_symbol(z)
    base = {sysm._param_symbol(k): v for k, v in params.items()}
    xs = np.linspace(x_range[0], x_range[1], n_grid)
    rho = spectral_density(sysm, g, z, base, xs, eta=eta, sign=sign)
    thr = threshold if threshold is not None else 1e-4 * float(np.max(rho))
    inside = rho > thr
    edges = []
    h = xs[1] - xs[0]
    for i in range(len(xs) - 1):
        if inside[i] == inside[i + 1]:
            continue
        lo, hi = xs[i], xs[i + 1]
        for _ in range(20):
            mid = 0.5 * (lo + hi)
            r = spectral_density(sysm, g, z, base, [mid], eta=eta, sign=sign)[0]
            if (r > thr) == inside[i]:
                lo = mid
            else:
                hi = mid
        xe = 0.5 * (lo + hi)
        if refine:
            try:
                xr = _refine_edge(sysm, g, z, base, xe, dps)
                if abs(float(mpmath.re(xr)) - xe) < 2 * h:
                    xe = xr
            except Exception:  # keep the bisection estimate  # noqa: BLE001
                pass
        edges.append(xe)
    return edges
