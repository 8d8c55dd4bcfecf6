"""Training on given samples (e.g. real images) instead of Gaussian draws (derivations/simulator.md §6).

A pool of samples ``data`` (rows, d columns, assumed centred) replaces the Gaussian data: each seed
draws its n training points without replacement from the rows, and the held-out rows are its test
set (the test pairs draw x uniformly from them, with fresh noise).  The covariance of the model is
the pool's second-moment matrix Sigma = data^T data / n_pool; it defines the population floor and
the Gaussian score -S^{-1} y (S = a^2 Sigma + Delta I) against which E_score is measured.  For
non-Gaussian data that score is the score of the Gaussian with the same covariance, not the score
of the data distribution.
"""
from __future__ import annotations

import numpy as np

__all__ = ["check_data", "second_moment_eigh", "split_pool"]


def check_data(data, d: int, n: int) -> np.ndarray:
    """The pool as a read-only float64 array (n_pool, d), with at least n + 1 finite rows.

    Examples
    --------
    >>> check_data(np.zeros((3, 2)), d=2, n=3)
    Traceback (most recent call last):
    ...
    ValueError: data: 3 rows leave no held-out test sample for n = 3 training points
    """
    try:
        arr = np.array(data, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("data must be a 2-d array of samples (rows) with d columns") from None
    if arr.ndim != 2 or arr.shape[1] != d:
        raise ValueError(f"data must be a 2-d array of samples with d = {d} columns, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("data must be finite")
    if arr.shape[0] <= n:
        raise ValueError(f"data: {arr.shape[0]} rows leave no held-out test sample for n = {n} training points")
    arr.setflags(write=False)
    return arr


def second_moment_eigh(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (clipped at 0) and orthonormal eigenvectors (columns) of data^T data / n_pool.

    >>> e, o = second_moment_eigh(np.array([[1.0, 0.0], [-1.0, 0.0]]))
    >>> e.tolist()
    [0.0, 1.0]
    """
    eigs, basis = np.linalg.eigh(data.T @ data / data.shape[0])
    return np.clip(eigs, 0.0, None), basis


def split_pool(data: np.ndarray, n: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, held-out rows): a uniformly random subset of n rows and the rest."""
    perm = gen.permutation(data.shape[0])
    return data[perm[:n]], data[perm[n:]]
