"""The Girsanov bound on KL(data at t_1 || samples at t_1) per dimension (derivations/sampling.md §4).

For the SDE sampler of :mod:`rmt_dsm.sampling.sampler` with Sigma = I and e_k = E_score(t_k)/Delta_k
(the mean squared score error per dimension at t_k), [S eq. (4.6)]:

    KL / d <= KL(p_{t_K} || N(0, I)) / d
              + sum_{k=1}^{K-1} [ h_k e_k + 2 sqrt(e_k) J(h_k) + D(h_k) ],

    J(h) = int_0^h sqrt(2 (1 - e^{-u})) du = 2 sqrt(2) (artanh v - v),  v = sqrt(1 - e^{-h}),
    D(h) = int_0^h 2 (1 - e^{-u}) du       = 2 (h + e^{-h} - 1),

where sum_k h_k e_k is the score term of docs/model.md's learning curves and J, D are the
discretization terms of freezing the score over a step (J(h) ~ (2 sqrt 2 / 3) h^{3/2}, D(h) ~ h^2).
The initial term vanishes for Sigma = I (p_t = N(0, I) at every t).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["BoundTerms", "girsanov_bound", "bound_gradient", "freeze_terms", "initial_kl"]


def freeze_terms(h: float) -> tuple[float, float]:
    """(J(h), D(h)) of the module docstring.

    >>> J, D = freeze_terms(1e-4)
    >>> round(J / (2 * math.sqrt(2) / 3 * 1e-6), 3), round(D / 1e-8, 3)
    (1.0, 1.0)
    """
    v = math.sqrt(-math.expm1(-h))
    return 2.0 * math.sqrt(2.0) * (math.atanh(v) - v), 2.0 * (h + math.expm1(-h))


def initial_kl(a: float, delta: float, sigma_eigs=None, d: int = 1) -> float:
    """KL(N(0, a^2 Sigma + Delta I) || N(0, I)) / d = (1/(2d)) sum_i (l_i - 1 - ln l_i), l_i = a^2 s_i + Delta.

    >>> initial_kl(math.exp(-1), -math.expm1(-2))  # Sigma = I, OU: p_t = N(0, I)
    0.0
    """
    eigs = np.ones(d) if sigma_eigs is None else np.asarray(sigma_eigs, dtype=np.float64)
    lam = a * a * eigs + delta
    return float(np.mean(lam - 1.0 - np.log(lam)) / 2.0)


@dataclass(frozen=True)
class BoundTerms:
    """The terms of the bound: score_integral = sum h_k e_k, discretization = sum 2 sqrt(e_k) J(h_k)
    + D(h_k), initial = KL(p_{t_K} || N(0, I))/d, total = their sum (+inf if some e_k is)."""

    score_integral: float
    discretization: float
    initial: float
    total: float

    def as_dict(self) -> dict:
        return {"score_integral": self.score_integral, "discretization": self.discretization,
                "initial": self.initial, "total": self.total}


def girsanov_bound(e, h, initial: float = 0.0) -> BoundTerms:
    """The bound from e_k = E_score(t_k)/Delta_k and h_k = t_{k+1} - t_k, k = 1..K-1.

    >>> b = girsanov_bound([0.5, 0.25], [0.1, 0.2])
    >>> round(b.score_integral, 12)
    0.1
    """
    e = [float(v) for v in e]
    h = [float(v) for v in h]
    if len(e) != len(h):
        raise ValueError(f"one score error per step is needed: {len(e)} errors, {len(h)} steps")
    if any(v < 0 or math.isnan(v) for v in e):
        raise ValueError("score errors must be non-negative numbers")
    score = sum(hk * ek for hk, ek in zip(h, e))
    disc = 0.0
    for hk, ek in zip(h, e):
        J, D = freeze_terms(hk)
        disc += 2.0 * math.sqrt(ek) * J + D
    return BoundTerms(score_integral=score, discretization=disc, initial=initial,
                      total=score + disc + initial)


def bound_gradient(e, h) -> np.ndarray:
    """d total / d e_k = h_k + J(h_k) / sqrt(e_k) (for a delta-method standard error)."""
    return np.array([hk + (freeze_terms(hk)[0] / math.sqrt(ek) if ek > 0 else 0.0) for hk, ek in zip(h, e)])
