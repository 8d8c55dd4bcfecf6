r"""Exact Schur-complement claims for the DSM pencils [D§5.1, D§7], checked by
derivations/check_pencils.py on random integer matrices in exact arithmetic.

DSM pencil (any m), at generic (x, y, eps) with lambda = -x y, writing
B_k = Phi_k/sqrt(N) = c_{Y_k} Y_k W^T/d + c_{Z_k} Z_k/sqrt(d) (Y_k, Z_k, W the
pencil's Gaussian matrices), Ytil_k = Y_k/sqrt(N) = c_{Y_k} Y_k/(mu1 sqrt(d)),
A = W W^T/d and P = (sum_k B_k^T B_k + lambda - x eps A)^{-1}:

    (L^{-1})_{uu}       = (x - B (y + eps A)^{-1} B^T)^{-1}
    (L^{-1})_{b_k b_l}  = -(1/x) [Ytil_k^T B_k P B_l^T Ytil_l - delta_kl Ytil_l^T Ytil_l]
    (L^{-1})_{b_k a_l}  = Ytil_k^T B_k P W/sqrt(d) - delta_kl / mu1
"""
from __future__ import annotations

import sympy as sp

from ..engine.claims import PencilClaim, register_claim
from . import symbols as S
from .noise_averaged import noise_averaged_pencil, rho_c
from .pencil import dsm_pencil

# exact values making every coefficient rational (d = 1): a^2 = 3/2, Delta = 1, kappa = 1/2, ...
_VALUES = {S.psi_n: 2, S.psi_p: 3, S.kappa: sp.Rational(1, 2), S.a: sp.sqrt(6) / 2, S.delta: 1,
           S.v2: sp.Rational(3, 2), S.s2: 1, S.mu1: sp.Rational(1, 2), S.x: 3, S.y: -2,
           S.eps: sp.Rational(1, 3)}


def _coef(pencil, name, values):
    return sp.nsimplify(sp.sympify(pencil.gaussians[name][0][2]).subs(values))


def _dsm_pieces(pencil, M, v, d):
    sq = sp.sqrt(d)
    W = M["W"]
    B = [_coef(pencil, f"Y{k}", v) * M[f"Y{k}"] * W.T / d + _coef(pencil, f"Z{k}", v) * M[f"Z{k}"] / sq
         for k in range(2)]
    Yt = [_coef(pencil, f"Y{k}", v) * M[f"Y{k}"] / (v[S.mu1] * sq) for k in range(2)]
    A = W * W.T / d
    x, y, e = v[S.x], v[S.y], v[S.eps]
    lam = -x * y
    p = W.shape[0]
    P = (B[0].T * B[0] + B[1].T * B[1] + lam * sp.eye(p) - x * e * A).inv()
    return B, Yt, A, P, W, sq


def _uu(k, l):
    def intended(M, v, d):
        p = dsm_pencil()
        B, Yt, A, P, W, sq = _dsm_pieces(p, M, v, d)
        Bfull = B[0].col_join(B[1])
        n0 = B[0].shape[0]
        Rfull = (v[S.x] * sp.eye(Bfull.shape[0]) - Bfull * (v[S.y] * sp.eye(A.shape[0]) + v[S.eps] * A).inv()
                 * Bfull.T).inv()
        rows = range(0, n0) if k == 0 else range(n0, Bfull.shape[0])
        cols = range(0, n0) if l == 0 else range(n0, Bfull.shape[0])
        return Rfull.extract(list(rows), list(cols))
    return intended


def _bb(k, l):
    def intended(M, v, d):
        B, Yt, A, P, W, sq = _dsm_pieces(dsm_pencil(), M, v, d)
        out = Yt[k].T * B[k] * P * B[l].T * Yt[l]
        if k == l:
            out = out - Yt[l].T * Yt[l]
        return -out / v[S.x]
    return intended


def _ba(k, l):
    def intended(M, v, d):
        B, Yt, A, P, W, sq = _dsm_pieces(dsm_pencil(), M, v, d)
        out = Yt[k].T * B[k] * P * W / sq
        if k == l:
            out = out - sp.eye(out.shape[0]) / v[S.mu1]
        return out
    return intended


def _m_inf_cc(M, v, d):
    p = noise_averaged_pencil()
    sq = sp.sqrt(d)
    W = M["W"]
    B = _coef(p, "X", v) * M["X"] * W.T / d + _coef(p, "H", v) * M["H"] / sq
    lv = (S.lam + S.s2).subs(v)
    P = (lv * sp.eye(W.shape[0]) + B.T * B + v[rho_c] * W * W.T / d).inv()
    return v[rho_c] * W.T * P * W / d - sp.eye(W.shape[1])


def _register():
    pen = dsm_pencil()
    for k in range(2):
        for l in range(k, 2):
            register_claim(PencilClaim(f"dsm_u{k}u{l}", pen, (f"u{k}", f"u{l}"), _uu(k, l), _VALUES, d=1,
                                       description=f"(L^-1)_(u{k},u{l}) = (x - B (y + eps A)^-1 B^T)^-1 block",
                                       trials=1))
            register_claim(PencilClaim(f"dsm_b{k}b{l}", pen, (f"b{k}", f"b{l}"), _bb(k, l), _VALUES, d=1,
                                       description=f"(L^-1)_(b{k},b{l}) = -(1/x)[Yt B P B^T Yt - delta Yt^T Yt]",
                                       trials=1))
        for l in range(2):
            register_claim(PencilClaim(f"dsm_b{k}a{l}", pen, (f"b{k}", f"a{l}"), _ba(k, l), _VALUES, d=1,
                                       description=f"(L^-1)_(b{k},a{l}) = Yt B P W/sqrt(d) - delta/mu1",
                                       trials=1))
    vals = {S.psi_n: 2, S.psi_p: 3, S.a: sp.Rational(3, 2), S.lam: sp.Rational(1, 5), S.s2: sp.Rational(1, 3),
            S.v2: sp.Rational(9, 4), S.mu1: sp.Rational(2, 3), rho_c: sp.Rational(4, 9)}
    register_claim(PencilClaim("dsm_m_inf_cc", noise_averaged_pencil(), ("c", "c"), _m_inf_cc, vals, d=1,
                               description="(L^-1)_cc = rho_c W^T P W/d - I, P = (U + lambda)^-1 (m = inf)"))


_register()
