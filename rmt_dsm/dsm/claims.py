r"""Exact Schur-complement claims for the DSM pencils [D§5.1, D§7, S§3], checked by
derivations/check_pencils.py on random integer matrices in exact arithmetic.

DSM pencil (any m), at generic (x, y, eps) with lambda = -x y, writing
B_k = Phi_k/sqrt(N) = c_{Y_k} Y_k W^T/d + c_{Z_k} Z_k/sqrt(d) (Y_k, Z_k, W the
pencil's Gaussian matrices), Ytil_k = Y_k/sqrt(N) = c_{Y_k} Y_k/(mu1 sqrt(d)),
A = W W^T/d and P = (sum_k B_k^T B_k + lambda - x eps A)^{-1}:

    (L^{-1})_{uu}       = (x - B (y + eps A)^{-1} B^T)^{-1}
    (L^{-1})_{b_k b_l}  = -(1/x) [Ytil_k^T B_k P B_l^T Ytil_l - delta_kl Ytil_l^T Ytil_l]
    (L^{-1})_{b_k a_l}  = Ytil_k^T B_k P W/sqrt(d) - delta_kl / mu1

Structured data [S§3] (pencil with K atoms, blocks a_{p,k}, b_{p,k} per atom k): B_p =
sum_k c_{Y_{p,k}} Y_{p,k} W_k^T/d + c_{Z_p} Z_p/sqrt(d), A = sum_k (a^2 l_k + Delta) W_k W_k^T/d, and

    (L^{-1})_{b_{p,k} b_{q,k'}} = -(1/x) [Ytil_{p,k}^T B_p P B_q^T Ytil_{q,k'} - delta_pq delta_kk' Ytil^T Ytil]
    (L^{-1})_{b_{p,k} a_{q,k'}} = Ytil_{p,k}^T B_p P W_{k'}/sqrt(d) - delta_pq delta_kk' / mu1
"""
from __future__ import annotations

import sympy as sp

from ..engine.claims import PencilClaim, exact_inv, register_claim
from . import symbols as S
from .atoms import ExplicitAtoms
from .noise_averaged import noise_averaged_pencil, rho_c
from .pencil import atom_name, dsm_pencil

# exact values making every coefficient rational (d = 1): a^2 = 3/2, Delta = 1, kappa = 1/2, ...
_VALUES = {S.psi_n: 2, S.psi_p: 3, S.kappa: sp.Rational(1, 2), S.a: sp.sqrt(6) / 2, S.delta: 1,
           S.v2: sp.Rational(3, 2), S.s2: 1, S.mu1: sp.Rational(1, 2), S.x: 3, S.y: -2,
           S.eps: sp.Rational(1, 3), sp.Symbol("l_1", nonnegative=True): 1}
# two atoms (d = 2, weights 1/2): a zero eigenvalue (data on a subspace) and l = 5 keep the
# coefficients mu1 sqrt((a^2 l + Delta kappa)/psi_n) rational
_ATOMS2 = ExplicitAtoms(2)
_VALUES2 = {**{k: v for k, v in _VALUES.items() if k.name != "l_1"},
            _ATOMS2.l[0]: 0, _ATOMS2.l[1]: 5, _ATOMS2.w[0]: sp.Rational(1, 2), _ATOMS2.w[1]: sp.Rational(1, 2)}


def _coef(pencil, name, values):
    return sp.nsimplify(sp.sympify(pencil.gaussians[name][0][2]).subs(values))


def _dsm_pieces(n_atoms, M, v, d):
    """B_p, Ytil_{p,k}, W_k and P of the pencil with n_atoms atoms on the matrices M."""
    pencil = dsm_pencil(n_atoms)
    atoms = ExplicitAtoms(n_atoms)
    sq = sp.sqrt(d)
    name = lambda b, k: atom_name(b, k, n_atoms)  # noqa: E731
    Ws = [M[name("W", k)] for k in range(1, n_atoms + 1)]
    B = []
    for p in range(2):
        Bp = _coef(pencil, f"Z{p}", v) * M[f"Z{p}"] / sq
        for k, W in enumerate(Ws, 1):
            Bp = Bp + _coef(pencil, name(f"Y{p}", k), v) * M[name(f"Y{p}", k)] * W.T / d
        B.append(Bp)
    Yt = {(p, k): _coef(pencil, name(f"Y{p}", k), v) * M[name(f"Y{p}", k)] / (v[S.mu1] * sq)
          for p in range(2) for k in range(1, n_atoms + 1)}
    A = sp.zeros(Ws[0].shape[0])
    for W, lk in zip(Ws, atoms.l):
        A = A + (v[S.a] ** 2 * v[lk] + v[S.delta]) * W * W.T / d
    x, y, e = v[S.x], v[S.y], v[S.eps]
    P = exact_inv(B[0].T * B[0] + B[1].T * B[1] + (-x * y) * sp.eye(A.shape[0]) - x * e * A)
    return B, Yt, A, P, Ws, sq


def _uu(k, l, n_atoms=1):
    def intended(M, v, d):
        B, Yt, A, P, W, sq = _dsm_pieces(n_atoms, M, v, d)
        Bfull = B[0].col_join(B[1])
        n0 = B[0].shape[0]
        Rfull = exact_inv(v[S.x] * sp.eye(Bfull.shape[0])
                          - Bfull * exact_inv(v[S.y] * sp.eye(A.shape[0]) + v[S.eps] * A) * Bfull.T)
        rows = range(0, n0) if k == 0 else range(n0, Bfull.shape[0])
        cols = range(0, n0) if l == 0 else range(n0, Bfull.shape[0])
        return Rfull.extract(list(rows), list(cols))
    return intended


def _bb(p, k, q, kk, n_atoms=1):
    def intended(M, v, d):
        B, Yt, A, P, W, sq = _dsm_pieces(n_atoms, M, v, d)
        out = Yt[p, k].T * B[p] * P * B[q].T * Yt[q, kk]
        if (p, k) == (q, kk):
            out = out - Yt[q, kk].T * Yt[q, kk]
        return -out / v[S.x]
    return intended


def _ba(p, k, q, kk, n_atoms=1):
    def intended(M, v, d):
        B, Yt, A, P, W, sq = _dsm_pieces(n_atoms, M, v, d)
        out = Yt[p, k].T * B[p] * P * W[kk - 1] / sq
        if (p, k) == (q, kk):
            out = out - sp.eye(out.shape[0]) / v[S.mu1]
        return out
    return intended


def _m_inf_cc(M, v, d):
    p = noise_averaged_pencil()
    sq = sp.sqrt(d)
    W = M["W"]
    B = _coef(p, "X", v) * M["X"] * W.T / d + _coef(p, "H", v) * M["H"] / sq
    lv = (S.lam + S.s2).subs(v)
    P = exact_inv(lv * sp.eye(W.shape[0]) + B.T * B + v[rho_c] * W * W.T / d)
    return v[rho_c] * W.T * P * W / d - sp.eye(W.shape[1])


def _register():
    pen = dsm_pencil()
    for k in range(2):
        for l in range(k, 2):
            register_claim(PencilClaim(f"dsm_u{k}u{l}", pen, (f"u{k}", f"u{l}"), _uu(k, l), _VALUES, d=1,
                                       description=f"(L^-1)_(u{k},u{l}) = (x - B (y + eps A)^-1 B^T)^-1 block",
                                       trials=1))
            register_claim(PencilClaim(f"dsm_b{k}b{l}", pen, (f"b{k}", f"b{l}"), _bb(k, 1, l, 1), _VALUES, d=1,
                                       description=f"(L^-1)_(b{k},b{l}) = -(1/x)[Yt B P B^T Yt - delta Yt^T Yt]",
                                       trials=1))
        for l in range(2):
            register_claim(PencilClaim(f"dsm_b{k}a{l}", pen, (f"b{k}", f"a{l}"), _ba(k, 1, l, 1), _VALUES, d=1,
                                       description=f"(L^-1)_(b{k},a{l}) = Yt B P W/sqrt(d) - delta/mu1",
                                       trials=1))
    # structured data, two atoms [S§3]: same-atom and cross-atom blocks
    pen2 = dsm_pencil(2)
    register_claim(PencilClaim("dsm2_u0u1", pen2, ("u0", "u1"), _uu(0, 1, 2), _VALUES2, d=2, trials=1,
                               description="two atoms: (L^-1)_(u0,u1) = (x - B (y + eps A)^-1 B^T)^-1 block"))
    for (p, k, q, kk) in ((0, 1, 0, 1), (0, 2, 1, 2), (1, 1, 0, 2)):
        names = (f"b{p}_{k}", f"b{q}_{kk}")
        register_claim(PencilClaim(f"dsm2_{names[0]}{names[1]}", pen2, names, _bb(p, k, q, kk, 2), _VALUES2, d=2,
                                   trials=1, description="two atoms: -(1/x)[Yt B P B^T Yt - delta Yt^T Yt]"))
    for (p, k, q, kk) in ((0, 2, 0, 2), (1, 1, 1, 1), (0, 1, 1, 2)):
        names = (f"b{p}_{k}", f"a{q}_{kk}")
        register_claim(PencilClaim(f"dsm2_{names[0]}{names[1]}", pen2, names, _ba(p, k, q, kk, 2), _VALUES2, d=2,
                                   trials=1, description="two atoms: Yt B P W_k/sqrt(d) - delta/mu1"))
    vals = {S.psi_n: 2, S.psi_p: 3, S.a: sp.Rational(3, 2), S.lam: sp.Rational(1, 5), S.s2: sp.Rational(1, 3),
            S.v2: sp.Rational(9, 4), S.mu1: sp.Rational(2, 3), rho_c: sp.Rational(4, 9)}
    register_claim(PencilClaim("dsm_m_inf_cc", noise_averaged_pencil(), ("c", "c"), _m_inf_cc, vals, d=1,
                               description="(L^-1)_cc = rho_c W^T P W/d - I, P = (U + lambda)^-1 (m = inf)"))


_register()
