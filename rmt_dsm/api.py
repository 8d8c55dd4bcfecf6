r"""Public API: exact high-dimensional errors of DSM with random features (SPEC §5).

``errors(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None)``
returns :class:`Errors` with attributes train, test, score, gap, floor.

Pipeline (one module per step): activation -> Gaussian moments
(:mod:`rmt_dsm.moments`) -> Gaussian-equivalent coefficients
(:mod:`rmt_dsm.equivalence`) -> the DSM Dyson system (:mod:`rmt_dsm.dsm.system`,
solved by :mod:`rmt_dsm.engine`) -> observables (:mod:`rmt_dsm.dsm.observables`).
Derivation: derivations/dsm_learning_curves.md.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

import mpmath

from .model import check_dps, check_lam, check_m, check_ratio, schedule
from .progress import track

__all__ = ["errors", "Errors", "learning_curve", "ThresholdDivergence"]

#: ridge from which lambda = 0 is reached by continuation (the homotopy needs lambda > 0)
_LAM_START = 1.0


class ThresholdDivergence(UserWarning):
    """lambda -> 0+ at the interpolation threshold psi_p = m psi_n: the test error diverges."""


@dataclass(frozen=True)
class Errors:
    """Asymptotic per-dimension errors (SPEC §2) at one parameter point.

    train, test, score, gap = test - train, floor = population floor F_pop.
    Floats (double precision) or mpmath numbers (``dps`` given).  ``info`` holds the
    solver's residual, iterations, chart, the Gaussian-equivalent coefficients and
    the raw Dyson solution.
    """

    train: object
    test: object
    score: object
    gap: object
    floor: object
    params: dict
    info: dict = field(default_factory=dict, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {"train": self.train, "test": self.test, "score": self.score,
                "gap": self.gap, "floor": self.floor}


@dataclass(frozen=True)
class _Point:
    """Validated parameters of one point."""

    psi_n: object
    psi_p: object
    m: object
    lam: object
    a: object
    delta: object
    t: object
    activation: str
    dps: int | None

    @property
    def kappa(self):
        if self.m == math.inf:
            return 0
        return mpmath.mpf(1) / self.m if self.dps is not None else 1.0 / self.m

    @property
    def chart(self) -> str:
        """primal (x=-1, y=lam) below the threshold psi_p < m psi_n (and m = inf), else dual [D§5.2]."""
        if self.m == math.inf or self.psi_p < self.m * self.psi_n:
            return "primal"
        return "dual"

    @property
    def threshold_distance(self):
        """Relative distance |psi_p - m psi_n| / (m psi_n) to the interpolation threshold (1 for m = inf)."""
        if self.m == math.inf:
            return 1
        return min(1, abs(self.psi_p - self.m * self.psi_n) / (self.m * self.psi_n))

    @property
    def at_threshold(self) -> bool:
        """lambda = 0 and psi_p = m psi_n up to the working precision (relative 1e-12 in double,
        10^-dps otherwise): there the exact answer is +inf, and a point one rounding error
        away would only return rounding noise."""
        if self.lam != 0 or self.m == math.inf:
            return False
        tol = 1e-12 if self.dps is None else mpmath.mpf(10) ** (-self.dps)
        return abs(self.psi_p - self.m * self.psi_n) <= tol * self.m * self.psi_n


def _point(psi_n, psi_p, m, t, lam, activation, a, delta, dps) -> _Point:
    psi_n = check_ratio("psi_n", psi_n)
    psi_p = check_ratio("psi_p", psi_p)
    m = check_m(m)
    lam = check_lam(lam)
    dps = check_dps(dps)
    from .activations import check_gaussian_moments

    sch = schedule(t=t, a=a, delta=delta)  # validation (ValueError naming the argument)
    check_gaussian_moments(activation, float(sch.a) ** 2 + float(sch.delta))  # ValueError naming 'activation'
    if dps is not None:
        with mpmath.workdps(dps + 20):
            conv = lambda v: None if v is None else mpmath.mpf(str(v)) if not isinstance(v, mpmath.mpf) else v  # noqa: E731
            sch = schedule(t=conv(t), a=conv(a), delta=conv(delta))
            psi_n, psi_p, lam = conv(psi_n), conv(psi_p), conv(lam)
    else:
        sch = schedule(t=t, a=a, delta=delta)
        psi_n, psi_p, lam = float(psi_n), float(psi_p), float(lam)
        sch = replace(sch, a=float(sch.a), delta=float(sch.delta))
    return _Point(psi_n, psi_p, m, lam, sch.a, sch.delta, sch.t, activation, dps)


def _coefficients(pt: _Point):
    from .equivalence import coefficients

    return coefficients(pt.activation, pt.a, pt.delta, q=1, dps=pt.dps)


def _params(pt: _Point, coef, lam) -> dict:
    """Parameter values of the DSM system at ridge ``lam`` in the point's chart."""
    x, y = (-1, lam) if pt.chart == "primal" else (lam, -1)
    return {"psi_n": pt.psi_n, "psi_p": pt.psi_p, "kappa": pt.kappa, "a": pt.a, "delta": pt.delta,
            "mu1": coef.mu1, "v2": coef.v2, "s2": coef.s2, "x": x, "y": y, "epsilon": 0}


def _lam_ladder(lam_from, lam_to, dps, scale=1):
    """Geometric ridges from lam_from down to lam_to (> 0), or, for lam_to = 0, down to a floor
    below which the solution no longer changes at the working precision, then 0.  ``scale``:
    the ridge scale of the problem, ~ delta^2 at relative distance delta from the threshold
    (where E_test ~ lam^(-1/2) crosses over to its lam = 0 value)."""
    base = 1e-14 if dps is None else mpmath.mpf(10) ** (-(dps // 2) - 7)
    floor = lam_to if lam_to > 0 else min(base, base * scale)
    out, lam = [], lam_from
    while lam / 10 > floor:
        lam = lam / 10
        out.append(lam)
    out.append(lam_to if lam_to > 0 else floor)
    if lam_to == 0:
        out.append(lam_to)
    return out


def _solve(pt: _Point, coef, start=None):
    """Solve the DSM system at the point [D§5.2].

    Warm start (``start``): continuation from a previous solution.  Cold start: the
    homotopy of the engine at ridge lam_h = max(lam, 1) (retried at larger ridges if it
    fails), then continuation down a geometric ladder of ridges to the target (to lam = 0
    through lam ~ 1e-14): near the interpolation threshold the solution varies on the scale
    of lam itself, which a geometric ladder resolves and a straight path does not.
    """
    from .dsm.system import dsm_system
    from .engine import ConvergenceError

    sysm = dsm_system()
    target = _params(pt, coef, pt.lam)
    if start is not None and start.dps == pt.dps:
        try:
            return sysm.solve(target, dps=pt.dps, start=start)
        except ConvergenceError:
            pass  # fall back to a cold solve
    error = None
    for lam_h in (max(pt.lam, _LAM_START), 10 * max(pt.lam, _LAM_START), 100 * max(pt.lam, _LAM_START)):
        try:
            sol = sysm.solve(_params(pt, coef, lam_h), dps=pt.dps)
            if lam_h == pt.lam:
                return sol
            for lam in track(_lam_ladder(lam_h, pt.lam, pt.dps, scale=pt.threshold_distance ** 2), "lambda ladder"):
                sol = sysm.solve(_params(pt, coef, lam), dps=pt.dps, start=sol)
            return sol
        except ConvergenceError as exc:
            error = exc
    hint = error.hint
    if pt.dps is None and pt.lam == 0 and pt.threshold_distance < 1e-5:
        hint = (f"psi_p is within a relative {float(pt.threshold_distance):.1e} of the interpolation threshold "
                "psi_p = m psi_n, where the equations are ill-conditioned (condition ~ 1/distance^2) in double "
                "precision: ask for more digits (dps=30, --dps 30)")
    raise ConvergenceError("rmt_dsm.errors", error.reason, _public_params(pt), error.residual, error.iterations,
                           hint) from error


def _observe(pt: _Point, coef, sol, chart=None) -> Errors:
    """Errors from a Dyson solution: the formulas of :func:`rmt_dsm.dsm.observables.error_expressions`
    [D eqs. (6.4)-(6.5)] evaluated at Q, X1 and the exact derivatives of Q.

    ``chart``: the chart ``sol`` was solved in (default: the point's own, see :attr:`_Point.chart`)."""
    chart = chart or pt.chart
    from .dsm.observables import compiled

    module = "numpy" if pt.dps is None else "mpmath"
    c = compiled(module)
    with mpmath.workdps((pt.dps or 15) + 15):
        vals = {s.name: v for s, v in sol.values.items()}
        vals.update({k.name if hasattr(k, "name") else k: v for k, v in sol.params.items()})
        args = [vals[s.name] for s in c.args]
        Q, X1 = c.Q(*args), c.X1(*args)
        grad_m, part_m = c.dQ_dg(*args), c.dQ_dtheta(*args)
        grad = [grad_m[i, 0] for i in range(3)]
        part = [part_m[i, 0] for i in range(3)]

        def total(i, name):  # dQ/dtheta = explicit partial + grad . dg/dtheta
            dg = sol.derivative(name)
            return part[i] + sum(gi * dg[u] for gi, u in zip(grad, sol.system.unknowns))

        dQ_eps = total(2, "epsilon")
        lam = pt.lam
        dQx = total(0, "x") if chart == "dual" else 0
        dQy = total(1, "y") if chart == "primal" else 0
        out = c.errors[chart](Q, X1, dQx, dQy, dQ_eps, pt.a, pt.delta, lam, coef.mu1, coef.s2, coef.v2)
        if pt.dps is None:
            out = [float(v.real) if isinstance(v, complex) else float(v) for v in out]
        else:
            out = [+v for v in out]
    info = {"residual": sol.residual, "iterations": sol.iterations, "chart": chart,
            "coefficients": coef, "solution": sol}
    return Errors(*out, params=_public_params(pt), info=info)


def _public_params(pt: _Point) -> dict:
    return {"psi_n": pt.psi_n, "psi_p": pt.psi_p, "m": pt.m, "t": pt.t, "lam": pt.lam, "a": pt.a,
            "delta": pt.delta, "activation": pt.activation, "dps": pt.dps}


def _diverged(pt: _Point, coef) -> Errors:
    warnings.warn(f"lambda -> 0+ at the interpolation threshold psi_p = m psi_n = {pt.psi_p}: "
                  "the test and score errors diverge (+inf)", ThresholdDivergence, stacklevel=3)
    inf = mpmath.inf if pt.dps is not None else math.inf
    floor = 1 - pt.delta / (pt.a**2 + pt.delta)
    return Errors(train=0 * floor, test=inf, score=inf, gap=inf, floor=floor, params=_public_params(pt),
                  info={"chart": "threshold", "coefficients": coef, "diverged": True})


def errors(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None) -> Errors:
    r"""Exact high-dimensional train, test and score errors of DSM (SPEC §2, §5).

    Parameters: ``psi_n = n/d``, ``psi_p = p/d`` (> 0); ``m`` noise draws per data
    point (int >= 1 or ``math.inf``); diffusion time ``t`` (OU schedule) or
    ``(a, delta)``; ridge ``lam >= 0`` (0 is the limit lambda -> 0+); activation name
    or sympy expression in x; ``dps`` digits (mpmath) or None (double precision).

    At lambda = 0 and psi_p = m psi_n (finite m) the test error diverges: the result is
    +inf with a :class:`ThresholdDivergence` warning.  A solver that does not
    converge raises :class:`rmt_dsm.engine.ConvergenceError`.

    >>> e = errors(1.0, 0.5, 1, t=0.3, lam=0.1)
    >>> 0 < e.train < e.test
    True
    """
    pt = _point(psi_n, psi_p, m, t, lam, activation, a, delta, dps)
    coef = _coefficients(pt)
    if pt.at_threshold:
        return _diverged(pt, coef)
    with mpmath.workdps((pt.dps or 15) + 15):
        sol = _solve(pt, coef)
        return _observe(pt, coef, sol)


def learning_curve(vary: str, values, psi_n=1.0, psi_p=1.0, m=1, t=None, lam=0.0, activation="tanh",
                   a=None, delta=None, dps=None) -> list[Errors]:
    """Errors along ``vary`` in {psi_n, psi_p, t, lam, m} at ``values`` (others fixed),
    each point warm-started from the previous one (continuation).

    >>> curve = learning_curve("psi_p", [0.5, 1.0, 2.0], psi_n=1.0, m=1, t=0.3, lam=0.1)
    >>> len(curve)
    3
    """
    base = dict(psi_n=psi_n, psi_p=psi_p, m=m, t=t, lam=lam, activation=activation, a=a, delta=delta, dps=dps)
    if vary not in ("psi_n", "psi_p", "t", "lam", "m"):
        raise ValueError(f"vary must be one of psi_n, psi_p, t, lam, m; got {vary!r}")
    try:
        values = list(values)
    except TypeError:
        raise ValueError(f"values must be an iterable of {vary} values, got {values!r}") from None
    out, prev, prev_chart = [], None, None
    for v in track(values, "learning curve"):
        kw = dict(base)
        kw[vary] = v
        pt = _point(kw["psi_n"], kw["psi_p"], kw["m"], kw["t"], kw["lam"], activation, kw["a"], kw["delta"], dps)
        coef = _coefficients(pt)  # cached in rmt_dsm.equivalence
        if pt.at_threshold:
            out.append(_diverged(pt, coef))
            prev = None
            continue
        with mpmath.workdps((pt.dps or 15) + 15):
            start = prev if (prev is not None and prev_chart == pt.chart) else None
            sol = _solve(pt, coef, start=start)
            out.append(_observe(pt, coef, sol))
        prev, prev_chart = sol, pt.chart
    return out
