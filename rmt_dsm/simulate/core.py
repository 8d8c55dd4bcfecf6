"""The finite-d simulator: one fit per seed, then means and standard errors over seeds."""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .equivalent_coefficients import EquivalentCoefficients, equivalent_coefficients
from .features import Sums, accumulate, accumulation_flops, expected_sums_equivalent, training_chunks
from .instance import Instance, draw_instance
from .params import SimulationParams, make_params
from .population import (TestEstimate, control_variate_errors, equivalent_moments, errors_from_moments,
                         exact_moments, monte_carlo_errors)
from ..parallel import parallel_map
from ..progress import Progress
from .readout import flow_readout, gradient_descent_readout, solve_readout, train_error

__all__ = ["Estimate", "SeedResult", "Fit", "SimulationResult", "fit_seed", "simulate_seed",
           "simulate", "coefficients_for"]

ERRORS = ("train", "test", "score", "gap", "floor")


@dataclass(frozen=True)
class Estimate:
    """Mean over seeds and its standard error std(ddof=1)/sqrt(K).

    For K = 1 the stderr is the Monte-Carlo standard error of the test-set estimate when there
    is one, 0 for the deterministic floor, and nan otherwise.
    """

    mean: float
    stderr: float


@dataclass(frozen=True)
class SeedResult:
    """The five errors of one seed and the Monte-Carlo standard errors (nan when exact)."""

    k: int
    train: float
    test: float
    score: float
    gap: float
    floor: float
    test_se: float = math.nan
    score_se: float = math.nan
    gap_se: float = math.nan


@dataclass(frozen=True)
class Fit:
    """Everything fitted for one seed: the draws, the sums U, V and the readout C^T (p x d)."""

    instance: Instance
    sums: Sums
    Ct: np.ndarray
    coeffs: EquivalentCoefficients | None


@dataclass(frozen=True)
class SimulationResult:
    """Errors of a finite-d simulation (per dimension, as defined in docs/model.md)."""

    train: Estimate
    test: Estimate
    score: Estimate
    gap: Estimate
    floor: Estimate
    per_seed: tuple
    params: SimulationParams
    timings: dict = field(default_factory=dict, compare=False)
    flops_accumulate: float = 0.0

    def as_dict(self) -> dict:
        """JSON-ready dict: each error {"mean", "stderr"} (nan stderr -> None) plus "params"."""
        out = {}
        for name in ERRORS:
            est = getattr(self, name)
            out[name] = {"mean": est.mean, "stderr": None if math.isnan(est.stderr) else est.stderr}
        out["params"] = self.params.as_dict()
        return out


def coefficients_for(params: SimulationParams) -> EquivalentCoefficients | None:
    """Gaussian-equivalence coefficients (equivalent model only), with tr(Sigma)/d."""
    if params.model != "equivalent":
        return None
    return equivalent_coefficients(params.activation, params.a, params.delta,
                                   float(np.mean(params.eigs())))


def readout(params: SimulationParams, sums: Sums) -> np.ndarray:
    """C^T: the ridge solution (tau = inf), the exact gradient flow at tau, or gradient descent
    with step gd_step up to tau (simulator.md section 2)."""
    if math.isinf(params.tau):
        return solve_readout(sums.U, sums.V, params.lam, sums.N)
    if params.gd_step is not None:
        return gradient_descent_readout(sums.U, sums.V, params.lam, params.tau, params.gd_step)
    return flow_readout(sums.U, sums.V, params.lam, params.tau)


def fit_seed(params: SimulationParams, k: int, chunk_rows: int | None = None, progress=None,
             timings: dict | None = None) -> Fit:
    """Draw seed k, accumulate U and V over the N training pairs and solve for C."""
    tdraw = time.perf_counter()
    inst = draw_instance(params, k)
    co = coefficients_for(params)
    t0 = time.perf_counter()
    if math.isinf(params.m):
        sums = expected_sums_equivalent(params, inst, co)
    else:
        sums = accumulate(training_chunks(params, inst, chunk_rows, co), params.p, params.d, progress)
    t1 = time.perf_counter()
    Ct = readout(params, sums)
    t2 = time.perf_counter()
    if timings is not None:
        timings["draw"] = timings.get("draw", 0.0) + t0 - tdraw
        timings["accumulate"] = timings.get("accumulate", 0.0) + t1 - t0
        timings["solve"] = timings.get("solve", 0.0) + t2 - t1
    return Fit(instance=inst, sums=sums, Ct=Ct, coeffs=co)


def population_errors(params: SimulationParams, fit: Fit, progress=None) -> TestEstimate:
    """E_test, E_score: exact population statistics when available, else Monte Carlo."""
    if params.model == "equivalent":
        return errors_from_moments(params, fit.Ct, equivalent_moments(params, fit.instance, fit.coeffs))
    if params.exact_population:
        return errors_from_moments(params, fit.Ct, exact_moments(params, fit.instance))
    if params.control_variate:
        return control_variate_errors(params, fit.instance, fit.Ct, progress=progress)
    return monte_carlo_errors(params, fit.instance, fit.Ct, progress=progress)


#: up to this many features p a seed's dense algebra runs on one BLAS thread: its products and
#: solves are then too small to gain from threads.  On 2 cores (docs/performance.md, simulate
#: section): d = 500, p = 250 takes 57 ms on one thread against 90-240 ms (median ~140) on two, p = 500
#: 227 against 292 ms, p = 750 and p = 1000 about the same; p = 2000 gains from two threads (1.2 s
#: against 1.9 s).
ONE_THREAD_MAX_P = 1000


@lru_cache(maxsize=None)
def _threads():
    """The threadpoolctl controller of the loaded BLAS libraries (inspected once per process)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads(params: SimulationParams):
    """A context in which the BLAS of a seed of ``params`` runs on one thread when p <=
    `ONE_THREAD_MAX_P`, else with its own number of threads.  The seed's values do not depend
    on it beyond the rounding of the library's sums."""
    if params.p > ONE_THREAD_MAX_P:
        return contextlib.nullcontext()
    return _threads().limit(limits=1, user_api="blas")


def simulate_seed(params: SimulationParams, k: int, chunk_rows: int | None = None, progress=None,
                  timings: dict | None = None) -> SeedResult:
    """The five errors of seed index k (BLAS threads: `blas_threads`)."""
    with blas_threads(params):
        return _simulate_seed(params, k, chunk_rows, progress, timings)


def _simulate_seed(params, k, chunk_rows, progress, timings) -> SeedResult:
    fit = fit_seed(params, k, chunk_rows, progress, timings)
    t0 = time.perf_counter()
    train = train_error(fit.sums, fit.Ct)
    te = population_errors(params, fit, progress)
    if timings is not None:
        timings["evaluate"] = timings.get("evaluate", 0.0) + time.perf_counter() - t0
    return SeedResult(k=k, train=train, test=te.test, score=te.score, gap=te.test - train,
                      floor=params.floor(), test_se=te.test_se, score_se=te.score_se,
                      gap_se=te.test_se)


def _aggregate(per_seed, name: str) -> Estimate:
    vals = np.array([getattr(r, name) for r in per_seed], dtype=np.float64)
    if vals.size >= 2:
        return Estimate(float(vals.mean()), float(np.std(vals, ddof=1) / math.sqrt(vals.size)))
    if name == "floor":
        return Estimate(float(vals[0]), 0.0)
    se = getattr(per_seed[0], f"{name}_se", math.nan)
    return Estimate(float(vals[0]), float(se))


def simulate(d, psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, seeds=1,
             seed=0, model="true", n_test=None, sigma_eigs=None, basis="random", progress=None,
             population="auto", chunk_rows=None, jobs=1, backend="joblib", scheduler=None,
             tau=None, gd_step=None, data=None) -> SimulationResult:
    """Simulate random-features denoising score matching at finite d (docs/model.md).

    Draws W, the data and the noise, fits the readout C = V^T (U + lambda I)^{-1} on the N = n m
    training pairs (or the gradient-flow readout C(tau) = V^T g_tau(U) at a training time tau),
    and measures the errors of that fit, once per seed.

    Parameters
    ----------
    d : int
        Dimension.
    psi_n, psi_p : float
        Ratios n/d and p/d; n = round(psi_n d) data points, p = round(psi_p d) features.
    m : int or math.inf
        Noise draws per data point (math.inf only with ``model="equivalent"``).
    t : float, optional
        Diffusion time of the Ornstein-Uhlenbeck schedule; or give ``a`` and ``delta``.
    lam : float
        Ridge lambda >= 0 (0: minimum-norm readout).
    activation : str
        tanh, erf, relu or a sympy expression in x.
    a, delta : float, optional
        Signal scale and noise variance, instead of ``t``.
    seeds : int
        Number of independent draws; seed index k of base seed ``seed`` uses
        ``SeedSequence(seed, spawn_key=(k, stream))``.
    seed : int
        Base seed (>= 0).
    model : {"true", "equivalent"}
        The true features sigma(W y / sqrt d), or the Gaussian-equivalent features of
        derivations/gaussian_equivalence.md.
    n_test : int, optional
        Fresh test pairs of the Monte-Carlo population errors (default max(20000, 4 p)).
    sigma_eigs : sequence of float, optional
        The d eigenvalues of Sigma (default: Sigma = I).
    basis : {"random", "canonical"}
        Eigenbasis of Sigma: Haar-random or the canonical basis.
    progress : bool, optional
        Progress bar on stderr (None: when stderr is a terminal, after 2 s).
    population : {"auto", "exact", "cv", "mc"}
        Test and score errors exact given W ("exact": erf and relu, and the equivalent model;
        "auto" uses them when available), or by Monte Carlo: "cv" (the default of "auto"
        otherwise) with a control variate, an erf-plus-linear surrogate with exact statistics,
        on as many fresh pairs as the plain estimator needs ``n_test`` for the same standard
        error; "mc" plain, over ``n_test`` fresh pairs.
    chunk_rows : int, optional
        Training rows accumulated per chunk (memory bound; the result does not depend on it).
    jobs : int
        Worker processes for the seeds (backend "joblib"; 1: serial, in this process).
    backend : {"joblib", "dask"}
        Where the seeds run: local processes, or an existing dask.distributed cluster
        (``scheduler``), through `rmt_dsm.parallel.parallel_map`.  Every seed has its own
        random streams, so the result is identical to the serial run.
    scheduler : str or distributed.Client, optional
        The dask scheduler's address (backend "dask").
    tau : float, optional
        Gradient-flow training time from C = 0 (None or inf: the converged ridge readout); the
        flow is solved exactly by the eigendecomposition of U.
    gd_step : float, optional
        With a finite ``tau``: plain gradient descent with this step size instead of the exact flow.
    data : array of shape (n_pool, d), optional
        Train on given samples (rows, centred; e.g. real images) instead of Gaussian data: each seed
        takes n rows without replacement for training, and E_test and E_score are Monte-Carlo means
        over ``n_test`` pairs with x drawn from the held-out rows and fresh noise.  Sigma is the
        second moment data^T data / n_pool (floor, and the Gaussian score of E_score);
        `rmt_dsm.simulate.data`.

    Returns
    -------
    SimulationResult
        ``train``, ``test``, ``score``, ``gap``, ``floor``: each the mean over seeds and its
        standard error; ``per_seed`` values, the validated ``params`` and timings.

    Raises
    ------
    ValueError
        A bad argument, named in the message.

    Examples
    --------
    >>> r = simulate(d=20, psi_n=1, psi_p=0.5, m=2, t=0.5, lam=0.1, activation="erf", seeds=2)
    >>> r.params.N, abs(r.floor.mean - math.exp(-1.0)) < 1e-15     # F_pop = a^2 for the OU schedule
    (40, True)
    """
    params = make_params(d=d, psi_n=psi_n, psi_p=psi_p, m=m, t=t, lam=lam, activation=activation,
                         a=a, delta=delta, seeds=seeds, seed=seed, model=model, n_test=n_test,
                         sigma_eigs=sigma_eigs, basis=basis, population=population, tau=tau,
                         gd_step=gd_step, data=data)
    return run(params, progress=progress, chunk_rows=chunk_rows, jobs=jobs, backend=backend,
               scheduler=scheduler)


def _seed_task(item) -> tuple:
    """(SeedResult, timings) of one seed: the unit of work of a parallel run (picklable)."""
    params, k, chunk_rows = item
    timings: dict = {}
    return simulate_seed(params, k, chunk_rows, None, timings), timings


def run(params: SimulationParams, progress=None, chunk_rows=None, jobs=1, backend="joblib",
        scheduler=None) -> SimulationResult:
    """Run all seeds of validated parameters (serially, or through `parallel_map`)."""
    timings: dict = {}
    if jobs == 1 and backend == "joblib" and scheduler is None:
        per_pass = (0 if math.isinf(params.m) else params.n * params.m) + \
            (0 if params.exact_population else params.n_test)
        bar = Progress(per_pass * params.seeds, label="simulate", enabled=progress, delay=2.0)
        try:
            per_seed = tuple(simulate_seed(params, k, chunk_rows, bar, timings) for k in range(params.seeds))
        finally:
            bar.close()
    else:
        outs = parallel_map(_seed_task, [(params, k, chunk_rows) for k in range(params.seeds)], jobs=jobs,
                            backend=backend, scheduler=scheduler, progress=progress, label="simulate seeds")
        per_seed = tuple(r for r, _ in outs)
        for _, tm in outs:
            for key, v in tm.items():
                timings[key] = timings.get(key, 0.0) + v
    flops = 0.0 if math.isinf(params.m) else params.seeds * accumulation_flops(params.N, params.p, params.d)
    est = {name: _aggregate(per_seed, name) for name in ERRORS}
    return SimulationResult(**est, per_seed=per_seed, params=params, timings=timings,
                            flops_accumulate=flops)
