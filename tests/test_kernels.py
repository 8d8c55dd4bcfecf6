"""The C kernels of the shipped numeric code (rmt_dsm.compiled.cgen, rmt_dsm.compiled.kernels)
against the Python functions they are translated from: the same bits at Python floats and at
numpy longdouble scalars, the Python function's behaviour wherever it raises or warns, and the
same results with the kernels and without them (RMT_DSM_KERNELS=0, another process).  The C
paths of `rmt_dsm.batch` built on them -- one point (`_one_compiled`) and many points one after
the other (`_chained`) -- against the Python path of one point: the same bits."""
from __future__ import annotations

import ast
import json
import math
import os
import random
import subprocess
import sys
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest

from rmt_dsm.compiled import cgen, kernels, load

ROOT = Path(__file__).resolve().parents[1]
LD = np.longdouble
SOURCES = cgen.shipped_sources()
FUNCTIONS = [(mod, name, len(args)) for mod, src in SOURCES.items() for name, args, *_ in cgen.kernel_functions(src)]

needs_kernels = pytest.mark.skipif(not kernels.available(), reason="the C extension is not built (no compiler)")


def test_kernels_built_where_required():
    """CI (.ci/run sets RMT_DSM_REQUIRE_KERNELS=1) builds the extension: a build failure there
    is an error, not a silent fallback."""
    if os.environ.get("RMT_DSM_REQUIRE_KERNELS") == "1":
        assert kernels.available()


def test_shipped_c_source_is_current():
    """_kernels.c and _kernels_body.h are the translation of the shipped numpy modules as they are
    (no sympy needed)."""
    for name, text in cgen.c_sources(SOURCES).items():
        assert (cgen.HERE / name).read_text(encoding="utf-8") == text, name


def _python(fn):
    """The Python function in the kernel's natural form (a matrix as its rows)."""
    src = ast.parse(__import__("inspect").getsource(fn))
    ret = [n for n in ast.walk(src) if isinstance(n, ast.Return)][-1].value
    if isinstance(ret, ast.Call) and getattr(ret.func, "id", None) == "array":
        return lambda *a: np.asarray(fn(*a)).tolist()
    return fn


def _flat(r):
    if isinstance(r, (list, tuple)):
        return [v for x in r for v in _flat(x)]
    return [r]


def _same(py, c, dtype):
    """Equal values, the kernel's in ``dtype``; the Python function may give an int constant."""
    a, b = _flat(py), _flat(c)
    assert len(a) == len(b)
    for u, v in zip(a, b):
        if isinstance(u, int):  # a constant output (0 of a derivative): the kernel gives it as a number
            assert float(v) == u
            continue
        assert type(v) is dtype
        assert dtype(u) == v, (u, v)
        if math.isnan(float(u)):
            assert math.isnan(float(v))


def _args(rng, n, scale):
    """Random arguments: positive and negative, magnitudes 1e-3 .. 1e3 (``scale``)."""
    return [rng.choice((-1, 1)) * 10 ** rng.uniform(-scale, scale) if rng.random() < 0.3 else
            rng.uniform(0.05, 2.0) for _ in range(n)]


@needs_kernels
@pytest.mark.parametrize("mod,name,nargs", FUNCTIONS, ids=[f"{m}.{n}" for m, n, _ in FUNCTIONS])
def test_kernel_matches_python_bit_for_bit(mod, name, nargs):
    """At floats and at longdouble scalars, on random arguments (where the Python function
    raises or warns, the kernel must do the same: it hands the point to it)."""
    fn = load(mod)[name]
    py = _python(fn)
    k = kernels.kernel(fn, python=py)
    assert k is not py
    rng = random.Random(hash((mod, name)) & 0xFFFF)
    done = {float: 0, LD: 0}
    for trial in range(200):
        a = _args(rng, nargs, 3 if trial % 2 else 0.5)
        for dtype, x in ((float, a), (LD, [LD(v) / LD(3) for v in a])):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                try:
                    expected = py(*x)
                except (ArithmeticError, ValueError, RuntimeWarning) as exc:
                    with pytest.raises(type(exc)):
                        k(*x)
                    continue
                got = k(*x)
            _same(expected, got, dtype)
            done[dtype] += 1
    assert min(done.values()) >= 50  # most points are regular ones


@needs_kernels
def test_mixed_float_and_longdouble_arguments_as_the_solver_passes_them():
    """The extended parameters carry x, y, epsilon as the floats -1.0, 0.0 (exact in longdouble):
    the kernel widens them as numpy does."""
    fn = load("dsm_isotropic_numpy")["fj"]
    rng = random.Random(5)
    for _ in range(200):
        x = [LD(rng.uniform(0.05, 2)) / LD(7) for _ in range(15)]
        x[5], x[12], x[13] = 0.0, -1.0, rng.choice((-1.0, LD(rng.uniform(0, 1)) / LD(3)))
        _same(fn(*x), kernels.kernel(fn)(*x), LD)


@needs_kernels
def test_the_int_zero_is_a_number():
    """The errors take the derivative a chart does not need as the int 0: evaluated in C (exact in
    both), with the Python function's values at floats and at longdoubles."""
    from rmt_dsm.batch import _at_floats

    fn = load("observables_isotropic_numpy")["errors_primal"]
    rng = random.Random(11)
    for _ in range(100):
        a = [rng.uniform(0.05, 2.0) for _ in range(11)]
        a[2] = 0  # dQ_dx in the primal chart
        calls = []
        python = _at_floats(fn)
        k = kernels.kernel(fn, python=lambda *x: calls.append(x) or python(*x))
        _same(python(*a), k(*a), float)
        x = [v if isinstance(v, int) else LD(v) / LD(3) for v in a]
        _same(fn(*x), k(*x), LD)
        assert not calls  # neither handed to Python


@needs_kernels
def test_other_arguments_go_to_python():
    """Arrays, mpmath numbers, ints and complex numbers: the Python function's own result."""
    fn = load("dsm_isotropic_numpy")["f"]
    k = kernels.kernel(fn)
    args = [0.3, 0.2, 0.5, 0.7, 0.4, 0.0, 1.0, 0.6, 1.0, 0.5, 1.1, 1.2, -1.0, 0.0, 1.0]
    arr = [np.full(4, v) for v in args]
    for got, want in zip(k(*arr), fn(*arr)):
        np.testing.assert_array_equal(got, want)
    mp = [mpmath.mpf(v) for v in args]
    assert all(isinstance(v, mpmath.mpf) for v in k(*mp)) and k(*mp) == fn(*mp)
    ints = [*args[:-1], 1]  # s_h = 1: Python's int arithmetic, not the kernel's (only 0 is taken)
    assert k(*ints) == fn(*ints)
    cplx = [complex(v) for v in args]
    assert k(*cplx) == fn(*cplx)
    with pytest.raises(TypeError):
        k(*args[:-1])  # the wrong number of arguments: Python's own error


@needs_kernels
def test_division_by_zero_behaves_as_python():
    """psi_n = 0: Python floats raise ZeroDivisionError; numpy longdouble warns and gives inf."""
    fn = load("dsm_isotropic_numpy")["fj"]
    k = kernels.kernel(fn)
    args = [0.3, 0.2, 0.5, 0.7, 0.4, 0.0, 1.0, 0.6, 0.0, 0.5, 1.1, 1.2, -1.0, 0.0, 1.0]  # psi_n = 0
    with pytest.raises(ZeroDivisionError):
        fn(*args)
    with pytest.raises(ZeroDivisionError):
        k(*args)
    x = [LD(v) for v in args]
    with pytest.warns(RuntimeWarning):
        want = fn(*x)
    with pytest.warns(RuntimeWarning):
        got = k(*x)
    assert [str(v) for v in got] == [str(v) for v in want]


@needs_kernels
def test_square_root_of_a_negative_number_behaves_as_python():
    """The observables take sqrt(delta): at floats `rmt_dsm.batch._at_floats` uses math.sqrt
    (ValueError), numpy's gives nan with a warning; the kernel defers to whichever it is bound with."""
    from rmt_dsm.batch import _at_floats

    fn = load("observables_isotropic_numpy")["X1"]
    args = [0.3, 0.2, 0.5, 0.7, -0.4, 0.0, 1.0, 0.6, 1.0, -1.0, 0.0]  # delta < 0
    with pytest.raises(ValueError):
        kernels.kernel(fn, python=_at_floats(fn))(*args)
    with pytest.warns(RuntimeWarning):
        assert math.isnan(kernels.kernel(fn)(*args))


@needs_kernels
def test_forms():
    """(F, J) split, rows, and the errors for a form that does not fit."""
    ns = load("dsm_isotropic_numpy")
    args = [0.3, 0.2, 0.5, 0.7, 0.4, 0.0, 1.0, 0.6, 1.0, 0.5, 1.1, 1.2, -1.0, 0.0, 1.0]
    flat = ns["fj"](*args)
    F, J = kernels.kernel(ns["fj"], ("split", 3, 3), lambda *a: None)(*args)
    assert F == flat[:3] and J == [flat[3:6], flat[6:9], flat[9:12]]
    rows = kernels.kernel(ns["ft"], ("rows", 12), lambda *a: None)(*args)
    assert [v for r in rows for v in r] == [float(v) for v in ns["ft"](*args)]
    with pytest.raises(ValueError, match="does not fit"):
        kernels.kernel(ns["ft"], ("rows", 7), lambda *a: None)
    with pytest.raises(ValueError, match="matrix"):
        kernels.kernel(load("observables_isotropic_numpy")["dQ_dg"])
    assert kernels.kernel(len) is len  # not a generated function: itself


def test_translation_refuses_what_it_does_not_know():
    with pytest.raises(cgen.NotTranslatable):
        cgen.c_expression(ast.parse("exp(x)", mode="eval").body, "d")
    with pytest.raises(cgen.NotTranslatable):
        cgen.kernel_functions("def f(x):\n    if x:\n        return [x]\n    return [0]\n")
    with pytest.raises(cgen.NotTranslatable):
        cgen.c_expression(ast.parse("x % 2", mode="eval").body, "d")


def test_translation_keeps_the_operations_and_their_order():
    """Each Python operation is one C operation, grouped as the syntax tree groups them; a
    literal keeps its double value in long double."""
    e = lambda s, p="d": cgen.c_expression(ast.parse(s, mode="eval").body, p)  # noqa: E731
    assert e("a - b - c") == "((a - b) - c)"
    assert e("a - (b - c)") == "(a - (b - c))"
    assert e("a*b**2") == "(a * pow(b, ((double)2.0)))"
    assert e("0.1*a", "l") == "(((long double)0.1) * a)"
    assert e("-a/sqrt(b)", "l") == "((-a) / sqrtl(b))"


_SCRIPT = r"""
import json, numpy as np, rmt_dsm
from rmt_dsm.compiled import kernels
out = {"kernels": kernels.available(), "points": []}
for act in ("tanh", "relu"):
    for m in (1, 3, float("inf")):
        for lam in (0.0, 1e-3):
            for pp in (0.3, 0.99, 2.5):
                r = rmt_dsm.errors(psi_n=1.0, psi_p=pp, m=m, t=0.1, lam=lam, activation=act)
                out["points"].append([r.train, r.test, r.score, r.gap, r.accuracy])
c = rmt_dsm.learning_curve("psi_p", np.geomspace(0.1, 10, 200), psi_n=1.0, m=2, t=0.1, lam=0.0,
                           activation="erf")
out["curve"] = [[p.train, p.test, p.score, p.accuracy] for p in c]
s = rmt_dsm.errors(psi_n=1.5, psi_p=0.7, m=2, t=0.2, lam=1e-2, activation="tanh",
                   sigma=[(0.5, 0.5), (0.5, 1.5)])
out["spectrum"] = [s.train, s.test, s.score, s.accuracy]
print(json.dumps(out, default=repr))
"""


@needs_kernels
def test_same_answers_with_and_without_kernels():
    """Errors and accuracy estimates with the kernels and with RMT_DSM_KERNELS=0, in fresh
    processes: the same bits (the kernels change the speed, not the results); a curve, solved
    by another path without them: the same values within the accuracy estimates."""
    runs = {}
    for flag in ("1", "0"):
        env = {**os.environ, "RMT_DSM_KERNELS": flag, "PYTHONWARNINGS": "ignore"}
        proc = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, env=env, cwd=ROOT,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs[flag] = json.loads(proc.stdout)
    assert runs["1"]["kernels"] and not runs["0"]["kernels"]
    for key in ("points", "spectrum"):
        assert runs["1"][key] == runs["0"][key], key
    # a curve: by the C path one point after the other with the kernels, by the vectorized path
    # without them (`rmt_dsm.batch._batch`): two solves, the same values within their estimates
    assert len(runs["1"]["curve"]) == len(runs["0"]["curve"]) == 200
    for a, b in zip(runs["1"]["curve"], runs["0"]["curve"]):
        for k, name in enumerate(("train", "test", "score")):
            tol = (a[3][name] + b[3][name]) * abs(a[k])
            assert abs(a[k] - b[k]) <= tol and tol <= 1e-13 * abs(a[k]), (name, a, b)


# --------------------------------------------------------------------------- the one-point path in C
def _loops():
    """Researcher's loops of `rmt_dsm.errors` calls (each point warm-started from the one before
    when near): both charts up to 1e-5 of the interpolation threshold, lambda = 0, small, 1 (the
    ridge where the cold continuation starts) and above, m finite and infinite, the identity and
    spectra of 2 and 3 atoms, four activations, and a walk moving psi_n, psi_p and lambda together."""
    rng = np.random.default_rng(7)
    out = []
    for m, lam, sigma, act in [(1, 0.0, None, "tanh"), (3, 0.0, [(0.5, 2.0), (0.5, 0.5)], "relu"),
                               (math.inf, 0.0, None, "erf"), (1, 1e-3, None, "tanh"), (2, 0.0, [(0.3, 2.5), (0.7, 0.4)], "tanh"),
                               (1, 0.0, [(0.2, 3.0), (0.3, 1.0), (0.5, 0.1)], "erf"), (math.inf, 1e-4, None, "relu"),
                               (2, 1.0, None, "tanh"), (1, 2.5, [(0.5, 2.0), (0.5, 0.5)], "x*exp(-x**2)")]:
        psi_n, t = float(10 ** rng.uniform(-0.7, 0.7)), float(10 ** rng.uniform(-1.5, 0.7))
        if m == math.inf:
            ps = np.geomspace(0.3, 8.0, 30)
        else:
            d = np.geomspace(2e-1, 1e-5, 15)
            ps = np.concatenate([m * psi_n * (1 - d), m * psi_n * (1 + d)])
        out.append([dict(psi_n=psi_n, psi_p=float(p), m=m, t=t, lam=lam, sigma=sigma, activation=act) for p in ps])
        out.append([dict(psi_n=psi_n * (1 + 0.01 * j), psi_p=float(ps[3]) * (1 + 0.003 * j), m=m, t=t,
                         lam=lam * (1 + 0.02 * j), sigma=sigma, activation=act) for j in range(10)])
    return out


def _run_loops(monkeypatch, compiled: bool):
    """Every point of `_loops` by `rmt_dsm.errors` (from no kept root), with the one-point path in
    C or without it: (values, accuracy, residual, iterations, chart) or the error raised, and how
    many points the C path answered, handed back to Python, or left to the cold start."""
    import rmt_dsm
    from rmt_dsm import batch

    batch._WARM.clear()
    batch._CONTEXTS.clear()
    if not compiled:
        monkeypatch.setattr(batch, "_one_point", lambda *a: None)
    count = {"answered": 0, "handed back": 0}
    original = batch._one_compiled

    def counted(*args):
        out = original(*args)
        count["answered" if out is not None else "handed back"] += 1
        return out

    monkeypatch.setattr(batch, "_one_compiled", counted)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for loop in _loops():
            for kw in loop:
                try:
                    r = rmt_dsm.errors(**kw)
                    rows.append((r.train, r.test, r.score, r.gap, r.floor, tuple(r.accuracy.values()), r.residual,
                                 r.iterations, r.chart))
                except Exception as exc:  # noqa: BLE001 -- the same failure is expected of both paths
                    rows.append(repr(exc))
    batch._WARM.clear()
    batch._CONTEXTS.clear()
    return rows, count


@needs_kernels
def test_one_point_in_c_gives_the_python_paths_bits(monkeypatch):
    """`rmt_dsm.batch._one` by its C translation (rmt_dsm/compiled/one_point.h) and by the Python
    path alone, along the same loops from the same (empty) store of roots: the same values,
    accuracy estimates, residuals, iteration counts and charts at every point.  The C path
    answers most points itself; the points it hands back are the ones Python does not certify
    either (they go to the scalar path)."""
    with monkeypatch.context() as mp:
        fast, count = _run_loops(mp, compiled=True)
    with monkeypatch.context() as mp:
        slow, count_python = _run_loops(mp, compiled=False)
    assert count["answered"] >= 0.8 * len(fast), count
    assert count_python["answered"] == 0
    assert len(fast) == len(slow) == sum(map(len, _loops()))
    for kw, a, b in zip([kw for loop in _loops() for kw in loop], fast, slow):
        assert a == b, kw


@needs_kernels
def test_one_point_in_c_hands_back_what_python_would_not_certify(monkeypatch):
    """Where the C path returns None, the Python path of `_one` raises Failed at the same point
    with the same kept roots (it is never a point the Python path would have answered)."""
    from dataclasses import replace

    import rmt_dsm
    from rmt_dsm import batch
    from rmt_dsm.engine import single

    batch._WARM.clear()
    handed = []
    original = batch._one_compiled

    def check(ctx, pt, coef, primal):
        kept = {k: list(v) for k, v in batch._WARM.items()}
        out = original(ctx, pt, coef, primal)
        if out is None:
            with pytest.raises(single.Failed), np.errstate(all="ignore"):
                _python_one(batch, replace(ctx, one=None, templates={}), pt, coef)
            handed.append(pt)
            batch._WARM.clear()
            batch._WARM.update(kept)
        return out

    monkeypatch.setattr(batch, "_one_compiled", check)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for loop in _loops()[:6]:
            for kw in loop:
                try:
                    rmt_dsm.errors(**kw)
                except Exception:  # noqa: BLE001
                    pass
    batch._WARM.clear()
    assert handed  # within 1e-5 of the threshold some points are not certified in double


def _python_one(batch, ctx, pt, coef):
    """The Python path of `rmt_dsm.batch._one` with the context ``ctx`` (whose ``one`` is None)."""
    original = batch._context
    try:
        batch._context = lambda sigma: ctx
        return batch._one(pt, coef)
    finally:
        batch._context = original


@needs_kernels
def test_one_point_binding_refuses_what_it_cannot_run():
    """`rmt_dsm.compiled.kernels.one_point`: None for a function without a kernel; the extension
    refuses wrong numbers of kernels, positions or constants and kernels of the wrong shapes."""
    from rmt_dsm import batch
    from rmt_dsm.compiled import kernels as K

    import importlib

    ns, obs = (vars(importlib.import_module(f"rmt_dsm.compiled.{name}_isotropic_numpy")) for name in ("dsm", "observables"))
    p = len(ns["META"]["theta"])
    fns = [ns["f"], ns["fj"], *(ns[f"ft_{k}"] for k in range(p)), obs["Q"], obs["X1"], obs["dQ_dg"], obs["dQ_dtheta"],
           obs["errors_primal"], obs["errors_dual"]]
    consts = [1.0] * 25
    assert K.one_point([*fns[:-1], lambda *a: 0], range(8), range(6), consts) is None
    assert callable(K.one_point(fns, range(8), range(6), consts))
    with pytest.raises(ValueError, match="constants"):
        K.one_point(fns, range(8), range(6), consts[:-1])
    with pytest.raises(ValueError, match="shapes"):
        K.one_point([fns[1], fns[0], *fns[2:]], range(8), range(6), consts)  # f and fj exchanged
    with pytest.raises(ValueError, match="out of range"):
        K.one_point(fns, [p, *range(7)], range(6), consts)
    with pytest.raises(ValueError, match="_WARM_ROOTS out of range"):
        K.one_point(fns, range(8), range(6), [*consts[:-1], 17.0])
    assert batch._one_point.__name__ == "_one_point"


# --------------------------------------------------------------------------- many points in C
@needs_kernels
def test_chain_reads_each_ratio_as_numpy_reads_its_decimal():
    """The chain reads psi_n, psi_p, lambda in long double as `rmt_dsm.batch._decimal` does
    (numpy's reading of repr(x)): by one exact product or quotient for exponents up to 27, by
    strtold beyond: the same long double over 40 decades, all digit counts, signs and extremes."""
    rng = np.random.default_rng(3)
    xs = [float(v) for v in 10 ** rng.uniform(-40, 40, 20000)]
    xs += [float(f"{rng.uniform(0.1, 10):.{k}g}") for k in range(1, 18) for _ in range(300)]
    xs += [float(v) for v in rng.standard_normal(2000)]
    xs += [0.1, 1e-5, 1e22, 1e23, 1e27, 1e28, 1e-27, 1e-28, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
           123456789012345678.0, 9007199254740993.0, 0.0, -0.0]
    size = np.finfo(LD).nexp + np.finfo(LD).nmant + 1  # the bytes of the value (no padding)
    for x in xs:
        mine = kernels._MODULE.decimal(x)
        assert mine[:(size + 7) // 8] == LD(repr(x)).tobytes()[:(size + 7) // 8], repr(x)


def _chain_cases():
    """Loops of `_loops` as lists of points (one schedule each: one run of the chain), and two
    of them of one data spectrum one after the other (two runs)."""
    from rmt_dsm.point import point

    loops = [[point(**kw) for kw in loop] for loop in _loops()]
    assert loops[0][0].sigma == loops[6][0].sigma and loops[0][0].t != loops[6][0].t
    return loops + [loops[0] + loops[6]]


def _kept_roots():
    from rmt_dsm import batch

    return {k: [(*e[:4], batch._packed_start(e[4])) for e in v] for k, v in batch._WARM.items()}


@needs_kernels
@pytest.mark.parametrize("threads", [1, 2])
def test_chain_is_the_loop_of_one_point_calls(monkeypatch, threads):
    """`rmt_dsm.batch._chained` (the C path along the points, certificates on one or two threads)
    and a loop of the Python path of one point (`_one` without C), from the same empty store:
    the same rows (values, accuracy, residual, iterations) and the same roots kept, at every
    point of the researcher's loops (up to 1e-5 of the threshold, where some certificates fail
    and the chain hands points back and goes on)."""
    from rmt_dsm import batch

    monkeypatch.setattr(batch, "_THREADS", threads)
    calls = []
    original = batch.kernels_chain
    monkeypatch.setattr(batch, "kernels_chain", lambda *a: calls.append(a[5]) or original(*a))
    handed = 0
    for pts in _chain_cases():
        if any(pt.at_threshold for pt in pts):
            continue
        coefs = [batch._coefficients(pt) for pt in pts]
        ctx = batch._context(pts[0].sigma)
        batch._WARM.clear()
        calls.clear()
        with np.errstate(all="ignore"):
            fast = batch._chained(ctx, pts, coefs)
        kept_fast = _kept_roots()
        handed += len(calls) - 1
        batch._WARM.clear()
        slow = [batch._one_or_none(pt, coef, compiled=False) for pt, coef in zip(pts, coefs)]
        assert fast == slow
        assert kept_fast == _kept_roots()
    batch._WARM.clear()
    assert handed >= 2  # some points were handed back to Python and the chain went on


@needs_kernels
def test_curve_along_the_ratios_is_the_curve_of_the_points(batch_path):
    """`rmt_dsm.batch.errors_for` along psi_p or psi_n (the C path over arrays, no point built
    per entry) and `errors_at_points` at the validated points: the same results (values,
    params in the same order, charts, accuracy), warnings and kept roots, through the threshold
    (an entry exactly on it: +inf) and with a data spectrum."""
    from rmt_dsm import batch
    from rmt_dsm.data_spectrum import as_spectrum

    def sweep(n, **kw):
        base = dict(psi_n=1.0, psi_p=1.0, m=1, t=0.1, lam=0.0, a=None, delta=None)
        base.update(kw)
        return {k: (v if isinstance(v, list) else [v] * n) for k, v in base.items()}

    cases = [(sweep(201, psi_p=[0.99 + 0.0001 * k for k in range(200)] + [1.0]), None, True),
             (sweep(60, psi_n=list(np.linspace(0.5, 2.0, 60)), psi_p=2.0, m=2, lam=1e-3), [(0.3, 0.5), (0.7, 1.4)], False),
             (sweep(40, psi_n=[1.0, 2.0] * 20, psi_p=[0.5, 3.0] * 20, m=2), None, False)]
    for values, sigma, diverges in cases:
        runs = []
        for fast in (True, False):
            batch._WARM.clear()
            with warnings.catch_warnings(record=True) as log:
                warnings.simplefilter("always")
                if fast:
                    res = batch.errors_for(values, "tanh", as_spectrum(sigma))
                else:
                    res = batch.errors_at_points(batch.points_for(values, "tanh", as_spectrum(sigma)))
            runs.append(([(vars(r), list(vars(r)), list(r.params)) for r in res], [str(w.message) for w in log],
                         _kept_roots()))
        assert runs[0] == runs[1]
        assert any(r[0]["diverged"] for r in runs[0][0]) == diverges
    batch._WARM.clear()


@needs_kernels
def test_chain_and_records_refuse_what_they_cannot_run():
    """`chain` and `records` of the extension refuse arrays of the wrong sizes, a callable that is
    not a bound one-point path, and bad thread counts, naming what is wrong."""
    from rmt_dsm import batch
    from rmt_dsm.point import point
    from rmt_dsm.result import Errors

    pt = point(1.0, 0.5, 1, t=0.3)
    ctx, coef = batch._context(pt.sigma), batch._coefficients(pt)
    packed = batch._one_template(ctx, pt, coef).packed
    points, stores = np.zeros((3, 6)), ([], [], [], [])
    with pytest.raises(ValueError, match="wrong size"):
        kernels.chain(ctx.one, *packed, points, stores, 0, np.zeros((2, 12)), 1)
    with pytest.raises(ValueError, match="threads"):
        kernels.chain(ctx.one, *packed, points, stores, 0, np.zeros((3, 12)), 3)
    with pytest.raises(ValueError, match="i0"):
        kernels.chain(ctx.one, *packed, points, stores, 4, np.zeros((3, 12)), 1)
    with pytest.raises(TypeError, match="4 lists"):
        kernels.chain(ctx.one, *packed, points, ([],), 0, np.zeros((3, 12)), 1)
    with pytest.raises((TypeError, ValueError)):
        kernels.chain(print, *packed, points, stores, 0, np.zeros((3, 12)), 1)
    with pytest.raises(ValueError, match="wrong size"):
        kernels.records(Errors, {}, np.zeros((2, 12)), np.zeros((3, 2)), np.ones(3, np.uint8), coef)
    assert kernels.records(Errors, {"psi_n": 0.0}, np.zeros((1, 12)), np.ones((1, 2)), np.zeros(1, np.uint8),
                           coef) == [None]
