"""The random objects of one seed: streams, features W, data X, covariance of Sigma (and, for
given samples, the held-out test pool: `rmt_dsm.simulate.data`).

Reproducibility: seed index k of a run with base seed s draws every random object
from its own stream ``SeedSequence(s, spawn_key=(k, stream))``; the streams are
independent, and the result of seed k does not depend on the number of seeds or on
the chunk size used to accumulate the sums.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import second_moment_eigh, split_pool
from .params import SimulationParams

__all__ = ["STREAMS", "rng", "Covariance", "Instance", "draw_instance"]

#: stream name -> spawn-key index (fixed forever: changing it changes every result)
STREAMS = {"W": 0, "X": 1, "basis": 2, "xi": 3, "eta": 4, "zeta": 5, "test": 6, "test-pilot": 7}


def rng(seed: int, k: int, stream: str) -> np.random.Generator:
    """Generator of stream ``stream`` for seed index ``k`` of base seed ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, STREAMS[stream])))


def haar_orthogonal(d: int, gen: np.random.Generator) -> np.ndarray:
    """A Haar-distributed orthogonal d x d matrix: Q of G = QR with sign(diag R) > 0."""
    q, r = np.linalg.qr(gen.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class Covariance:
    """Sigma = O diag(eigs) O^T (O = None means the canonical basis).

    The forward marginal is y ~ N(0, S) with S = a^2 Sigma + Delta I = O diag(a^2 eigs + Delta) O^T.
    """

    eigs: np.ndarray
    basis: np.ndarray | None
    identity: bool

    def sample(self, gen: np.random.Generator, rows: int) -> np.ndarray:
        """``rows`` draws x ~ N(0, Sigma) as rows: x = O diag(sqrt(eigs)) z."""
        z = gen.standard_normal((rows, self.eigs.size))
        if self.identity:
            return z
        z *= np.sqrt(self.eigs)
        return z if self.basis is None else z @ self.basis.T

    def to_basis(self, y: np.ndarray) -> np.ndarray:
        """Coordinates O^T y of rows y."""
        return y if self.identity or self.basis is None else y @ self.basis

    def from_basis(self, c: np.ndarray) -> np.ndarray:
        """Rows O c."""
        return c if self.identity or self.basis is None else c @ self.basis.T

    def s_eigs(self, a: float, delta: float) -> np.ndarray:
        """Eigenvalues a^2 eigs + Delta of S = a^2 Sigma + Delta I."""
        return a * a * self.eigs + delta


def make_covariance(params: SimulationParams, k: int) -> Covariance:
    """Sigma for seed index k (the random basis is drawn from the 'basis' stream; given samples:
    the eigenbasis of their second moment)."""
    if params.data is not None:
        eigs, basis = second_moment_eigh(params.data)
        return Covariance(eigs=eigs, basis=basis, identity=False)
    if params.sigma_eigs is None:
        return Covariance(eigs=np.ones(params.d), basis=None, identity=True)
    eigs = params.eigs()
    basis = haar_orthogonal(params.d, rng(params.seed, k, "basis")) if params.basis == "random" else None
    return Covariance(eigs=eigs, basis=basis, identity=False)


@dataclass(frozen=True)
class Instance:
    """Frozen draws of one seed: W (p x d), X (n x d, rows x_i), Sigma; for given samples, the
    held-out rows ``test_pool`` (None for Gaussian data)."""

    W: np.ndarray
    X: np.ndarray
    cov: Covariance
    k: int
    test_pool: np.ndarray | None = None

    def test_inputs(self, gen: np.random.Generator, rows: int) -> np.ndarray:
        """``rows`` fresh test inputs x: Gaussian N(0, Sigma), or uniform draws from the held-out rows."""
        if self.test_pool is None:
            return self.cov.sample(gen, rows)
        return self.test_pool[gen.integers(0, self.test_pool.shape[0], rows)]


def draw_instance(params: SimulationParams, k: int) -> Instance:
    """Draw W with i.i.d. N(0,1) entries and x_1..x_n ~ N(0, Sigma) for seed index k (given samples:
    n rows without replacement, the rest held out)."""
    cov = make_covariance(params, k)
    W = rng(params.seed, k, "W").standard_normal((params.p, params.d))
    if params.data is not None:
        X, held_out = split_pool(params.data, params.n, rng(params.seed, k, "X"))
        return Instance(W=W, X=X, cov=cov, k=k, test_pool=held_out)
    X = cov.sample(rng(params.seed, k, "X"), params.n)
    return Instance(W=W, X=X, cov=cov, k=k)
