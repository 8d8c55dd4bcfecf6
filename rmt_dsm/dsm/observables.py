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

from dataclasses import dataclass
from functools import lru_cache

import sympy as sp

from .atoms import reduction_for
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


def floor(spectrum, a, delta):
    """F_pop = 1 - Delta sum_k w_k/(a^2 l_k + Delta) = sum_k w_k a^2 l_k/(a^2 l_k + Delta) [S eq. (5.6)],
    in the second form (no cancellation; exactly 0 at a = 0).  ``a``, ``delta`` and the atoms are
    numbers of one kind (floats, or mpmath numbers at the working precision)."""
    a2 = a * a
    return sum(w * (a2 * lk) / (a2 * lk + delta) for w, lk in spectrum)


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


@dataclass(frozen=True)
class _Compiled:
    args: tuple
    Q: object
    X1: object
    dQ_dg: object        # gradient of Q w.r.t. the unknowns
    dQ_dtheta: object    # explicit partials of Q w.r.t. (x, y, eps)
    errors: dict         # chart -> errors(Q, X1, dQ_dx, dQ_dy, dQ_deps, *params) -> 5-tuple
    error_args: tuple


@lru_cache(maxsize=32)
def compiled(module: str, atoms=None) -> _Compiled:
    """Lambdified Q, X1 and the partial derivatives of Q (module 'numpy' or 'mpmath') for the
    atom reduction ``atoms`` (default: isotropic)."""
    atoms = atoms if atoms is not None else _isotropic()
    Qe, X1e = Q_expr(atoms), X1_expr(atoms)
    params = sorted((Qe.free_symbols | X1e.free_symbols | {x, y, eps}) - set(UNKNOWNS), key=lambda s: s.name)
    args = tuple(UNKNOWNS) + tuple(params)
    mk = lambda e: sp.lambdify(args, e, modules=module, cse=True)  # noqa: E731
    eargs = (Q, X1, dQ_dx, dQ_dy, dQ_deps, F_pop, delta, lam, mu1, s2, v2)
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
