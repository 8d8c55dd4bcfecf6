r"""The training-time errors at ``dps`` digits [T§4]: the contour quadrature of
:mod:`rmt_dsm.dsm.training` in arbitrary precision.

Same contour, same formulas; what changes is the arithmetic:

* Dyson solutions at the nodes: continued along the contour in double precision, then polished by
  the engine's mpmath Newton at dps + GUARD_DIGITS digits;
* h, X1 [D eq. (6.2), S eq. (5.4)] in mpmath;
* the two-point matrix T(z1, z2) [T eqs. (3.5)-(3.8)], the one O(M^2) step: the same formulas
  (`rmt_dsm.dsm.two_point`) on arrays of python-flint complex balls (C speed at any precision);
* the trapezoidal sums [T eq. (4.1)] in flint; the nodes are doubled until the M and 2M sums agree
  to 10^-(dps + 5) (relative to 1 + |E|).

python-flint is an optional dependency (``pip install python-flint``, the ``precision`` extra).
"""
from __future__ import annotations

import math

import mpmath

from ..engine import ConvergenceError
from ..engine.solve import GUARD_DIGITS
import numpy as np

from ..data_spectrum import as_spectrum
from .numeric import numeric_observables
from .training import Contour, _check_taus, _ok, _solve, _xy, contour_system
from .two_point import node_factors, two_point_matrix

__all__ = ["precise_errors"]

_M_MAX = 2048
#: parameters of the two-point formulas
_PARAMS = ("psi_n", "psi_p", "kappa", "a", "delta", "mu1", "v2", "s2")


def _flint(prec_digits: int):
    try:
        import flint
    except ImportError:  # pragma: no cover - depends on the environment
        raise ValueError("dps with a finite tau needs python-flint (pip install python-flint, or the "
                         "'precision' extra of rmt_dsm)") from None
    flint.ctx.dps = prec_digits
    return flint


def _to_acb(flint, v):
    v = mpmath.mpc(v)
    return flint.acb(flint.arb(mpmath.nstr(v.real, mpmath.mp.dps + 5)), flint.arb(mpmath.nstr(v.imag, mpmath.mp.dps + 5)))


def _to_mp(v):
    return mpmath.mpc(mpmath.mpf(v.real.mid().str(mpmath.mp.dps + 5, radius=False)),
                      mpmath.mpf(v.imag.mid().str(mpmath.mp.dps + 5, radius=False)))


def _nodes(contour: Contour, M: int):
    """(z, dz) of :meth:`Contour.nodes` in mpmath at the working precision."""
    c, h = mpmath.mpf(contour.center), mpmath.mpf(contour.half)
    rho, shift = mpmath.mpf(contour.rho), mpmath.mpf(contour.shift)
    z, dz = [], []
    for k in range(M):
        w = rho * mpmath.expjpi(mpmath.mpf(2 * k) / M)
        ez = mpmath.exp(c + h * (w + 1 / w) / 2)
        z.append(ez - shift)
        dz.append(ez * h * 1j * (w - 1 / w) / 2 * (2 * mpmath.pi / M))
    return z, dz


def _node_values(base, base_mp, chart, contour, M, dps, cache, sigma):
    """Reduced Dyson solutions (g_u0, g_u1, g_v) at the M nodes, polished to dps + GUARD digits.
    ``cache``: theta index fraction (k/M as a reduced pair) -> polished values (reused on doubling)."""
    zd, _ = contour.nodes(M)
    z, _ = _nodes(contour, M)
    sysm = contour_system(sigma)
    vals = [None] * M
    prev = None
    for k in range(M // 2, -1, -1):
        key = (k // math.gcd(k, M), M // math.gcd(k, M))
        if prev is None:
            prev = _ok(base, chart, float(zd[k].real), _solve(base, chart, -1.0, None, sigma), +1, sigma)
            if prev is None:
                raise ConvergenceError("training contour", "no physical real solution at the left crossing", base)
        else:
            zk = complex(zd[k]) if abs(zd[k].imag) > 0 else float(zd[k].real)
            prev = _solve(base, chart, zk, prev, sigma)
        if key not in cache:
            x, y = _xy(chart, z[k] if z[k].imag else z[k].real)  # the real crossings as real numbers
            sol = sysm.solve({**base_mp, "x": x, "y": y, "epsilon": 0}, dps=dps, start=prev.vector)
            cache[key] = sol.vector
        vals[k] = cache[key]
    for k in range(M // 2 + 1, M):
        vals[k] = [mpmath.conj(v) for v in vals[M - k]]
    return z, vals


def _data(base, base_mp, chart, contour, M, dps, cache, flint, sigma):
    """z, h, X1 (mpmath lists) and T (flint acb_mat, M x M) at the M nodes."""
    spectrum = as_spectrum(sigma)
    z, vals = _node_values(base, base_mp, chart, contour, M, dps, cache, sigma)
    c = numeric_observables("mpmath", spectrum)
    h, X1 = [], []
    for k in range(M):
        x, y = _xy(chart, z[k])
        point = {**base_mp, "x": x, "y": y, "epsilon": 0}
        args = list(vals[k]) + [point[s.name] for s in c.args[3:]]
        h.append(1 - x * c.Q(*args))
        X1.append(c.X1(*args))
    acb = lambda v: _to_acb(flint, v)  # noqa: E731
    params = {k: acb(base_mp[k]) for k in _PARAMS}
    atoms = [[acb(_mp(v)) for v in spectrum.weights], [acb(_mp(v)) for v in spectrum.eigenvalues]]
    g = np.array([[acb(v) for v in row] for row in vals], dtype=object)
    X1a = np.array([acb(v) for v in X1], dtype=object)
    upper = M // 2 + 1
    f_all = node_factors(params, *atoms, g, X1a)
    f_up = node_factors(params, *atoms, g[:upper], X1a[:upper])
    Tup = two_point_matrix(params, *atoms, f_up, f_all)                 # rows theta in [0, pi]
    T = flint.acb_mat(M, M)
    for i in range(M):
        for k in range(M):
            T[i, k] = Tup[i, k] if i < upper else Tup[M - i, (M - k) % M].conjugate()
    return z, h, X1, T


def _mp(v):
    """A spectrum number at the working precision (a float by its shortest decimal repr)."""
    return mpmath.mpf(repr(v)) if isinstance(v, float) else mpmath.mpmathify(v)


def _errors(flint, z, dz, h, X1, T, coef, delta, F_pop, lam, tau):
    s = [zk + lam for zk in z]
    g = [1 / sk if math.isinf(tau) else -mpmath.expm1(-tau * sk) / sk for sk in s]
    w = [gk * dk for gk, dk in zip(g, dz)]
    c = -1 / (2j * mpmath.pi)
    F_g = (c * mpmath.fsum(wk * hk for wk, hk in zip(w, h))).real
    F_ug2 = (c * mpmath.fsum(wk * gk * zk * hk for wk, gk, zk, hk in zip(w, g, z, h))).real
    F_g2 = (c * mpmath.fsum(wk * gk * hk for wk, gk, hk in zip(w, g, h))).real
    X_g = (c * mpmath.fsum(wk * xk for wk, xk in zip(w, X1))).real
    wf = flint.acb_mat(1, len(w), [_to_acb(flint, v) for v in w])
    B = _to_mp((wf * T * wf.transpose())[0, 0])
    B_gg = (c * c * B).real
    train = 1 - 2 * F_g + F_ug2
    test = 1 - 2 * coef.mu1 * mpmath.sqrt(delta) * X_g + coef.mu1 ** 2 * B_gg + (coef.v2 + coef.s2) * F_g2
    return [train, test, test - F_pop, test - train, F_pop]


def precise_errors(base: dict, base_mp: dict, chart: str, coef, delta, F_pop, lam, taus, dps: int,
                   contour: Contour, sigma=None):
    """[(train, test, score, gap, floor) as mpf] at each tau and the accuracy estimate (mpf), at dps
    digits, on ``contour`` (found in double precision by :func:`rmt_dsm.dsm.training.training_curve`);
    ``F_pop``: the floor of the data spectrum ``sigma`` at the working precision [S eq. (5.6)]."""
    work = dps + GUARD_DIGITS
    flint = _flint(work)
    tol = mpmath.mpf(10) ** (-(dps + 5))
    check = list(taus) + [t for t in _check_taus(contour, float(lam))[::6]]
    with mpmath.workdps(work):
        cache: dict = {}
        M, old = 64, None
        while True:
            M *= 2
            z, h, X1, T = _data(base, base_mp, chart, contour, M, dps, cache, flint, sigma)
            _, dz = _nodes(contour, M)
            new = [_errors(flint, z, dz, h, X1, T, coef, delta, F_pop, lam, t) for t in check]
            if old is not None:
                diff = max(abs(n_ - o_) / (1 + abs(n_)) for rn, ro in zip(new, old) for n_, o_ in zip(rn, ro))
                if diff <= tol:
                    break
                if M >= _M_MAX:
                    raise ConvergenceError("training contour (dps)", f"trapezoidal sums not converged with {M} "
                                           f"nodes (difference {mpmath.nstr(diff, 3)})", base)
            old = new
        acc = max(diff ** 2, mpmath.mpf(10) ** (-work))
        rows = [[+v for v in row] for row in new[:len(taus)]]
    return rows, acc, M
