r"""Pencils shipped with the engine (each with an exact block claim, see claims.py).

* `marchenko_pastur` -- $(XX^\top/n - z)^{-1}$, X d x n, n = alpha d.
  Blocks a (size 1), b (size alpha); $\Lambda = \mathrm{diag}(-z, -1)$,
  X at (a, b) with coef $1/\sqrt{\alpha}$.  Schur complement:
  $(L^{-1})_{aa} = (-z + XX^\top/(\alpha d))^{-1}$.

* `product_wishart` -- $(A - z)^{-1}$, $A = W X X^\top W^\top/(d n)$,
  W p x d, X d x n, p = psi_p d, n = psi_n d.  Blocks u (psi_p), y (1), w (psi_n), v (1):

  $$
  L = \begin{pmatrix} -z & W/\sqrt d & 0 & 0\\ W^\top/\sqrt d & 0 & 0 & -I\\
  0 & 0 & -I & X^\top/\sqrt n\\ 0 & -I & X/\sqrt n & 0\end{pmatrix}
  $$

  Eliminating y, w, v (rows y: v = W^T u/sqrt d; w: w = X^T v/sqrt n;
  v: y = X w/sqrt n) gives $(L^{-1})_{uu} = (A - z)^{-1}$.

Examples
--------
>>> p, sym = marchenko_pastur()
>>> sysm = p.dyson_system()
>>> [s.name for s in sysm.unknowns]
['g_a_a', 'g_b_b']
>>> q, sym = product_wishart()
>>> [s.name for s in q.dyson_system().unknowns]
['g_u_u', 'g_y_y', 'g_y_v', 'g_w_w', 'g_v_v']
"""
from __future__ import annotations

import sympy as sp

from .claims import PencilClaim, register_claim
from .pencil import Pencil

__all__ = ["marchenko_pastur", "product_wishart"]


def marchenko_pastur():
    """MP pencil; returns (pencil, {"alpha": alpha, "z": z}); g_a_a is the Stieltjes transform."""
    alpha, z = sp.symbols("alpha z")
    p = Pencil("marchenko_pastur")
    p.block("a", size=1)
    p.block("b", size=alpha)
    p.deterministic("a", "a", -z)
    p.deterministic("b", "b", -1)
    p.gaussian("X", "a", "b", coef=1 / sp.sqrt(alpha))
    p.stieltjes("a", z, sign=1, lower=0)
    return p, {"alpha": alpha, "z": z}


def product_wishart():
    """Product pencil; returns (pencil, {"psi_p", "psi_n", "z"}); g_u_u = tr(A - z)^{-1}/p."""
    psi_p, psi_n, z = sp.symbols("psi_p psi_n z")
    p = Pencil("product_wishart")
    p.block("u", size=psi_p)
    p.block("y", size=1)
    p.block("w", size=psi_n)
    p.block("v", size=1)
    p.deterministic("u", "u", -z)
    p.deterministic("y", "v", -1)
    p.deterministic("w", "w", -1)
    p.gaussian("W", "u", "y", coef=1)
    p.gaussian("X", "v", "w", coef=1 / sp.sqrt(psi_n))
    p.stieltjes("u", z, sign=1, lower=0)
    return p, {"psi_p": psi_p, "psi_n": psi_n, "z": z}


# --------------------------------------------------------------------- claims
def _mp_intended(M, z, d):
    X = M["X"]
    n = X.shape[1]
    return (X * X.T / n - z * sp.eye(d)).inv()


def _product_intended(M, z, d):
    W, X = M["W"], M["X"]
    n, p = X.shape[1], W.shape[0]
    A = W * X * X.T * W.T / (d * n)
    return (A - z * sp.eye(p)).inv()


def _claims():
    p, s = marchenko_pastur()
    register_claim(PencilClaim(
        name="marchenko_pastur", pencil=p, read=("a", "a"), d=4,
        values={s["alpha"]: sp.Rational(9, 4), s["z"]: sp.Rational(-3, 7)},
        intended=lambda M, v, d: _mp_intended(M, v[s["z"]], d),
        description="(L^{-1})_{aa} = (X X^T / n - z)^{-1}"))
    q, t = product_wishart()
    register_claim(PencilClaim(
        name="product_wishart", pencil=q, read=("u", "u"), d=4,
        values={t["psi_p"]: sp.Rational(3, 4), t["psi_n"]: sp.Rational(3, 2), t["z"]: sp.Rational(2, 5)},
        intended=lambda M, v, d: _product_intended(M, v[t["z"]], d),
        description="(L^{-1})_{uu} = (W X X^T W^T / (d n) - z)^{-1}"))


_claims()
