r"""Spectrum of the feature covariance U (Bonnaire et al. arXiv:2505.17638; any m) [D§5.2].

In the primal chart x = -1 the pencil reads (L^{-1})_{vv} = (y + U)^{-1}; with y = -z,

    g_v(z) = (1/p) tr (U - z)^{-1},

the Stieltjes transform of the eigenvalue distribution of U.  The same reduced Dyson
system (5.7) with (x, y, eps) = (-1, -z, 0) and complex z therefore gives the limiting
spectral density rho(E) = lim_{eta->0+} Im g_v(E + i eta)/pi (Stieltjes inversion in the
engine).  Atoms: for finite m, U has rank min(N, p), an atom at 0 of mass 1 - m psi_n/psi_p
when p > N; for m = infinity, U >= s^2 I and the part F^T F/n + mu1^2 Delta W W^T/d has rank
<= n + d, an atom at s^2 of mass 1 - (psi_n + 1)/psi_p when p > n + d ("a Dirac mass plus two
bulks").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from ..engine import FixedPointSystem, StieltjesCondition
from ..engine.spectral import spectral_density
from ..engine.system import Homotopy
from .symbols import eps, x, y
from .system import dsm_system, g_v

z = sp.Symbol("z")


@lru_cache(maxsize=1)
def spectrum_system() -> FixedPointSystem:
    """System (5.7) at x = -1, y = -z, eps = 0, with g_v declared a Stieltjes transform in z."""
    base = dsm_system()
    sub = {x: -1, y: -z, eps: 0}
    h = base.homotopy
    return FixedPointSystem(base.unknowns, None, [e.subs(sub) for e in base.equations],
                            homotopy=Homotopy(h.symbol, tuple(e.subs(sub) for e in h.equations), None),
                            fixed_point_form=True, rhs=[r.subs(sub) for r in base.rhs], name="dsm_spectrum",
                            conditions=[StieltjesCondition(g_v, z, 1, 0)], symbol_names=base.symbol_names)


@dataclass(frozen=True)
class Spectrum:
    """Density of the bulk of U on a grid, and the atom (location, mass)."""

    energies: np.ndarray
    density: np.ndarray
    atom_at: float
    atom_mass: float


def spectrum(psi_n, psi_p, m, energies, t=None, activation="tanh", a=None, delta=None, eta=1e-7) -> Spectrum:
    """Limiting eigenvalue density of U = (1/N) sum phi phi^T at ``energies`` (double precision).

    Examples
    --------
    >>> sp_ = spectrum(1.0, 3.0, 1, [0.5], t=0.5)
    >>> round(sp_.atom_mass, 6)
    0.666667
    """
    from ..point import coefficients_of, point

    pt = point(psi_n, psi_p, m, t, 1.0, activation, a, delta, None)
    coef = coefficients_of(pt)
    params = {"psi_n": pt.psi_n, "psi_p": pt.psi_p, "kappa": pt.kappa, "a": pt.a, "delta": pt.delta,
              "mu1": coef.mu1, "v2": coef.v2, "s2": coef.s2}
    rho = spectral_density(spectrum_system(), g_v, z, params, list(energies), eta=eta)
    if m == math.inf:
        at, mass = float(coef.s2), max(0.0, 1 - (pt.psi_n + 1) / pt.psi_p)
    else:
        at, mass = 0.0, max(0.0, 1 - m * pt.psi_n / pt.psi_p)
    return Spectrum(np.asarray(list(energies), dtype=float), np.asarray(rho), at, mass)
