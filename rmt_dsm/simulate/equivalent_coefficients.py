"""Coefficients of the Gaussian-equivalent model (derivations/gaussian_equivalence.md), by quadrature.

With c = a^2 tr(Sigma)/d (signal variance of one pre-activation), Gamma^2 = c + Delta
and z, u, g independent N(0, 1):

    mu0       = E sigma(Gamma z)
    mu1       = E sigma'(Gamma z) = E[z sigma(Gamma z)] / Gamma        (Stein)
    ||sigma||^2 = E sigma(Gamma z)^2
    sbar2     = E_u[ sigmabar(u)^2 ],  sigmabar(u) = E_g sigma(sqrt(c) u + sqrt(Delta) g)
    v^2       = sbar2 - mu0^2 - mu1^2 c
    s^2       = ||sigma||^2 - sbar2 - mu1^2 Delta

sbar2 is the 2-D Gaussian integral E[sigma(h) sigma(h')] with Var h = Var h' = Gamma^2
and Cov(h, h') = c (two noise draws of the same data point).

The simulator computes these on its own, in double precision, independently of the
theory code: smooth activations by Gauss-Hermite quadrature (probabilists' weight,
nested for sbar2) with a convergence check n -> 2n nodes; activations with kinks
(relu, Abs, Heaviside, ...) -- or smooth ones whose Gauss-Hermite check fails -- by
adaptive Gauss-Kronrod quadrature (scipy.integrate.quad) on [-L, L] with the kinks
given as break points.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp
from scipy import integrate

from rmt_dsm.activations import get_activation, x as X_SYMBOL

__all__ = ["EquivalentCoefficients", "equivalent_coefficients", "gauss_hermite", "kinks"]

_NONSMOOTH = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.sign, sp.Piecewise, sp.floor, sp.ceiling)
_L = 14.0          # integration half-width in units of a standard normal: phi(14) ~ 1e-43
_GH_NODES = 96     # Gauss-Hermite nodes; the check uses twice as many
_GH_TOL = 1e-12


@dataclass(frozen=True)
class EquivalentCoefficients:
    """mu0, mu1, ||sigma||^2, E_u sigmabar^2, v^2, s^2 for one (activation, a, Delta, tr Sigma/d)."""

    activation: str
    c: float
    delta: float
    gamma2: float
    mu0: float
    mu1: float
    norm2: float
    sbar2: float
    v2: float
    s2: float
    method: str

    @property
    def v(self) -> float:
        """Standard deviation of the nonlinear part shared by the draws of one x."""
        return math.sqrt(max(self.v2, 0.0))

    @property
    def s(self) -> float:
        """Standard deviation of the nonlinear part independent across draws."""
        return math.sqrt(max(self.s2, 0.0))


def gauss_hermite(n: int):
    """Nodes and weights for E f(z), z ~ N(0,1): sum_k w_k f(z_k) (weights sum to 1).

    Examples
    --------
    >>> z, w = gauss_hermite(10)
    >>> round(float(w @ z ** 4), 12)
    3.0
    """
    z, w = np.polynomial.hermite_e.hermegauss(n)
    return z, w / w.sum()


def is_smooth(expr: sp.Expr) -> bool:
    """False when the sympy expression contains a kink or jump (Max, Abs, Heaviside, ...)."""
    return not any(expr.has(f) for f in _NONSMOOTH)


@lru_cache(maxsize=64)
def kinks(name: str) -> tuple:
    """Real points where the activation may fail to be smooth (zeros of the arguments of
    Max/Min/Abs/Heaviside/sign; empty when none are found).

    Examples
    --------
    >>> kinks("relu")
    (0.0,)
    """
    expr = get_activation(name).expr
    pts = set()
    for atom in expr.atoms(*_NONSMOOTH):
        if isinstance(atom, (sp.Max, sp.Min)):
            args = atom.args
            candidates = [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
        elif isinstance(atom, sp.Piecewise):
            candidates = [cand.lhs - cand.rhs for _, cand in atom.args if isinstance(cand, sp.Rel)]
        else:
            candidates = [atom.args[0]]
        for cand in candidates:
            try:
                sol = sp.solveset(cand, X_SYMBOL, domain=sp.S.Reals)
            except Exception:  # noqa: BLE001 - solveset may raise many things; kinks are optional
                continue
            if isinstance(sol, sp.FiniteSet):
                pts.update(float(v) for v in sol if v.is_real)
    return tuple(sorted(pts))


def _moments_gh(f, c: float, delta: float, n: int):
    g2 = c + delta
    gam = math.sqrt(g2)
    z, w = gauss_hermite(n)
    fz = f(gam * z)
    mu0 = w @ fz
    mu1 = (w @ (z * fz)) / gam
    norm2 = w @ (fz * fz)
    inner = f(math.sqrt(c) * z[:, None] + math.sqrt(delta) * z[None, :]) @ w  # sigmabar(u_k)
    sbar2 = w @ (inner * inner)
    return np.array([mu0, mu1, norm2, sbar2], dtype=np.float64)


def _moments_quad(f, c: float, delta: float, knots: tuple):
    g2 = c + delta
    gam = math.sqrt(g2)
    dens = lambda t: math.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)
    fs = lambda v: float(f(np.array([v]))[0])
    opts = dict(limit=400, epsabs=1e-14, epsrel=1e-12)

    def gauss(h, pts):  # E h(t), t ~ N(0,1)
        pts = [q for q in pts if -_L < q < _L]
        with warnings.catch_warnings():  # roundoff near 1e-14 is expected and harmless here
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            return integrate.quad(lambda t: h(t) * dens(t), -_L, _L, points=pts or None, **opts)[0]

    zk = [k / gam for k in knots]
    mu0 = gauss(lambda t: fs(gam * t), zk)
    mu1 = gauss(lambda t: t * fs(gam * t), zk) / gam
    norm2 = gauss(lambda t: fs(gam * t) ** 2, zk)
    sc, sd = math.sqrt(c), math.sqrt(delta)

    def sigmabar(u):
        return gauss(lambda g: fs(sc * u + sd * g), [(k - sc * u) / sd for k in knots])

    uk = [k / sc for k in knots] if sc > 0 else []
    sbar2 = gauss(lambda u: sigmabar(u) ** 2, uk)
    return np.array([mu0, mu1, norm2, sbar2], dtype=np.float64)


@lru_cache(maxsize=256)
def equivalent_coefficients(activation: str, a: float, delta: float, tr_sigma_over_d: float = 1.0,
                            method: str = "auto") -> EquivalentCoefficients:
    """The Gaussian-equivalence coefficients (see the module docstring).

    ``method``: "auto" (Gauss-Hermite for smooth activations if its n -> 2n check passes,
    adaptive quadrature otherwise), "gauss-hermite" or "quad".

    Examples
    --------
    >>> co = equivalent_coefficients("erf", 0.6, 0.64)
    >>> abs(co.mu0) < 1e-15, abs(co.mu1 - 2 / math.sqrt(math.pi) / math.sqrt(1 + 2 * co.gamma2)) < 1e-13
    (True, True)
    """
    act = get_activation(activation)
    c = float(a) ** 2 * float(tr_sigma_over_d)
    delta = float(delta)
    if method not in ("auto", "gauss-hermite", "quad"):
        raise ValueError(f"method must be auto, gauss-hermite or quad, got {method!r}")
    if method == "quad" or (method == "auto" and not is_smooth(act.expr)):
        vals, used = _moments_quad(act, c, delta, kinks(act.name)), "quad"
    else:
        vals = _moments_gh(act, c, delta, 2 * _GH_NODES)
        used = "gauss-hermite"
        if method == "auto":
            check = _moments_gh(act, c, delta, _GH_NODES)
            scale = max(1.0, float(np.max(np.abs(vals))))
            if not np.all(np.isfinite(vals)) or np.max(np.abs(vals - check)) > _GH_TOL * scale:
                vals, used = _moments_quad(act, c, delta, kinks(act.name)), "quad"
    mu0, mu1, norm2, sbar2 = (float(v) for v in vals)
    v2 = sbar2 - mu0 ** 2 - mu1 ** 2 * c
    s2 = norm2 - sbar2 - mu1 ** 2 * delta
    tol = 1e-10 * max(1.0, norm2)
    if v2 < -tol or s2 < -tol or not all(map(math.isfinite, (mu0, mu1, norm2, sbar2))):
        raise ValueError(f"Gaussian-equivalence coefficients of {activation!r} are invalid "
                         f"(v^2 = {v2:.3g}, s^2 = {s2:.3g}) at a = {a}, delta = {delta}")
    return EquivalentCoefficients(activation=act.name, c=c, delta=delta, gamma2=c + delta, mu0=mu0,
                                  mu1=mu1, norm2=norm2, sbar2=sbar2, v2=max(v2, 0.0), s2=max(s2, 0.0),
                                  method=used)
