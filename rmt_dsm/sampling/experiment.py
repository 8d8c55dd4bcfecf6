"""One sampling experiment: fit the scores, sample, measure, and put the theory beside it.

Per seed (new W, data and noise): the learned scores at every grid time
(:func:`rmt_dsm.sampling.scores.fit_scores`); three sample sets from the same starting points
and Brownian increments (common random numbers), driven by the learned score and by the two
reference scores; S fresh data points as the baseline; and at every grid time the distances
between the learned score and the references on S fresh noisy points y ~ p_t ("fresh") and on
S noised training points y = a x_i + sqrt(Delta) xi' with fresh xi' ("training").

Standard errors: over seeds (std(ddof=1)/sqrt(seeds)) when seeds >= 2; for one seed the
Monte-Carlo standard error within the seed (binomial for f_mem, jackknife for the second-moment
error, sample standard error for the score distances) and none for the exact training error.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from rmt_dsm.progress import Progress
from rmt_dsm.simulate import Estimate
from rmt_dsm.simulate.instance import draw_instance

from .bound import bound_gradient, girsanov_bound, initial_kl
from .metrics import compare_scores, mean_stderr, nearest_two, second_moment_error, MEMORIZATION_RATIO
from .params import SampleParams, make_sample_params, stream
from .sampler import reverse_sample
from .scores import EmpiricalScore, PopulationScore, fit_scores
from .theory import TheoryAlongGrid, theory_along_grid

__all__ = ["sample", "run_sample", "SampleResult", "SAMPLE_SETS", "POINT_SETS", "COMPARISONS"]

#: the sample sets measured: the learned score, the two reference scores, fresh data (baseline)
SAMPLE_SETS = ("learned", "population_score", "empirical_score", "fresh_data")
#: metrics of a sample set
SAMPLE_METRICS = ("f_mem", "nn_ratio", "cov_error")
#: where the scores are compared at each grid time
POINT_SETS = ("fresh", "training")
COMPARISONS = ("to_population", "to_empirical", "population_to_empirical", "toward_empirical")


def _combine(pairs) -> Estimate:
    """(value, within-seed stderr) per seed -> Estimate (see the module docstring)."""
    vals = np.array([v for v, _ in pairs], dtype=np.float64)
    if vals.size >= 2:
        return Estimate(float(vals.mean()), float(np.std(vals, ddof=1) / math.sqrt(vals.size)))
    return Estimate(float(vals[0]), float(pairs[0][1]))


def _sample_metrics(x: np.ndarray, X: np.ndarray) -> dict:
    d1, d2 = nearest_two(x, X)
    return {"f_mem": mean_stderr(d1 < MEMORIZATION_RATIO * d2), "nn_ratio": mean_stderr(d1 / d2),
            "cov_error": second_moment_error(x)}


def _score_comparisons(params: SampleParams, inst, learned, pop, emp, k: int) -> dict:
    """Comparisons at grid time k on fresh noisy points and on noised training points."""
    S, d, n = params.samples, params.d, params.n
    a, delta = params.grid.a[k], params.grid.delta[k]
    gf = stream(params.model.seed, inst.k, "eval_fresh", k)
    fresh = a * gf.standard_normal((S, d)) + math.sqrt(delta) * gf.standard_normal((S, d))
    gt = stream(params.model.seed, inst.k, "eval_train", k)
    train = a * inst.X[np.arange(S) % n] + math.sqrt(delta) * gt.standard_normal((S, d))
    out = {}
    for name, Y in (("fresh", fresh), ("training", train)):
        c = compare_scores(learned(Y, k), pop(Y, k), emp(Y, k), delta)
        out[name] = {key: mean_stderr(getattr(c, key)) for key in COMPARISONS[:3]}
        out[name]["toward_empirical"] = c.toward_empirical()
    return out


def _run_seed(params: SampleParams, k: int, bar: Progress, timings: dict, keep: bool = False) -> dict:
    t0 = time.perf_counter()
    inst = draw_instance(params.model, k)
    learned = fit_scores(params, inst, bar)
    t1 = time.perf_counter()
    grid, S, d = params.grid, params.samples, params.d
    pop, emp = PopulationScore(grid), EmpiricalScore(inst.X, grid)
    start = stream(params.model.seed, k, "start").standard_normal((S, d))
    sets = {}
    for name, score in (("learned", learned), ("population_score", pop), ("empirical_score", emp)):
        gen = stream(params.model.seed, k, "brownian")  # the same increments for every score
        sets[name] = reverse_sample(score, grid, start, params.sampler, gen=gen, progress=bar)
    sets["fresh_data"] = stream(params.model.seed, k, "fresh").standard_normal((S, d))
    t2 = time.perf_counter()
    metrics = {name: _sample_metrics(x, inst.X) for name, x in sets.items()}
    rows = []
    for j in range(grid.K):
        rows.append(_score_comparisons(params, inst, learned, pop, emp, j))
        bar.update(1)
    t3 = time.perf_counter()
    for key, dt in (("fit", t1 - t0), ("sample", t2 - t1), ("measure", t3 - t2)):
        timings[key] = timings.get(key, 0.0) + dt
    out = {"metrics": metrics, "rows": rows, "train": learned.train}
    if keep:
        out["samples"] = dict(sets, training=inst.X)
    return out


def _simulation_bound(params: SampleParams, seeds: list) -> dict:
    """The bound of derivations/sampling.md §4 with the measured score errors e_k, per seed, combined."""
    grid = params.grid
    h = grid.h
    init = initial_kl(grid.a[-1], grid.delta[-1])
    per_seed = {"score_integral": [], "discretization": [], "total": []}
    for out in seeds:
        e = np.array([out["rows"][j]["fresh"]["to_population"][0] / grid.delta[j] for j in range(grid.K - 1)])
        e_se = np.array([out["rows"][j]["fresh"]["to_population"][1] / grid.delta[j] for j in range(grid.K - 1)])
        b = girsanov_bound(e, h, init)
        se_score = float(np.sqrt(np.sum((h * e_se) ** 2)))
        se_total = float(np.sqrt(np.sum((bound_gradient(e, h) * e_se) ** 2)))
        per_seed["score_integral"].append((b.score_integral, se_score))
        per_seed["discretization"].append((b.discretization, math.nan))
        per_seed["total"].append((b.total, se_total))
    out = {key: _combine(v) for key, v in per_seed.items()}
    out["initial"] = Estimate(init, 0.0)
    return out


@dataclass(frozen=True)
class SampleResult:
    """Metrics of the generated samples, per-time simulation and theory columns, the bounds.

    ``memorization[set][metric]``: :class:`rmt_dsm.simulate.Estimate` for set in
    :data:`SAMPLE_SETS` and metric in f_mem, nn_ratio (mean nearest / second-nearest distance),
    cov_error.  ``rows[k]``: at t_k, "train", "score", "gap" (the finite-d errors of the learned
    score; score = E_score estimated on the fresh points) and the comparisons
    ``rows[k][point_set][comparison]``.  ``bound``: the Girsanov bound from the measured score
    errors; ``theory``: :class:`rmt_dsm.sampling.theory.TheoryAlongGrid` (None if not asked for).
    ``samples``: per seed, the sample sets (S x d arrays keyed as :data:`SAMPLE_SETS`) and the
    training points ("training", n x d), when asked for (``keep_samples=True``), else None.
    """

    params: SampleParams
    memorization: dict
    rows: tuple
    bound: dict
    theory: TheoryAlongGrid | None
    timings: dict = field(default_factory=dict, compare=False)
    samples: tuple | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        """JSON-ready: Estimates as {"mean", "stderr"} (nan stderr -> None), +inf as "inf"."""
        grid = self.params.grid
        out = {"params": self.params.as_dict()}
        out["memorization"] = {s: {m: _est(e) for m, e in v.items()} for s, v in self.memorization.items()}
        out["bound"] = {"applies_to": "sde",
                        "simulation": {k: _est(v) for k, v in self.bound.items()},
                        "theory": None if self.theory is None else
                        {k: _num(v) for k, v in self.theory.bound.as_dict().items()}}
        rows = []
        for j, row in enumerate(self.rows):
            r = {"t": grid.t[j], "a": grid.a[j], "delta": grid.delta[j],
                 "step": grid.t[j + 1] - grid.t[j] if j + 1 < grid.K else None,
                 "theory": None if self.theory is None else {k: _num(v) for k, v in self.theory.rows[j].items()},
                 "simulation": {k: _est(row[k]) for k in ("train", "score", "gap")}}
            for ps in POINT_SETS:
                r["simulation"][ps] = {c: _est(row[ps][c]) for c in COMPARISONS}
            rows.append(r)
        out["grid"] = rows
        out["timings"] = dict(self.timings)
        return out


def _num(v: float):
    return ("inf" if v > 0 else "-inf") if math.isinf(v) else v


def _est(e: Estimate) -> dict:
    return {"mean": _num(e.mean), "stderr": None if math.isnan(e.stderr) else e.stderr}


def run_sample(params: SampleParams, theory: bool = True, progress=None, keep_samples: bool = False) -> SampleResult:
    """Run all seeds of validated parameters (and the theory along the grid if ``theory``)."""
    K = params.grid.K
    bar = Progress(params.seeds * (2 * K + 3 * (K - 1)), label="sample", enabled=progress, delay=1.0)
    timings: dict = {}
    try:
        seeds = [_run_seed(params, k, bar, timings, keep_samples) for k in range(params.seeds)]
    finally:
        bar.close()
    memorization = {s: {m: _combine([out["metrics"][s][m] for out in seeds]) for m in SAMPLE_METRICS}
                    for s in SAMPLE_SETS}
    rows = []
    for j in range(K):
        floor = params.at(j).floor()
        row = {ps: {c: _combine([out["rows"][j][ps][c] for out in seeds]) for c in COMPARISONS}
               for ps in POINT_SETS}
        row["train"] = _combine([(out["train"][j], math.nan) for out in seeds])
        row["score"] = row["fresh"]["to_population"]
        gaps = [(out["rows"][j]["fresh"]["to_population"][0] + floor - out["train"][j],
                 out["rows"][j]["fresh"]["to_population"][1]) for out in seeds]
        row["gap"] = _combine(gaps)
        rows.append(row)
    th = None
    if theory:
        t0 = time.perf_counter()
        mo = params.model
        th = theory_along_grid(mo.psi_n, mo.psi_p, mo.m, mo.lam, mo.activation, params.grid)
        timings["theory"] = time.perf_counter() - t0
    return SampleResult(params=params, memorization=memorization, rows=tuple(rows),
                        bound=_simulation_bound(params, seeds), theory=th, timings=timings,
                        samples=tuple(out["samples"] for out in seeds) if keep_samples else None)


def sample(d, psi_n, psi_p, m, lam=0.0, activation="tanh", t_min=0.01, t_max=3.0, steps=40, samples=1000,
           sampler="sde", seeds=1, seed=0, theory=True, progress=None, keep_samples=False) -> SampleResult:
    """Generate samples with the random-features score of docs/model.md and measure them.

    One random-features score per time of the log-spaced grid t_min = t_1 < ... < t_K = t_max
    (K = ``steps``), each the ridge solution (minimum norm at lam = 0) on the same W and data with
    fresh noise draws; ``samples`` samples by the reverse SDE (``sampler="sde"``) or the
    probability-flow ODE ("ode") from N(0, I), denoised by a Tweedie step at t_1.  Sigma = I.

    Parameters
    ----------
    d, psi_n, psi_p, m, lam, activation
        As in :func:`rmt_dsm.simulate.simulate` (m a finite integer >= 1).
    t_min, t_max, steps
        The time grid (0 < t_min < t_max, steps >= 2).
    samples, sampler, seeds, seed
        Samples per seed (>= 3), "sde" or "ode", independent seeds, base seed.
    theory
        Also compute :func:`rmt_dsm.errors` at the grid times and the theory's bound.
    progress
        Progress bar on stderr: True, False, or None (only on a terminal).
    keep_samples
        Keep the sample sets and the training points of every seed in ``SampleResult.samples``.

    Returns
    -------
    SampleResult

    Raises
    ------
    ValueError
        Bad input, naming the argument.

    Examples
    --------
    >>> r = sample(d=20, psi_n=1, psi_p=2, m=1, lam=0.01, steps=4, samples=50, theory=False)
    >>> 0 <= r.memorization["learned"]["f_mem"].mean <= 1
    True
    """
    params = make_sample_params(d=d, psi_n=psi_n, psi_p=psi_p, m=m, lam=lam, activation=activation,
                                t_min=t_min, t_max=t_max, steps=steps, samples=samples, sampler=sampler,
                                seeds=seeds, seed=seed)
    return run_sample(params, theory=theory, progress=progress, keep_samples=keep_samples)
