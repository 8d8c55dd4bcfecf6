r"""Hermite coefficients of an activation: the weakly correlated cross moment without cancellation.

With the normalized (probabilists') Hermite polynomials $\psi_k = He_k/\sqrt{k!}$ and
$h_k = E[\sigma(\Gamma z)\,\psi_k(z)]$, Mehler's formula gives for two centered Gaussians of
variance $\Gamma^2$ and correlation $\rho$

$$
E[\sigma(h)\sigma(h')] = \sum_{k\ge 0} h_k^2 \rho^k, \qquad
v^2 = \sum_{k\ge 2} h_k^2 \rho^k \quad (\rho = a^2 q/\Gamma^2)
$$

(derivations/gaussian_equivalence.md).  For small $|\rho|$ (large diffusion times,
$\rho = e^{-2t}$ for the OU schedule) the series converges geometrically and each term is
positive, while the defining subtraction $E_u[\bar\sigma^2] - \mu_0^2 - \mu_1^2 a^2 q$
cancels $2\log_{10}(1/\rho)$ digits.

The $h_k$ are computed at the current ``mpmath.mp.dps`` (or in double precision): for
smooth activations by the trapezoidal rule in z (spectrally accurate for integrands analytic in a
strip), step halved until two levels agree; for kinked ones by ``mpmath.quad`` split at the kinks.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np

__all__ = ["hermite_coefficients", "hermite_coefficients_double", "terms_needed"]


def terms_needed(rho, digits) -> int:
    """Number of terms K: |rho|^(K-3) <= 10^-digits, i.e. three terms to spare.

    >>> terms_needed(0.1, 15)
    19
    """
    r = abs(float(rho))
    if r == 0:
        return 3
    return max(3, int(math.ceil(digits * math.log(10) / -math.log(r))) + 3)


def _info(act):
    from .moments import _info as info

    return info(act)


def hermite_coefficients(act, vkey, rho) -> list:
    """[h_0, ..., h_K] at the current mpmath precision, K large enough for sum h_k^2 rho^k.

    ``vkey``: the variance Gamma^2 as a key of `rmt_dsm.moments`.
    """
    from .moments import _mp_fun, _mpk, _num

    w = mpmath.mp.dps
    kind, parity, kinks = _info(act)
    var = _num(vkey)
    G = mpmath.sqrt(var)
    K = terms_needed(rho, w + 5)
    f = _mp_fun(act, "f")
    if kind == "kinked":
        pts = sorted({mpmath.mpf(0)} | {_mpk(k) / G for k in kinks})
        out = []
        for k in range(K + 1):
            if parity != 0 and (k % 2 == 0) != (parity == 1):
                out.append(mpmath.mpf(0))
                continue
            c = 1 / mpmath.sqrt(2 * mpmath.pi * mpmath.factorial(k))
            g = lambda z, k=k: f(G * z) * mpmath.hermite(k, z / mpmath.sqrt(2)) * mpmath.exp(-z * z / 2)
            # He_k(z) = 2^(-k/2) H_k(z / sqrt 2)
            out.append(c * mpmath.quad(g, [-mpmath.inf] + pts + [mpmath.inf]) / mpmath.mpf(2) ** (mpmath.mpf(k) / 2))
        return out
    # trapezoidal rule on [-L, L]: the Gaussian tail of psi_K phi is below 10^-w beyond L
    L = mpmath.sqrt(2 * w * mpmath.log(10)) + 2 * mpmath.sqrt(K + 1) + 1
    h = mpmath.mpf(1) / 2 / max(1, G)
    fmemo = {}
    tol = mpmath.mpf(10) ** (-w + 3)
    prev = None
    for _ in range(16):
        J = int(mpmath.ceil(L / h))
        z = [j * h for j in range(0, J + 1)]
        vals = []
        for j, zj in enumerate(z):
            key = zj  # nodes of a level are nodes of the next one
            v = fmemo.get(key)
            if v is None:
                v = fmemo[key] = f(G * zj)
            vals.append(v)
        # symmetric nodes: f(-z) = parity * f(z) when parity is known, else evaluate
        if parity == 0:
            neg = [fmemo.setdefault(-zj, f(-G * zj)) for zj in z]
        wts = [h * mpmath.exp(-zj * zj / 2) / mpmath.sqrt(2 * mpmath.pi) for zj in z]
        cur = []
        p_prev = [mpmath.mpf(0)] * len(z)
        p_cur = [mpmath.mpf(1)] * len(z)
        for k in range(K + 1):
            if k > 0:
                sk, sk1 = mpmath.sqrt(k - 1), mpmath.sqrt(k)
                p_prev, p_cur = p_cur, [(zj * pc - sk * pp) / sk1 for zj, pc, pp in zip(z, p_cur, p_prev)]
            even = k % 2 == 0
            if parity != 0 and even != (parity == 1):
                cur.append(mpmath.mpf(0))
                continue
            # psi_k(-z) = (-1)^k psi_k(z)
            if parity == 0:
                sgn = 1 if even else -1
                terms = [wt * pc * (v + sgn * nv) for wt, pc, v, nv in zip(wts, p_cur, vals, neg)]
            else:
                terms = [2 * wt * pc * v for wt, pc, v in zip(wts, p_cur, vals)]
            terms[0] /= 2  # z = 0 counted once
            cur.append(mpmath.fsum(terms))
        if prev is not None and max(abs(x - y) for x, y in zip(cur, prev)) <= tol * max(1, abs(cur[0]), abs(cur[1])):
            return cur
        prev, h = cur, h / 2
    raise ArithmeticError(f"Hermite coefficients of {act.name} did not converge (Gamma^2={var})")


def hermite_coefficients_double(act, var, rho) -> np.ndarray:
    """[h_0, ..., h_K] in double precision (K from the 17 digits of a double)."""
    kind, parity, kinks = _info(act)
    K = terms_needed(rho, 17)
    G = math.sqrt(var)
    if kind == "kinked":
        from .moments import _sc_gauss, _scalar

        f = _scalar(act.__call__)
        out = []
        for k in range(K + 1):
            hk = np.polynomial.hermite_e.HermiteE.basis(k)
            c = 1 / math.sqrt(math.factorial(k))
            out.append(c * _sc_gauss(lambda v, hk=hk: f(v) * hk(v / G), G, kinks))
        return np.asarray(out)
    L = math.sqrt(2 * 17 * math.log(10)) + 2 * math.sqrt(K + 1) + 1
    h = 0.5 / max(1.0, G)
    prev = None
    for _ in range(14):
        J = int(math.ceil(L / h))
        z = h * np.arange(-J, J + 1)
        fv = np.asarray(act(G * z), dtype=float) * h * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
        p_prev, p_cur = np.zeros_like(z), np.ones_like(z)
        cur = []
        for k in range(K + 1):
            if k > 0:
                p_prev, p_cur = p_cur, (z * p_cur - math.sqrt(k - 1) * p_prev) / math.sqrt(k)
            cur.append(0.0 if parity != 0 and (k % 2 == 0) != (parity == 1) else float(fv @ p_cur))
        cur = np.asarray(cur)
        if prev is not None and np.max(np.abs(cur - prev)) <= 1e-15 * max(1.0, abs(cur[0]), abs(cur[1])):
            return cur
        prev, h = cur, h / 2
    raise ArithmeticError(f"Hermite coefficients of {act.name} did not converge (Gamma^2={var})")
