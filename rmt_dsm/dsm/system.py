r"""The DSM fixed-point system: the matrix Dyson equation of the DSM pencil,
reduced to three unknowns [D§5.3], for any data spectrum [S§4].

The data covariance Sigma enters as a parameter of the model: its eigenvalue distribution,
atoms (w_k, l_k) (isotropic data: the one atom (1, 1)).  The size-1 blocks of the pencil form,
per atom, one size class whose eta-coupling depends only on g_{u0}, g_{u1} (through the Y's)
and g_v (through W): each is explicit, a 2 x 2 block per pair plus a rank-one coupling of the
b's, inverted by Sherman-Morrison [D eq. (5.6)].  What remains are the three unknowns
g_{u0}, g_{u1}, g_v.  With the homotopy parameter s (Gaussian couplings scaled by s; s = 1 is
the model) and, for an atom of eigenvalue l [S eqs. (4.1)-(4.3)],

    K_0(l) = a^2 l + Delta kappa,   K_1 = Delta (1 - kappa),   c(l) = a^2 l + Delta
    A_p(l) = s^2 mu1^2 K_p(l) g_{u_p},   S(l) = A_0(l) + A_1 - eps c(l)
    rho(l) = s^2 psi_p g_v / (1 - s^2 psi_p g_v S(l))                   (= g_{a a} of the atom)
    g_{u0} = 1 / (x - s^2 [mu1^2 sum_k w_k K_0(l_k) rho(l_k) + T_0 psi_p g_v] / psi_n)
    g_{u1} = 1 / (x - s^2 [mu1^2 Delta kappa sum_k w_k rho(l_k) + T_1' psi_p g_v] / psi_n)
    g_v    = 1 / (y - s^2 [T_0 g_{u0} + T_1 g_{u1} + sum_k w_k S(l_k) / (1 - s^2 psi_p g_v S(l_k))])

with T_0 = v^2 + s^2 kappa, T_1' = s^2 kappa, T_1 = s^2 (1 - kappa) (here s^2 the docs/model.md
coefficient).  For one atom (1, 1) and eps -> eps/(a^2 + Delta) this is the isotropic system of
derivations/dsm_learning_curves.md (5.4)-(5.7).  The atom sums are taken by a reduction of
`rmt_dsm.dsm.atoms` (written out for a few atoms, vectorized for many).

``derivations/check_dsm.py`` and ``derivations/check_structured.py`` verify that these equations
are exactly the engine's generic Dyson system of `rmt_dsm.dsm.pencil.dsm_pencil` (1 and 2 atoms).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..engine import FixedPointSystem
from ..engine.system import Homotopy
from .atoms import l, reduction_for
from .branch import physical_branch
from .populations import populations
from .symbols import SYMBOL_NAMES, a, delta, eps, kappa, mu1, psi_n, psi_p, s2, v2, x, y

g_u0, g_u1, g_v = sp.symbols("g_u0 g_u1 g_v")
UNKNOWNS = (g_u0, g_u1, g_v)
_s = sp.Symbol("s_h", positive=True)  # homotopy parameter

_NAMES = {"g_u0": r"g_{u_0}", "g_u1": r"g_{u_1}", "g_v": r"g_{v}"}


def probe_weight(lk=l):
    """c(l) = a^2 l + Delta: the probe eps c(l) on the atom's aW block, so that d/deps gives
    tr(C W (a^2 Sigma + Delta I) W^T C^T)/d [S eq. (5.1)]."""
    return a**2 * lk + delta


def atom_blocks(s=sp.Integer(1), lk=l):
    """(A_0, A_1, S, rho) of one atom of eigenvalue ``lk`` at homotopy parameter s [S eq. (4.1)]."""
    K = tuple(p.weight * p.kgamma2 / kappa for p in populations(lk))  # a^2 l + Delta kappa, Delta (1 - kappa)
    A = tuple(s**2 * mu1**2 * Kp * g for Kp, g in zip(K, (g_u0, g_u1)))
    S = A[0] + A[1] - eps * probe_weight(lk)
    rho = s**2 * psi_p * g_v / (1 - s**2 * psi_p * g_v * S)
    return A, S, rho


def fixed_point_map(s=sp.Integer(1), blocks=None, atoms=None) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """T_s(g) for g = (g_u0, g_u1, g_v) [S eqs. (4.2)-(4.3)].

    ``atoms``: the reduction of the atom sums (`rmt_dsm.dsm.atoms`; default: one atom,
    parameter l_1).  ``blocks``: per-atom (A, S, rho) to use instead of `atom_blocks`, as
    expressions in the placeholder eigenvalue ``l`` (e.g. named symbols, for LaTeX).
    """
    atoms = atoms if atoms is not None else reduction_for_isotropic()
    A, S, rho = blocks if blocks is not None else atom_blocks(s)
    pops = populations(l)
    sums = (atoms.sum(pops[0].kgamma2 * rho), atoms.sum(pops[1].kgamma2 * rho))
    T = []
    for pop, g, rho_sum in zip(pops, (g_u0, g_u1), sums):
        eta_u = (mu1**2 * rho_sum + pop.ktau2 * psi_p * g_v) / psi_n
        T.append(1 / (x - s**2 * eta_u))
    # kappa tau_p^2 * (N_p/(kappa N)) : the Z_p contribution to eta_v
    tz = (v2 + s2 * kappa, s2 * (1 - kappa))
    eta_v = tz[0] * g_u0 + tz[1] * g_u1 + atoms.sum(S / (1 - s**2 * psi_p * g_v * S))
    T.append(1 / (y - s**2 * eta_v))
    return tuple(T)


def reduction_for_isotropic():
    from ..data_spectrum import isotropic

    return reduction_for(isotropic())


def blocks_of_G(blocks=None) -> dict:
    """The explicit entries of G of one atom (placeholder eigenvalue l) [D eq. (5.6)]:
    keys ('b', p, q) -> g_{b_p b_q}, ('ba', p) -> g_{b_p a_p}."""
    A, S, rho = blocks if blocks is not None else atom_blocks()
    out = {}
    for p in range(2):
        for q in range(2):
            out[("b", p, q)] = ((A[p] if p == q else 0) + rho * A[p] * A[q]) / mu1**2
        out[("ba", p)] = -(1 + rho * A[p]) / mu1
    return out


def dsm_system(spectrum=None) -> FixedPointSystem:
    """The reduced DSM Dyson system for the data spectrum (default: isotropic, Sigma = I), with its
    homotopy (start: g_u = 1/x, g_v = 1/y).  One system per atom count (atoms as parameters
    ``w_k``, ``l_k``) for a few atoms, one per spectrum otherwise (cached)."""
    from ..data_spectrum import as_spectrum

    return _system(reduction_for(as_spectrum(spectrum)))


@lru_cache(maxsize=16)
def _system(atoms) -> FixedPointSystem:
    rhs = fixed_point_map(atoms=atoms)
    hrhs = fixed_point_map(_s, atoms=atoms)
    eqs = [g - r for g, r in zip(UNKNOWNS, rhs)]
    heqs = tuple(g - r for g, r in zip(UNKNOWNS, hrhs))
    names = dict(SYMBOL_NAMES)
    names.update(_NAMES)
    names.update(getattr(atoms, "names", {}))
    return FixedPointSystem(list(UNKNOWNS), None, eqs, homotopy=Homotopy(_s, heqs, None),
                            fixed_point_form=True, rhs=list(rhs), name="dsm", symbol_names=names,
                            checks=[physical_branch])
