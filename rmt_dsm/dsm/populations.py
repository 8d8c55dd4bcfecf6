r"""The two populations of training pairs after the within-group rotation [D§2].

For each data point x_i, the m noise draws are rotated by an orthogonal m x m
matrix whose first row is (1, ..., 1)/sqrt(m).  The rotated pairs split into

* population 0 ("group means", n pairs): input  sqrt(m) a x_i + sqrt(Delta) xi'_i0,
  nonlinear feature noise of variance m v^2 + s^2, target xi'_i0;
* population 1 ("within-group contrasts", n (m-1) pairs): input sqrt(Delta) xi'_ik,
  nonlinear noise of variance s^2, target xi'_ik, no constant or data part.

Every quantity is written with kappa = 1/m and multiplied by kappa where needed,
so that m = infinity is the regular point kappa = 0.  For population k:

* ``weight``  = N_k / N                      (kappa, 1 - kappa)
* ``kgamma2`` = kappa * gamma_k^2, gamma_k^2 = input variance per entry
* ``ktau2``   = kappa * tau_k^2,   tau_k^2   = nonlinear-noise variance
* ``beta``    : target = beta * input + label noise
* ``omega2``  : label-noise variance (so that beta^2 gamma^2 + omega^2 = 1)

Examples
--------
>>> from rmt_dsm.dsm.symbols import kappa, a, delta
>>> p0, p1 = populations()
>>> import sympy as sp
>>> [sp.simplify(p.beta**2 * p.kgamma2 / kappa + p.omega2) for p in (p0, p1)]
[1, 1]
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .symbols import a, delta, kappa, s2, v2


@dataclass(frozen=True)
class Population:
    weight: sp.Expr
    kgamma2: sp.Expr
    ktau2: sp.Expr
    beta: sp.Expr
    omega2: sp.Expr


def populations() -> tuple[Population, Population]:
    """The two populations [D§2, eq. (2.4)]."""
    g0 = a**2 + delta * kappa          # kappa (m a^2 + Delta)
    mean = Population(weight=kappa, kgamma2=g0, ktau2=v2 + s2 * kappa,
                      beta=sp.sqrt(delta) * kappa / g0, omega2=a**2 / g0)
    contrast = Population(weight=1 - kappa, kgamma2=delta * kappa, ktau2=s2 * kappa,
                          beta=1 / sp.sqrt(delta), omega2=sp.Integer(0))
    return mean, contrast
