r"""An independent route for m = infinity [D§7]: the pencil of the noise-averaged
feature covariance, used to check the kappa = 0 limit of the any-m system.

For m = infinity the loss is averaged over the noise exactly, so (Gaussian-equivalent
model, mu0 dropped)

    U = F^T F / n + rho_c W W^T / d + s^2 I,   F = mu1 a X W^T/sqrt(d) + v H,   rho_c = mu1^2 Delta,
    V = mu1 sqrt(Delta) W / sqrt(d)   (deterministic given W).

Pencil, blocks v (psi_p), u (psi_n), a, b, c (size 1):
Lambda_vv = lambda + s^2, Lambda_uu = -1, Lambda_ab = -1, Lambda_cc = -1;
H at (u, v) with coef v/sqrt(psi_n); X at (u, a) with coef mu1 a/sqrt(psi_n);
W at (v, b) with coef 1 and at (v, c) with coef sqrt(rho_c).  Then
(L^{-1})_{vv} = P = (U + lambda)^{-1} and (L^{-1})_{cc} = rho_c W^T P W/d - I, so
tau = tr(W^T P W)/d^2 = (g_cc + 1)/rho_c and, with h = mu1^2 Delta tau,

    E_train = 1 - h + lambda dh/dlambda,
    E_test  = 1 - 2 h - mu1^2 Delta [mu1^2 Gamma^2 dtau/drho_c + (v^2 + s^2) dtau/dlambda].
"""
from __future__ import annotations

from functools import lru_cache

import sympy as sp

from ..engine import Pencil
from .symbols import a, lam, mu1, psi_n, psi_p, s2, v2

rho_c = sp.Symbol("rho_c", positive=True)


def noise_averaged_pencil() -> Pencil:
    p = Pencil(name="dsm_m_inf")
    p.block("v", size=psi_p)
    p.block("u", size=psi_n)
    for b in ("a", "b", "c"):
        p.block(b, size=1)
    p.deterministic("v", "v", lam + s2)
    p.deterministic("u", "u", -1)
    p.deterministic("a", "b", -1)
    p.deterministic("c", "c", -1)
    p.gaussian("H", "u", "v", coef=sp.sqrt(v2 / psi_n))
    p.gaussian("X", "u", "a", coef=mu1 * a / sp.sqrt(psi_n))
    p.gaussian("W", "v", "b", coef=1)
    p.gaussian("W", "v", "c", coef=sp.sqrt(rho_c))
    return p


@lru_cache(maxsize=1)
def noise_averaged_system():
    return noise_averaged_pencil().dyson_system()


def errors_m_inf(psi_n_, psi_p_, a_, delta_, lam_, mu1_, v2_, s2_, dps=None):
    """(train, test) for m = infinity by this independent route (double or mpmath)."""
    from ..precision import working_precision

    sysm = noise_averaged_system()
    with working_precision(dps):
        return _errors(sysm, psi_n_, psi_p_, a_, delta_, lam_, mu1_, v2_, s2_, dps)


def _errors(sysm, psi_n_, psi_p_, a_, delta_, lam_, mu1_, v2_, s2_, dps):
    import mpmath

    rc = mu1_**2 * delta_
    params = {"psi_n": psi_n_, "psi_p": psi_p_, "a": a_, "lam": lam_, "mu1": mu1_, "v2": v2_, "s2": s2_,
              "rho_c": rc}
    sol = sysm.solve(params, dps=dps)
    gcc = sysm.unknown("c", "c")
    tau = (sol.values[gcc] + 1) / rc
    dl = sol.derivative("lam")[gcc] / rc
    dr = sol.derivative("rho_c")[gcc] / rc - (sol.values[gcc] + 1) / rc**2
    h, hl = mu1_**2 * delta_ * tau, mu1_**2 * delta_ * dl
    Gamma2 = a_**2 + delta_
    train = 1 - h + lam_ * hl
    test = 1 - 2 * h - mu1_**2 * delta_ * (mu1_**2 * Gamma2 * dr + (v2_ + s2_) * dl)
    if dps is None:
        return float(getattr(train, "real", train)), float(getattr(test, "real", test))
    return +mpmath.mpf(train), +mpmath.mpf(test)
