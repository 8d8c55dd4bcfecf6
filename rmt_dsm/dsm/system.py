r"""The DSM fixed-point system: the matrix Dyson equation of the DSM pencil,
reduced to three unknowns [D§5.3].

The size-1 blocks (a0, b0, a1, b1, aW, bW) form one size class whose
eta-coupling depends only on g_{u0}, g_{u1} (through the Y_k) and g_v (through
W), so that class is explicit: a 2 x 2 block per pair plus a rank-one coupling
of the b's, inverted by Sherman-Morrison [D eq. (5.6)].  What remains are the
three unknowns g_{u0}, g_{u1}, g_v.  With the homotopy parameter s (Gaussian
couplings scaled by s; s = 1 is the model):

    A_k   = s^2 mu1^2 K_k g_{u_k},      K_0 = a^2 + Delta kappa,  K_1 = Delta (1 - kappa)
    S     = A_0 + A_1 - eps
    rho   = s^2 psi_p g_v / (1 - s^2 psi_p g_v S)                 (= g_{a_k a_k})
    g_{u_k} = 1 / (x - s^2 [mu1^2 kappa gamma_k^2 rho + kappa tau_k^2 psi_p g_v] / psi_n)
    g_v     = 1 / (y - s^2 [T_0 g_{u0} + T_1 g_{u1} + S / (1 - s^2 psi_p g_v S)])

with T_0 = v^2 + s^2 kappa, T_1 = s^2 (1 - kappa) (here s^2 the coefficient of derivations/gaussian_equivalence.md),
and the remaining blocks of G

    g_{b_k b_l} = (delta_kl A_k + rho A_k A_l) / mu1^2,     g_{b_k a_k} = -(1 + rho A_k) / mu1.

``derivations/check_dsm.py`` verifies that these equations are exactly the
engine's generic Dyson system of `rmt_dsm.dsm.pencil.dsm_pencil`.
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..engine import FixedPointSystem
from ..engine.system import Homotopy
from .populations import populations
from .symbols import SYMBOL_NAMES, a, delta, eps, kappa, mu1, psi_n, psi_p, s2, v2, x, y

g_u0, g_u1, g_v = sp.symbols("g_u0 g_u1 g_v")
UNKNOWNS = (g_u0, g_u1, g_v)
_s = sp.Symbol("s_h", positive=True)  # homotopy parameter

_NAMES = {"g_u0": r"g_{u_0}", "g_u1": r"g_{u_1}", "g_v": r"g_{v}"}


def _blocks(s=sp.Integer(1)):
    """(A_0, A_1, S, rho) at homotopy parameter s [D eqs. (5.4)-(5.6)]."""
    K = (a**2 + delta * kappa, delta * (1 - kappa))
    A = tuple(s**2 * mu1**2 * Kk * g for Kk, g in zip(K, (g_u0, g_u1)))
    S = A[0] + A[1] - eps
    rho = s**2 * psi_p * g_v / (1 - s**2 * psi_p * g_v * S)
    return A, S, rho


def fixed_point_map(s=sp.Integer(1), blocks=None) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """T_s(g) for g = (g_u0, g_u1, g_v) [D eq. (5.7)].

    ``blocks``: (A, S, rho) to use instead of `_blocks` (e.g. named symbols, for LaTeX).
    """
    A, S, rho = blocks if blocks is not None else _blocks(s)
    pops = populations()
    T = []
    for pop, g in zip(pops, (g_u0, g_u1)):
        eta_u = (mu1**2 * pop.kgamma2 * rho + pop.ktau2 * psi_p * g_v) / psi_n
        T.append(1 / (x - s**2 * eta_u))
    # kappa tau_k^2 * (N_k/(kappa N)) : the Z_k contribution to eta_v
    tz = (v2 + s2 * kappa, s2 * (1 - kappa))
    eta_v = tz[0] * g_u0 + tz[1] * g_u1 + S / (1 - s**2 * psi_p * g_v * S)
    T.append(1 / (y - s**2 * eta_v))
    return tuple(T)


def blocks_of_G(blocks=None) -> dict:
    """The explicit entries of G used by the observables [D eq. (5.6)]:
    keys ('b', k, l) -> g_{b_k b_l}, ('ba', k) -> g_{b_k a_k}.  ``blocks`` as in fixed_point_map."""
    A, S, rho = blocks if blocks is not None else _blocks()
    out = {}
    for k in range(2):
        for l in range(2):
            out[("b", k, l)] = ((A[k] if k == l else 0) + rho * A[k] * A[l]) / mu1**2
        out[("ba", k)] = -(1 + rho * A[k]) / mu1
    return out


def physical_branch(sol) -> str | None:
    r"""Branch check [D§5.2]: the unknowns are normalized traces of resolvents,

        g_{u_k} = -y tr(R_kk)/N_k,   g_v = -x tr(P)/p,   lambda = -x y,

    with R, P positive definite and lambda R, lambda P of spectrum in (0, 1].  Hence
    x g_{u_k} and y g_v lie in [0, 1], and g_{u_k}, g_v have the signs of -y, -x.
    Returns a message when violated (the engine then raises ConvergenceError).
    """
    p = {k.name: v for k, v in sol.params.items()}
    tol = 1e-9 if sol.dps is None else 10.0 ** (-sol.dps // 2)
    msgs = []
    for g, other, scale in ((g_u0, "y", "x"), (g_u1, "y", "x"), (g_v, "x", "y")):
        val = sol.values[g]
        if getattr(val, "imag", 0):
            msgs.append(f"{g} = {val} is not real")
            continue
        if not -float(val) * float(p[other]) >= -tol * (1 + abs(float(val))):
            msgs.append(f"{g} = {float(val):.6g} has the wrong sign ({other} = {float(p[other]):.6g})")
        w = float(p[scale]) * float(val)
        if not -tol <= w <= 1 + tol:
            msgs.append(f"{scale} {g} = {w:.6g} is outside [0, 1]")
    return "; ".join(msgs) or None


@lru_cache(maxsize=1)
def dsm_system() -> FixedPointSystem:
    """The reduced DSM Dyson system, with its homotopy (start: g_u = 1/x, g_v = 1/y)."""
    rhs = fixed_point_map()
    hrhs = fixed_point_map(_s)
    eqs = [g - r for g, r in zip(UNKNOWNS, rhs)]
    heqs = tuple(g - r for g, r in zip(UNKNOWNS, hrhs))
    names = dict(SYMBOL_NAMES)
    names.update(_NAMES)
    return FixedPointSystem(list(UNKNOWNS), None, eqs, homotopy=Homotopy(_s, heqs, None),
                            fixed_point_form=True, rhs=list(rhs), name="dsm", symbol_names=names,
                            checks=[physical_branch])
