"""The ridge readout C = V^T (U + lambda I)^{-1} and the training error (docs/model.md).

C minimises (1/(dN)) sum ||xi - C phi||^2 + (lambda/d) ||C||_F^2 (the loss of docs/model.md written for
C = -sqrt(Delta) A / sqrt(p)); its gradient (2/d)(C U - V^T + lambda C) vanishes at C.
The simulator stores C^T = (U + lambda I)^{-1} V  (p x d).

lambda > 0: Cholesky factorisation of U + lambda I.
lambda = 0: minimum-norm solution C^T = U^+ V from the eigendecomposition U = Q diag(e) Q^T,
keeping the eigenvalues e_k > max(p, N) eps max(e) (the usual pseudo-inverse cut-off).
This is the limit lambda -> 0+ of the ridge solution, because V lies in the range of U
(V = Phi^T Xi / N and range(Phi^T) = range(U)).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

from .features import Sums

__all__ = ["solve_readout", "solve_readout_dual", "train_error", "pinv_cutoff"]


def pinv_cutoff(e: np.ndarray, N) -> float:
    """Eigenvalues of U below this are treated as zero: max(p, N) eps max|e|."""
    p = e.size
    scale = max(p, N if np.isfinite(N) else p)
    return scale * np.finfo(np.float64).eps * float(np.max(np.abs(e)))


def solve_readout(U: np.ndarray, V: np.ndarray, lam: float, N=np.inf) -> np.ndarray:
    """C^T = (U + lambda I)^{-1} V, or U^+ V for lambda = 0.

    Examples
    --------
    >>> U = np.diag([2.0, 0.0]); V = np.array([[1.0], [0.0]])
    >>> solve_readout(U, V, 0.0).ravel().tolist()
    [0.5, 0.0]
    >>> np.round(solve_readout(U, V, 1.0).ravel(), 14).tolist()
    [0.33333333333333, 0.0]
    """
    if lam > 0:
        A = U.copy()
        A[np.diag_indices_from(A)] += lam
        return linalg.cho_solve(linalg.cho_factor(A, lower=False, check_finite=False), V,
                                check_finite=False)
    e, Q = linalg.eigh(U, check_finite=False)
    keep = e > pinv_cutoff(e, N)
    Qk = Q[:, keep]
    return Qk @ ((Qk.T @ V) / e[keep, None])


def solve_readout_dual(Phi: np.ndarray, Xi: np.ndarray, lam: float) -> np.ndarray:
    """The same C^T from the training design Phi (N x p), Xi (N x d), through the N x N Gram matrix.

    C^T = Phi^T (Phi Phi^T + N lambda I)^{-1} Xi = (U + lambda I)^{-1} V (push-through identity);
    lambda = 0: Phi^T (Phi Phi^T)^+ Xi = Phi^+ Xi = U^+ V, the minimum-norm solution.  Cheaper than
    :func:`solve_readout` when N < p.

    >>> Phi = np.array([[1.0, 0.0, 1.0]]); Xi = np.array([[2.0]])
    >>> solve_readout_dual(Phi, Xi, 0.0).ravel().tolist()
    [1.0, 0.0, 1.0]
    """
    N = Phi.shape[0]
    G = Phi @ Phi.T
    if lam > 0:
        G[np.diag_indices_from(G)] += N * lam
        alpha = linalg.cho_solve(linalg.cho_factor(G, lower=False, check_finite=False), Xi,
                                 check_finite=False)
    else:
        e, Q = linalg.eigh(G, check_finite=False)
        keep = e > pinv_cutoff(e, Phi.shape[1])
        Qk = Q[:, keep]
        alpha = Qk @ ((Qk.T @ Xi) / e[keep, None])
    return Phi.T @ alpha


def train_error(sums: Sums, Ct: np.ndarray) -> float:
    """E_train = (1/d) [ (1/N) sum ||xi||^2 - 2 tr(C V) + tr(C U C^T) ]."""
    d = sums.V.shape[1]
    cv = float(np.einsum("ij,ij->", Ct, sums.V))
    cuc = float(np.einsum("ij,ij->", Ct, sums.U @ Ct))
    return (sums.xi2 - 2.0 * cv + cuc) / d
