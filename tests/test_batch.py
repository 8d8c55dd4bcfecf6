"""Batched evaluation (rmt_dsm.batch, rmt_dsm.engine.batch) against independent routes.

* batched == the scalar path of `rmt_dsm.errors` (solved point by point, polished at 30 digits)
  to 1e-12 relative over random points: m = 1, 3, inf; lambda = 0 and > 0; near the interpolation
  threshold; the schedule given as (a, Delta); a two-atom data spectrum;
* the reported accuracy bounds the error against dps = 50;
* failure flags of the vectorized path tracker (a path through a singular Jacobian);
* broadcasting of `rmt_dsm.errors` over arrays, and bad input named;
* learning_curve and phase_grid (one batch, chunks of rows) agree with the scalar path;
* spectra with atom sums bound to their atoms (five atoms; a continuous spectrum, solved at its
  quadrature order and at twice it) batched == the scalar path, quadrature error included;
* the points of a sweep built in C loops == validated one by one.

Every test runs on both paths of many points: the C path one point after the other
(`rmt_dsm.batch._chained`) and the vectorized path (`rmt_dsm.batch._batch`) (fixture
``batch_path``, tests/conftest.py).
"""
import math
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import rmt_dsm
from rmt_dsm.api import ThresholdDivergence
from rmt_dsm.scalar import _errors_at
from rmt_dsm.batch import errors_at_points
from rmt_dsm.point import point

FIELDS = ("train", "test", "score", "gap", "floor")
TWO = [(0.3, 2.5), (0.7, 0.4)]
pytestmark = pytest.mark.usefixtures("batch_path")


def _random_points(seed, n):
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        m = [1, 3, math.inf][k % 3]
        lam = 0.0 if k % 2 == 0 else float(10 ** rng.uniform(-4, 0))
        psi_n = float(10 ** rng.uniform(-1, 1))
        if k % 5 == 0 and m != math.inf:  # near the threshold psi_p = m psi_n
            psi_p = m * psi_n * (1 + float(rng.choice([-1, 1]) * 10 ** rng.uniform(-4, -1)))
        else:
            psi_p = float(10 ** rng.uniform(-1, 1))
        sched = dict(t=float(10 ** rng.uniform(-2, 0.5)))
        if k % 4 == 3:
            t = sched.pop("t")
            sched = dict(a=math.exp(-t), delta=-math.expm1(-2 * t))
        sigma = TWO if k % 7 == 6 else None
        out.append(point(psi_n, psi_p, m, lam=lam, sigma=sigma, **sched))
    return out


def _scalar(pt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _errors_at(pt)[0]


def _rel(x, y):
    if x == y:
        return 0.0
    return abs(x - y) / max(abs(y), 1e-300)


def test_batched_equals_scalar_path_over_random_points():
    pts = [p for p in _random_points(0, 60) if not p.at_threshold]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batched = errors_at_points(pts)
    n_batched = 0
    for pt, b in zip(pts, batched):
        ref = _scalar(pt)
        n_batched += b.solution is None
        assert b.chart == ref.chart
        for f in FIELDS:
            assert _rel(getattr(b, f), getattr(ref, f)) <= 1e-12, (pt, f, getattr(b, f), getattr(ref, f))
    assert n_batched >= 0.8 * len(pts)  # the comparison is not with the fallback itself


def test_batched_points_near_the_threshold_and_two_atoms():
    pts = [point(1.3, 1.3 * m * (1 + s * d), m, t=0.2, lam=0.0, sigma=sig)
           for m in (1, 3) for s in (-1, 1) for d in (1e-2, 1e-3, 1e-4) for sig in (None, TWO)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batched = errors_at_points(pts)
    for pt, b in zip(pts, batched):
        ref = _scalar(pt)
        for f in FIELDS:
            assert _rel(getattr(b, f), getattr(ref, f)) <= 1e-12, (pt, f)


@pytest.mark.parametrize("args, batched", [
    (dict(psi_n=1.0, psi_p=0.5, m=1, t=0.1, lam=0.0), True),
    (dict(psi_n=1.0, psi_p=0.999, m=1, t=0.3, lam=0.0), True),
    (dict(psi_n=0.7, psi_p=3.0, m=3, t=2.0, lam=1e-3), True),
    (dict(psi_n=2.0, psi_p=5.0, m=math.inf, t=1.0, lam=0.0), True),
    (dict(psi_n=0.6, psi_p=1.4, m=2, t=0.2, lam=0.01, sigma=TWO), True),
    # the gap ~ a^4 cancels 3.5 digits: beyond the extended precision's certificate, scalar path
    (dict(psi_n=2.0, psi_p=5.0, m=math.inf, t=3.0, lam=0.0), False),
])
def test_reported_accuracy_bounds_the_error_against_50_digits(args, batched):
    (b,) = errors_at_points([point(**args)])
    assert (b.solution is None) == batched  # batched, or the fallback
    exact = rmt_dsm.errors(**args, dps=50)
    for f in FIELDS:
        err = abs(mpmath.mpf(getattr(b, f)) - getattr(exact, f))
        assert err <= b.accuracy[f] * abs(getattr(exact, f)), (f, float(err / abs(getattr(exact, f))), b.accuracy[f])


def test_tracker_flags_points_whose_path_crosses_a_singular_jacobian():
    from rmt_dsm.engine import FixedPointSystem
    from rmt_dsm.engine.batch import batch_functions, track

    g, p = sp.symbols("g p")
    fns = batch_functions(FixedPointSystem([g], None, [g**2 - p], start=lambda prm: [1.0]))
    p0, p1 = np.ones(3), np.array([4.0, 0.25, -1.0])  # the root sqrt(p) ends at p = 0 for the last

    def path(t, idx):
        return [p0[idx] + t * (p1[idx] - p0[idx])], {0: p1[idx] - p0[idx]}

    root, ok, its = track(fns, np.ones((3, 1)), path, np.ones(3, dtype=bool), h0=1.0)
    assert ok.tolist() == [True, True, False]
    assert root[:2, 0] == pytest.approx([2.0, 0.5], rel=1e-14)
    assert its[0] > 0


def test_uncertified_points_are_solved_by_the_scalar_path():
    # within a relative 1e-7 of the threshold the extended-precision evaluation cannot be certified
    pt = point(1.0, 1.0 + 1e-7, 1, t=0.3, lam=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (b,) = errors_at_points([pt])
    assert b.solution is not None  # the scalar path's result, with its solution
    ref = _scalar(pt)
    assert [getattr(b, f) for f in FIELDS] == [getattr(ref, f) for f in FIELDS]


@pytest.mark.parametrize("ts", [[20.0], [20.0, 20.5, 21.0, 21.5, 22.0]], ids=["one point", "batch"])
def test_a_gap_cancelled_in_both_evaluations_is_not_certified(ts):
    # at m = inf the gap vanishes like a^4 (~1e-35 at t = 20): test - train cancels every digit of the
    # double and of the extended evaluation alike, so their difference says nothing about the error;
    # the point must go to the scalar path (which raises the precision), never come back as gap = 0
    pts = [point(0.5, 1.7, math.inf, t=t, lam=0.01) for t in ts]
    res = errors_at_points(pts)
    for pt, r in zip(pts, res):
        assert r.solution is not None
        ref = rmt_dsm.errors(0.5, 1.7, math.inf, t=pt.t, lam=0.01, dps=30)
        assert r.gap > 0 and abs(r.gap - float(ref.gap)) <= 1e-12 * float(ref.gap)


def test_errors_broadcasts_arrays_like_numpy():
    psi_p = np.array([[0.5], [2.0], [3.0]])
    t = [0.3, 1.0]
    e = rmt_dsm.errors(1.0, psi_p, 1, t=t, lam=0.05)
    assert e.shape == (3, 2) and e.test.shape == (3, 2) and e.accuracy["gap"].shape == (3, 2)
    for i in range(3):
        for j in range(2):
            ref = rmt_dsm.errors(1.0, float(psi_p[i, 0]), 1, t=t[j], lam=0.05)
            for f in FIELDS:
                assert _rel(getattr(e, f)[i, j], getattr(ref, f)) <= 1e-12
            assert e.chart[i, j] == ref.chart
    assert rmt_dsm.errors([1.0, 2.0], 0.5, [1, math.inf], t=0.3).shape == (2,)


def test_errors_arrays_with_threshold_points_and_digits():
    with pytest.warns(ThresholdDivergence):
        e = rmt_dsm.errors(1.0, [0.5, 1.0], 1, t=0.3, lam=0.0)
    assert e.diverged.tolist() == [False, True] and math.isinf(e.test[1]) and e.chart[1] == "threshold"
    d = rmt_dsm.errors(1.0, [0.5, 2.0], 1, t=0.3, lam=0.1, dps=20)
    assert isinstance(d.test[0], mpmath.mpf)
    assert abs(float(d.test[1]) - rmt_dsm.errors(1.0, 2.0, 1, t=0.3, lam=0.1).test) < 1e-13


@pytest.mark.parametrize("kwargs, name", [
    (dict(psi_p=[0.5, -1.0]), "psi_p"), (dict(m=[1, 0]), "m"), (dict(lam=[0.1, -0.1]), "lam"),
    (dict(t=[0.3, "x"]), "t"), (dict(psi_n=[[1.0], [1.0, 2.0]]), "psi_n"),
])
def test_bad_array_entries_are_named(kwargs, name):
    args = dict(psi_n=1.0, psi_p=0.5, m=1, t=0.3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        rmt_dsm.errors(**args)


def test_arrays_that_do_not_broadcast_are_refused():
    with pytest.raises(ValueError, match="broadcast"):
        rmt_dsm.errors([1.0, 2.0], [0.5, 1.0, 2.0], 1, t=0.3)


def test_learning_curve_is_the_scalar_path_point_by_point():
    values = list(np.geomspace(0.2, 5, 25))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = rmt_dsm.learning_curve("psi_p", values, psi_n=1.0, m=2, t=0.4, lam=0.0)
        for v, res in zip(values, curve):
            ref = rmt_dsm.errors(1.0, v, 2, t=0.4, lam=0.0)
            for f in FIELDS:
                assert _rel(getattr(res, f), getattr(ref, f)) <= 1e-12, (v, f)


def test_phase_grid_one_batch_and_chunks_agree(monkeypatch):
    import rmt_dsm.phase as phase

    axis = phase.make_axis(0.3, 3, 5)
    one = phase.phase_grid(axis, axis, m=2, t=0.3, lam=0.0, jobs=1, progress=False)
    monkeypatch.setattr(phase, "IN_PROCESS_POINTS", 0)  # chunks of rows, in this process
    chunks = phase.phase_grid(axis, axis, m=2, t=0.3, lam=0.0, jobs=1, progress=False)
    assert one == chunks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in one[::7]:
            ref = rmt_dsm.errors(row["psi_n"], row["psi_p"], 2, t=0.3, lam=0.0)
            for f in FIELDS:
                assert row[f] == getattr(ref, f) or _rel(row[f], getattr(ref, f)) <= 1e-12


@pytest.mark.parametrize("sigma", [
    [(0.1, 0.5), (0.2, 1.0), (0.3, 2.0), (0.2, 3.0), (0.2, 0.25)],  # more atoms than the shipped code
    "power:0.5:8",  # continuous: order 8 and 16
])
def test_bound_spectra_batched_equal_the_scalar_path(sigma):
    from rmt_dsm.scalar import _with_quadrature_error
    from rmt_dsm.data_spectrum import parse_sigma

    sig = parse_sigma(sigma) if isinstance(sigma, str) else sigma
    pts = [point(1.2, p, m, t=0.3, lam=lam, sigma=sig) for p, m, lam in
           [(0.4, 1, 0.0), (0.9, 1, 0.01), (3.0, 1, 0.0), (2.0, 3, 0.0), (5.0, 3, 0.1), (1.5, math.inf, 0.0)]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batched = errors_at_points(pts)
        for pt, b in zip(pts, batched):
            ref = _with_quadrature_error(pt)[0]
            assert b.solution is None  # batched, not the fallback
            assert b.chart == ref.chart and b.params == ref.params
            for f in FIELDS:
                assert _rel(getattr(b, f), getattr(ref, f)) <= 1e-12, (pt, f)
            if isinstance(sigma, str):  # the quadrature error of the two orders, as the scalar path's
                q, q_ref = b.quadrature["quadrature_error"], ref.quadrature["quadrature_error"]
                assert q > 0 and abs(q - q_ref) <= 1e-12 * max(abs(b.test), 1)


def test_sweep_points_built_in_c_loops_equal_one_by_one():
    from rmt_dsm.batch import points_for
    from rmt_dsm.data_spectrum import as_spectrum

    n = 7
    values = {"psi_n": [1.0] * n, "psi_p": list(np.geomspace(0.2, 5, n)), "m": [1, 2, 2, math.inf, 1, 1, 3],
              "t": [0.3] * 3 + [None] * 2 + [1.0] * 2, "lam": [0.0, 0.1] * 3 + [0.0],
              "a": [None] * 3 + [0.9, 0.8] + [None] * 2, "delta": [None] * 3 + [0.19, 0.36] + [None] * 2}
    got = points_for(values, "tanh", as_spectrum(None))
    want = [point(*(values[k][i] for k in ("psi_n", "psi_p", "m", "t", "lam")), "tanh", values["a"][i],
                  values["delta"][i]) for i in range(n)]
    assert got == want


def test_single_point_solve_of_three_unknowns_matches_lapack():
    from rmt_dsm.engine.single import Failed, lu_solve

    rng = np.random.default_rng(5)
    for _ in range(200):
        A = rng.normal(size=(3, 3)) * 10.0 ** rng.integers(-6, 7, size=(3, 1))  # rows of any scale
        b = rng.normal(size=3)
        x = lu_solve(A.tolist(), b.tolist())
        ref = np.linalg.solve(A, b)
        assert np.linalg.norm(x - ref) <= 1e-14 * np.linalg.cond(A) * np.linalg.norm(ref)
    with pytest.raises(Failed):
        lu_solve([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]], [1.0, 2.0, 3.0])


def test_factored_solves_are_those_of_the_elimination():
    # `solver` factors once for several right-hand sides: each answer LAPACK's to rounding
    from rmt_dsm.engine.single import Failed, solver

    rng = np.random.default_rng(6)
    for _ in range(200):
        A = (rng.normal(size=(3, 3)) * 10.0 ** rng.integers(-6, 7, size=(3, 1))).tolist()
        A[2][0] = A[int(rng.integers(0, 2))][0] * rng.choice([1.0, -1.0, 0.0])  # ties and zeros in the pivot column
        solve = solver(A)
        for b in rng.normal(size=(3, 3)).tolist():
            x = solve(b)
            ref = np.linalg.solve(np.array(A), b)
            assert np.linalg.norm(np.array(x) - ref) <= 1e-14 * np.linalg.cond(A) * np.linalg.norm(ref)
    with pytest.raises(Failed):
        solver([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 1.0]])


def test_threshold_ratio_and_parameter_checks_on_arrays_are_those_of_the_points(monkeypatch):
    """The checks `rmt_dsm.batch` makes on arrays are those of the points: `_at_threshold` is
    `Point.at_threshold` (exactly on the threshold, within and beyond 1e-12 of it, m = inf,
    lambda > 0); `_valid_ratios` accepts only what `check_ratio` accepts, and says False for any
    other type (then each value is checked); a point's fields are the result's parameters, in
    order; RMT_DSM_THREADS=1 and `one_thread` give one thread."""
    from dataclasses import fields

    from rmt_dsm import batch
    from rmt_dsm.model import check_ratio
    from rmt_dsm.point import Point

    pts = [point(1.0, pp, m, t=0.3, lam=lam) for m in (1, 3, math.inf) for lam in (0.0, 1e-3)
           for pp in (0.5, 1.0 - 2e-12, 1.0 - 5e-13, 1.0, 1.0 + 5e-13, 1.0 + 2e-12, 3.0, 3.0 * (1 + 9e-13), 7.0)]
    assert batch._at_threshold(pts) == [pt.at_threshold for pt in pts]
    assert any(batch._at_threshold(pts)) and not all(batch._at_threshold(pts))
    for values in ([0.5, 2.0], [np.float64(0.5), 1e300], [0.0, 1.0], [-1.0], [math.nan], [math.inf], [1, 2.0], [True],
                   ["1.0"], [5e-324]):
        try:
            accepted = all(check_ratio("psi_p", v) is v for v in values)
        except ValueError:
            accepted = False
        assert not batch._valid_ratios(values) or accepted, values
    assert batch._valid_ratios([0.5, np.float64(2.0)]) and not batch._valid_ratios([1, 2])
    assert tuple(f.name for f in fields(Point)) == batch._FIELDS == tuple(pts[0].__dict__)
    with batch.one_thread():
        assert batch._THREADS == 1
    monkeypatch.setenv("RMT_DSM_THREADS", "1")
    assert batch._default_threads() == 1


def test_reported_accuracy_along_a_curve_near_the_threshold_against_30_digits():
    """A curve through a few 1e-4 below and above psi_p = psi_n (m = 1, lambda = 0): every value
    within its reported accuracy of the same point at 30 digits, on both paths of many points."""
    values = [1.0 - 2.1544346900315148e-4, 1.0 - 1.3e-4, 1.0 + 1.7e-4, 1.0 + 4e-4, 1.0 - 6e-4, 1.0 - 2.2e-4]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        curve = rmt_dsm.learning_curve("psi_p", values, psi_n=1.0, m=1, t=0.1, lam=0.0)
    for v, res in zip(values, curve):
        ref = rmt_dsm.errors(1.0, v, 1, t=0.1, lam=0.0, dps=30)
        for f in FIELDS:
            exact = float(getattr(ref, f))
            assert abs(getattr(res, f) - exact) <= res.accuracy[f] * abs(exact), (v, f)
