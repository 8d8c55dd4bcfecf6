r"""A control variate for the Monte-Carlo test and score errors (activations without closed forms).

The test error of a fitted readout C (p x d) given the features W is the expectation over a
fresh pair of ``e = ||xi - C phi(y)||^2 / d``, ``phi = sigma(h)``, ``h = W y / sqrt(d)``.  For a
surrogate activation psi whose population statistics are exact, the same samples give

$$
\hat E = \frac1n\sum_k \big(e_k - e^\psi_k\big) + E[e^\psi],
$$

unbiased for any fixed psi (it is determined by W and the parameters only, never by the test
samples), with variance Var(e - e^psi)/n instead of Var(e)/n: when psi is close to sigma the
difference is small and far fewer samples reach the same standard error.  Likewise for the
score error ``q = ||C phi - sqrt(Delta) S^-1 y||^2 / d``.

Surrogate: psi(h) = beta0 + beta1 h + beta2 erf(c h), the L2(N(0, k)) projection of sigma on
span{1, h, erf(c h)} (k = mean of K_ii), with c chosen on a grid to minimize the residual;
its moments for h ~ N(0, K) are exact (Williams 1997, Stein's lemma):

* E erf(c h_i) erf(c h_j) = (2/pi) asin(2 c^2 K_ij / sqrt((1 + 2 c^2 K_ii)(1 + 2 c^2 K_jj)));
* E h_i erf(c h_j) = K_ij D_j,  D_j = E[c erf'(c h_j)] = (2 c/sqrt(pi)) / sqrt(1 + 2 c^2 K_jj);
* E h_i h_j = K_ij; the constant is uncorrelated with the odd terms;
* E psi'(h_i) = beta1 + beta2 D_i, so that B = sqrt(Delta) diag(E psi'(h)) W / sqrt(d).

The projection uses the simulator's own Gauss-Hermite rule (equivalent_coefficients.py),
independently of the theory.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from rmt_dsm.activations import get_activation

from .equivalent_coefficients import gauss_hermite

__all__ = ["Surrogate", "fit_surrogate", "C_GRID"]

#: candidate slopes c of erf(c h), in units of 1/sqrt(k)
C_GRID = tuple(np.round(np.linspace(0.3, 2.5, 23), 3))
_NODES = 80


@dataclass(frozen=True)
class Surrogate:
    """psi(h) = beta0 + beta1 h + beta2 erf(c h), and its exact population statistics."""

    beta0: float
    beta1: float
    beta2: float
    c: float
    residual: float  # E (sigma - psi)^2 at h ~ N(0, k), relative to E sigma^2

    def __call__(self, H: np.ndarray) -> np.ndarray:
        out = erf(self.c * H)
        out *= self.beta2
        out += self.beta1 * H
        out += self.beta0
        return out

    def erf_slope(self, kdiag: np.ndarray) -> np.ndarray:
        """D_i = E[c erf'(c h_i)] = (2 c / sqrt(pi)) / sqrt(1 + 2 c^2 K_ii)."""
        return (2.0 * self.c / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * self.c ** 2 * kdiag)

    def second_moment(self, K: np.ndarray) -> np.ndarray:
        """Q = E[psi(h) psi(h)^T] for h ~ N(0, K) (p x p)."""
        kd = np.diag(K).copy()
        r = 1.0 / np.sqrt(1.0 + 2.0 * self.c ** 2 * kd)
        A = (2.0 / math.pi) * np.arcsin(np.clip(2.0 * self.c ** 2 * K * r[:, None] * r[None, :], -1.0, 1.0))
        D = self.erf_slope(kd)
        Q = self.beta2 ** 2 * A
        Q += self.beta1 ** 2 * K
        Q += self.beta1 * self.beta2 * (K * D[None, :] + D[:, None] * K)
        Q += self.beta0 ** 2
        return Q

    def mean_slope(self, kdiag: np.ndarray) -> np.ndarray:
        """E psi'(h_i)."""
        return self.beta1 + self.beta2 * self.erf_slope(kdiag)


def fit_surrogate(activation: str, k: float) -> Surrogate:
    """L2(N(0, k)) projection of sigma on span{1, h, erf(c h)}, best c on :data:`C_GRID`.

    >>> s = fit_surrogate("erf", 0.8)   # erf itself is in the family: residual ~ 0
    >>> s.residual < 1e-6
    True
    """
    act = get_activation(activation)
    z, w = gauss_hermite(_NODES)
    h = math.sqrt(k) * z
    f = np.asarray(act(h), dtype=np.float64)
    norm = float(w @ (f * f)) or 1.0
    best = None
    for c0 in C_GRID:
        c = c0 / math.sqrt(k)
        X = np.stack([np.ones_like(h), h, erf(c * h)], axis=1)
        G = X.T @ (w[:, None] * X)
        beta = np.linalg.lstsq(G, X.T @ (w * f), rcond=None)[0]
        res = float(w @ (f - X @ beta) ** 2) / norm
        if best is None or res < best[0]:
            best = (res, beta, c)
    res, beta, c = best
    return Surrogate(beta0=float(beta[0]), beta1=float(beta[1]), beta2=float(beta[2]), c=float(c),
                     residual=max(res, 0.0))
