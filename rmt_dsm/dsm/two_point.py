r"""Two-resolvent trace of the DSM pencil: the linear response of the doubled pencil [T§3].

For two spectral arguments z1, z2 (ridges lambda_i = -z_i) the test error of a
gradient-flow readout needs

    T(z1, z2) = tr(V^T (U - z1)^{-1} A (U - z2)^{-1} V) / d,      A = W W^T / d.

Doubled pencil [T eq. (3.1)]: two copies of the DSM pencil L(x_1, y_1), L(x_2, y_2) of
:func:`rmt_dsm.dsm.pencil.dsm_pencil` sharing the *same* Gaussian matrices, coupled only by
eps I between the probe blocks aW of copy 1 and aW of copy 2.  To first order in eps the
copy-off-diagonal block of its inverse is -eps (L_1^{-1})_{., aW} (L_2^{-1})_{aW, .}, and with
(L^{-1})_{b_k aW} = Y_k^T Phi_k P W/(N sqrt d), (L^{-1})_{u_k aW} = Phi_k P W/sqrt(N d) (no
factor of x, [T eq. (3.2)]) the Q-combination of [D eq. (6.2)] of that block is

    dQ_12/deps = -T(z1, z2)     (at z1 = z2: dQ/deps = -tr(C A C^T)/d of [D§6]).

Its matrix Dyson equation, linearized at eps = 0 (where the solution is diag(G(z1), G(z2))):
the eta map of the doubled pencil acts on the off-diagonal copy block as the eta of one copy
(the Gaussians are shared), so [T eq. (3.3)]

    dG_12 = G(z1) [eta(dG_12) - E_aW] G(z2),       E_aW = unit matrix at (aW, aW),

a linear system for dG_12.  eta only reads a few linear forms of its argument (here six:
g_{u0}, g_{u1}, g_v, g_{a0 a0}, g_{a1 a1} and the W-weighted b-block), so with
eta(X) = sum_l Chat_l <P_l, X> the unknowns are y_l = <P_l, dG_12>:

    (I - K) y = -<P, G1 E_aW G2>,     K_jl = <P_j, G1 Chat_l G2>,
    dQ_12 = <q, G1 (sum_l y_l Chat_l - E_aW) G2>.

Every pairing <Y, G1 X G2> = <G1 Y, X G2> (G symmetric), so all pairs (z1, z2) on a contour
are one matrix product of per-node tensors (:func:`two_point_matrix`).  The full block
matrix G(z) (9 x 9, zero between blocks of different sizes) is rebuilt from the reduced
solution (g_u0, g_u1, g_v) by inverting the size-1 class, as in [D eq. (5.6)].
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..engine.codegen import lambdify
from .atoms import ExplicitAtoms
from .pencil import dsm_pencil
from .populations import populations
from .symbols import a, delta, eps, kappa, mu1, psi_n, psi_p, s2, v2, x, y
from .system import g_u0, g_u1, g_v

__all__ = ["TwoPointStructure", "two_point_structure", "full_G", "two_point_matrix"]

_PARAMS = (psi_n, psi_p, kappa, a, delta, mu1, v2, s2)


@dataclass(frozen=True)
class TwoPointStructure:
    """Numeric-ready pieces of the doubled pencil (functions of the parameters, not of z).

    ``blocks``: block names; ``big``: indices of (u0, u1, v); ``small``: the size-1 class;
    ``Lambda(x, y, *params)`` -> K x K; ``eta(*params)`` -> (K^2, K^2) matrix of the map
    vec(X) -> vec(eta(X)); ``forms``/``images``: P_l and Chat_l as (r, K, K) arrays;
    ``q(*params)`` -> K x K readout of Q [D eq. (6.2)]; ``aW``: index of the probe block.
    """

    blocks: tuple
    big: tuple
    small: tuple
    aW: int
    Lambda: object
    eta: object
    factors: object
    q: object
    mp: dict  # the same four functions lambdified for mpmath (working precision): Lambda, eta, factors, q


@lru_cache(maxsize=1)
def two_point_structure() -> TwoPointStructure:
    """Build eta, its factorization eta(X) = sum_l Chat_l <P_l, X>, Lambda and q from the pencil."""
    pen = dsm_pencil()
    iso = {ExplicitAtoms(1).l[0]: 1}  # Sigma = I: the one atom's eigenvalue is 1 [S§4]
    K = len(pen.blocks)
    Xs = sp.Matrix(K, K, lambda i, j: sp.Symbol(f"X_{i}_{j}"))
    flat = list(Xs)
    E = pen.eta(Xs).subs(iso)
    # eta as a linear map: coefficient of X_kl in eta_ij (kappa cancelled so that kappa = 0 is regular)
    coeff = {}
    for i in range(K):
        for j in range(K):
            if E[i, j] != 0:
                coeff[(i, j)] = {flat.index(X): sp.factor(sp.cancel(sp.diff(E[i, j], X)))
                                 for X in E[i, j].free_symbols if X in flat}
    # group the outputs of eta by the linear form they read (up to a constant factor)
    groups: list[tuple[dict, list]] = []   # (form {index: coefficient}, [(i, j, scale)])
    for (i, j), row in coeff.items():
        lead = row[min(row)]
        form = {k: sp.cancel(c / lead) for k, c in row.items()}
        for fm, outs in groups:
            if fm.keys() == form.keys() and all(sp.cancel(fm[k] - form[k]) == 0 for k in form):
                outs.append((i, j, lead))
                break
        else:
            groups.append((form, [(i, j, lead)]))
    r = len(groups)
    P = sp.zeros(r, K * K)
    C = sp.zeros(r, K * K)
    for l, (form, outs) in enumerate(groups):
        for k, c in form.items():
            P[l, k] = c
        for i, j, sc in outs:
            C[l, i * K + j] = sc
    Emat = sp.zeros(K * K, K * K)
    for (i, j), row in coeff.items():
        for k, c in row.items():
            Emat[i * K + j, k] = c
    # readout q of Q = sum_kl beta_k beta_l g_{b_k b_l} + sum_k omega_k^2 (N_k/N) g_{u_k}
    pops = populations()
    idx = {b: n for n, b in enumerate(pen.blocks)}
    q = sp.zeros(K, K)
    for k in range(2):
        for l in range(2):
            q[idx[f"b{k}"], idx[f"b{l}"]] += pops[k].beta * pops[l].beta
        q[idx[f"u{k}"], idx[f"u{k}"]] += pops[k].omega2 * pops[k].weight
    lam_mat = pen.lambda_matrix().subs(eps, 0).subs(iso)
    args = _PARAMS
    big = tuple(idx[b] for b in ("u0", "u1", "v"))
    small = tuple(n for n in range(K) if n not in big)
    funcs = {"Lambda": ((x, y) + args, lam_mat), "eta": (args, Emat), "factors": (args, (P, C)), "q": (args, q)}
    made = {mod: {k: lambdify(a_, e, modules=mod) for k, (a_, e) in funcs.items()} for mod in ("numpy", "mpmath")}
    return TwoPointStructure(blocks=tuple(pen.blocks), big=big, small=small, aW=idx["aW"], **made["numpy"],
                             mp=made["mpmath"])


def _param_values(params: dict) -> list:
    return [params[s.name] for s in _PARAMS]


def full_G(structure: TwoPointStructure, params: dict, xs, ys, reduced) -> np.ndarray:
    """Full block matrices G (n, K, K) at n points from the reduced unknowns [D eq. (5.6)].

    ``reduced``: (n, 3) array of (g_u0, g_u1, g_v); ``xs``, ``ys``: the pencil's diagonal scalars
    at each point.  The size-1 class is (Lambda - eta(G))^{-1} restricted to it (eta there reads
    only g_u0, g_u1, g_v).
    """
    pv = _param_values(params)
    K = len(structure.blocks)
    Emat = np.asarray(structure.eta(*pv), dtype=complex)
    reduced = np.asarray(reduced, dtype=complex)
    n = reduced.shape[0]
    G = np.zeros((n, K, K), dtype=complex)
    for b, col in zip(structure.big, range(3)):
        G[:, b, b] = reduced[:, col]
    etaG = (G.reshape(n, K * K) @ Emat.T).reshape(n, K, K)
    sm = np.array(structure.small)
    Lam = np.stack([np.asarray(structure.Lambda(xv, yv, *pv), dtype=complex) for xv, yv in zip(xs, ys)])
    M = (Lam - etaG)[:, sm[:, None], sm[None, :]]
    G[:, sm[:, None], sm[None, :]] = np.linalg.inv(M)
    return G


def two_point_matrix(structure: TwoPointStructure, params: dict, G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
    """T(z1_i, z2_j) for all pairs: (n1, n2) complex array [T eq. (3.4)].

    ``G1`` (n1, K, K), ``G2`` (n2, K, K): full block matrices at the two sets of points.
    """
    pv = _param_values(params)
    K = len(structure.blocks)
    P, C = structure.factors(*pv)
    P = np.asarray(P, dtype=float).reshape(-1, K, K)
    C = np.asarray(C, dtype=float).reshape(-1, K, K)
    r = P.shape[0]
    q = np.asarray(structure.q(*pv), dtype=float)
    E_aW = np.zeros((K, K))
    E_aW[structure.aW, structure.aW] = 1.0
    left_forms = np.concatenate([P, q[None]], axis=0)            # (r+1, K, K): P_1..P_r, q
    right_mats = np.concatenate([C, E_aW[None]], axis=0)         # (r+1, K, K): Chat_1..Chat_r, E_aW
    Lf = np.einsum("nab,jbc->njac", G1, left_forms)               # G1 Y_j
    Rt = np.einsum("lab,nbc->nlac", right_mats, G2)               # X_l G2
    n1, n2 = G1.shape[0], G2.shape[0]
    Kmat = (Lf.reshape(n1 * (r + 1), K * K) @ Rt.reshape(n2 * (r + 1), K * K).T)
    Kmat = Kmat.reshape(n1, r + 1, n2, r + 1).transpose(0, 2, 1, 3)  # (n1, n2, j, l)
    KPP = Kmat[:, :, :r, :r]
    rhs = -Kmat[:, :, :r, r]
    ysol = np.linalg.solve(np.eye(r) - KPP, rhs[..., None])[..., 0]
    dQ = np.einsum("abl,abl->ab", Kmat[:, :, r, :r], ysol) - Kmat[:, :, r, r]
    return -dQ
