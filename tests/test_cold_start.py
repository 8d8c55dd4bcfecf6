"""Generated numeric code (rmt_dsm.engine.codegen, rmt_dsm.compiled): current, equal to the sympy
objects it comes from, and the default path free of sympy.  No timing here: benchmarks/cold_start.py."""
import json
import math
import random
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import sympy as sp

import rmt_dsm
from rmt_dsm.compiled import load
from rmt_dsm.compiled.generate import stale
from rmt_dsm.data_spectrum import as_spectrum, isotropic
from rmt_dsm.dsm.numeric import numeric_observables, numeric_system
from rmt_dsm.dsm.observables import observable_functions
from rmt_dsm.dsm.system import dsm_system
from rmt_dsm.engine import codegen


def test_shipped_code_is_current():
    """Every shipped module's KEY is the hash of the symbolic source sympy gives today."""
    assert stale() == []


def _point(system, rng):
    """Random values of the unknowns and of theta (the homotopy s last) in a benign range."""
    return {s.name: rng.uniform(0.2, 0.9) for s in list(system.unknowns) + list(system._theta)}


@pytest.mark.parametrize("spectrum", [isotropic(), as_spectrum("0.3:0.5,0.7:1.4")], ids=["isotropic", "two-atoms"])
def test_generated_system_equals_sympy(spectrum):
    """F, J = dF/dg and F_theta of the shipped code against the sympy expressions evaluated by
    substitution (no lambdify): 1e-13 in double precision, 1e-45 at 50 digits."""
    symbolic = dsm_system(spectrum)
    eqs = sp.Matrix(symbolic.homotopy.equations)
    unknowns, theta = symbolic.unknowns, symbolic._theta
    J, Ft = eqs.jacobian(unknowns), eqs.jacobian(theta)
    generated = numeric_system(spectrum)
    assert [u.name for u in generated.unknowns] == [u.name for u in unknowns]
    assert [t.name for t in generated._theta] == [t.name for t in theta]
    assert generated.equations == symbolic.equations and generated.rhs == symbolic.rhs  # its symbolic source
    rng = random.Random(5)
    for _ in range(2):
        vals = _point(symbolic, rng)
        subs = {s: sp.Float(repr(vals[s.name]), 60) for s in list(unknowns) + list(theta)}
        exact = [[sp.N(e.xreplace(subs), 55) for e in M] for M in (eqs, J, Ft)]
        args = [vals[s.name] for s in list(unknowns) + list(theta)]
        n, p = len(unknowns), len(theta)
        for module, tol in (("numpy", 1e-13), ("mpmath", mpmath.mpf("1e-45"))):
            c = generated._compiled[module]
            with mpmath.workdps(50):
                a = args if module == "numpy" else [mpmath.mpf(repr(v)) for v in args]
                f, jac = c.fj(*a)
                got = [list(f), [v for row in jac for v in row], [v for row in c.ft(*a) for v in row]]
                more = [list(c.f(*a)), [c.ft_column(k)(*a)[i] for i in range(n) for k in range(p)]]
                for g, e in zip(got + more, exact + [exact[0], exact[2]]):
                    assert len(g) == len(e)
                    for gv, ev in zip(g, e):
                        ev = mpmath.mpf(str(ev))
                        assert abs(mpmath.mpf(gv) - ev) <= tol * (1 + abs(ev)), (module, gv, ev)


def test_generated_observables_equal_sympy():
    """Q, X1 and the gradients of Q of the shipped code against substitution into the sympy
    expressions, both targets."""
    for module, tol in (("numpy", 1e-13), ("mpmath", mpmath.mpf("1e-45"))):
        _, funcs, meta = observable_functions(module)
        c = numeric_observables(module, isotropic())
        assert [s.name for s in c.args] == meta["args"]
        rng = random.Random(11)
        vals = {name: rng.uniform(0.2, 0.9) for name in meta["args"]}
        args, expr_args = funcs["Q"][0], [vals[n] for n in meta["args"]]
        subs = {s: sp.Float(repr(vals[s.name]), 60) for s in args}
        with mpmath.workdps(50):
            a = expr_args if module == "numpy" else [mpmath.mpf(repr(v)) for v in expr_args]
            for name in ("Q", "X1", "dQ_dg", "dQ_dtheta"):
                expr = funcs[name][1]
                got = getattr(c, name)(*a)
                exact = [expr] if not isinstance(expr, sp.MatrixBase) else list(expr)
                got = [got] if not exact or len(exact) == 1 and not isinstance(expr, sp.MatrixBase) else \
                    [got[i, 0] for i in range(len(exact))]
                for gv, e in zip(got, exact):
                    ev = mpmath.mpf(str(sp.N(e.xreplace(subs), 55)))
                    assert abs(mpmath.mpf(gv) - ev) <= tol * (1 + abs(ev)), (module, name)


def test_symbolic_key_changes_with_the_source():
    x, y = sp.symbols("x y")
    k = codegen.symbolic_key("lambdify", "numpy", [x, y], x + y)
    assert k == codegen.symbolic_key("lambdify", "numpy", [x, y], x + y)
    assert k != codegen.symbolic_key("lambdify", "numpy", [x, y], x + 2 * y)
    assert k != codegen.symbolic_key("lambdify", "mpmath", [x, y], x + y)
    assert k != codegen.symbolic_key("lambdify", "numpy", [y, x], x + y)
    assert k != codegen.symbolic_key("lambdify", "numpy", [x, sp.Symbol("y", positive=True)], x + y)


def test_disk_cache(tmp_path, monkeypatch):
    """codegen.lambdify writes its source once under RMT_DSM_CACHE_DIR (atomically: no temporary
    file is left), reads it back, ignores a file whose KEY does not match, and agrees with
    sympy.lambdify."""
    monkeypatch.setenv("RMT_DSM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(codegen, "_MEMORY", {})
    x, y = sp.symbols("x y")
    expr = [sp.exp(x) * y / (1 + x**2), sp.sqrt(x + y) - sp.Rational(1, 3)]
    f = codegen.lambdify([x, y], expr, modules="mpmath", cse=True)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".py"
    ref = sp.lambdify([x, y], expr, modules="mpmath", cse=True)
    with mpmath.workdps(40):
        a, b = mpmath.mpf("0.3"), mpmath.mpf("1.7")
        assert f(a, b) == ref(a, b)
    text = files[0].read_text()
    monkeypatch.setattr(codegen, "_MEMORY", {})
    assert codegen.lambdify([x, y], expr, modules="mpmath", cse=True) is not f  # read back from disk
    monkeypatch.setattr(codegen, "_MEMORY", {})
    files[0].write_text(text.replace("KEY = '", "KEY = 'x"))  # a foreign or stale file: regenerated
    with mpmath.workdps(40):
        assert codegen.lambdify([x, y], expr, modules="mpmath", cse=True)(a, b) == ref(a, b)
    assert files[0].read_text() == text
    g = codegen.lambdify([x, y], expr, modules=["numpy"])
    assert np.allclose(g(np.array([0.3, 0.5]), 1.7), sp.lambdify([x, y], expr, modules=["numpy"])(
        np.array([0.3, 0.5]), 1.7), rtol=1e-15, atol=0)
    assert len(list(tmp_path.glob("*.py"))) == 2 and not list(tmp_path.glob("*.tmp"))


def test_uncacheable_falls_back_to_lambdify(tmp_path, monkeypatch):
    """A function with a numerical _imp_ (e.g. atom sums bound to one spectrum) is never cached."""
    monkeypatch.setenv("RMT_DSM_CACHE_DIR", str(tmp_path))
    x = sp.Symbol("x")
    f = sp.Function("bound", real=True)
    f._imp_ = staticmethod(lambda v: 2 * v)
    g = codegen.lambdify([x], f(x) + 1)
    assert g(3.0) == 7.0 and not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["tanh", "erf", "relu"])
def test_named_activations_without_sympy(name):
    """The sympy-free sigma, sigma' of the named activations against the lambdified sympy
    expressions, and their (kind, parity, kinks) against those derived from the expressions."""
    from rmt_dsm.activations import NAMED, NAMED_NUMERIC, get_activation
    from rmt_dsm.moments import NAMED_INFO, _info_symbolic

    act = get_activation(name)
    x = sp.Symbol("x", real=True)
    expr = NAMED[name]
    assert act.expr == expr
    d_expr = act.derivative_expr
    v = np.linspace(-4, 4, 41) + 0.01
    (f, df), (mf, mdf) = NAMED_NUMERIC[name]
    heav = {"Heaviside": lambda t, h0=0.5: np.heaviside(t, h0)}
    np.testing.assert_allclose(f(v), sp.lambdify(x, expr, modules=["numpy", {"erf": __import__("scipy.special").special.erf}])(v),
                               rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(df(v), sp.lambdify(x, d_expr, modules=[heav, "numpy"])(v), rtol=1e-14, atol=1e-16)
    with mpmath.workdps(40):
        for t in (mpmath.mpf("-1.3"), mpmath.mpf("0.7")):
            mheav = {"Heaviside": lambda s, h0=0.5: mpmath.mpf(0) if s < 0 else mpmath.mpf(1)}
            assert abs(mpmath.mpf(mf(t)) - sp.lambdify(x, expr, modules="mpmath")(t)) < mpmath.mpf("1e-38")
            assert abs(mdf(t) - sp.lambdify(x, d_expr, modules=[mheav, "mpmath"])(t)) < mpmath.mpf("1e-38")
    assert NAMED_INFO[name] == _info_symbolic(act)


def _fresh(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout)


@pytest.mark.parametrize("kwargs", [{}, {"dps": 30}, {"sigma": "0.5:0.5,0.5:1.5"},
                                    {"activation": "erf", "m": "inf", "lam": 0.0}],
                         ids=["default", "dps", "sigma", "erf"])
def test_numeric_path_imports_no_sympy(kwargs):
    """`import rmt_dsm; rmt_dsm.errors(...)` in a fresh process: sympy, scipy and matplotlib stay
    unimported, and the result is the one of this process (which has sympy loaded)."""
    args = {"psi_n": 1.0, "psi_p": 2.0, "m": 4, "t": 0.3, "lam": 0.01, **kwargs}
    code = ("import json, math, sys, rmt_dsm\n"
            f"args = {args!r}\n"
            "args['m'] = math.inf if args['m'] == 'inf' else args['m']\n"
            "e = rmt_dsm.errors(**args)\n"
            "print(json.dumps({'values': [str(v) for v in e.as_dict().values()],"
            " 'modules': sorted(m for m in ('sympy', 'scipy', 'matplotlib') if m in sys.modules)}))")
    res = _fresh(code)
    assert res["modules"] == []
    here = rmt_dsm.errors(**{**args, "m": math.inf if args["m"] == "inf" else args["m"]})
    assert res["values"] == [str(v) for v in here.as_dict().values()]


def test_generated_path_equals_lambdify_path(monkeypatch):
    """The errors from the shipped code equal those from sympy lambdified in this process (the
    symbolic system, nothing cached): the generated code is the lambdified code."""
    import rmt_dsm.dsm.numeric as numeric
    from rmt_dsm.dsm import observables
    from rmt_dsm.dsm import system as dsm_sys

    points = [dict(psi_n=1.0, psi_p=2.0, m=4, t=0.3, lam=0.01), dict(psi_n=1.0, psi_p=0.5, m=math.inf, t=1.0, lam=0.0),
              dict(psi_n=2.0, psi_p=3.0, m=2, t=0.2, lam=0.001, sigma="0.3:0.5,0.7:1.4"),
              dict(psi_n=1.0, psi_p=2.0, m=4, t=0.3, lam=0.01, dps=30)]
    from rmt_dsm import batch

    batch._WARM.clear()  # both runs cold: no root kept from earlier calls (rmt_dsm.batch._warm_root)
    fast = [rmt_dsm.errors(**p) for p in points]

    def uncached(*a, **k):
        raise codegen.Uncacheable("test: lambdify in process")

    monkeypatch.setattr(codegen, "cached_functions", uncached)
    monkeypatch.setattr(numeric, "_generated_system", lambda entry: None)
    monkeypatch.setattr(numeric, "_generated_observables", lambda module, entry: None)
    dsm_sys._system.cache_clear()
    observables.compiled.cache_clear()
    try:
        slow = [rmt_dsm.errors(**p) for p in points]
        assert isinstance(slow[3].solution.system.unknowns[0], sp.Symbol)  # (double points: solution None)
    finally:
        dsm_sys._system.cache_clear()
        observables.compiled.cache_clear()
    for f, s in zip(fast, slow):
        assert f.as_dict() == s.as_dict()
        assert f.iterations == s.iterations and f.chart == s.chart


def test_changed_sources_fall_back_to_sympy(monkeypatch):
    """When the files of the symbolic objects changed since the shipped code was generated, the
    shipped code is not used (the numeric path takes the symbolic one: slower, never stale)."""
    import rmt_dsm.compiled as compiled
    import rmt_dsm.dsm.numeric as numeric

    def clear():
        compiled._current.cache_clear()
        compiled.load.cache_clear()
        numeric._generated_system.cache_clear()
        numeric._generated_observables.cache_clear()

    assert load("dsm_isotropic_numpy") is not None
    monkeypatch.setattr(compiled, "sources_hash", lambda: "changed")
    clear()
    try:
        assert load("dsm_isotropic_numpy") is None
        assert isinstance(numeric_system(isotropic()).unknowns[0], sp.Symbol)
        assert "SOURCES" in stale()
    finally:
        monkeypatch.undo()
        clear()
    assert load("dsm_isotropic_numpy") is not None


def test_integer_powers_are_written_as_products_of_the_same_value():
    """The numpy code generator writes b**k, 1 <= |k| <= PRODUCT_MAX, as the product of k factors
    (`rmt_dsm.engine.codegen._numpy_printer`): no integer power is left in the source, and the
    function equals b**k evaluated by mpmath at 30 digits to within k roundings, for bare powers,
    powers of sums and powers inside products (which sympy prints as quotients)."""
    import inspect

    x, y = sp.symbols("x y")
    for k in [k for k in range(-codegen.PRODUCT_MAX, codegen.PRODUCT_MAX + 1) if k]:
        for expr in (x**k, (x + y)**k, 2 * x**k * y, (x - y)**k + 1):
            f = codegen.lambdified([x, y], expr, "numpy")
            assert "**" not in inspect.getsource(f), (k, expr)
            for xv, yv in [(0.7, 0.3), (1.3, -0.2), (3.0, 1.5)]:
                ref = float(sp.N(expr.subs({x: sp.Rational(str(xv)), y: sp.Rational(str(yv))}), 30))
                assert abs(f(xv, yv) - ref) <= (abs(k) + 3) * 2.3e-16 * abs(ref), (k, expr, xv, yv)
