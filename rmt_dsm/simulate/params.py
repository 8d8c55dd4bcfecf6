"""Validated parameters of one finite-d simulation (docs/model.md).

All checks of the public entry point happen here, through `rmt_dsm.model`
(schedule, ratios, m, lambda) and `rmt_dsm.activations`; the rest of the
simulator receives a `SimulationParams` that is known to be valid.

Sizes: n = round(psi_n d), p = round(psi_p d), N = n m pairs (N = inf for m = inf).
A simulation whose estimated memory (`SimulationParams.memory_bytes`) exceeds the
memory available on the machine (`available_memory`), or whose estimated work
(`SimulationParams.work_flops`) exceeds `MAX_FLOPS`, is refused before it starts.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from rmt_dsm.activations import check_gaussian_moments
from rmt_dsm.model import check_lam, check_m, check_ratio, check_tau, schedule

from .data import check_data, second_moment_eigh

__all__ = ["SimulationParams", "make_params", "MODELS", "BASES", "POPULATIONS", "available_memory", "MAX_FLOPS"]

MODELS = ("true", "equivalent")
BASES = ("random", "canonical")
POPULATIONS = ("auto", "exact", "cv", "mc")
#: activations whose population statistics (given W) have a closed form
EXACT_ACTIVATIONS = ("erf", "relu")


@dataclass(frozen=True)
class SimulationParams:
    """Everything that defines one simulation, validated.

    ``sigma_eigs`` is None for Sigma = I, else a tuple of the d eigenvalues of Sigma.
    ``exact_population`` says whether E_test and E_score are computed from exact
    population statistics (True) or from a Monte-Carlo test set; ``control_variate`` whether
    that test set uses the surrogate control variate (as many pairs as the plain estimator
    needs n_test for the same standard error) or is plain (n_test pairs).
    ``data`` is None for Gaussian data, else the pool of samples the data are drawn from
    (`rmt_dsm.simulate.data`); ``sigma_eigs`` then holds the eigenvalues of its second moment.
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
    control_variate: bool = False
    tau: float = math.inf
    gd_step: float | None = None
    data: np.ndarray | None = field(default=None, compare=False, repr=False)

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

    def memory_bytes(self) -> int:
        """Estimated peak memory of one seed (bytes, float64 arrays), the largest terms only.

        W and its scaled transpose (2 p d), the data X (n d), U, V and the readout (p^2 + 2 p d),
        about six p x p work arrays (Cholesky or eigendecomposition of U, the population
        kernels), one chunk of training pairs (rows x (2 p + 2 d)), the shared noise eta of the
        equivalent model (n p), the Haar basis of a non-identity Sigma (d^2) and the per-pair
        results of a Monte-Carlo test set (2 n_test).

        Measured (d = 1500, psi_n = 1, psi_p = 2, m = 2): peak 0.67 GB for tanh, 0.46 GB for
        erf, against an estimate of 0.72 GB.

        Examples
        --------
        >>> pr = make_params(d=1000, psi_n=1, psi_p=2, m=1, t=1.0)
        >>> pr.memory_bytes() > 8 * 7 * pr.p ** 2  # at least the p x p arrays
        True
        """
        from .features import default_chunk_rows

        n, p, d = self.n, self.p, self.d
        rows = default_chunk_rows(p, d)
        words = 4 * p * d + n * d + 7 * p * p + rows * (2 * p + 2 * d)
        if self.model == "equivalent":
            words += n * p
        if self.sigma_eigs is not None:
            words += d * d
        if self.data is not None:
            words += self.data.size
        if not self.exact_population:
            words += 2 * self.n_test
        return 8 * words

    def work_flops(self) -> float:
        """Estimated floating-point operations of all seeds: per training pair 4 p d + p^2
        (pre-activations, U and V), per Monte-Carlo test pair 4 p d, and p^3 for the readout."""
        return self.seeds * self.seed_flops()

    def seed_flops(self) -> float:
        """`work_flops` of one seed."""
        from .features import accumulation_flops

        pairs = 0 if math.isinf(self.m) else self.n * self.m
        tests = 0 if self.exact_population else self.n_test
        return accumulation_flops(pairs, self.p, self.d) + tests * 4.0 * self.p * self.d + float(self.p) ** 3

    def as_dict(self) -> dict:
        """JSON-ready parameters (m = inf and N = inf as the string 'inf')."""
        inf = lambda v: "inf" if isinstance(v, float) and math.isinf(v) else v
        return {
            "d": self.d, "n": self.n, "p": self.p, "N": inf(self.N), "m": inf(self.m),
            "psi_n": self.psi_n, "psi_p": self.psi_p, "t": self.t, "a": self.a, "delta": self.delta,
            "lam": self.lam, "activation": self.activation, "model": self.model,
            "seeds": self.seeds, "seed": self.seed,
            "population": "exact" if self.exact_population else (
                "control-variate" if self.control_variate else "monte-carlo"),
            "n_test": None if self.exact_population else self.n_test,
            "sigma": "identity" if self.sigma_eigs is None else ("data" if self.data is not None else "eigenvalues"),
            "basis": self.basis,
            "tau": inf(self.tau), "gd_step": self.gd_step,
            **({} if self.data is None else {"n_pool": int(self.data.shape[0])}),
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


def available_memory() -> int | None:
    """Bytes of memory this process may still use: MemAvailable of /proc/meminfo, lowered to
    the cgroup limit (memory.max minus memory.current) when there is one; None if unknown."""
    avail = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        try:
            avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            avail = None
    try:
        with open("/sys/fs/cgroup/memory.max") as fh:
            limit = fh.read().strip()
        with open("/sys/fs/cgroup/memory.current") as fh:
            used = int(fh.read().strip())
        if limit != "max":
            room = max(0, int(limit) - used)
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


#: refuse a simulation of more floating-point operations than this (about a day at 1e11 flop/s)
MAX_FLOPS = 1e16


def _check_size(params: SimulationParams) -> None:
    """Refuse, before any work, a simulation that cannot fit in memory or cannot end in a day."""
    need, avail = params.memory_bytes(), available_memory()
    if avail is not None and need > avail:
        culprit = ("n_test" if not params.exact_population and 16 * params.n_test > need / 2
                   else "d")
        value = params.n_test if culprit == "n_test" else params.d
        raise ValueError(
            f"{culprit} = {value}: the simulation needs about {need / 1e9:.3g} GB of memory (estimate for "
            f"n = {params.n}, p = {params.p}, n_test = {params.n_test}), more than the {avail / 1e9:.3g} GB "
            f"available; lower {culprit}")
    flops = params.work_flops()
    if flops > MAX_FLOPS:
        if params.seed_flops() <= MAX_FLOPS:
            culprit, value = "seeds", params.seeds
        elif not math.isinf(params.m) and params.m > 1:
            culprit, value = "m", params.m
        else:
            culprit, value = "d", params.d
        raise ValueError(
            f"{culprit} = {value}: the simulation needs about {flops:.2g} floating-point operations "
            f"(N = n m = {params.N} pairs, p = {params.p}, d = {params.d}, {params.seeds} seed(s)), more "
            f"than the limit {MAX_FLOPS:.0e} (about a day); lower m, d or the number of seeds")


def make_params(d, psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None,
                seeds=1, seed=0, model="true", n_test=None, sigma_eigs=None, basis="random",
                population="auto", tau=None, gd_step=None, data=None) -> SimulationParams:
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
    tau = float(check_tau(tau))
    if gd_step is not None:
        if isinstance(gd_step, bool) or not float(gd_step) > 0 or math.isinf(float(gd_step)):
            raise ValueError(f"gd_step must be a finite positive step size, got {gd_step!r}")
        if math.isinf(tau):
            raise ValueError("gd_step needs a finite training time tau")
        gd_step = float(gd_step)
    sch = schedule(t=t, a=a, delta=delta)
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
        try:
            eigs = np.asarray(sigma_eigs, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise ValueError(f"sigma_eigs must be d = {d} finite non-negative eigenvalues of Sigma") from None
        if eigs.shape != (d,) or not np.all(np.isfinite(eigs)) or np.any(eigs < 0):
            raise ValueError(f"sigma_eigs must be d = {d} finite non-negative eigenvalues of Sigma")
        sigma_eigs = tuple(float(e) for e in eigs)
    if data is not None:
        if sigma_eigs is not None:
            raise ValueError("data: give either data or sigma_eigs (the data define Sigma)")
        if model != "true":
            raise ValueError(f"data: only the true model trains on given samples, got model {model!r}")
        if population in ("exact", "cv"):
            raise ValueError(f"data: population {population!r} assumes Gaussian inputs; use 'mc' (or 'auto')")
        data = check_data(data, d, n)
        sigma_eigs = tuple(float(e) for e in second_moment_eigh(data)[0])
    eigs_mean = 1.0 if sigma_eigs is None else float(np.mean(sigma_eigs))  # tr(Sigma)/d
    act = check_gaussian_moments(activation, float(sch.a) ** 2 * eigs_mean + float(sch.delta))
    # The Gaussian-equivalent model is Gaussian: its population statistics are always exact.
    if model == "equivalent":
        exact = True
    elif data is not None:  # held-out samples: a plain Monte-Carlo test set
        exact = False
    elif population == "exact":
        if act.name not in EXACT_ACTIVATIONS:
            raise ValueError(f"population 'exact' needs activation erf or relu, got {act.name!r}")
        exact = True
    else:
        exact = population == "auto" and act.name in EXACT_ACTIVATIONS
    cv = not exact and data is None and population in ("auto", "cv")
    if n_test is None:
        n_test = max(20000, 4 * p)
    n_test = _positive_int("n_test", n_test)
    if n_test < 2:
        raise ValueError(f"n_test must be >= 2 (a standard error needs two samples), got {n_test}")
    params = SimulationParams(
        d=d, psi_n=psi_n, psi_p=psi_p, m=m, lam=lam, a=float(sch.a), delta=float(sch.delta),
        t=None if sch.t is None else float(sch.t), activation=act.name, model=model, seeds=seeds,
        seed=int(seed), n_test=n_test, sigma_eigs=sigma_eigs, basis=basis, exact_population=exact,
        control_variate=cv, tau=tau, gd_step=gd_step, data=data)
    _check_size(params)
    return params
