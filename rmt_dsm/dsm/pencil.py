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
from .atoms import ExplicitAtoms
from .populations import populations
from .symbols import a, delta, eps, kappa, mu1, psi_n, psi_p, x, y

#: Gaussian matrices: Y_k (N_k x d inputs), Z_k (N_k x p nonlinear noise), W (p x d)
POP_BLOCKS = (("u0", "a0", "b0", "Y0", "Z0"), ("u1", "a1", "b1", "Y1", "Z1"))


def atom_name(name: str, k: int, n_atoms: int) -> str:
    """Block or matrix ``name`` of atom k (1-based): unchanged for one atom, ``name_k`` otherwise."""
    return name if n_atoms == 1 else f"{name}_{k}"


def dsm_pencil(n_atoms: int = 1) -> Pencil:
    r"""Build the pencil [D§5, eq. (5.1)], enlarged to ``n_atoms`` atoms of the data spectrum [S§3].

    In the eigenbasis of Sigma the d input directions split into groups of sizes w_k d
    (eigenvalue l_k; symbols of `rmt_dsm.dsm.atoms.ExplicitAtoms`).  Each group has its own
    blocks a0, b0, a1, b1, aW, bW (size w_k), its own slice Y_{p,k} of the inputs and W_k of the
    weights.  Block sizes use m = 1/kappa; the Gaussian coefficients are
    ``mu1 sqrt(kappa gamma_{p,k}^2 / psi_n)`` for Y_{p,k} (kappa gamma_{0,k}^2 = a^2 l_k + Delta kappa,
    kappa gamma_1^2 = Delta kappa), ``tau_p / sqrt(m psi_n)`` for Z_p, ``mu1`` (twice) and 1 for W_k;
    the probe is eps (a^2 l_k + Delta) on aW_k.
    """
    atoms = ExplicitAtoms(n_atoms)
    p = Pencil(name="dsm" if n_atoms == 1 else f"dsm_{n_atoms}_atoms")
    pops = populations()
    N_over_d = psi_n / kappa
    for (u, _, _, _, _), pop in zip(POP_BLOCKS, pops):
        p.block(u, size=pop.weight * N_over_d)
    p.block("v", size=psi_p)
    for k, wk in enumerate(atoms.w, 1):
        for (_, aa, bb, _, _) in POP_BLOCKS:
            p.block(atom_name(aa, k, n_atoms), size=wk)
            p.block(atom_name(bb, k, n_atoms), size=wk)
        p.block(atom_name("aW", k, n_atoms), size=wk)
        p.block(atom_name("bW", k, n_atoms), size=wk)
    for (u, _, _, _, Z), pop in zip(POP_BLOCKS, pops):
        p.deterministic(u, u, x)
        p.gaussian(Z, u, "v", coef=sp.sqrt(pop.ktau2 / psi_n))
    p.deterministic("v", "v", y)
    for k, lk in enumerate(atoms.l, 1):
        name = lambda b: atom_name(b, k, n_atoms)  # noqa: E731
        for (u, aa, bb, Y, _), pop in zip(POP_BLOCKS, populations(lk)):
            p.deterministic(name(aa), name(bb), -mu1)
            # coef^2 = mu1^2 gamma_{p,k}^2 / (m psi_n) = mu1^2 kappa gamma_{p,k}^2 / psi_n
            p.gaussian(name(Y), u, name(aa), coef=mu1 * sp.sqrt(pop.kgamma2 / psi_n))
            p.gaussian(name("W"), "v", name(bb), coef=mu1)
        p.deterministic(name("aW"), name("bW"), -1)
        p.deterministic(name("aW"), name("aW"), eps * (a**2 * lk + delta))
        p.gaussian(name("W"), "v", name("bW"), coef=1)
    return p
