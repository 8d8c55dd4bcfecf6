r"""The DSM linear pencil [D§5] and its matrix Dyson equation.

Blocks (sizes in units of d): u0 (psi_n), u1 ((m-1) psi_n), v (psi_p), and six
blocks of size 1: a0, b0, a1, b1 (one pair per population) and aW, bW (the probe
pair).  With lambda = -x y, P = (U + lambda - x eps W W^T/d)^{-1} and the
training features Phi_k = mu1 Y_k W^T/sqrt(d) + tau_k Z_k of population k,

    (L^{-1})_{u_k u_k}  = -y R_kk,                         R = (Phi Phi^T/N + lambda)^{-1}
    (L^{-1})_{b_k b_l}  = -(1/x) [Y_k^T Phi_k P Phi_l^T Y_l / N^2 - delta_kl Y_l^T Y_l / N]
    (L^{-1})_{b_k a_l}  = Y_k^T Phi_k P W / (N sqrt d) - delta_kl / mu1

(verified exactly on random instances by derivations/check_pencils.py).
Charts: "primal" x = -1, y = lambda (finite at lambda = 0 when p < N = n m, and for
m = infinity); "dual" x = lambda, y = -1 (finite at lambda = 0 when p > N).
"""
from __future__ import annotations

import sympy as sp

from ..engine import Pencil
from .populations import populations
from .symbols import eps, kappa, mu1, psi_n, psi_p, x, y

#: Gaussian matrices: Y_k (N_k x d inputs), Z_k (N_k x p nonlinear noise), W (p x d)
POP_BLOCKS = (("u0", "a0", "b0", "Y0", "Z0"), ("u1", "a1", "b1", "Y1", "Z1"))


def dsm_pencil() -> Pencil:
    r"""Build the pencil [D§5, eq. (5.1)].

    Block sizes use m = 1/kappa; the Gaussian coefficients are
    ``mu1 gamma_k / sqrt(m psi_n)`` for Y_k, ``tau_k / sqrt(m psi_n)`` for Z_k and
    ``mu1`` (twice) and 1 for W.
    """
    p = Pencil(name="dsm")
    pops = populations()
    N_over_d = psi_n / kappa
    for (u, _, _, _, _), pop in zip(POP_BLOCKS, pops):
        p.block(u, size=pop.weight * N_over_d)
    p.block("v", size=psi_p)
    for (_, aa, bb, _, _) in POP_BLOCKS:
        p.block(aa, size=1)
        p.block(bb, size=1)
    p.block("aW", size=1)
    p.block("bW", size=1)
    for (u, aa, bb, Y, Z), pop in zip(POP_BLOCKS, pops):
        p.deterministic(u, u, x)
        p.deterministic(aa, bb, -mu1)
        # coef^2 = mu1^2 gamma_k^2 / (m psi_n) = mu1^2 kappa gamma_k^2 / psi_n
        p.gaussian(Y, u, aa, coef=mu1 * sp.sqrt(pop.kgamma2 / psi_n))
        p.gaussian(Z, u, "v", coef=sp.sqrt(pop.ktau2 / psi_n))
        p.gaussian("W", "v", bb, coef=mu1)
    p.deterministic("v", "v", y)
    p.deterministic("aW", "bW", -1)
    p.deterministic("aW", "aW", eps)
    p.gaussian("W", "v", "bW", coef=1)
    return p
