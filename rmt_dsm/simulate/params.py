"""Validated parameters of one finite-d simulation (docs/model.md).

All checks of the public entry point happen here, through `rmt_dsm.model`
(schedule, ratios, m, lambda) and `rmt_dsm.activations`; the rest of the
simulator receives a `SimulationParams` that is known to be valid.

Sizes: n = round(psi_n d), p = round(psi_p d), N = n m pairs (N = inf for m = inf).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rmt_dsm.activations import get_activation
from rmt_dsm.model import check_lam, check_m, check_ratio, schedule

__all__ = ["SimulationParams", "make_params", "MODELS", "BASES", "POPULATIONS"]

MODELS = ("true", "equivalent")
BASES = ("random", "canonical")
POPULATIONS = ("auto", "exact", "mc")
#: activations whose population statistics (given W) have a closed form
EXACT_ACTIVATIONS = ("erf", "relu")


@dataclass(frozen=True)
class SimulationParams:
    """Everything that defines one simulation, validated.

    ``sigma_eigs`` is None for Sigma = I, else a tuple of the d eigenvalues of Sigma.
    ``exact_population`` says whether E_test and E_score are computed from exact
    population statistics (True) or from a Monte-Carlo test set of size n_test.
    """

    d: int
    psi_n: float
    psi_p: float
    m: int | float
    lam: float
    a: float
    delta: float
    t: float | None
    activation: str
    model: str
    seeds: int
    seed: int
    n_test: int | None
    sigma_eigs: tuple | None
    basis: str
    exact_population: bool

    @property
    def n(self) -> int:
        """Number of training points, round(psi_n d)."""
        return round(self.psi_n * self.d)

    @property
    def p(self) -> int:
        """Number of random features, round(psi_p d)."""
        return round(self.psi_p * self.d)

    @property
    def N(self) -> int | float:
        """Number of (point, noise) pairs n m (inf for m = inf)."""
        return math.inf if math.isinf(self.m) else self.n * self.m

    def eigs(self) -> np.ndarray:
        """Eigenvalues of Sigma as a float64 array of length d."""
        if self.sigma_eigs is None:
            return np.ones(self.d)
        return np.asarray(self.sigma_eigs, dtype=np.float64)

    def floor(self) -> float:
        """Population floor F_pop = 1 - (Delta/d) tr((a^2 Sigma + Delta I)^{-1}).

        Examples
        --------
        >>> pr = make_params(d=10, psi_n=1, psi_p=1, m=1, t=0.5)
        >>> abs(pr.floor() - pr.a ** 2) < 1e-15
        True
        """
        return 1.0 - self.delta * float(np.mean(1.0 / (self.a ** 2 * self.eigs() + self.delta)))

    def as_dict(self) -> dict:
        """JSON-ready parameters (m = inf and N = inf as the string 'inf')."""
        inf = lambda v: "inf" if isinstance(v, float) and math.isinf(v) else v
        return {
            "d": self.d, "n": self.n, "p": self.p, "N": inf(self.N), "m": inf(self.m),
            "psi_n": self.psi_n, "psi_p": self.psi_p, "t": self.t, "a": self.a, "delta": self.delta,
            "lam": self.lam, "activation": self.activation, "model": self.model,
            "seeds": self.seeds, "seed": self.seed,
            "population": "exact" if self.exact_population else "monte-carlo",
            "n_test": None if self.exact_population else self.n_test,
            "sigma": "identity" if self.sigma_eigs is None else "eigenvalues",
            "basis": self.basis,
        }


def _positive_int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def make_params(d, psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None,
                seeds=1, seed=0, model="true", n_test=None, sigma_eigs=None, basis="random",
                population="auto") -> SimulationParams:
    """Validate the arguments of `rmt_dsm.simulate.simulate`.

    Examples
    --------
    >>> make_params(d=100, psi_n=0.5, psi_p=2, m=3, t=1.0).p
    200
    >>> make_params(d=10.5, psi_n=1, psi_p=1, m=1, t=1.0)
    Traceback (most recent call last):
    ...
    ValueError: d must be a positive integer, got 10.5
    """
    d = _positive_int("d", d)
    psi_n = float(check_ratio("psi_n", psi_n))
    psi_p = float(check_ratio("psi_p", psi_p))
    m = check_m(m)
    lam = float(check_lam(lam))
    sch = schedule(t=t, a=a, delta=delta)
    act = get_activation(activation)
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}, got {basis!r}")
    if population not in POPULATIONS:
        raise ValueError(f"population must be one of {', '.join(POPULATIONS)}, got {population!r}")
    seeds = _positive_int("seeds", seeds)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    n, p = round(psi_n * d), round(psi_p * d)
    if n < 1:
        raise ValueError(f"psi_n too small: n = round(psi_n d) = {n} for d = {d}")
    if p < 1:
        raise ValueError(f"psi_p too small: p = round(psi_p d) = {p} for d = {d}")
    if model == "true" and math.isinf(m):
        raise ValueError(
            "m = inf cannot be simulated exactly for the true nonlinear model; use a large finite m "
            "(e.g. --m 256) or --model equivalent")
    if sigma_eigs is not None:
        eigs = np.asarray(sigma_eigs, dtype=np.float64).ravel()
        if eigs.shape != (d,) or not np.all(np.isfinite(eigs)) or np.any(eigs < 0):
            raise ValueError(f"sigma_eigs must be d = {d} finite non-negative eigenvalues of Sigma")
        sigma_eigs = tuple(float(e) for e in eigs)
    # The Gaussian-equivalent model is Gaussian: its population statistics are always exact.
    if model == "equivalent":
        exact = True
    elif population == "exact":
        if act.name not in EXACT_ACTIVATIONS:
            raise ValueError(f"population 'exact' needs activation erf or relu, got {act.name!r}")
        exact = True
    else:
        exact = population == "auto" and act.name in EXACT_ACTIVATIONS
    if n_test is None:
        n_test = max(20000, 4 * p)
    n_test = _positive_int("n_test", n_test)
    if n_test < 2:
        raise ValueError(f"n_test must be >= 2 (a standard error needs two samples), got {n_test}")
    return SimulationParams(
        d=d, psi_n=psi_n, psi_p=psi_p, m=m, lam=lam, a=float(sch.a), delta=float(sch.delta),
        t=None if sch.t is None else float(sch.t), activation=act.name, model=model, seeds=seeds,
        seed=int(seed), n_test=n_test, sigma_eigs=sigma_eigs, basis=basis, exact_population=exact)
