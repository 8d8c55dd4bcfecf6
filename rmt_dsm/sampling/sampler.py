"""Reverse-time samplers from N(0, I) at t_K down to t_1, then one Tweedie denoising step.

The learned score is piecewise constant in time: on a reverse step from t_{k+1} down to t_k
(length h = t_{k+1} - t_k) the drift uses s_hat = s_k(y_{t_{k+1}}), the score fitted at t_k
evaluated at the point where the step starts.  With s_hat frozen, the linear OU part is
integrated exactly (exponential integrator; derivations/sampling.md §1):

    SDE  dy = [y + 2 s] dtau + sqrt(2) dB:   y <- e^h y + 2 (e^h - 1) s_hat + sqrt(e^{2h} - 1) z,
    ODE  dy/dtau = y + s             :   y <- e^h y + (e^h - 1) s_hat,

(tau = t_K - t the reverse time, z ~ N(0, I) fresh at each step), then at t_1 the Tweedie
step x = (y + Delta_1 s_1(y)) / a_1 (the posterior mean E[x | y] when s_1 is the exact score).
"""
from __future__ import annotations

import math

import numpy as np

from .grid import TimeGrid

__all__ = ["reverse_sample", "tweedie"]


def tweedie(score, grid: TimeGrid, y: np.ndarray) -> np.ndarray:
    """x = (y + Delta_1 s_1(y)) / a_1 at the first grid time."""
    return (y + grid.delta[0] * score(y, 0)) / grid.a[0]


def reverse_sample(score, grid: TimeGrid, y: np.ndarray, sampler: str = "sde", gen=None,
                   progress=None) -> np.ndarray:
    """Run the reverse sampler from y (rows, drawn from N(0, I) at t_K) and denoise at t_1.

    ``score(y, k)``: the score model at grid index k (see :mod:`rmt_dsm.sampling.scores`);
    ``gen``: the generator of the Brownian increments (SDE only).  Returns new rows x.

    With the population score -y of Sigma = I the ODE keeps y exactly (e^h y - (e^h - 1) y = y),
    so that x = a_1 y:

    >>> from rmt_dsm.sampling.grid import time_grid
    >>> from rmt_dsm.sampling.scores import PopulationScore
    >>> g = time_grid(0.1, 2.0, 5)
    >>> x = reverse_sample(PopulationScore(g), g, np.ones((1, 3)), sampler="ode")
    >>> bool(np.allclose(x, g.a[0]))
    True
    """
    if sampler not in ("sde", "ode"):
        raise ValueError(f"sampler must be one of sde, ode, got {sampler!r}")
    y = np.array(y, dtype=np.float64, copy=True)
    for k in range(grid.K - 2, -1, -1):
        h = grid.t[k + 1] - grid.t[k]
        em1 = math.expm1(h)  # e^h - 1
        s = score(y, k)
        if sampler == "sde":
            y *= 1.0 + em1
            y += (2.0 * em1) * s
            y += math.sqrt(math.expm1(2.0 * h)) * gen.standard_normal(y.shape)
        else:
            y *= 1.0 + em1
            y += em1 * s
        if progress is not None:
            progress.update(1)
    return tweedie(score, grid, y)
