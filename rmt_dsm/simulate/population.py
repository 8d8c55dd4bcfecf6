"""Test and score errors of a fitted readout C, given the frozen features W.

With S = a^2 Sigma + Delta I, y ~ N(0, S), h = W y / sqrt(d) ~ N(0, K), K = W S W^T / d:

    Q = E[phi(y) phi(y)^T],   B = E[phi(y) xi^T] = sqrt(Delta) diag(E sigma'(h_i)) W / sqrt(d)   (Stein)

    E_test  = 1 - (2/d) tr(C B) + (1/d) tr(C Q C^T)
    E_score = (1/d) E|| C phi - sqrt(Delta) S^{-1} y ||^2
            = (1/d) tr(C Q C^T) - (2/d) tr(C B) + (Delta/d) tr(S^{-1}),

using E[phi y^T] S^{-1} = diag(E sigma'(h)) W / sqrt(d) (Stein again), so that
E_test - E_score = 1 - (Delta/d) tr(S^{-1}) = F_pop holds exactly given W and C.

Exact Q for two activations (Williams 1997; Cho & Saul 2009):
  erf:  Q_ij = (2/pi) arcsin( 2 K_ij / sqrt((1 + 2 K_ii)(1 + 2 K_jj)) ),  E erf'(h_i) = (2/sqrt(pi)) / sqrt(1 + 2 K_ii)
  relu: Q_ij = sqrt(K_ii K_jj)/(2 pi) (sin th + (pi - th) cos th), cos th = K_ij / sqrt(K_ii K_jj),  E relu'(h_i) = 1/2
Gaussian-equivalent model: Q = mu0^2 11^T + mu1^2 K + (v^2 + s^2) I and B = mu1 sqrt(Delta) W / sqrt(d).
Any other activation: a Monte-Carlo test set (sample means and their standard errors), by
default with a control variate whose statistics are exact (control_variate.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .equivalent_coefficients import EquivalentCoefficients
from .features import apply_activation
from .control_variate import Surrogate, fit_surrogate
from .instance import Instance, rng
from .params import SimulationParams

__all__ = ["PopulationMoments", "feature_covariance", "arcsine_kernel", "arccosine_kernel",
           "exact_moments", "equivalent_moments", "errors_from_moments", "monte_carlo_errors",
           "control_variate_errors", "TestEstimate"]


@dataclass(frozen=True)
class PopulationMoments:
    """Q = E[phi phi^T] (p x p) and B = E[phi xi^T] (p x d) for the forward marginal."""

    Q: np.ndarray
    B: np.ndarray


@dataclass(frozen=True)
class TestEstimate:
    """E_test and E_score with their Monte-Carlo standard errors (nan when exact)."""

    test: float
    score: float
    test_se: float = math.nan
    score_se: float = math.nan


def feature_covariance(inst: Instance, a: float, delta: float) -> np.ndarray:
    """K = W S W^T / d, the covariance of the pre-activations h = W y / sqrt(d)."""
    d = inst.W.shape[1]
    s = inst.cov.s_eigs(a, delta)
    if inst.cov.identity:
        return (s[0] / d) * (inst.W @ inst.W.T)
    WO = inst.cov.to_basis(inst.W)  # rows (O^T w_i)^T
    return ((WO * s) @ WO.T) / d


def arcsine_kernel(K: np.ndarray) -> np.ndarray:
    """E[erf(h_i) erf(h_j)] for h ~ N(0, K): (2/pi) arcsin(2 K_ij / sqrt((1+2K_ii)(1+2K_jj))).

    Examples
    --------
    >>> abs(float(arcsine_kernel(np.array([[1.0]]))[0, 0]) - 2 / math.pi * math.asin(2 / 3)) < 1e-15
    True
    """
    r = 1.0 / np.sqrt(1.0 + 2.0 * np.diag(K))
    return (2.0 / math.pi) * np.arcsin(np.clip(2.0 * K * r[:, None] * r[None, :], -1.0, 1.0))


def arccosine_kernel(K: np.ndarray) -> np.ndarray:
    """E[relu(h_i) relu(h_j)] for h ~ N(0, K): sqrt(K_ii K_jj)/(2 pi) (sin th + (pi - th) cos th).

    Examples
    --------
    >>> round(float(arccosine_kernel(np.array([[2.0]]))[0, 0]), 14)  # K_ii / 2 on the diagonal
    1.0
    """
    r = np.sqrt(np.diag(K))
    norm = r[:, None] * r[None, :]
    cos = np.clip(K / norm, -1.0, 1.0)
    th = np.arccos(cos)
    return norm / (2.0 * math.pi) * (np.sqrt(1.0 - cos * cos) + (math.pi - th) * cos)


def mean_derivative(name: str, kdiag: np.ndarray) -> np.ndarray:
    """E sigma'(h_i), h_i ~ N(0, K_ii), for erf and relu."""
    if name == "erf":
        return (2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * kdiag)
    if name == "relu":
        return np.full(kdiag.shape, 0.5)
    raise ValueError(f"no closed form for the activation {name!r}")


def exact_moments(params: SimulationParams, inst: Instance) -> PopulationMoments:
    """Q and B of the true model for erf or relu, from K = W S W^T / d."""
    K = feature_covariance(inst, params.a, params.delta)
    Q = arcsine_kernel(K) if params.activation == "erf" else arccosine_kernel(K)
    D = mean_derivative(params.activation, np.diag(K).copy())
    B = (math.sqrt(params.delta / params.d) * D)[:, None] * inst.W
    return PopulationMoments(Q=Q, B=B)


def equivalent_moments(params: SimulationParams, inst: Instance,
                       co: EquivalentCoefficients) -> PopulationMoments:
    """Q = mu0^2 11^T + mu1^2 K + (v^2 + s^2) I,  B = mu1 sqrt(Delta) W / sqrt(d)."""
    K = feature_covariance(inst, params.a, params.delta)
    Q = co.mu1 ** 2 * K
    Q += co.mu0 ** 2
    Q[np.diag_indices_from(Q)] += co.v2 + co.s2
    B = (co.mu1 * math.sqrt(params.delta / params.d)) * inst.W
    return PopulationMoments(Q=Q, B=B)


def errors_from_moments(params: SimulationParams, Ct: np.ndarray, mom: PopulationMoments) -> TestEstimate:
    """E_test = 1 - (2/d) tr(CB) + (1/d) tr(CQC^T);  E_score = E_test - F_pop."""
    d = params.d
    cb = float(np.einsum("ij,ij->", Ct, mom.B))
    cqc = float(np.einsum("ij,ij->", Ct, mom.Q @ Ct))
    test = 1.0 - 2.0 * cb / d + cqc / d
    score = cqc / d - 2.0 * cb / d + (1.0 - params.floor())
    return TestEstimate(test=test, score=score)


def _test_batches(params: SimulationParams, inst: Instance, n: int, gen, chunk_rows: int):
    """Fresh test pairs in chunks: (r0, r1, xi, H, target), H = y W^T / sqrt(d) the pre-activations
    and target = sqrt(Delta) S^{-1} y (rows), for y = a x + sqrt(Delta) xi."""
    d = params.d
    Wt = np.asfortranarray(inst.W.T) / math.sqrt(d)
    sd = math.sqrt(params.delta)
    s_inv = 1.0 / inst.cov.s_eigs(params.a, params.delta)
    for r0 in range(0, n, chunk_rows):
        r1 = min(n, r0 + chunk_rows)
        x = inst.test_inputs(gen, r1 - r0)
        xi = gen.standard_normal((r1 - r0, d))
        y = params.a * x + sd * xi
        if inst.cov.identity:
            target = (sd * s_inv[0]) * y
        else:
            target = sd * inst.cov.from_basis(inst.cov.to_basis(y) * s_inv)
        yield r0, r1, xi, y @ Wt, target


def _row_sq(v: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", v, v)


def _se(v: np.ndarray) -> float:
    return float(np.std(v, ddof=1) / math.sqrt(v.size))


def monte_carlo_errors(params: SimulationParams, inst: Instance, Ct: np.ndarray,
                       chunk_rows: int = 4096, progress=None) -> TestEstimate:
    """E_test and E_score as sample means over n_test fresh pairs (x, xi), with standard errors.

    Per sample: e = ||xi - C phi(y)||^2 / d and q = ||C phi(y) - sqrt(Delta) S^{-1} y||^2 / d.
    """
    d, n_test = params.d, params.n_test
    e = np.empty(n_test)
    q = np.empty(n_test)
    for r0, r1, xi, H, target in _test_batches(params, inst, n_test, rng(params.seed, inst.k, "test"), chunk_rows):
        pred = apply_activation(params.activation, H) @ Ct  # rows (C phi)^T
        xi -= pred  # the residual xi - C phi, in place
        e[r0:r1] = _row_sq(xi) / d
        pred -= target
        q[r0:r1] = _row_sq(pred) / d
        if progress is not None:
            progress.update(r1 - r0)
    return TestEstimate(test=float(e.mean()), score=float(q.mean()), test_se=_se(e), score_se=_se(q))


def _differences(params, inst, Ct, sur: Surrogate, n, gen, chunk_rows, progress=None):
    """Per sample: e, e - e^psi, q, q - q^psi (see control_variate.py)."""
    d = params.d
    out = np.empty((4, n))
    for r0, r1, xi, H, target in _test_batches(params, inst, n, gen, chunk_rows):
        p_sur = sur(H) @ Ct
        p_act = apply_activation(params.activation, H) @ Ct
        e = _row_sq(xi - p_act) / d
        q = _row_sq(p_act - target) / d
        out[:, r0:r1] = e, e - _row_sq(xi - p_sur) / d, q, q - _row_sq(p_sur - target) / d
        if progress is not None:
            progress.update(r1 - r0)
    return out


def control_variate_errors(params: SimulationParams, inst: Instance, Ct: np.ndarray,
                           chunk_rows: int = 4096, progress=None, pilot: int = 256) -> TestEstimate:
    """E_test and E_score by Monte Carlo with the surrogate control variate (control_variate.py).

    A pilot of ``pilot`` pairs (a stream of its own, not used in the estimate) measures the
    variance ratio r = Var(e - e^psi) / Var(e) (the larger of the test and score ratios); the
    estimate then uses n = max(pilot, ceil(r n_test)) <= n_test fresh pairs, so that its standard
    error matches that of the plain estimator with n_test pairs.  Unbiased: psi and n depend on W
    and on the pilot only, never on the samples of the estimate.
    """
    K = feature_covariance(inst, params.a, params.delta)
    kd = np.diag(K).copy()
    sur = fit_surrogate(params.activation, float(kd.mean()))
    B = (math.sqrt(params.delta / params.d) * sur.mean_slope(kd))[:, None] * inst.W
    exact = errors_from_moments(params, Ct, PopulationMoments(Q=sur.second_moment(K), B=B))
    n_test = params.n_test
    m = min(pilot, n_test)
    e, de, q, dq = _differences(params, inst, Ct, sur, m, rng(params.seed, inst.k, "test-pilot"), chunk_rows)
    ratio = max(np.var(de) / max(np.var(e), 1e-300), np.var(dq) / max(np.var(q), 1e-300))
    n = int(min(n_test, max(m, math.ceil(ratio * n_test))))
    _, de, _, dq = _differences(params, inst, Ct, sur, n, rng(params.seed, inst.k, "test"), chunk_rows, progress)
    if progress is not None:
        progress.update(n_test - n)
    return TestEstimate(test=exact.test + float(de.mean()), score=exact.score + float(dq.mean()),
                        test_se=_se(de), score_se=_se(dq))
