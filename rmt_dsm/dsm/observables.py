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
from .symbols import a, delta, eps, lam, mu1, s2, v2, x, y
from .system import UNKNOWNS, blocks_of_G, g_u0, g_u1

#: the quantities the error formulas are written in [D§6]
Q, X1, dQ_deps, H, Hp = sp.symbols("Q X_1 dQ_deps H H_prime")
dQ_dx, dQ_dy = sp.symbols("dQ_dx dQ_dy")
ERROR_NAMES = ("train", "test", "score", "gap", "floor")


def error_expressions() -> dict:
    """E_train, E_test, E_score, gap and F_pop in terms of H, H', Q, X1, dQ/deps [D eqs. (6.4)-(6.5)].

    Examples
    --------
    >>> error_expressions()["train"]
    H - H_prime*lam
    >>> error_expressions()["floor"]
    a**2/(a**2 + delta)
    """
    Gamma2 = a**2 + delta
    train = H - lam * Hp
    test = 1 - 2 * mu1 * sp.sqrt(delta) * X1 - mu1**2 * Gamma2 * dQ_deps + (v2 + s2) * Hp
    # F_pop = 1 - Delta/Gamma^2 (docs/model.md) written without the subtraction, which would
    # lose every digit of e^{-2t} at large t
    floor = a**2 / Gamma2
    return {"train": train, "test": test, "score": test - floor, "gap": test - train, "floor": floor}


def chart_expressions(chart: str) -> tuple[sp.Expr, sp.Expr]:
    """(H, H') with H = x Q, H' = dH/dlambda, in the primal (x=-1, y=lam) or dual (x=lam, y=-1) chart."""
    if chart == "primal":
        return -Q, -dQ_dy
    if chart == "dual":
        return lam * Q, Q + lam * dQ_dx
    raise ValueError(f"chart must be 'primal' or 'dual', got {chart!r}")


def Q_expr(blocks=None) -> sp.Expr:
    """Q of [D eq. (6.2)] in terms of the unknowns and parameters."""
    G = blocks_of_G(blocks)
    pops = populations()
    Q = sum(pops[k].beta * pops[l].beta * G[("b", k, l)] for k in range(2) for l in range(2))
    Q += sum(p.omega2 * p.weight * g for p, g in zip(pops, (g_u0, g_u1)))
    return Q


def X1_expr(blocks=None) -> sp.Expr:
    """X1 = tr(C W)/(d sqrt(d)) of [D eq. (6.3)]."""
    G = blocks_of_G(blocks)
    return sum(p.beta * (G[("ba", k)] + 1 / mu1) for k, p in enumerate(populations()))


@dataclass(frozen=True)
class _Compiled:
    args: tuple
    Q: object
    X1: object
    dQ_dg: object        # gradient of Q w.r.t. the unknowns
    dQ_dtheta: object    # explicit partials of Q w.r.t. (x, y, eps)
    errors: dict         # chart -> errors(Q, X1, dQ_dx, dQ_dy, dQ_deps, *params) -> 5-tuple
    error_args: tuple


@lru_cache(maxsize=4)
def compiled(module: str) -> _Compiled:
    """Lambdified Q, X1 and the partial derivatives of Q (module 'numpy' or 'mpmath')."""
    Qe, X1e = Q_expr(), X1_expr()
    params = sorted((Qe.free_symbols | X1e.free_symbols | {x, y, eps}) - set(UNKNOWNS), key=lambda s: s.name)
    args = tuple(UNKNOWNS) + tuple(params)
    mk = lambda e: sp.lambdify(args, e, modules=module, cse=True)  # noqa: E731
    eargs = (Q, X1, dQ_dx, dQ_dy, dQ_deps, a, delta, lam, mu1, s2, v2)
    exprs = error_expressions()
    errs = {}
    for chart in ("primal", "dual"):
        h, hp = chart_expressions(chart)
        row = [exprs[k].subs({H: h, Hp: hp}) for k in ERROR_NAMES]
        errs[chart] = sp.lambdify(eargs, row, modules=module)
    return _Compiled(args=args, Q=mk(Qe), X1=mk(X1e),
                     dQ_dg=mk(sp.Matrix([sp.diff(Qe, g) for g in UNKNOWNS])),
                     dQ_dtheta=mk(sp.Matrix([sp.diff(Qe, t) for t in (x, y, eps)])),
                     errors=errs, error_args=eargs)
