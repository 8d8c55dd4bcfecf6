r"""Validation of the asymptotic theory against finite-d simulations (shared machinery).

This module is a third party to the theory (`rmt_dsm.errors`) and to the simulator
(`rmt_dsm.simulate.simulate`): it imports both, evaluates them on the same parameter
points and quantifies their difference.  It is used by ``tests/test_validation.py`` (fast),
``tests/test_validation_slow.py`` (``pytest -m slow``) and ``scripts/make_validation_report.py``
(which regenerates ``docs/validation.md``).

Protocol
--------
* `GRID_LIMITS` (m in {1, inf}) and `GRID_FINITE_M` (m in {2, 3, 5, 10, 50}) are a
  spread design over psi_p < psi_n / psi_p > psi_n, t in {0.05, 1}, lambda in {1e-3, 0.5} and the
  activations tanh, erf, relu.
* Gaussian-equivalent (GE) check: the GE simulator (derivations/gaussian_equivalence.md, exact noise average for m = inf)
  at d = 1000 against the theory: pass when the relative difference is <= 0.3 % or the
  difference is within 3 standard errors (`ge_passes`).
* True nonlinear model: the discrepancy D(d) = theory - simulation mean is measured at several d
  with its standard error; ``D(d) = c d^{-alpha}`` is fitted by weighted least squares
  (`fit_power_law`).  Points with m = inf are simulated at m = 16, 64, 256 and compared
  with the theory at the *same* finite m; the m = inf theory is their limit.
* Compared quantities: ``train`` and ``test``.  ``score = test - floor`` with the deterministic
  floor F_pop, so its discrepancy equals the test one (exactly for erf/relu and the GE model,
  whose population statistics are exact; up to Monte-Carlo noise for tanh).

Standard errors are over seeds (std(ddof=1)/sqrt(K)); for tanh the test error of each seed is
a Monte-Carlo estimate on ``n_test`` fresh pairs, whose noise is part of the seed-to-seed spread.
"""
from __future__ import annotations

import csv
import math
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

__all__ = ["Point", "GRID_LIMITS", "GRID_FINITE_M", "QUANTITIES", "INF_PROXY_M", "grid", "point",
           "theory", "simulation_cost", "Row", "compare", "ge_passes", "PowerFit", "fit_power_law",
           "Trend", "trend", "trends", "compare_task", "compare_many", "effective_stderr", "write_csv",
           "read_csv", "fmt_m", "simulate_task", "ALPHA_MIN", "SizeCheck", "two_size_check", "compare_two_sizes"]

#: quantities compared (score = test - floor carries the test discrepancy, see module docstring)
QUANTITIES = ("train", "test")
#: finite m used to approach m = inf with the true nonlinear model
INF_PROXY_M = (16, 64, 256)


def fmt_m(m) -> str:
    """'inf' for math.inf, else the integer."""
    return "inf" if m == math.inf else str(int(m))


@dataclass(frozen=True)
class Point:
    """One parameter point: OU schedule a = e^-t, Delta = 1 - e^-2t (``t``), or ``a`` and ``delta``
    given directly (then ``t`` is None; e.g. a^2 + Delta != 1)."""

    label: str
    activation: str
    psi_n: float
    psi_p: float
    m: int | float
    t: float | None
    lam: float
    a: float | None = None
    delta: float | None = None

    def kwargs(self, m=None) -> dict:
        """Keyword arguments shared by rmt_dsm.errors and simulate (m overridable)."""
        sched = dict(t=self.t) if self.t is not None else dict(a=self.a, delta=self.delta)
        return dict(psi_n=self.psi_n, psi_p=self.psi_p, m=self.m if m is None else m, lam=self.lam,
                    activation=self.activation, **sched)

    def describe(self) -> str:
        sched = f"t={self.t:g}" if self.t is not None else f"a={self.a:g}, Delta={self.delta:g}"
        return (f"{self.activation}, psi_n={self.psi_n:g}, psi_p={self.psi_p:g}, m={fmt_m(self.m)}, "
                f"{sched}, lam={self.lam:g}")

    @property
    def regime(self) -> str:
        return "p<n" if self.psi_p < self.psi_n else "p>n"


def _limits_grid() -> tuple:
    """24 points with m in {1, inf}: per activation a 2^(5-2) fractional factorial design.

    Factors (levels -/+): A = psi pair ((1, 0.5) p<n / (0.5, 1.5) p>n), B = t (0.05 / 1),
    C = lambda (1e-3 / 0.5), D = m (1 / inf), E = the psi scale (x1 / x2, i.e. (2, 1) and (1, 3)).
    Generators D = s1 AB, E = s2 AC with signs (s1, s2) rotated over the activations, so that the
    three activations together cover every two-factor combination several times.
    """
    pairs = {(-1, -1): (1.0, 0.5), (-1, 1): (2.0, 1.0), (1, -1): (0.5, 1.5), (1, 1): (1.0, 3.0)}
    signs = {"tanh": (1, 1), "erf": (-1, 1), "relu": (1, -1)}
    pts = []
    for act, (s1, s2) in signs.items():
        k = 0
        for A in (-1, 1):
            for B in (-1, 1):
                for C in (-1, 1):
                    D, E = s1 * A * B, s2 * A * C
                    psi_n, psi_p = pairs[(A, E)]
                    k += 1
                    pts.append(Point(label=f"{act[0].upper()}{k}", activation=act, psi_n=psi_n,
                                     psi_p=psi_p, m=1 if D < 0 else math.inf,
                                     t=0.05 if B < 0 else 1.0, lam=1e-3 if C < 0 else 0.5))
    return tuple(pts)


#: m in {1, inf}: 24 points (8 per activation)
GRID_LIMITS = _limits_grid()

#: finite m in {2, 3, 5, 10, 50}: 12 points; psi_p / (m psi_n) kept >= 1.6 or <= 0.8 at lam = 1e-3
GRID_FINITE_M = (
    Point("F1", "tanh", 1.0, 0.5, 2, 0.05, 1e-3),
    Point("F2", "tanh", 0.25, 2.0, 3, 1.0, 1e-3),
    Point("F3", "tanh", 0.5, 1.5, 10, 1.0, 0.5),
    Point("F4", "tanh", 2.0, 1.0, 50, 0.05, 0.5),
    Point("F5", "erf", 1.0, 0.5, 3, 1.0, 1e-3),
    Point("F6", "erf", 0.25, 2.0, 5, 0.05, 1e-3),
    Point("F7", "erf", 0.5, 1.5, 2, 0.05, 0.5),
    Point("F8", "erf", 0.5, 1.0, 10, 1.0, 1e-3),
    Point("F9", "relu", 1.0, 0.5, 5, 0.05, 0.5),
    Point("F10", "relu", 0.25, 2.0, 2, 1.0, 1e-3),
    Point("F11", "relu", 0.2, 1.0, 50, 1.0, 1e-3),
    Point("F12", "relu", 0.5, 1.5, 3, 1.0, 0.5),
)


def grid() -> tuple:
    """All validation points (m in {1, inf} first, then finite m)."""
    return GRID_LIMITS + GRID_FINITE_M


def point(label: str) -> Point:
    """The grid point with this label."""
    for p in grid():
        if p.label == label:
            return p
    raise KeyError(label)


@lru_cache(maxsize=None)
def _theory_cached(psi_n, psi_p, m, t, lam, activation, a=None, delta=None) -> dict:
    import rmt_dsm

    e = rmt_dsm.errors(psi_n, psi_p, m, t=t, lam=lam, activation=activation, a=a, delta=delta)
    return {k: float(v) for k, v in e.as_dict().items()}


#: theory values computed together by `theory_many`, by the arguments of `_theory_cached`
_THEORY: dict = {}


def _theory_key(pt: Point, m=None) -> tuple:
    kw = pt.kwargs(m)
    return (kw["psi_n"], kw["psi_p"], kw["m"], kw.get("t"), kw["lam"], kw["activation"], kw.get("a"),
            kw.get("delta"))


def theory(pt: Point, m=None) -> dict:
    """Asymptotic errors (train, test, score, gap, floor) at the point (m overridable)."""
    key = _theory_key(pt, m)
    return dict(_THEORY[key] if key in _THEORY else _theory_cached(*key))


def theory_many(pairs) -> list:
    """`theory` at every ``(pt, m)`` of ``pairs``, the points not yet known solved together by the
    batched solver (`rmt_dsm.batch.errors_at_points`); the results are kept for `theory`."""
    from rmt_dsm.batch import errors_at_points
    from rmt_dsm.point import point as theory_point

    pairs = list(pairs)
    keys = [_theory_key(pt, m) for pt, m in pairs]
    todo = [k for k in dict.fromkeys(keys) if k not in _THEORY]
    points = [theory_point(pn, pp, m, t, lam, act, a, delta) for pn, pp, m, t, lam, act, a, delta in todo]
    for key, e in zip(todo, errors_at_points(points)):
        _THEORY[key] = {k: float(v) for k, v in e.as_dict().items()}
    return [theory(pt, m) for pt, m in pairs]


def simulation_cost(pt: Point, d: int, seeds: int, m=None, model: str = "true") -> float:
    """Approximate floating-point operations of a simulation (accumulation + evaluation)."""
    m = pt.m if m is None else m
    n, p = round(pt.psi_n * d), round(pt.psi_p * d)
    if m == math.inf:
        acc = 2.0 * n * p * d + n * p * p + p * p * d
    else:
        acc = n * m * (4.0 * p * d + p * p)
    solve = p ** 3 / 3.0 + 2.0 * p * p * d
    if model == "true" and pt.activation not in ("erf", "relu"):
        n_test = max(20000, 4 * p)
        evaluate = n_test * 4.0 * p * d
    else:
        evaluate = 2.0 * p * p * d
    return seeds * (acc + solve + evaluate)


@dataclass(frozen=True)
class Row:
    """One comparison: theory (at the simulated m) vs simulation mean +- standard error."""

    label: str
    activation: str
    psi_n: float
    psi_p: float
    t: float
    lam: float
    m: str            # the point's m ('inf' or integer)
    m_sim: str        # the simulated m (differs from m for m = inf with the true model)
    model: str        # 'true' or 'equivalent'
    d: int
    seeds: int
    quantity: str
    theory: float     # theory at m_sim
    theory_point: float  # theory at the point's m (the m = inf limit for m = inf points)
    mean: float
    stderr: float
    seconds: float

    @property
    def diff(self) -> float:
        """theory - simulation mean."""
        return self.theory - self.mean

    @property
    def rel(self) -> float:
        return self.diff / abs(self.theory)

    @property
    def z(self) -> float:
        return self.diff / self.stderr if self.stderr > 0 else math.inf

    def as_dict(self) -> dict:
        out = asdict(self)
        out.update(diff=self.diff, rel=self.rel, z=self.z)
        return out


def compare(pt: Point, d: int, seeds: int, model: str = "true", m=None, seed: int = 0,
            quantities=QUANTITIES, known=None) -> list:
    """Simulate the point at dimension d and compare each quantity with the theory.

    m: the simulated m (default: the point's m).  ``known``: the theory at (pt, m) and at pt,
    if already computed (`theory_many`).  Returns one `Row` per quantity.
    """
    from rmt_dsm.simulate import simulate

    m_sim = pt.m if m is None else m
    th, th_pt = known if known is not None else (theory(pt, m_sim), theory(pt))
    t0 = time.perf_counter()
    res = simulate(d=d, seeds=seeds, seed=seed, model=model, **pt.kwargs(m_sim))
    sec = time.perf_counter() - t0
    rows = []
    for q in quantities:
        est = getattr(res, q)
        rows.append(Row(label=pt.label, activation=pt.activation, psi_n=pt.psi_n, psi_p=pt.psi_p,
                        t=math.nan if pt.t is None else pt.t, lam=pt.lam, m=fmt_m(pt.m), m_sim=fmt_m(m_sim),
                        model=model, d=d, seeds=seeds, quantity=q, theory=th[q], theory_point=th_pt[q],
                        mean=est.mean, stderr=est.stderr, seconds=sec))
    return rows


def ge_passes(row: Row, rel_tol: float = 3e-3, n_se: float = 3.0) -> bool:
    """GE criterion: |rel. difference| <= 0.3 % or |difference| <= 3 standard errors."""
    return abs(row.rel) <= rel_tol or abs(row.diff) <= n_se * row.stderr


@dataclass(frozen=True)
class PowerFit:
    """Weighted least-squares fit D(d) = c d^{-alpha} of signed discrepancies with errors se.

    alpha_lo/alpha_hi: the Delta chi^2 = 1 interval of the profile likelihood over the scanned
    alpha range [0, 3] (clipped there).  chi2_zero: chi^2 of D = 0 (no discrepancy);
    significance = chi2_zero - chi2 (Delta chi^2 of the fitted law against zero; < ~6 means the
    data do not resolve a discrepancy and alpha is undetermined).
    """

    c: float
    alpha: float
    alpha_lo: float
    alpha_hi: float
    chi2: float
    dof: int
    chi2_zero: float

    @property
    def significance(self) -> float:
        return self.chi2_zero - self.chi2

    @property
    def resolved(self) -> bool:
        """The discrepancy is resolved (Delta chi^2 >= 6 against D = 0, two parameters)."""
        return self.significance >= 6.0

    def remainder(self, d: float) -> float:
        """|c| d^{-alpha}: the fitted finite-size discrepancy at dimension d."""
        return abs(self.c) * d ** (-self.alpha)


def fit_power_law(ds, diffs, ses, alphas=None) -> PowerFit:
    """Fit D(d) = c d^{-alpha} (c signed) by weighted least squares, profiling alpha on a grid.

    Examples
    --------
    >>> ds = np.array([250., 500., 1000., 2000.])
    >>> f = fit_power_law(ds, 3.0 / ds, 0.01 / ds)
    >>> round(f.alpha, 3), round(f.c, 3)
    (1.0, 3.0)
    """
    ds, y, se = (np.asarray(v, dtype=float) for v in (ds, diffs, ses))
    se = np.where(np.isfinite(se) & (se > 0), se, np.nan)
    if np.any(np.isnan(se)):
        raise ValueError("fit_power_law needs finite positive standard errors")
    w = 1.0 / se ** 2
    alphas = np.linspace(0.0, 3.0, 1201) if alphas is None else np.asarray(alphas)
    chi2 = np.empty(alphas.size)
    cs = np.empty(alphas.size)
    for i, a in enumerate(alphas):
        x = ds ** (-a)
        c = float(np.sum(w * x * y) / np.sum(w * x * x))
        cs[i] = c
        chi2[i] = float(np.sum(w * (y - c * x) ** 2))
    i = int(np.argmin(chi2))
    inside = alphas[chi2 <= chi2[i] + 1.0]
    return PowerFit(c=float(cs[i]), alpha=float(alphas[i]), alpha_lo=float(inside.min()),
                    alpha_hi=float(inside.max()), chi2=float(chi2[i]), dof=int(ds.size - 2),
                    chi2_zero=float(np.sum(w * y * y)))


def effective_stderr(rows) -> list:
    """Standard errors used for fits and z-tests along a d-trend: max(own SE, pooled SE).

    With K = 2 or 3 seeds the sample SE is itself very uncertain (Student t with K - 1 dof:
    P(|t_1| > 4) = 0.16).  The seed-to-seed fluctuations of these self-averaging errors scale
    as 1/d, so s = d * std is pooled over all d of the trend (weighted by K - 1 dof) and gives
    SE_pool(d) = s / (d sqrt(K)).  Taking the max with the own SE never makes a test less
    conservative (for tanh the Monte-Carlo noise of the test set decays more slowly than 1/d and
    the own SE dominates at large d).
    """
    num = sum((r.seeds - 1) * (r.d * r.stderr * math.sqrt(r.seeds)) ** 2 for r in rows
              if r.seeds >= 2 and math.isfinite(r.stderr))
    dof = sum(r.seeds - 1 for r in rows if r.seeds >= 2 and math.isfinite(r.stderr))
    if dof == 0:
        return [r.stderr for r in rows]
    s = math.sqrt(num / dof)
    return [max(r.stderr, s / (r.d * math.sqrt(r.seeds))) for r in rows]


#: slowest decay d^-alpha assumed for the finite-size bias by :func:`two_size_check`: corrections to the
#: mean of normalized traces of resolvents are O(1/d), and the resolved fits of the slow validation
#: (docs/data/validation_fits.csv) have alpha >= 1 within their intervals, except relu at large m
#: (m = 16, 50: alpha ~ 0.5-0.7, the mean mu0 of the features), where callers pass alpha_min = 0.5
ALPHA_MIN = 1.0


@dataclass(frozen=True)
class SizeCheck:
    """Theory vs simulation at two dimensions d_small < d_big, for one quantity.

    ``allowance``: bound on the finite-size bias at d_big from the change of the discrepancy
    between the two dimensions; ``bound`` = allowance + n_se standard errors (see
    :func:`two_size_check`); ``passed``: |discrepancy at d_big| <= bound.
    """

    quantity: str
    small: Row
    big: Row
    se_small: float
    se_big: float
    allowance: float
    bound: float

    @property
    def passed(self) -> bool:
        return abs(self.big.diff) <= self.bound

    def describe(self) -> str:
        return (f"{self.big.label} {self.quantity} (m_sim={self.big.m_sim}, {self.big.model}): theory "
                f"{self.big.theory:.6f}; D(d={self.small.d}) = {self.small.diff:+.2e} +- {self.se_small:.1e}, "
                f"D(d={self.big.d}) = {self.big.diff:+.2e} +- {self.se_big:.1e}; bound = finite-size allowance "
                f"{self.allowance:.1e} + noise = {self.bound:.1e}")


def two_size_check(small: Row, big: Row, n_se: float = 4.0, alpha_min: float = ALPHA_MIN) -> SizeCheck:
    r"""Tolerance computed in the run: standard errors plus the finite-size trend between two d.

    Model: D(d) = delta + c d^{-alpha} + noise with alpha >= alpha_min, r = d_big/d_small > 1.
    If the theory is right (delta = 0), the bias b = c d_big^{-alpha} at d_big satisfies
    b (r^alpha - 1) = D(d_small) - D(d_big) - (noise_small - noise_big), hence

        |D(d_big)| <= |D(d_small) - D(d_big)| / (r^alpha_min - 1)
                      + n_se [SE_big + sqrt(SE_small^2 + SE_big^2) / (r^alpha_min - 1)].

    A wrong theory (delta != 0) leaves D(d_small) - D(d_big) at the noise level and fails once
    |delta| exceeds the noise terms. Standard errors: :func:`effective_stderr` over both d.
    """
    if not (small.quantity == big.quantity and big.d > small.d):
        raise ValueError("two_size_check needs the same quantity at d_small < d_big")
    se_small, se_big = effective_stderr([small, big])
    k = (big.d / small.d) ** alpha_min - 1
    allowance = abs(small.diff - big.diff) / k
    bound = allowance + n_se * (se_big + math.hypot(se_small, se_big) / k)
    return SizeCheck(big.quantity, small, big, se_small, se_big, allowance, bound)


def compare_two_sizes(pt: Point, small, big, model: str = "true", m=None, quantities=QUANTITIES) -> list:
    """:func:`two_size_check` of each quantity; ``small``, ``big`` = (d, seeds)."""
    rs = compare(pt, small[0], small[1], model=model, m=m, quantities=quantities)
    rb = compare(pt, big[0], big[1], model=model, m=m, quantities=quantities)
    return [two_size_check(a, b) for a, b in zip(rs, rb)]


@dataclass
class Trend:
    """Discrepancies of one point / simulated m / quantity over d, with the power-law fit
    (weighted by `effective_stderr`)."""

    label: str
    m_sim: str
    quantity: str
    rows: list = field(default_factory=list)
    fit: PowerFit | None = None

    @property
    def ds(self):
        return [r.d for r in self.rows]

    @property
    def se_eff(self) -> list:
        return effective_stderr(self.rows)

    def z_eff(self, row) -> float:
        return row.diff / self.se_eff[self.rows.index(row)]


def simulate_task(kwargs):
    """``rmt_dsm.simulate.simulate(**kwargs)``: a picklable unit of parallel work."""
    from rmt_dsm.simulate import simulate

    return simulate(**kwargs)


def compare_task(item) -> list:
    """One unit of parallel work: ``item = (pt, d, seeds, model, m)`` -> `compare` rows (the
    theory at (pt, m) and at pt may follow, computed beforehand)."""
    pt, d, seeds, model, m, *known = item
    return compare(pt, d, seeds, model=model, m=m, known=known or None)


def compare_many(items, jobs=1, backend="joblib", scheduler=None, progress=False) -> list:
    """`compare_task` on every item, through `rmt_dsm.parallel.parallel_map`
    (``jobs`` local processes, or a dask.distributed cluster with backend="dask"), results in
    the items' order.  The most expensive simulations are submitted first (better packing)."""
    from .parallel import parallel_map

    items = list(items)
    theory_many([(pt, m) for pt, _, _, _, m in items] + [(pt, None) for pt, *_ in items])  # one batch
    items = [(pt, d, k, model, m, theory(pt, m), theory(pt)) for pt, d, k, model, m in items]
    cost = [simulation_cost(pt, d, k, m=pt.m if m is None else m, model=model) for pt, d, k, model, m, *_ in items]
    order = sorted(range(len(items)), key=lambda i: -cost[i])
    done = parallel_map(compare_task, [items[i] for i in order], jobs=jobs, backend=backend,
                        scheduler=scheduler, progress=progress, label="validation")
    out = [None] * len(items)
    for i, rows in zip(order, done):
        out[i] = rows
    return out


def trends(series, model: str = "true", quantities=QUANTITIES, log=None, jobs=1, backend="joblib",
           scheduler=None) -> list:
    """The d-trend protocol for every ``(pt, plan, m)`` of ``series`` (plan = [(d, seeds), ...]),
    all simulations through `compare_many`.  Returns one {quantity: Trend} per series."""
    items = [(pt, d, seeds, model, m) for pt, plan, m in series for d, seeds in plan]
    results = iter(compare_many(items, jobs=jobs, backend=backend, scheduler=scheduler))
    out = []
    for pt, plan, m in series:
        tr = {q: Trend(pt.label, fmt_m(pt.m if m is None else m), q) for q in quantities}
        for d, seeds in plan:
            for r in next(results):
                if r.quantity not in tr:
                    continue
                tr[r.quantity].rows.append(r)
                if log is not None:
                    log(f"{pt.label} m={r.m_sim} d={d} K={seeds} {r.quantity}: theory {r.theory:.6f} "
                        f"sim {r.mean:.6f} +- {r.stderr:.2g} (z={r.z:+.2f}) [{r.seconds:.1f}s]")
        for t in tr.values():
            if len(t.rows) >= 3:
                t.fit = fit_power_law([r.d for r in t.rows], [r.diff for r in t.rows], t.se_eff)
        out.append(tr)
    return out


def trend(pt: Point, plan, m=None, model: str = "true", quantities=QUANTITIES, log=None) -> dict:
    """Run the d-trend protocol: plan = [(d, seeds), ...].  Returns {quantity: Trend}."""
    return trends([(pt, plan, m)], model=model, quantities=quantities, log=log)[0]


_FIELDS = [f.name for f in Row.__dataclass_fields__.values()]


def write_csv(path, rows) -> None:
    """Rows (with diff, rel, z) to CSV."""
    rows = list(rows)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=_FIELDS + ["diff", "rel", "z"])
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.as_dict().items()})


def read_csv(path) -> list:
    """Rows written by `write_csv`."""
    out = []
    types = {f.name: f.type for f in Row.__dataclass_fields__.values()}
    with open(path) as fh:
        for rec in csv.DictReader(fh):
            kw = {}
            for k in _FIELDS:
                v = rec[k]
                kw[k] = int(v) if types[k] == "int" else float(v) if types[k] == "float" else v
            out.append(Row(**kw))
    return out
