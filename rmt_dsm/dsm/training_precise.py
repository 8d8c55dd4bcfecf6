r"""The training-time errors at ``dps`` digits [T§4]: the contour quadrature of
:mod:`rmt_dsm.dsm.training` in arbitrary precision.

Same contour, same formulas; what changes is the arithmetic:

* Dyson solutions at the nodes: continued along the contour in double precision, then polished by
  the engine's mpmath Newton at dps + GUARD_DIGITS digits;
* h, X1 [D eqs. (6.2)-(6.3)] and the full block matrices G(z) [D eq. (5.6)] in mpmath;
* the two-point matrix T(z1, z2) [T eq. (3.4)], the one O(M^2) step, in python-flint ball
  arithmetic (C speed at any precision): one matrix product of the per-node tensors, then one
  small linear system per pair;
* the trapezoidal sums [T eq. (4.1)] in flint; the nodes are doubled until the M and 2M sums agree
  to 10^-(dps + 5) (relative to 1 + |E|).

python-flint is an optional dependency (``pip install python-flint``, the ``precision`` extra).
"""
from __future__ import annotations

import math

import mpmath

from ..engine import ConvergenceError
from ..engine.solve import GUARD_DIGITS
from .observables import compiled
from .training import Contour, _check_taus, _ok, _solve, _xy, contour_system
from .two_point import _PARAMS, two_point_structure

__all__ = ["precise_errors"]

_M_MAX = 2048


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


def _node_values(base, base_mp, chart, contour, M, dps, cache):
    """Reduced Dyson solutions (g_u0, g_u1, g_v) at the M nodes, polished to dps + GUARD digits.
    ``cache``: theta index fraction (k/M as a reduced pair) -> polished values (reused on doubling)."""
    zd, _ = contour.nodes(M)
    z, _ = _nodes(contour, M)
    sysm = contour_system()
    vals = [None] * M
    prev = None
    for k in range(M // 2, -1, -1):
        key = (k // math.gcd(k, M), M // math.gcd(k, M))
        if prev is None:
            prev = _ok(base, chart, float(zd[k].real), _solve(base, chart, -1.0), +1)
            if prev is None:
                raise ConvergenceError("training contour", "no physical real solution at the left crossing", base)
        else:
            zk = complex(zd[k]) if abs(zd[k].imag) > 0 else float(zd[k].real)
            prev = _solve(base, chart, zk, prev)
        if key not in cache:
            x, y = _xy(chart, z[k])
            sol = sysm.solve({**base_mp, "x": x, "y": y, "epsilon": 0}, dps=dps, start=prev.vector)
            cache[key] = sol.vector
        vals[k] = cache[key]
    for k in range(M // 2 + 1, M):
        vals[k] = [mpmath.conj(v) for v in vals[M - k]]
    return z, vals


def _full_G(structure, pv, x, y, g):
    K = len(structure.blocks)
    G = mpmath.zeros(K, K)
    for b, v in zip(structure.big, g):
        G[b, b] = v
    Emat = structure.mp["eta"](*pv)
    Lam = structure.mp["Lambda"](x, y, *pv)
    sm = structure.small
    Msm = mpmath.zeros(len(sm), len(sm))
    for a_, i in enumerate(sm):
        for b_, j in enumerate(sm):
            eta_ij = sum(Emat[i * K + j, bb * K + bb] * G[bb, bb] for bb in structure.big)
            Msm[a_, b_] = Lam[i, j] - eta_ij
    inv = mpmath.inverse(Msm)
    for a_, i in enumerate(sm):
        for b_, j in enumerate(sm):
            G[i, j] = inv[a_, b_]
    return G


def _two_point(flint, structure, pv, Gs, upper):
    """T(z_i, z_k) for i in ``upper`` (indices) and all k, as a flint acb_mat (len(upper) x M)."""
    K = len(structure.blocks)
    P, C = structure.mp["factors"](*pv)
    q = structure.mp["q"](*pv)
    r = P.rows
    to_mat = lambda flat: [[flat[i * K + j] for j in range(K)] for i in range(K)]  # noqa: E731
    left = [to_mat([P[l, c] for c in range(K * K)]) for l in range(r)] + [[[q[i, j] for j in range(K)] for i in range(K)]]
    E_aW = [[1 if (i == j == structure.aW) else 0 for j in range(K)] for i in range(K)]
    right = [to_mat([C[l, c] for c in range(K * K)]) for l in range(r)] + [E_aW]
    acbG = [flint.acb_mat([[_to_acb(flint, G[i, j]) for j in range(K)] for i in range(K)]) for G in Gs]
    L = [flint.acb_mat([[_to_acb(flint, v) for v in row] for row in Y]) for Y in left]
    R = [flint.acb_mat([[_to_acb(flint, v) for v in row] for row in X]) for X in right]
    n, M = len(upper), len(Gs)
    # G, hence G Y and X G restricted to what pairs with them, lives on the blocks of equal size
    support = [i * K + i for i in structure.big] + [i * K + j for i in structure.small for j in structure.small]
    big_left = flint.acb_mat(n * (r + 1), len(support))
    for a_, i in enumerate(upper):
        for j, Y in enumerate(L):
            prod = (acbG[i] * Y).entries()
            for e, idx in enumerate(support):
                big_left[a_ * (r + 1) + j, e] = prod[idx]
    big_right = flint.acb_mat(len(support), M * (r + 1))
    for k in range(M):
        for l, X in enumerate(R):
            prod = (X * acbG[k]).entries()
            for e, idx in enumerate(support):
                big_right[e, k * (r + 1) + l] = prod[idx]
    Kbig = big_left * big_right
    T = flint.acb_mat(n, M)
    eye = flint.acb_mat(r, r, [1 if i == j else 0 for i in range(r) for j in range(r)])
    for a_ in range(n):
        for k in range(M):
            i0, k0 = a_ * (r + 1), k * (r + 1)
            KPP = flint.acb_mat(r, r, [Kbig[i0 + j, k0 + l] for j in range(r) for l in range(r)])
            rhs = flint.acb_mat(r, 1, [-Kbig[i0 + j, k0 + r] for j in range(r)])
            ysol = (eye - KPP).solve(rhs)
            dQ = sum((Kbig[i0 + r, k0 + l] * ysol[l, 0] for l in range(r)), flint.acb(0)) - Kbig[i0 + r, k0 + r]
            T[a_, k] = -dQ
    return T


def _data(base, base_mp, chart, contour, M, dps, cache, flint):
    z, vals = _node_values(base, base_mp, chart, contour, M, dps, cache)
    c = compiled("mpmath")
    structure = two_point_structure()
    pv = [base_mp[s.name] for s in _PARAMS]
    h, X1, Gs = [], [], []
    for k in range(M):
        x, y = _xy(chart, z[k])
        point = {**base_mp, "x": x, "y": y, "epsilon": 0}
        args = list(vals[k]) + [point[s.name] for s in c.args[3:]]
        h.append(1 - x * c.Q(*args))
        X1.append(c.X1(*args))
        Gs.append(_full_G(structure, pv, x, y, vals[k]))
    upper = list(range(M // 2 + 1))
    Tup = _two_point(flint, structure, pv, Gs, upper)
    T = flint.acb_mat(M, M)
    for i in range(M):
        for k in range(M):
            T[i, k] = Tup[i, k] if i <= M // 2 else Tup[M - i, (M - k) % M].conjugate()
    return z, h, X1, T


def _errors(flint, z, dz, h, X1, T, coef, a, delta, lam, tau):
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
    gamma2 = a ** 2 + delta
    test = 1 - 2 * coef.mu1 * mpmath.sqrt(delta) * X_g + coef.mu1 ** 2 * gamma2 * B_gg + (coef.v2 + coef.s2) * F_g2
    floor = 1 - delta / gamma2
    return [train, test, test - floor, test - train, floor]


def precise_errors(base: dict, base_mp: dict, chart: str, coef, a, delta, lam, taus, dps: int, contour: Contour):
    """[(train, test, score, gap, floor) as mpf] at each tau and the accuracy estimate (mpf), at dps
    digits, on ``contour`` (found in double precision by :func:`rmt_dsm.dsm.training.training_curve`)."""
    work = dps + GUARD_DIGITS
    flint = _flint(work)
    tol = mpmath.mpf(10) ** (-(dps + 5))
    check = list(taus) + [t for t in _check_taus(contour, float(lam))[::6]]
    with mpmath.workdps(work):
        cache: dict = {}
        M, old = 64, None
        while True:
            M *= 2
            z, h, X1, T = _data(base, base_mp, chart, contour, M, dps, cache, flint)
            _, dz = _nodes(contour, M)
            new = [_errors(flint, z, dz, h, X1, T, coef, a, delta, lam, t) for t in check]
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

