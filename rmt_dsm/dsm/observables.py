r"""Train, test and score errors from a solution of the DSM system [D§6], for any data spectrum [S§5].

From the Dyson solution g = (g_u0, g_u1, g_v) at (x, y, eps), with gbar = kappa g_u0 + (1 - kappa) g_u1
and Rbar = sum_k w_k rho(l_k) (the atoms' g_{a a}):

    Q  = gbar + mu1^2 Delta gbar^2 Rbar                                  [S eq. (5.3)]
    X1 = -mu1 sqrt(Delta) gbar Rbar       = tr(C W)/(d sqrt d)           [S eq. (5.4)]

(the per-atom regression coefficients and label noises of the populations cancel: the targets
are the noise xi, isotropic, whatever Sigma).  With H = x Q (so that tr(V^T P V)/d = 1 - H) and
H' = dH/dlambda:

    E_train = H - lambda H'                                                  [D eq. (6.4)]
    E_test  = 1 - 2 mu1 sqrt(Delta) X1 - mu1^2 dQ/deps + (v^2 + s^2) H'       [S eq. (5.5)]
    F_pop   = sum_k w_k a^2 l_k / (a^2 l_k + Delta)                          [S eq. (5.6)]

(the probe eps weights each atom by a^2 l + Delta, `rmt_dsm.dsm.system.probe_weight`).
Charts: primal (x = -1, y = lambda): H = -Q, H' = -dQ/dy;
dual (x = lambda, y = -1): H = lambda Q, H' = Q + lambda dQ/dx.
Derivatives of g are exact (implicit function theorem, in the engine).
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from .atoms import reduction_for
from .numeric import floor  # noqa: F401 - [S eq. (5.6)], numeric (no sympy)
from .symbols import delta, eps, kappa, lam, mu1, s2, v2, x, y
from .system import UNKNOWNS, atom_blocks, g_u0, g_u1

#: the quantities the error formulas are written in [D§6]
Q, X1, dQ_deps, H, Hp = sp.symbols("Q X_1 dQ_deps H H_prime")
#: the population floor, computed from the spectrum by `floor`
F_pop = sp.Symbol("F_pop")
dQ_dx, dQ_dy = sp.symbols("dQ_dx dQ_dy")
ERROR_NAMES = ("train", "test", "score", "gap", "floor")


def error_expressions() -> dict:
    """E_train, E_test, E_score, gap and F_pop in terms of H, H', Q, X1, dQ/deps, F_pop
    [D eq. (6.4), S eq. (5.5)].

    Examples
    --------
    >>> error_expressions()["train"]
    H - H_prime*lam
    >>> error_expressions()["score"] - error_expressions()["test"]
    -F_pop
    >>> floor([(1, 1.0)], 1.0, 0.5)   # isotropic: a^2/(a^2 + Delta)
    0.6666666666666666
    """
    train = H - lam * Hp
    test = 1 - 2 * mu1 * sp.sqrt(delta) * X1 - mu1**2 * dQ_deps + (v2 + s2) * Hp
    return {"train": train, "test": test, "score": test - F_pop, "gap": test - train, "floor": F_pop}


def gbar() -> sp.Expr:
    """kappa g_u0 + (1 - kappa) g_u1: the population-weighted mean of the u-traces."""
    return kappa * g_u0 + (1 - kappa) * g_u1


def chart_expressions(chart: str) -> tuple[sp.Expr, sp.Expr]:
    """(H, H') with H = x Q, H' = dH/dlambda, in the primal (x=-1, y=lam) or dual (x=lam, y=-1) chart."""
    if chart == "primal":
        return -Q, -dQ_dy
    if chart == "dual":
        return lam * Q, Q + lam * dQ_dx
    raise ValueError(f"chart must be 'primal' or 'dual', got {chart!r}")


def rho_sum(atoms=None, rho=None) -> sp.Expr:
    """Rbar = sum_k w_k rho(l_k) (``rho``: the per-atom rho, default that of atom_blocks)."""
    atoms = atoms if atoms is not None else _isotropic()
    return atoms.sum(rho if rho is not None else atom_blocks()[2])


def Q_expr(atoms=None, Rbar=None) -> sp.Expr:
    """Q of [S eq. (5.3)] in terms of the unknowns and parameters (``Rbar``: a named symbol, for LaTeX)."""
    R = Rbar if Rbar is not None else rho_sum(atoms)
    return gbar() + mu1**2 * delta * gbar() ** 2 * R


def X1_expr(atoms=None, Rbar=None) -> sp.Expr:
    """X1 = tr(C W)/(d sqrt(d)) of [S eq. (5.4)]."""
    R = Rbar if Rbar is not None else rho_sum(atoms)
    return -mu1 * sp.sqrt(delta) * gbar() * R


def _isotropic():
    from ..data_spectrum import isotropic

    return reduction_for(isotropic())


def observable_functions(module: str, atoms=None) -> tuple[str, dict, dict]:
    """(key, functions, meta) of the compiled observables for ``module`` and the atom reduction
    ``atoms``: Q, X1, the gradient of Q in the unknowns (dQ_dg) and its explicit partials in
    (x, y, eps) (dQ_dtheta), and per chart the five errors (`rmt_dsm.engine.codegen`)."""
    from ..engine.codegen import symbolic_key

    atoms = atoms if atoms is not None else _isotropic()
    Qe, X1e = Q_expr(atoms), X1_expr(atoms)
    params = sorted((Qe.free_symbols | X1e.free_symbols | {x, y, eps}) - set(UNKNOWNS), key=lambda s: s.name)
    args = list(UNKNOWNS) + list(params)
    eargs = [Q, X1, dQ_dx, dQ_dy, dQ_deps, F_pop, delta, lam, mu1, s2, v2]
    exprs = error_expressions()
    funcs = {"Q": (args, Qe, True, True), "X1": (args, X1e, True, True),
             "dQ_dg": (args, sp.Matrix([sp.diff(Qe, g) for g in UNKNOWNS]), True, True),
             "dQ_dtheta": (args, sp.Matrix([sp.diff(Qe, t) for t in (x, y, eps)]), True, True)}
    for chart in ("primal", "dual"):
        h, hp = chart_expressions(chart)
        funcs[f"errors_{chart}"] = (eargs, [exprs[k].subs({H: h, Hp: hp}) for k in ERROR_NAMES], False, True)
    key = symbolic_key("dsm observables", module, *[[a, e] for a, e, _, _ in funcs.values()])
    return key, funcs, {"args": [s.name for s in args], "error_args": [s.name for s in eargs]}


@lru_cache(maxsize=32)
def compiled(module: str, atoms=None):
    """Lambdified Q, X1 and the partial derivatives of Q (module 'numpy' or 'mpmath') for the
    atom reduction ``atoms`` (default: isotropic): a `rmt_dsm.dsm.numeric.CompiledObservables`,
    its source cached on disk (`rmt_dsm.engine.codegen`)."""
    from ..engine.codegen import Uncacheable, cached_functions, lambdified
    from .numeric import CompiledObservables

    key, funcs, meta = observable_functions(module, atoms)
    try:
        ns = cached_functions(key, lambda: funcs, module, meta)
    except Uncacheable:  # atom sums bound to one spectrum: lambdified in this process
        ns = {k: lambdified(a, e, module, cse) for k, (a, e, cse, _) in funcs.items()}
        ns["META"] = meta
    return CompiledObservables.from_namespace(ns)
