"""Gaussian-equivalent coefficients (derivations/gaussian_equivalence.md; docs/theory.md, section 1).

For one pre-activation h = a u + sqrt(Delta) g with u ~ N(0, q), q = tr(Sigma)/d, g ~ N(0, 1)
independent (u = w.x/sqrt(d) is shared by all noise draws of the same x, g = w.xi/sqrt(d) is
fresh for every draw), Gamma^2 = a^2 q + Delta and

    sigma(h) = mu0 + mu1 h + [sigmabar(u) - mu0 - mu1 a u] + [sigma(h) - sigmabar(u) - mu1 sqrt(Delta) g]

with sigmabar(u) = E_g sigma(a u + sqrt(Delta) g).  The four pieces are mutually uncorrelated; the
last two have variances

    v2 = E_u[sigmabar^2] - mu0^2 - mu1^2 a^2 q          (nonlinear part shared by the draws of one x)
    s2 = ||sigma||^2 - E_u[sigmabar^2] - mu1^2 Delta     (nonlinear part independent across draws)

where mu0 = E sigma(Gamma z), mu1 = E sigma'(Gamma z), ||sigma||^2 = E sigma(Gamma z)^2 and
E_u[sigmabar^2] = E[sigma(h) sigma(h')] for two draws sharing u (variance Gamma^2, covariance
a^2 q).  Both are nonnegative: with c_k = E[sigma(Gamma z) He_k(z)] and rho = a^2 q / Gamma^2,
v2 = sum_{k>=2} c_k^2 rho^k / k! and s2 = sum_{k>=2} c_k^2 (1 - rho^k) / k!
(derivations/gaussian_equivalence.md).

Numerics.  At ``dps=D`` the coefficients are computed at the working precision D + GUARD
(`rmt_dsm.precision`) and rounded to D digits; `coefficients_at` returns them unrounded
at the current working precision, for the pipeline of `rmt_dsm.errors`.  For weak
correlation rho < RHO_SERIES (large diffusion times) v2 is the Hermite series
sum_{k>=2} h_k^2 rho^k (`rmt_dsm.hermite`), term by term positive.  Otherwise, if the
subtractions defining v2 or s2 cancel k digits, the computation is repeated with k more
digits, so that v2 and s2 carry the working precision.  In double precision v2 and s2 of
activations without closed forms are computed directly as the nonnegative integrals
E_u[(sigmabar - mu0 - mu1 a u)^2] and E[(sigma(h) - sigmabar(u) - mu1 sqrt(Delta) g)^2] (no
cancellation; v2 by the Hermite series for rho < RHO_SERIES); erf and relu use their closed forms
at 30 digits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import mpmath

from . import moments as M
from .hermite import hermite_coefficients, hermite_coefficients_double
from .precision import GUARD

__all__ = ["Coefficients", "coefficients", "coefficients_at"]


@dataclass(frozen=True)
class Coefficients:
    """Gaussian-equivalent coefficients of an activation at (a, Delta, q = tr(Sigma)/d).

    Fields: mu0, mu1, v2, s2, norm2 (= ||sigma||^2), Gamma2 (= a^2 q + Delta), a, delta, q.
    Floats in double precision, ``mpmath.mpf`` when computed with ``dps``.
    """

    mu0: object
    mu1: object
    v2: object
    s2: object
    norm2: object
    Gamma2: object
    a: object
    delta: object
    q: object

    @property
    def rho(self):
        """Correlation a^2 q / Gamma^2 of the pre-activations of two draws of the same x."""
        return self.a**2 * self.q / self.Gamma2

    @property
    def sbar2(self):
        """E_u[sigmabar(u)^2] = mu0^2 + mu1^2 a^2 q + v2."""
        return self.mu0**2 + self.mu1**2 * self.a**2 * self.q + self.v2


def coefficients(activation="tanh", a=None, delta=None, q=1, dps=None) -> Coefficients:
    """Gaussian-equivalent coefficients (derivations/gaussian_equivalence.md) of ``activation`` at (a, delta, q).

    mu0 = E sigma(Gamma z), mu1 = E sigma'(Gamma z), norm2 = E sigma(Gamma z)^2,
    v2 = E_u[sigmabar^2] - mu0^2 - mu1^2 a^2 q, s2 = norm2 - E_u[sigmabar^2] - mu1^2 delta,
    Gamma^2 = a^2 q + delta.  Invariant: mu0^2 + mu1^2 Gamma^2 + v2 + s2 = norm2.

    Examples
    --------
    >>> c = coefficients("relu", a=1.0, delta=1.0)
    >>> c.mu1, c.norm2
    (0.5, 1.0)
    >>> abs(c.mu0**2 + c.mu1**2 * c.Gamma2 + c.v2 + c.s2 - c.norm2) < 1e-14
    True
    >>> coefficients("erf", a="0.5", delta="0.75", dps=20).mu0
    mpf('0.0')
    >>> coefficients("tanh", a=1.0, delta=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: delta must be >= 0, got -1.0
    """
    act, ka, kd, kq = _checked(activation, a, delta, q)
    dps = M._check_dps(dps)
    if dps is None:
        return _double_coefficients(act, ka, kd, kq)
    res = _coefficients(act, ka, kd, kq, dps + GUARD)
    with mpmath.workdps(dps):
        return Coefficients(*(+getattr(res, f) for f in Coefficients.__dataclass_fields__))


def coefficients_at(activation="tanh", a=None, delta=None, q=1) -> Coefficients:
    """`coefficients` at the current ``mpmath.mp.dps``, unrounded (mpf): for callers that
    already work with guard digits (see `rmt_dsm.precision`).

    Examples
    --------
    >>> with mpmath.workdps(30):
    ...     c = coefficients_at("relu", a=1, delta=1)
    >>> c.mu1, c.norm2
    (mpf('0.5'), mpf('1.0'))
    """
    act, ka, kd, kq = _checked(activation, a, delta, q)
    return _coefficients(act, ka, kd, kq, mpmath.mp.dps)


def _checked(activation, a, delta, q):
    act = M._activation(activation)
    if a is None or delta is None:
        raise ValueError("a and delta must be given (a = exp(-t), delta = 1 - exp(-2 t) for the OU schedule)")
    ka, kd, kq = M._key(a, "a"), M._key(delta, "delta"), M._key(q, "q")
    with mpmath.workdps(30):
        if M._num(kd) < 0:
            raise ValueError(f"delta must be >= 0, got {delta!r}")
        if not M._num(kq) > 0:
            raise ValueError(f"q must be > 0, got {q!r}")
        if not M._num(ka) ** 2 * M._num(kq) + M._num(kd) > 0:
            raise ValueError(f"Gamma2 = a^2 q + delta must be > 0, got a={a!r}, delta={delta!r}")
    return act, ka, kd, kq


@lru_cache(maxsize=1024)
def _double_coefficients(act, ka, kd, kq):
    if M._info(act)[0] in ("erf", "relu"):  # closed forms at 30 digits, then rounded
        c = _coefficients(act, ka, kd, kq, M._CLOSED_FORM_DPS)
        return Coefficients(*(float(getattr(c, f)) for f in Coefficients.__dataclass_fields__))
    return _double(act, ka, kd, kq)


#: digits beyond ``w`` of the first pass of `_coefficients`: the usual cancellation in v2, s2 (1 to
#: 3 digits for tanh at 200 digits) is then absorbed without a second full pass (benchmarks/moments.py)
_FIRST_EXTRA = 5


@lru_cache(maxsize=1024)
def _coefficients(act, ka, kd, kq, w):
    """The coefficients at ``w`` working digits (unrounded); digits lost to cancellation in the
    subtractions for v2, s2 are measured and the computation repeated with that many more."""
    extra = _FIRST_EXTRA
    for _ in range(4):
        res, lost = _mp(act, ka, kd, kq, w + extra)
        if lost <= extra + 2:
            break
        extra = int(math.ceil(lost)) + 2
    with mpmath.workdps(w):
        return Coefficients(*(+v for v in res))


def _inputs(ka, kd, kq):
    A, D, Q = M._num(ka), M._num(kd), M._num(kq)
    return A, D, Q, A * A * Q


def _mp(act, ka, kd, kq, w):
    """All coefficients with w digits, and the number of digits lost to cancellation in v2, s2."""
    with mpmath.workdps(w):
        A, D, Q, C = _inputs(ka, kd, kq)
        G2 = C + D
        gkey = ("m", G2._mpf_)
        mu0 = M._moment1_at("mean", act, gkey, w)
        mu1 = M._moment1_at("slope", act, gkey, w)
        n2 = M._moment1_at("second", act, gkey, w)
        t_lin, t_d = mu1 * mu1 * C, mu1 * mu1 * D
        series = C != 0 and D != 0 and C < M.RHO_SERIES * G2 and M._info(act)[0] not in ("erf", "relu")
        if series:  # v2 = sum_{k>=2} h_k^2 rho^k, no cancellation [derivations/gaussian_equivalence.md §2]
            rho = C / G2
            h = hermite_coefficients(act, gkey, rho)
            v2 = mpmath.fsum(hk * hk * rho**k for k, hk in enumerate(h) if k >= 2)
            e2 = mu0 * mu0 + t_lin + v2
        elif C == 0:
            e2 = mu0 * mu0
        elif D == 0:
            e2 = n2
        else:
            e2 = M._cross_at(act, gkey, ("m", C._mpf_), w)
        if not series:
            v2 = e2 - mu0 * mu0 - t_lin
        s2 = n2 - e2 - t_d
        if C == 0:
            v2 = mpmath.mpf(0)
        if D == 0:
            s2 = mpmath.mpf(0)
        tiny = mpmath.mpf(10) ** (-w + 2) * max(n2, mpmath.mpf(10) ** (-w))
        lost = 0.0
        checks = [] if series or C == 0 else [(v2, max(e2, t_lin))]
        checks += [(s2, max(n2, t_d))] if D != 0 else []
        for val, scale in checks:  # a difference that came out as 0 lost every digit
            if val == 0:
                lost = 2.0 * w
                continue
            if val < -tiny * 10:
                raise ArithmeticError(
                    f"negative nonlinear variance {mpmath.nstr(val, 5)} for {act.name} (a, delta, q) = "
                    f"({mpmath.nstr(A, 10)}, {mpmath.nstr(D, 10)}, {mpmath.nstr(Q, 10)})"
                )
            if val != 0 and scale != 0:
                lost = max(lost, float(mpmath.log10(scale / abs(val))) if abs(val) > tiny * 1e-3 else 2.0 * w)
        lost = min(lost, 2.0 * w)
        v2, s2 = max(v2, 0), max(s2, 0)
        return (mu0, mu1, v2, s2, n2, G2, A, D, Q), lost


def _double(act, ka, kd, kq):
    with mpmath.workdps(30):
        A, D, Q, C = _inputs(ka, kd, kq)
        A, D, Q, C = float(A), float(D), float(Q), float(C)
    G2 = C + D
    mu0, mu1, n2 = M.mean(act, G2), M.slope(act, G2), M.second(act, G2)
    if D == 0:
        v2, s2 = max(n2 - mu0**2 - mu1**2 * C, 0.0), 0.0
    elif C == 0:
        v2, s2 = 0.0, max(n2 - mu0**2 - mu1**2 * D, 0.0)
    else:
        _, v2, s2 = M.split_double(act, C, D, mu0, mu1)
        if C < M.RHO_SERIES * G2:  # the integrand of v2 cancels ~log10(1/rho) digits: Hermite series
            h = hermite_coefficients_double(act, G2, C / G2)
            v2 = float(sum(h[k] ** 2 * (C / G2) ** k for k in range(len(h) - 1, 1, -1)))
    return Coefficients(mu0, mu1, v2, s2, n2, G2, A, D, Q)
