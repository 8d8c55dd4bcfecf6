"""Metrics of a sample set: memorization, second-moment error, distances between scores.

* Memorization (the criterion of Bonnaire, Urfin, Biroli, Mezard, arXiv:2505.17638): a sample
  x is memorized when ||x - x_(1)|| < ||x - x_(2)|| / 3, x_(1), x_(2) its nearest and
  second-nearest training points; f_mem is the memorized fraction.
* Second-moment error: an unbiased estimate of (1/d) ||M - Sigma||_F^2, M = E[x x^T] of the
  distribution the samples come from (the data have mean zero, so M is their covariance):
      ||M||_F^2 ~ (1/(S(S-1))) sum_{i != j} (x_i.x_j)^2 = (||X^T X||_F^2 - sum_i ||x_i||^4) / (S(S-1)),
      tr(M Sigma) ~ (1/S) sum_i x_i^T Sigma x_i,
  so that fresh data give 0 on average (the estimate may be slightly negative); its standard
  error within one sample set is the jackknife's (derivations/sampling.md §3).
* Score distances at grid time t_k on points Y: (Delta_k/d) mean ||s(y) - s'(y)||^2, the scale
  of E_score in docs/model.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["nearest_two", "memorized", "second_moment_error", "mean_stderr", "ScoreComparison",
           "compare_scores", "MEMORIZATION_RATIO"]

#: a sample is memorized when (nearest distance) < MEMORIZATION_RATIO * (second-nearest distance)
MEMORIZATION_RATIO = 1.0 / 3.0


def mean_stderr(values) -> tuple[float, float]:
    """Sample mean and its standard error std(ddof=1)/sqrt(size).

    >>> m, se = mean_stderr([1.0, 0.0, 1.0, 0.0])
    >>> m, round(se ** 2, 12)  # var(ddof=1) = 1/3, over 4
    (0.5, 0.083333333333)
    """
    v = np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(np.std(v, ddof=1) / math.sqrt(v.size))


def nearest_two(x: np.ndarray, X: np.ndarray, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Distances from each row of x to its nearest and second-nearest row of X (n >= 2).

    >>> X = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 10.0]])
    >>> d1, d2 = nearest_two(np.array([[1.0, 0.0]]), X)
    >>> float(d1[0]), float(d2[0])
    (1.0, 2.0)
    """
    if X.shape[0] < 2:
        raise ValueError("nearest_two needs at least two training points")
    x2 = np.einsum("ij,ij->i", X, X)
    d1 = np.empty(x.shape[0])
    d2 = np.empty(x.shape[0])
    for r0 in range(0, x.shape[0], block):
        xb = x[r0:r0 + block]
        D = xb @ X.T
        D *= -2.0
        D += x2
        D += np.einsum("ij,ij->i", xb, xb)[:, None]
        two = np.partition(D, 1, axis=1)[:, :2]
        np.maximum(two, 0.0, out=two)  # squared distances: rounding may make them slightly negative
        d1[r0:r0 + block] = np.sqrt(two[:, 0])
        d2[r0:r0 + block] = np.sqrt(two[:, 1])
    return d1, d2


def memorized(x: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Boolean per sample: nearest training distance < (1/3) second-nearest.

    >>> X = np.array([[0.0, 0.0], [6.0, 0.0]])
    >>> memorized(np.array([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]]), X).tolist()
    [True, False, False]
    """
    d1, d2 = nearest_two(x, X)
    return d1 < MEMORIZATION_RATIO * d2


def second_moment_error(x: np.ndarray, sigma_eigs=None) -> tuple[float, float]:
    """Unbiased estimate of (1/d) ||E[x x^T] - Sigma||_F^2 and its jackknife standard error.

    Sigma = diag(sigma_eigs) (default I).  Needs S >= 3 samples.

    Four points +-e_1, +-e_2 in d = 2: the pairs i != j give sum (x_i.x_j)^2 = 4, so
    ||M||_F^2 ~ 4/12, tr M ~ 1 and the estimate is (1/3 - 2 + 2)/2 = 1/6:

    >>> x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    >>> est, se = second_moment_error(x)
    >>> round(est, 12)
    0.166666666667
    """
    x = np.asarray(x, dtype=np.float64)
    S, d = x.shape
    if S < 3:
        raise ValueError(f"second_moment_error needs at least 3 samples, got {S}")
    eigs = np.ones(d) if sigma_eigs is None else np.asarray(sigma_eigs, dtype=np.float64)
    G = x.T @ x
    r2 = np.einsum("ij,ij->i", x, x)
    q = (x * x) @ eigs                           # x_i^T Sigma x_i
    row = np.einsum("ij,jk,ik->i", x, G, x) - r2 * r2   # sum_{j != i} (x_i.x_j)^2
    off = float(np.sum(G * G) - np.sum(r2 * r2))  # sum_{i != j} (x_i.x_j)^2
    sig2 = float(eigs @ eigs)

    def estimate(off_sum, q_sum, size):
        return (off_sum / (size * (size - 1)) - 2.0 * q_sum / size + sig2) / d

    est = estimate(off, float(q.sum()), S)
    loo = estimate(off - 2.0 * row, float(q.sum()) - q, S - 1)   # leave sample i out
    se = math.sqrt((S - 1) / S * float(np.sum((loo - loo.mean()) ** 2)))
    return est, se


@dataclass(frozen=True)
class ScoreComparison:
    """Per-point values (Delta/d) ||s - s_pop||^2, ||s - s_emp||^2, ||s_emp - s_pop||^2 and
    <s - s_pop, s_emp - s_pop> on the same points (arrays of length S)."""

    to_population: np.ndarray
    to_empirical: np.ndarray
    population_to_empirical: np.ndarray
    projection: np.ndarray

    def toward_empirical(self) -> tuple[float, float]:
        """L2 projection coefficient of s - s_pop on s_emp - s_pop (0: population score, 1: empirical
        score) = mean(projection) / mean(population_to_empirical), with a delta-method stderr."""
        num, den = self.projection, self.population_to_empirical
        r = float(num.mean() / den.mean())
        resid = num - r * den
        return r, float(np.std(resid, ddof=1) / math.sqrt(num.size) / den.mean())


def compare_scores(s: np.ndarray, s_pop: np.ndarray, s_emp: np.ndarray, delta: float) -> ScoreComparison:
    """Distances between a score s and the two references on the same rows (scale Delta/d)."""
    d = s.shape[1]
    w = delta / d
    e_pop = s - s_pop
    e_ref = s_emp - s_pop
    sq = lambda u: np.einsum("ij,ij->i", u, u) * w  # noqa: E731
    return ScoreComparison(to_population=sq(e_pop), to_empirical=sq(s - s_emp), population_to_empirical=sq(e_ref),
                           projection=np.einsum("ij,ij->i", e_pop, e_ref) * w)
