"""The one-point fast path of `rmt_dsm.errors` (rmt_dsm.batch._one) against independent routes.

A call of `rmt_dsm.errors` starts its continuation from the nearest root kept by earlier calls
(`rmt_dsm.batch._warm_root`) when one is within a continuation step, else solves cold (in C where
the kernels are built, `rmt_dsm.batch._one_compiled`: the failure paths are checked on both).  Checked:

* researcher's loops (points in small steps: towards the interpolation threshold psi_p = m psi_n
  from both sides and across it, m = 1, 3, inf, lambda = 0 and > 0, large t, structured data
  spectra) give the scalar path's values (`rmt_dsm.scalar._with_quadrature_error`: Newton in
  double, polish at 30 digits) to 1e-12, and the warm start is really taken;
* a warm start never comes from the other side of the threshold (the other chart);
* warm == cold (the same points with the kept roots forgotten);
* values at the end of a warm chain against mpmath at 30 digits, within the reported accuracy;
* a warm step that fails, or lands off the physical branch, falls back to the cold path;
* the kept roots are bounded;
* pieces of the fast path against a second evaluation: the extended Jacobian the polish hands
  on is that of a fresh evaluation at its root, the observables at Python floats (math.sqrt)
  equal numpy's, and the widening of floats to ``longdouble`` is exact.
"""
import math
import warnings

import mpmath
import numpy as np
import pytest

import rmt_dsm
from rmt_dsm import batch
from rmt_dsm.scalar import _with_quadrature_error
from rmt_dsm.point import point

FIELDS = ("train", "test", "score", "gap", "floor")
STRUCTURED = [(0.5, 2.0), (0.5, 0.5)]


@pytest.fixture(autouse=True)
def _forget_roots():
    batch._WARM.clear()
    yield
    batch._WARM.clear()


@pytest.fixture
def warm_log(monkeypatch):
    """Record (the kept root a warm start steps from: (psi_n, psi_p, ...), target point) of every
    warm start (`rmt_dsm.batch._nearest_root`, used by the Python and the C path alike)."""
    log = []
    original = batch._nearest_root

    def spy(key, pt):
        out = original(key, pt)
        if out is not None:
            log.append((out, pt))
        return out

    monkeypatch.setattr(batch, "_nearest_root", spy)
    return log


def _quiet(f, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kw)


def _rel(x, y):
    if x == y:
        return 0.0
    return abs(x - y) / max(abs(y), 1e-300)


def _loops(seed):
    """Researcher's loops: (kwargs of rmt_dsm.errors) sequences in small steps."""
    rng = np.random.default_rng(seed)
    loops = []
    for k, (m, lam, sigma) in enumerate([(1, 0.0, None), (3, 0.0, STRUCTURED), (math.inf, 0.0, None),
                                          (1, 1e-3, None), (3, 0.05, None), (2, 0.0, [(0.3, 2.5), (0.7, 0.4)])]):
        psi_n = float(10 ** rng.uniform(-0.5, 0.5))
        t = [0.1, 3.0, 0.5, 1.0, 0.05, 0.3][k]
        if m == math.inf:
            psi_ps = np.geomspace(0.5, 5.0, 40)
        else:  # towards the threshold from below, then from above (relative distance 1e-1 .. 1e-4)
            d = np.geomspace(1e-1, 1e-4, 24)
            psi_ps = np.concatenate([m * psi_n * (1 - d), m * psi_n * (1 + d)])
        loops.append([dict(psi_n=psi_n, psi_p=float(p), m=m, t=t, lam=lam, sigma=sigma) for p in psi_ps])
    return loops


def test_researcher_loops_equal_the_scalar_path(warm_log):
    n = 0
    for loop in _loops(0):
        for kw in loop:
            fast = _quiet(rmt_dsm.errors, **kw)
            ref = _quiet(_with_quadrature_error, point(**kw))[0]
            assert fast.chart == ref.chart
            for f in FIELDS:
                assert _rel(getattr(fast, f), getattr(ref, f)) <= 1e-12, (kw, f, getattr(fast, f), getattr(ref, f))
            n += 1
    assert len(warm_log) >= n // 2  # the warm path is what is being compared


def test_a_warm_start_never_crosses_the_threshold(warm_log):
    # psi_p walks across psi_p = m psi_n in relative steps of 1e-3 (both charts, both directions)
    for m, psi_n in ((1, 1.3), (3, 0.7)):
        c = m * psi_n
        walk = [c * (1 + 1e-3 * k) for k in range(-20, 21) if k] + [c * (1 - 1e-3 * k) for k in range(-20, 21) if k]
        for p in walk:
            res = _quiet(rmt_dsm.errors, psi_n, p, m, t=0.2)
            assert res.chart == ("primal" if p < c else "dual")
    assert warm_log
    for src, pt in warm_log:
        assert (src[1] - pt.m * src[0] < 0) == (pt.psi_p - pt.m * pt.psi_n < 0), (src, pt)


def test_warm_equals_cold():
    for loop in _loops(1)[:4]:
        warm = [_quiet(rmt_dsm.errors, **kw) for kw in loop]
        cold = []
        for kw in loop:
            batch._WARM.clear()
            cold.append(_quiet(rmt_dsm.errors, **kw))
        for kw, a, b in zip(loop, warm, cold):
            for f in FIELDS:
                assert _rel(getattr(a, f), getattr(b, f)) <= 1e-13, (kw, f)


@pytest.mark.parametrize("kw", [
    dict(psi_n=1.0, psi_p=0.5, m=1, t=0.1, lam=0.0),
    dict(psi_n=0.8, psi_p=2.35, m=3, t=0.4, lam=0.0, sigma=STRUCTURED),
    dict(psi_n=1.5, psi_p=4.0, m=math.inf, t=2.0, lam=0.0),
    dict(psi_n=1.0, psi_p=1.01, m=1, t=0.3, lam=1e-2),
])
def test_end_of_a_warm_chain_against_30_digits(kw, warm_log):
    for step in np.linspace(1.004, 1.0, 9):  # walk to the point in steps of 0.05 %
        res = _quiet(rmt_dsm.errors, **{**kw, "psi_p": kw["psi_p"] * float(step)})
    assert warm_log and warm_log[-1][1].psi_p == kw["psi_p"]
    exact = rmt_dsm.errors(**kw, dps=30)
    for f in FIELDS:
        err = abs(mpmath.mpf(getattr(res, f)) - getattr(exact, f))
        assert err <= max(res.accuracy[f], 1e-14) * abs(getattr(exact, f)), (f, res.accuracy[f])
        assert err <= 1e-12 * abs(getattr(exact, f))


def _counting_cold(monkeypatch):
    """A list that gets a 1 at every cold continuation, in Python (`_cold_root`) or in C (the
    one-point path called in its cold mode, ``its0 = -2``)."""
    calls = []
    original = batch._cold_root
    monkeypatch.setattr(batch, "_cold_root", lambda *a: calls.append(1) or original(*a))
    bind = batch._one_point

    def counting(*a):
        one = bind(*a)
        return None if one is None else (lambda *args: (args[-1] == -2 and calls.append(1)) or one(*args))

    monkeypatch.setattr(batch, "_one_point", counting)
    batch._CONTEXTS.clear()  # bound again, counting
    return calls


@pytest.fixture(params=["C", "Python"])
def one_point_path(request, monkeypatch):
    """`rmt_dsm.batch._one` by its C translation (`rmt_dsm.batch._one_compiled`, where the
    kernels are built) or by the Python path alone."""
    from rmt_dsm.compiled import kernels

    if request.param == "C" and not kernels.available():
        pytest.skip("the C extension is not built")
    if request.param == "Python":
        monkeypatch.setattr(batch, "_one_point", lambda *a: None)
    batch._CONTEXTS.clear()
    yield request.param
    batch._CONTEXTS.clear()


def _replace_kept_root(g=None, J=None):
    """Replace g and/or J of the single kept root (as the Python path keeps it: (theta, g, J, solve))."""
    (key, kept), = batch._WARM.items()
    th, g0, J0, _ = batch._root_lists(kept[0][4])
    kept[0] = (*kept[0][:4], (th, g0 if g is None else g, J0 if J is None else J, None))
    return th


def test_a_failed_warm_step_falls_back_to_the_cold_path(monkeypatch, one_point_path):
    kw = dict(psi_n=1.0, psi_p=0.7, m=1, t=0.2, lam=0.0)
    ref = _quiet(_with_quadrature_error, point(**kw))[0]
    _quiet(rmt_dsm.errors, **{**kw, "psi_p": 0.699})  # keeps a root within a step of the point
    _replace_kept_root(J=[[0.0] * 3] * 3)  # a singular Jacobian: the continuation step fails
    cold = _counting_cold(monkeypatch)
    res = _quiet(rmt_dsm.errors, **kw)
    assert cold == [1]
    for f in FIELDS:
        assert _rel(getattr(res, f), getattr(ref, f)) <= 1e-12


def test_a_warm_root_off_the_physical_branch_is_not_used(monkeypatch, one_point_path):
    from rmt_dsm.engine import single

    kw = dict(psi_n=1.0, psi_p=0.7, m=1, t=0.2, lam=0.0)
    ref = _quiet(_with_quadrature_error, point(**kw))[0]
    _quiet(rmt_dsm.errors, **{**kw, "psi_p": 0.699})
    (key, kept), = batch._WARM.items()
    th, g, J, _ = batch._root_lists(kept[0][4])
    # another root of the system at the kept root's parameters, off the physical branch [D§5.2]:
    # g_v < 0 at x = -1 breaks sign(g_v) = -sign(x); the step from it lands on that branch again
    ctx = next(iter(batch._CONTEXTS.values()))
    bad, _, J_bad, _ = single.newton(ctx.c, [g[0], g[1], -4 * g[2]], th, maxit=50, strict=False)
    assert not batch._branch_ok(bad, th[ctx.i_x], th[ctx.i_y]) and bad[2] < 0
    _replace_kept_root(g=bad, J=J_bad)
    steps = []
    segment = batch._segment_step
    monkeypatch.setattr(batch, "_segment_step", lambda *a, **k: steps.append(segment(*a, **k)) or steps[-1])
    cold = _counting_cold(monkeypatch)
    res = _quiet(rmt_dsm.errors, **kw)
    assert cold == [1]  # the warm root was discarded
    if one_point_path == "Python":  # the step did land off the branch (the C path takes the same one)
        assert steps and not batch._branch_ok(steps[0][0], th[ctx.i_x], th[ctx.i_y])
    for f in FIELDS:
        assert _rel(getattr(res, f), getattr(ref, f)) <= 1e-12


def test_kept_roots_are_bounded():
    for k in range(batch._WARM_KEYS + 5):
        _quiet(rmt_dsm.errors, 1.0, 0.5, 1, t=0.1 + 0.01 * k)
    for k in range(2 * batch._WARM_ROOTS):
        _quiet(rmt_dsm.errors, 1.0, 0.5 * (1 + 1e-3 * k), 1, t=0.1)
    assert 0 < len(batch._WARM) <= batch._WARM_KEYS
    assert all(len(v) <= batch._WARM_ROOTS for v in batch._WARM.values())


@pytest.mark.parametrize("few_cold", [batch._FEW_COLD, 0])  # heads of the paths one by one / vectorized
@pytest.mark.parametrize("kw", [dict(psi_n=1.0, m=1, t=0.1, sigma=None),
                                dict(psi_n=0.5, m=3, t=0.7, sigma=STRUCTURED)])
def test_dense_curve_across_the_threshold_equals_the_scalar_path(kw, few_cold, monkeypatch, batch_path):
    # the batched curve follows paths through its points (rmt_dsm.batch._solve_double); the curve
    # crosses psi_p = m psi_n, where the chart changes and the paths break
    monkeypatch.setattr(batch, "_FEW_COLD", few_cold)  # (the vectorized path; the C path: the same curve)
    values = kw["m"] * kw["psi_n"] * np.geomspace(0.3, 3.0, 400)
    res = _quiet(rmt_dsm.learning_curve, "psi_p", values, lam=0.0, **kw)
    assert sum(r.solution is None for r in res) >= 0.9 * len(res)  # batched, not the fallback
    for v, r in list(zip(values, res))[::9]:
        ref = _quiet(_with_quadrature_error, point(psi_p=float(v), lam=0.0, **kw))[0]
        assert r.chart == ref.chart
        for f in FIELDS:
            assert _rel(getattr(r, f), getattr(ref, f)) <= 1e-12, (v, f)


def test_the_probed_inputs_are_those_of_the_scalar_path():
    from rmt_dsm.scalar import _INPUTS

    assert set(batch._INPUT_NAMES) == _INPUTS


def test_polish_returns_the_extended_jacobian_at_its_root():
    """`rmt_dsm.engine.single.polish` hands the extended Jacobian of its last residual to the
    refinement of the extended derivatives: it is that of a fresh extended evaluation at the
    returned root, where the extended residual is below the polish tolerance."""
    from rmt_dsm.engine import single
    from rmt_dsm.engine.batch import EXTENDED, EXTENDED_EPS

    kw = dict(psi_n=1.0, psi_p=0.7, m=2, t=0.3, lam=0.01)
    _quiet(rmt_dsm.errors, **kw)
    (_, kept), = batch._WARM.items()
    th64, g, J, _ = batch._root_lists(kept[-1][4])
    pt = point(**kw)
    ctx = batch._context(pt.sigma)
    _, (thld, _), _ = batch._one_parameters(ctx, pt, batch._coefficients(pt), ctx.i_y)
    ge, Je = single.polish(ctx.c, g, J, thld)
    assert all(type(v) is EXTENDED for v in ge)
    f, J_fresh = ctx.c.fj(*ge, *thld)
    assert Je == J_fresh
    assert max(abs(v) for v in f) <= 8 * EXTENDED_EPS * (1 + max(map(abs, g)))


def test_float_observables_are_numpys_bit_for_bit():
    """The observables evaluated at Python floats with `math.sqrt` (`rmt_dsm.batch._at_floats`)
    against the generated numpy functions (numpy's square root): the same numbers."""
    rng = np.random.default_rng(3)
    for sigma in (None, STRUCTURED):
        ctx = batch._context(point(1.0, 0.5, 1, t=0.2, sigma=sigma).sigma)
        for _ in range(20):
            args = [float(v) for v in rng.uniform(0.1, 2.0, len(ctx.co.args))]
            for name in ("Q", "X1"):
                assert getattr(ctx.co64, name)(*args) == float(getattr(ctx.co, name)(*args))
            errors_args = [float(v) for v in rng.uniform(0.1, 2.0, len(ctx.co.error_args))]
            for chart in ("primal", "dual"):
                assert ctx.co64.errors[chart](*errors_args) == [float(v) for v in ctx.co.errors[chart](*errors_args)]


def test_extended_widening_is_exact():
    from rmt_dsm.engine.batch import EXTENDED
    from rmt_dsm.engine.single import extended

    values = [0.1, -3.5e-300, 1e300, 5e-324, 1.0 / 3]
    assert extended(values) == [EXTENDED(v) for v in values]
    assert all(type(v) is EXTENDED for v in extended(values))


def test_nearest_root_is_the_nearest_and_most_recent():
    """`rmt_dsm.batch._nearest_root` against a brute-force choice: among the kept roots within
    `_WARM_STEP` (the largest relative change of psi_n, psi_p and lambda) and within a factor
    `_DIST_RATIO` of the point's distance to the threshold, the smallest change, and of equal
    changes the most recent root (a repeated call: the root kept at the point itself)."""
    rng = np.random.default_rng(5)
    moves = [0.0, 0.0, 0.01, -0.01, 0.02, 0.05, -0.05, 0.2]
    found = 0
    for _ in range(3000):
        pt = point(1.0, float(rng.choice([0.5, 0.9, 0.99, 2.0])), 1, t=0.2, lam=float(rng.choice([0.0, 0.01])))
        batch._WARM.clear()
        kept = []
        for j in range(batch._WARM_ROOTS):
            q = point(pt.psi_n * float(rng.choice([1.0, 1.0, 1.03])), pt.psi_p * (1 + float(rng.choice(moves))), 1,
                      t=0.2, lam=pt.lam * float(rng.choice([1.0, 1.04])))
            batch._keep_root("key", q, ("root", j))
            step = max(abs(pt.psi_n / q.psi_n - 1), abs(pt.psi_p / q.psi_p - 1), abs(pt.lam / q.lam - 1) if q.lam else 0)
            ratio = batch._distance(q) / batch._distance(pt)
            if step <= batch._WARM_STEP and 1 / batch._DIST_RATIO <= ratio <= batch._DIST_RATIO:
                kept.append((step, -j))
        best = batch._nearest_root("key", pt)
        if not kept:
            assert best is None
            continue
        found += 1
        assert best[4] == ("root", -min(kept)[1])
    assert found > 2000


@pytest.mark.parametrize("d", [2.1544346900315148e-4, -3.0e-4, 1e-3])
def test_reported_accuracy_near_the_threshold_bounds_the_error_against_30_digits(d, one_point_path):
    """At a few 1e-4 of psi_p = m psi_n the double root's extended residual can already be below
    the polish's tolerance while the root is ~1e-13 off (the condition of the system grows like
    1/distance^2); the polish steps at least once, so the reported accuracy holds against the
    same point at 30 digits (the first distance is one where it did not, before)."""
    kw = dict(psi_n=1.0, psi_p=1.0 - d, m=1, t=0.1, lam=0.0)
    res = _quiet(rmt_dsm.errors, **kw)
    ref = rmt_dsm.errors(**kw, dps=30)
    for f in FIELDS:
        exact = float(getattr(ref, f))
        assert abs(getattr(res, f) - exact) <= res.accuracy[f] * abs(exact), (f, getattr(res, f), exact)
