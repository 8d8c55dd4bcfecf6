"""The shared continuation of batched curves and grids (rmt_dsm.batch._solve_double) against
independent routes.

The points fall into runs of consecutive points one path joins; each run is followed from its
first point by the adaptive predictor-corrector (run by run on Python numbers, or all runs at
once when there are many), and every other point starts Newton from the cubic Hermite
interpolant of the path's roots and tangents (dense output).  Checked:

* the Hermite interpolant of `_dense_starts` against closed forms (it reproduces cubics exactly,
  and a smooth function to O(h^4));
* where runs break (`_breaks`): chart changes, distances to the threshold, parameter jumps,
  lambda = 0 against lambda > 0 -- against the rule written out point by point;
* curves and grids solved run by run and all runs at once give the scalar path's values
  (`rmt_dsm.scalar._with_quadrature_error`: Newton in double, polish at 30 digits) to 1e-12,
  including a path whose parameters turn at every point (a t-curve: a, Delta and the
  Gaussian coefficients move together) and points in an arbitrary order;
* the dense output carries the solve: almost no point needs a cold solve or a second step;
* a path that stalls leaves its points to the fallbacks, which still give the scalar values.
"""
import math
import warnings

import numpy as np
import pytest

import rmt_dsm
from rmt_dsm import batch
from rmt_dsm.point import point
from rmt_dsm.scalar import _with_quadrature_error

FIELDS = ("train", "test", "score", "gap", "floor")
pytestmark = pytest.mark.usefixtures("vectorized_batch")  # the paths of `_solve_double` (tests/conftest.py)


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kw)


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _check_against_scalar(results, kws, every=1):
    for kw, res in list(zip(kws, results))[::every]:
        ref = _quiet(_with_quadrature_error, point(**kw))[0]
        assert res.chart == ref.chart, kw
        for f in FIELDS:
            assert _rel(getattr(res, f), getattr(ref, f)) <= 1e-12, (kw, f)


# --------------------------------------------------------------------------- dense output
def _states(u, g, dg, run=None):
    u = np.asarray(u, dtype=float)
    return {"u": u, "run": np.zeros(len(u), dtype=int) if run is None else np.asarray(run),
            "g": np.asarray(g, dtype=float), "tangent": np.asarray(dg, dtype=float)}


def test_hermite_starts_reproduce_a_cubic_exactly():
    # g(u) = (u^3 - 2u^2 + 3, 0.5 u^3 + u): any cubic is its own cubic Hermite interpolant
    f = lambda u: np.stack([u**3 - 2 * u**2 + 3, 0.5 * u**3 + u], axis=-1)  # noqa: E731
    df = lambda u: np.stack([3 * u**2 - 4 * u, 1.5 * u**2 + 1], axis=-1)  # noqa: E731
    nodes = np.array([0.0, 2.5, 7.0, 11.0])
    idx = np.arange(12)
    got = batch._dense_starts(_states(nodes, f(nodes), df(nodes)), idx)
    assert np.allclose(got, f(idx.astype(float)), rtol=1e-13, atol=1e-12)


def test_hermite_starts_converge_at_fourth_order():
    # g = exp(u/4): the error of the interpolant between nodes h apart falls like h^4
    errs = []
    for h in (8.0, 4.0, 2.0):
        nodes = np.arange(0.0, 16.0 + h / 2, h)
        g = np.exp(nodes / 4)[:, None]
        idx = np.arange(17)
        got = batch._dense_starts(_states(nodes, g, g / 4), idx)[:, 0]
        errs.append(np.max(np.abs(got - np.exp(idx / 4)) / np.exp(idx / 4)))
    assert errs[0] / errs[1] > 12 and errs[1] / errs[2] > 12  # ~16 per halving


def test_hermite_starts_stay_within_their_run():
    # two runs: [0, 4] and [5, 9]; the point 5 is the head of the second run, taken as is
    u = [0.0, 4.0, 5.0, 9.0]
    g = [[1.0], [2.0], [100.0], [200.0]]
    got = batch._dense_starts(_states(u, g, [[0.25], [0.25], [25.0], [25.0]], run=[0, 0, 5, 5]), np.array([4, 5, 7]))
    assert got[:, 0].tolist() == [2.0, 100.0, 150.0]


# --------------------------------------------------------------------------- runs
def _theta_rows(points):
    fns = batch.batch_functions(batch.numeric_system(points[0].sigma))
    coefs = [batch._coefficients(p) for p in points]
    prm = batch._parameters(points, coefs, float)
    N = len(points)
    TH = np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), (N,))
                          for v in batch._theta(fns, prm, prm["lam"], 1.0, float)])
    return prm, TH


def _breaks_by_hand(points, TH):
    out = []
    for i in range(1, len(points)):
        p, q = points[i - 1], points[i]
        d0, d1 = p.threshold_distance or 1e-300, q.threshold_distance or 1e-300
        same = p.chart == q.chart and max(d0 / d1, d1 / d0) <= batch._RUN_RATIO  # the chart: [D§5.2]
        close = all(a == b or (a != 0 and abs(b / a - 1) <= batch._RUN_STEP) for a, b in zip(TH[i - 1], TH[i]))
        if not (same and close):
            out.append(i)
    return out


@pytest.mark.parametrize("psi_p, lam", [
    (np.geomspace(0.2, 5.0, 200), 0.0),                  # across the threshold: chart and distances
    ([0.9, 0.95, 1.05, 1.1], 0.0),                       # the chart changes at equal distances
    ([0.5, 0.52, 0.9, 0.95, 3.0, 3.1], 0.1),             # jumps of psi_p
    ([0.5, 0.5, 0.5], [0.0, 1e-3, 1.1e-3]),             # lambda = 0 -> > 0
])
def test_runs_break_where_the_rule_says(psi_p, lam):
    n = len(psi_p)
    lam = lam if isinstance(lam, list) else [lam] * n
    pts = [point(1.0, float(p), 1, t=0.3, lam=float(lm)) for p, lm in zip(psi_p, lam)]
    _, TH = _theta_rows(pts)
    dist = np.array([batch._distance(p) for p in pts])
    assert batch._breaks(dist, TH).tolist() == _breaks_by_hand(pts, TH)


# --------------------------------------------------------------------------- against the scalar path
@pytest.mark.parametrize("few_runs", [batch._FEW_RUNS, 0], ids=["run by run", "all at once"])
@pytest.mark.parametrize("kw", [dict(psi_n=1.0, m=1, t=0.1, lam=0.0), dict(psi_n=0.5, m=3, t=0.7, lam=1e-3),
                                dict(psi_n=0.8, m=math.inf, t=0.3, lam=0.0)])
def test_curve_equals_the_scalar_path(kw, few_runs, monkeypatch):
    monkeypatch.setattr(batch, "_FEW_RUNS", few_runs)
    values = np.geomspace(0.1, 10, 300) * (kw["m"] * kw["psi_n"] if kw["m"] != math.inf else 1)
    res = _quiet(rmt_dsm.learning_curve, "psi_p", values, **kw)
    assert all(r.solution is None for r in res)  # batched
    _check_against_scalar(res, [{**kw, "psi_p": float(v)} for v in values], every=7)


def test_path_turning_at_every_point_equals_the_scalar_path():
    # along t the parameters a, Delta, mu1, v2, s2 move together, not on a line
    ts = np.linspace(0.05, 1.5, 200)
    kw = dict(psi_n=1.0, psi_p=0.7, m=2, lam=0.0)
    res = _quiet(rmt_dsm.learning_curve, "t", ts, **kw)
    _check_against_scalar(res, [{**kw, "t": float(t)} for t in ts], every=9)


@pytest.mark.parametrize("few_runs", [batch._FEW_RUNS, 0], ids=["run by run", "all at once"])
def test_grid_rows_equal_the_scalar_path(few_runs, monkeypatch):
    monkeypatch.setattr(batch, "_FEW_RUNS", few_runs)
    axis = np.geomspace(0.2, 5.0, 14)
    kws = [dict(psi_n=float(a), psi_p=float(b), m=2, t=0.4, lam=0.0) for a in axis for b in axis]
    kws = [kw for kw in kws if not point(**kw).at_threshold]
    res = _quiet(batch.errors_at_points, [point(**kw) for kw in kws])
    _check_against_scalar(res, kws, every=5)


def test_points_in_any_order_equal_the_scalar_path():
    rng = np.random.default_rng(3)
    values = rng.permutation(np.geomspace(0.2, 5.0, 120))
    kw = dict(psi_n=1.0, m=1, t=0.2, lam=1e-2)
    res = _quiet(rmt_dsm.learning_curve, "psi_p", values, **kw)
    _check_against_scalar(res, [{**kw, "psi_p": float(v)} for v in values], every=6)


# --------------------------------------------------------------------------- the dense output carries the solve
def _counting(monkeypatch, name):
    calls = []
    original = getattr(batch, name)

    def spy(*args):
        calls.append(len(args[-1]))
        return original(*args)

    monkeypatch.setattr(batch, name, spy)
    return calls


@pytest.mark.parametrize("few_runs", [batch._FEW_RUNS, 0], ids=["run by run", "all at once"])
def test_dense_output_solves_almost_every_point(few_runs, monkeypatch):
    monkeypatch.setattr(batch, "_FEW_RUNS", few_runs)
    cold = _counting(monkeypatch, "_cold_at")
    again = _counting(monkeypatch, "_steps_one_by_one")
    values = np.geomspace(0.1, 10, 1000)
    _quiet(rmt_dsm.learning_curve, "psi_p", values, psi_n=1.0, m=1, t=0.1, lam=0.0)
    assert sum(cold) == 0 and sum(again) <= 5


def test_a_stalled_path_is_taken_up_again(monkeypatch):
    # run by run: every path stops after one step (too many steps); the next point heads the rest
    original = batch.single.track

    def short(c, g, path, h0, **kw):
        return original(c, g, path, h0, **({**kw, "max_steps": 2} if kw.get("record") is not None else kw))

    monkeypatch.setattr(batch.single, "track", short)
    heads = _counting(monkeypatch, "_head")
    values = np.geomspace(0.3, 0.9, 25)
    kw = dict(psi_n=1.0, m=1, t=0.3, lam=0.0)
    res = _quiet(rmt_dsm.learning_curve, "psi_p", values, **kw)
    assert len(heads) > 3  # one run, taken up again where each path stopped
    _check_against_scalar(res, [{**kw, "psi_p": float(v)} for v in values], every=3)


def test_stalled_paths_leave_their_points_to_the_fallbacks(monkeypatch):
    # all runs at once: the paths stop after one round; the points beyond get no dense start and
    # are stepped again one by one (or solved cold), with the scalar path's values
    monkeypatch.setattr(batch, "_FEW_RUNS", 0)
    original = batch.track
    monkeypatch.setattr(batch, "track", lambda *a, **kw: original(*a, **{**kw, "max_rounds": 1}))
    again = _counting(monkeypatch, "_steps_one_by_one")
    values = np.geomspace(0.3, 0.9, 25)
    kw = dict(psi_n=1.0, m=1, t=0.3, lam=0.0)
    res = _quiet(rmt_dsm.learning_curve, "psi_p", values, **kw)
    assert sum(again) > 0
    _check_against_scalar(res, [{**kw, "psi_p": float(v)} for v in values], every=3)
