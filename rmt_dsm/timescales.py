r"""The two timescales of gradient-flow training [derivations/training_time.md §6].

Definitions (on the exact curves E(tau) of :func:`rmt_dsm.errors` with ``tau``):

* ``tau_gen`` -- the generalization time: the minimizer of E_score(tau) over tau in (0, inf]
  (early stopping at the best score; inf when E_score decreases all the way);
* ``tau_mem`` -- the memorization time: the first tau > tau_gen at which E_score has risen
  half-way from its minimum back to its converged value,
  E_score(tau_mem) = (E_score(tau_gen) + E_score(inf))/2 (inf when the rise is below 1e-6:
  the flow does not memorize);
* ``tau_floor`` -- a diagnostic: the first tau at which E_train crosses below the population
  floor F_pop (inf if never);
* ``tau_edge`` -- the spectral scale 1/E_- (E_- the bottom of the spectrum of U seen by V: the
  slowest mode of the flow; inf at the interpolation threshold).

Early stopping versus ridge: ``best_score`` = E_score(tau_gen) is compared with the best ridge
score over lambda (:func:`best_ridge`).

>>> ts = timescales(1.0, 2.0, 1, t=0.5, activation="erf")
>>> 0 < ts.tau_gen < ts.tau_mem < math.inf
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from .api import errors
from .engine import ConvergenceError

__all__ = ["Timescales", "timescales", "best_ridge"]

#: a rise of E_score smaller than this (after the minimum) is "no memorization"
_RISE = 1e-6


@dataclass(frozen=True)
class Timescales:
    """tau_gen, tau_mem, tau_floor, the best (early-stopped) score and the converged one."""

    tau_gen: float
    tau_mem: float
    tau_floor: float
    tau_edge: float
    best_score: float
    final_score: float
    params: dict


def _log_min(f, lo: float, hi: float) -> float:
    res = optimize.minimize_scalar(lambda u: f(math.exp(u)), bounds=(math.log(lo), math.log(hi)),
                                   method="bounded", options={"xatol": 1e-10})
    return math.exp(res.x)


def _log_root(f, lo: float, hi: float) -> float:
    return math.exp(optimize.brentq(lambda u: f(math.exp(u)), math.log(lo), math.log(hi), xtol=1e-12))


def timescales(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, num=161,
               sigma=None) -> Timescales:
    """tau_gen, tau_mem and tau_floor at one point (definitions in the module docstring); ``sigma``:
    the data spectrum, as in `rmt_dsm.errors`.

    The curve is scanned on ``num`` log-spaced times from 0.01/E_+ to 1000/E_- (E_+- the edges of
    the spectrum of U seen by V: beyond, E(tau) is constant to double precision), then the
    minimum is refined by a bounded scalar minimization and the crossings by Brent's method.
    """
    ref = errors(psi_n, psi_p, m, t=t, lam=lam, activation=activation, a=a, delta=delta, tau=1.0, sigma=sigma)
    curve = ref.info["curve"]
    lo_edge, hi_edge = curve.edges
    if curve.data.contour.shift > 0 and curve.lam == 0:
        raise ConvergenceError("rmt_dsm.timescales", "lam = 0 on the interpolation threshold: E_score(tau) "
                               "diverges as tau -> inf, the timescales are not defined", ref.params,
                               hint="use lam > 0")
    # modes relax at rates u + lam >= E_- + lam: beyond 1000/(E_- + lam) the curve is flat
    grid = np.geomspace(0.01 / hi_edge, 1000 / (max(lo_edge, 0.0) + lam), num)
    score = lambda tau: curve.at(tau).score  # noqa: E731
    vals = np.array([score(x) for x in grid])
    final = curve.at(math.inf)
    k = int(np.argmin(vals))
    if k == len(grid) - 1 or final.score <= vals[k]:
        tau_gen, best = math.inf, final.score
    else:
        tau_gen = _log_min(score, grid[max(k - 1, 0)], grid[k + 1])
        best = score(tau_gen)
    tau_mem = math.inf
    if math.isfinite(tau_gen) and final.score - best > _RISE:
        target = 0.5 * (best + final.score)
        above = [x for x, v in zip(grid, vals) if x > tau_gen and v >= target]
        if above:
            tau_mem = _log_root(lambda x: score(x) - target, tau_gen, above[0])
    gap_floor = lambda tau: curve.at(tau).train - curve.at(tau).floor  # noqa: E731
    below = [x for x in grid if gap_floor(x) < 0]
    tau_floor = math.inf
    if below:
        i = list(grid).index(below[0])
        tau_floor = grid[0] if i == 0 else _log_root(gap_floor, grid[i - 1], grid[i])
    tau_edge = 1 / lo_edge if lo_edge > 0 and curve.data.contour.shift == 0 else math.inf
    return Timescales(tau_gen=tau_gen, tau_mem=tau_mem, tau_floor=tau_floor, tau_edge=tau_edge, best_score=best,
                      final_score=final.score, params=dict(ref.params, tau=None))


def best_ridge(psi_n, psi_p, m, t=None, activation="tanh", a=None, delta=None,
               lam_range=(1e-6, 1e2)) -> tuple[float, float]:
    """(lambda*, E_score(lambda*)): the best converged (tau = inf) score over the ridge, by a
    log-grid scan refined with a bounded scalar minimization."""
    f = lambda lam: errors(psi_n, psi_p, m, t=t, lam=lam, activation=activation, a=a, delta=delta).score  # noqa: E731
    grid = np.geomspace(*lam_range, 25)
    vals = [f(x) for x in grid]
    k = int(np.argmin(vals))
    lam = _log_min(f, grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)])
    return lam, f(lam)
