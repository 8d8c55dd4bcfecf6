"""Validated parameters of one sampling experiment and its random streams.

The model parameters (d, psi_n, psi_p, m, lambda, activation) are checked by the simulator's
:func:`rmt_dsm.simulate.params.make_params` (the same messages as ``rmt-dsm simulate``), the
time grid by :func:`rmt_dsm.sampling.grid.time_grid`, the rest here.

Streams: seed index k of base seed s draws W and the data X exactly as the simulator does
(its streams 'W' and 'X'), so that the learned scores of all times share them; every other
random object comes from its own stream ``SeedSequence(s, spawn_key=(k, j, i))`` with
j >= 10 (disjoint from the simulator's j <= 6) and i the grid index where there is one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmt_dsm.simulate.params import SimulationParams, make_params

from .grid import TimeGrid, time_grid

__all__ = ["SampleParams", "make_sample_params", "stream", "SAMPLERS", "STREAMS"]

SAMPLERS = ("sde", "ode")
#: stream name -> spawn-key index (fixed forever: changing it changes every result)
STREAMS = {"fit": 10, "start": 11, "brownian": 12, "fresh": 13, "eval_fresh": 14, "eval_train": 15}


def stream(seed: int, k: int, name: str, i: int | None = None) -> np.random.Generator:
    """Generator of stream ``name`` (grid index ``i`` if any) for seed index k of base seed ``seed``."""
    key = (k, STREAMS[name]) if i is None else (k, STREAMS[name], i)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


@dataclass(frozen=True)
class SampleParams:
    """Everything that defines one sampling experiment, validated (Sigma = I)."""

    model: SimulationParams  # d, psi_n, psi_p, m, lam, activation, seed (its t is t_1)
    grid: TimeGrid
    samples: int
    sampler: str
    seeds: int

    @property
    def d(self) -> int:
        return self.model.d

    @property
    def n(self) -> int:
        return self.model.n

    @property
    def p(self) -> int:
        return self.model.p

    def at(self, k: int) -> SimulationParams:
        """The simulator's parameters at grid time t_k (same d, n, p, m, lambda, activation)."""
        return make_params(d=self.d, psi_n=self.model.psi_n, psi_p=self.model.psi_p, m=self.model.m,
                           t=self.grid.t[k], lam=self.model.lam, activation=self.model.activation,
                           seed=self.model.seed)

    def as_dict(self) -> dict:
        mo = self.model
        return {"d": mo.d, "n": mo.n, "p": mo.p, "m": mo.m, "N": mo.N, "psi_n": mo.psi_n,
                "psi_p": mo.psi_p, "lam": mo.lam, "activation": mo.activation,
                "t_min": self.grid.t[0], "t_max": self.grid.t[-1], "steps": self.grid.K,
                "samples": self.samples, "sampler": self.sampler, "seeds": self.seeds, "seed": mo.seed,
                "sigma": "identity"}


def _integer(name: str, v, low: int) -> int:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    return int(v)


def make_sample_params(d, psi_n, psi_p, m, lam=0.0, activation="tanh", t_min=0.01, t_max=3.0, steps=40,
                       samples=1000, sampler="sde", seeds=1, seed=0) -> SampleParams:
    """Validate the arguments of :func:`rmt_dsm.sampling.sample`; ValueError names the bad one.

    >>> make_sample_params(d=50, psi_n=1, psi_p=2, m=1, steps=5).p
    100
    >>> make_sample_params(d=50, psi_n=1, psi_p=2, m=1, sampler="euler")
    Traceback (most recent call last):
    ...
    ValueError: sampler must be one of sde, ode, got 'euler'
    """
    grid = time_grid(t_min, t_max, steps)
    if isinstance(m, float) and math.isinf(m):
        raise ValueError("m = inf cannot be simulated for the true nonlinear model; use a large finite m")
    model = make_params(d=d, psi_n=psi_n, psi_p=psi_p, m=m, t=grid.t[0], lam=lam, activation=activation,
                        seed=seed)
    if model.n < 2:
        raise ValueError(f"psi_n too small: memorization needs n = round(psi_n d) >= 2 training points, "
                         f"got n = {model.n}")
    samples = _integer("samples", samples, 3)
    seeds = _integer("seeds", seeds, 1)
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    return SampleParams(model=model, grid=grid, samples=samples, sampler=sampler, seeds=seeds)
