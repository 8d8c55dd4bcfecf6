"""Score models on the time grid: the learned random-features scores and two references.

A score model is called as ``score(y, k)`` on rows y (S x d) and returns the score at grid
time t_k as rows (S x d).  Conventions of docs/model.md: the fitted noise predictor at t_k is
the readout C_k = V_k^T (U_k + lambda I)^{-1} and the score is

    s_k(y) = A_k phi(y) / sqrt(p) = -C_k phi(y) / sqrt(Delta_k)        (C = -sqrt(Delta) A / sqrt(p)).

References (derivations/sampling.md §2), for Sigma = I:

* population score  grad log N(0, (a^2 + Delta) I) = -y / (a^2 + Delta)   (= -y for the OU schedule);
* empirical optimal score: the exact score of the training set's Gaussian mixture
  (1/n) sum_i N(a x_i, Delta I),
      s(y) = (a sum_i w_i(y) x_i - y) / Delta,  w(y) = softmax_i( -||y - a x_i||^2 / (2 Delta) ),
  with the softmax computed stably (log-sum-exp: the largest logit is subtracted first).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmt_dsm.simulate.features import accumulate, apply_activation, training_chunks
from rmt_dsm.simulate.instance import Instance
from rmt_dsm.simulate.readout import solve_readout, solve_readout_dual, train_error

from .grid import TimeGrid
from .params import SampleParams, stream

__all__ = ["PopulationScore", "EmpiricalScore", "RandomFeaturesScores", "fit_scores"]


@dataclass(frozen=True)
class PopulationScore:
    """The exact score of the forward marginal N(0, (a_k^2 + Delta_k) I) (Sigma = I).

    >>> from rmt_dsm.sampling.grid import time_grid
    >>> PopulationScore(time_grid(0.1, 1.0, 2))(np.ones((1, 2)), 0).round(12).tolist()
    [[-1.0, -1.0]]
    """

    grid: TimeGrid

    def __call__(self, y: np.ndarray, k: int) -> np.ndarray:
        return -y / (self.grid.a[k] ** 2 + self.grid.delta[k])


@dataclass(frozen=True)
class EmpiricalScore:
    """The exact score of (1/n) sum_i N(a_k x_i, Delta_k I), the noised training set X (n x d).

    >>> from rmt_dsm.sampling.grid import time_grid
    >>> g = time_grid(0.1, 1.0, 2)
    >>> s = EmpiricalScore(np.array([[1.0, 0.0]]), g)   # one point: the score of N(a x, Delta I)
    >>> y = np.array([[0.3, -0.2]])
    >>> bool(np.allclose(s(y, 0), (g.a[0] * np.array([1.0, 0.0]) - y) / g.delta[0]))
    True
    """

    X: np.ndarray
    grid: TimeGrid

    def posterior(self, y: np.ndarray, k: int) -> np.ndarray:
        """Weights w_i(y) (S x n) of the training points given y: softmax of -||y - a x_i||^2 / (2 Delta)."""
        a, delta = self.grid.a[k], self.grid.delta[k]
        # -||y - a x_i||^2 / (2 Delta) up to a term constant in i: (a y.x_i - a^2 ||x_i||^2 / 2) / Delta
        logits = (y @ self.X.T) * (a / delta)
        logits -= (0.5 * a * a / delta) * np.einsum("ij,ij->i", self.X, self.X)
        logits -= logits.max(axis=1, keepdims=True)
        w = np.exp(logits, out=logits)
        w /= w.sum(axis=1, keepdims=True)
        return w

    def __call__(self, y: np.ndarray, k: int) -> np.ndarray:
        a, delta = self.grid.a[k], self.grid.delta[k]
        return (a * (self.posterior(y, k) @ self.X) - y) / delta


@dataclass(frozen=True)
class RandomFeaturesScores:
    """The fitted random-features scores s_k(y) = -C_k phi(y) / sqrt(Delta_k), k = 1..K.

    ``Ct[k]`` is C_k^T (p x d); ``train[k]`` the training error E_train at t_k.
    """

    W: np.ndarray
    Ct: tuple
    train: tuple
    activation: str
    grid: TimeGrid

    def features(self, y: np.ndarray) -> np.ndarray:
        """phi(y) = sigma(W y / sqrt(d)) for rows y (S x p)."""
        return apply_activation(self.activation, y @ (self.W.T / math.sqrt(self.W.shape[1])))

    def __call__(self, y: np.ndarray, k: int) -> np.ndarray:
        return self.features(y) @ (self.Ct[k] * (-1.0 / math.sqrt(self.grid.delta[k])))


def fit_scores(params: SampleParams, inst: Instance, progress=None) -> RandomFeaturesScores:
    """Fit one readout per grid time on the seed's W and data, with fresh noise draws per time.

    At t_k: the simulator's training pairs y_ij = a_k x_i + sqrt(Delta_k) xi_ij with the noise
    from the stream ('fit', k) and C_k = V_k^T (U_k + lambda I)^{-1} (minimum norm at lambda = 0),
    as in ``rmt-dsm simulate``: from the sums U_k, V_k when N >= p, else from the N x N Gram
    matrix of the design (the same C_k, cheaper).  (A finite training time tau of docs/model.md
    would replace the ridge readout here, grid time by grid time.)
    """
    Cts, trains = [], []
    for k in range(params.grid.K):
        pk = params.at(k)
        chunks = training_chunks(pk, inst, chunk_rows=pk.N if pk.N < pk.p else None,
                                 noise=stream(pk.seed, inst.k, "fit", k))
        if pk.N < pk.p:
            Phi, Xi = next(chunks)
            Ct = solve_readout_dual(Phi, Xi, pk.lam)
            Xi -= Phi @ Ct  # residuals xi - C phi
            train = float(np.einsum("ij,ij->", Xi, Xi)) / (pk.N * pk.d)
        else:
            sums = accumulate(chunks, pk.p, pk.d)
            Ct = solve_readout(sums.U, sums.V, pk.lam, sums.N)
            train = train_error(sums, Ct)
        Cts.append(Ct)
        trains.append(train)
        if progress is not None:
            progress.update(1)
    return RandomFeaturesScores(W=inst.W, Ct=tuple(Cts), train=tuple(trains),
                                activation=params.model.activation, grid=params.grid)
