r"""Train, test and score errors from a solution of the DSM system [D§6].

From the Dyson solution g = (g_u0, g_u1, g_v) at (x, y, eps):

    Q  = sum_kl beta_k beta_l g_{b_k b_l} + sum_k omega_k^2 (N_k/N) g_{u_k}      [D eq. (6.2)]
    X1 = sum_k beta_k (g_{b_k a_k} + 1/mu1)        = tr(C W)/(d sqrt d)          [D eq. (6.3)]

and with H = x Q (so that tr(V^T P V)/d = 1 - H) and H' = dH/dlambda:

    E_train = H - lambda H'                                                      [D eq. (6.4)]
    E_test  = 1 - 2 mu1 sqrt(Delta) X1 - mu1^2 Gamma^2 dQ/deps + (v^2 + s^2) H'   [D eq. (6.5)]

Charts: primal (x = -1, y = lambda): H = -Q, H' = -dQ/dy;
dual (x = lambda, y = -1): H = lambda Q, H' = Q + lambda dQ/dx.
Derivatives of g are exact (implicit function theorem, in the engine).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .populations import populations
from .symbols import eps, mu1, x, y
from .system import UNKNOWNS, blocks_of_G, g_u0, g_u1


def Q_expr() -> sp.Expr:
    """Q of [D eq. (6.2)] in terms of the unknowns and parameters."""
    G = blocks_of_G()
    pops = populations()
    Q = sum(pops[k].beta * pops[l].beta * G[("b", k, l)] for k in range(2) for l in range(2))
    Q += sum(p.omega2 * p.weight * g for p, g in zip(pops, (g_u0, g_u1)))
    return Q


def X1_expr() -> sp.Expr:
    """X1 = tr(C W)/(d sqrt(d)) of [D eq. (6.3)]."""
    G = blocks_of_G()
    return sum(p.beta * (G[("ba", k)] + 1 / mu1) for k, p in enumerate(populations()))


@dataclass(frozen=True)
class _Compiled:
    args: tuple
    Q: object
    X1: object
    dQ_dg: object        # gradient of Q w.r.t. the unknowns
    dQ_dtheta: object    # explicit partials of Q w.r.t. (x, y, eps)


@lru_cache(maxsize=4)
def compiled(module: str) -> _Compiled:
    """Lambdified Q, X1 and the partial derivatives of Q (module 'numpy' or 'mpmath')."""
    Q, X1 = Q_expr(), X1_expr()
    params = sorted((Q.free_symbols | X1.free_symbols | {x, y, eps}) - set(UNKNOWNS), key=lambda s: s.name)
    args = tuple(UNKNOWNS) + tuple(params)
    mk = lambda e: sp.lambdify(args, e, modules=module, cse=True)  # noqa: E731
    return _Compiled(args=args, Q=mk(Q), X1=mk(X1),
                     dQ_dg=mk(sp.Matrix([sp.diff(Q, g) for g in UNKNOWNS])),
                     dQ_dtheta=mk(sp.Matrix([sp.diff(Q, t) for t in (x, y, eps)])))
