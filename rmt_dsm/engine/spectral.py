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
Near a square-root edge the error is O(sqrt(eta)) instead.  Atoms (e.g. at 0)
are not part of rho; `atom_mass` measures them.

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

import mpmath
import numpy as np
import sympy as sp

from .system import FixedPointSystem

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
                     dps=None, sign=None, extrapolate=True):
    """rho(x) on ``x_values`` (see module docstring).

    ``eta``: smallest imaginary part (default 1e-8 at double precision,
    10^(-dps/2) with ``dps``).  Returns a numpy array (double) or a list of mpf.
    """
    g = sysm._key(g)
    z = sysm._param_symbol(z)
    sgn = _sign(sysm, g, sign)
    if eta is None:
        eta = 1e-8 if dps is None else mpmath.mpf(10) ** (-(dps // 2))
    if dps is not None:
        eta = mpmath.mpf(eta)
    # geometric ladder eta_start -> 2 eta, then eta
    ladder = []
    e = eta_start
    while e > 20 * eta:
        ladder.append(e)
        e = e / 10
    ladder += [2 * eta, eta]
    out = []
    top = None
    pi = mpmath.pi if dps is not None else np.pi
    base = {sysm._param_symbol(k): v for k, v in params.items()}
    for x in x_values:
        sols = _solve_ladder(sysm, base, z, x, ladder, dps, top)
        top = sols[0]
        f1 = _im(sols[-1][g])
        f2 = _im(sols[-2][g])
        val = 2 * f1 - f2 if extrapolate else f1
        out.append(sgn * val / pi)
    return np.array(out, dtype=float) if dps is None else out


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
