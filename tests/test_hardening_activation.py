"""Custom activations are parsed, never evaluated: hostile strings have no side effect and are
refused in one line naming --activation; activations without Gaussian moments are refused.

Independent routes: the side effect is observed on the file system (a sentinel file the hostile
strings try to create); the parser's expressions are compared with Python's own evaluation of
the same generated (safe) formulas; the existence of the moments of exp(c x^2) comes from the
closed form E exp(2 c Gamma^2 z^2) = (1 - 4 c Gamma^2)^(-1/2), finite iff 4 c Gamma^2 < 1.
"""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmt_dsm.activations import check_gaussian_moments, get_activation
from rmt_dsm.cli import main
from rmt_dsm.expression import FUNCTIONS, MAX_LENGTH, parse_expression

SENTINEL_NAME = "rmt_dsm_pwned"


def hostile(sentinel: str) -> list[str]:
    """Strings that run code, read files or blow up under sympify/eval; each would create
    ``sentinel`` if it were executed."""
    s = sentinel
    return [
        f"__import__('os').system('touch {s}')",
        f"__import__('pathlib').Path('{s}').touch()",
        f"open('{s}', 'w').write('x')",
        f"exec(\"open('{s}', 'w')\")",
        f"eval(\"open('{s}', 'w')\")",
        f"(lambda: open('{s}', 'w'))()",
        f"[open('{s}', 'w') for _ in (1,)]",
        f"x.__class__.__mro__[-1].__subclasses__()",
        f"getattr(x, '__class__')",
        f"x + __builtins__.__import__('os').system('touch {s}')",
        f"f\"{{open('{s}', 'w')}}\"",
        f"x; open('{s}', 'w')",
        f"x if open('{s}', 'w') else x",
        f"Symbol('y') + open('{s}', 'w').write('1')",
        f"sympify(\"open('{s}', 'w')\")",
        f"Function('f')(x) + open('{s}', 'w').write('1')",
        "globals()",
        "compile('1', 'f', 'eval')",
        "x" + "+x" * 400,                          # too long
        "tanh(" * 40 + "x" + ")" * 40,              # deep nesting within the length limit
        "-" * 60 + "x",                             # deep unary nesting
        "9**9**9**9",                               # exponent bomb
        "x**(10**10)",
        "x**1000000",
        "exp(exp(exp(exp(1000))))*x",
        "factorial(10**10)*x",
        "1e999*x",
        "x*True",
        "b'x'",
        "x\x00",
        "x ** 0.5 ; import os",
        "ｘ*2",                                     # a full-width x (not ASCII)
    ]


@pytest.fixture
def sentinel(tmp_path):
    return tmp_path / SENTINEL_NAME


def test_hostile_strings_are_refused_without_side_effect(sentinel, capsys):
    strings = hostile(str(sentinel))
    assert len(strings) >= 15
    for text in strings:
        status = main(["errors", "--psi-n", "1", "--psi-p", "2", "--m", "1", "--t", "0.5", "--json",
                       f"--activation={text}"])
        out, err = capsys.readouterr()
        assert status == 2, (text, err)
        assert out == "", text
        lines = err.strip().splitlines()
        assert len(lines) == 1 and "--activation" in lines[0], (text, err)
        assert not sentinel.exists(), text


def test_hostile_strings_through_the_python_api(sentinel):
    import rmt_dsm
    from rmt_dsm.simulate import simulate

    for text in hostile(str(sentinel)):
        with pytest.raises(ValueError, match="activation"):
            rmt_dsm.errors(1.0, 2.0, 1, t=0.5, activation=text)
        with pytest.raises(ValueError, match="activation"):
            simulate(d=10, psi_n=1, psi_p=1, m=1, t=0.5, activation=text)
        assert not sentinel.exists(), text


@pytest.mark.parametrize("command", [
    ["errors", "--psi-n", "1", "--psi-p", "2", "--m", "1", "--t", "0.5"],
    ["simulate", "--d", "10", "--psi-n", "1", "--psi-p", "2", "--m", "1", "--t", "0.5"],
    ["phase", "--m", "1", "--t", "0.5", "--num", "2"],
])
def test_hostile_string_in_a_subprocess(tmp_path, command):
    sentinel = tmp_path / SENTINEL_NAME
    text = f"__import__('os').system('touch {sentinel}')"
    run = subprocess.run([sys.executable, "-m", "rmt_dsm.cli", *command, f"--activation={text}",
                          *(["--out", str(tmp_path / "o")] if command[0] == "phase" else [])],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and "--activation" in run.stderr
    assert not sentinel.exists()
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("text", ["x*exp(-x**2)", "sigmoid(x)", "Max(x, 0) - 0.5*Min(x, 0)", "sin(x + 1)",
                                  "abs(x)**0.25", "log(1 + x**2)", "Heaviside(x)", "x**3 - x", "gelu(x)"])
def test_ordinary_activations_are_accepted(text):
    act = check_gaussian_moments(text, 1.0)
    v = act(np.array([0.3, -1.7]))
    assert v.shape == (2,) and np.all(np.isfinite(v))


@pytest.mark.parametrize("text", ["sin(x)/x", "log(abs(x))", "abs(x)**(-0.25)", "1/(x - 0.5)"])
def test_activations_not_finite_where_the_quadratures_sample_are_refused(text):
    """0/0 or an (even integrable) singularity at 0 or at a node of the quadratures' grids."""
    with pytest.raises(ValueError, match="not finite at x = "):
        get_activation(text)


def test_decimals_are_exact():
    import sympy as sp

    assert parse_expression("0.1*x") == sp.Rational(1, 10) * sp.Symbol("x", real=True)


@pytest.mark.parametrize("c, gamma2", [(1 / 8, 1.0), (1 / 5, 1.0), (1 / 20, 4.0)])
def test_exp_quadratic_with_finite_moments_is_accepted(c, gamma2):
    assert 4 * c * gamma2 < 1  # E exp(2 c Gamma^2 z^2) finite
    check_gaussian_moments(f"exp({c}*x**2)", gamma2)


@pytest.mark.parametrize("c, gamma2", [(1 / 3, 1.0), (1 / 4, 1.0), (1.0, 1.0), (1 / 8, 4.0)])
def test_exp_quadratic_without_moments_is_refused(c, gamma2):
    assert 4 * c * gamma2 >= 1  # E exp(2 c Gamma^2 z^2) = inf
    with pytest.raises(ValueError, match="activation"):
        check_gaussian_moments(f"exp({c}*x**2)", gamma2)


@pytest.mark.parametrize("text", ["1/x", "1/(x - 1)", "tan(x)", "abs(x)**(-0.5)", "1/x**2", "log(x)", "sqrt(x)",
                                  "exp(exp(x))", "cosh(x)**8"])
def test_activations_without_moments_are_refused(text):
    """Non-integrable singularities (|x|^-1/2 squared is 1/|x|), non-real values, growth faster
    than exp(x^2/4) at Gamma = 1."""
    import rmt_dsm

    with pytest.raises(ValueError, match="activation"):
        rmt_dsm.errors(1.0, 2.0, 1, t=0.5, activation=text)


def test_moments_refused_on_the_command_line(capsys):
    status = main(["errors", "--psi-n", "1", "--psi-p", "2", "--m", "1", "--a", "1", "--delta", "3",
                   "--activation", "exp(x**2/8)"])  # Gamma^2 = 4: 4 c Gamma^2 = 2 >= 1
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1 and "--activation" in err


# --------------------------------------------------------------------------------- properties

_MATH = {"tanh": math.tanh, "erf": math.erf, "sin": math.sin, "cos": math.cos, "exp": math.exp,
         "atan": math.atan, "abs": abs, "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
         "relu": lambda v: max(v, 0.0), "max": max, "min": min}


def _formulas():
    leaves = st.one_of(st.just("x"), st.integers(0, 9).map(str),
                       st.sampled_from(["0.5", "1.25", "2.5", "0.1"]))

    def extend(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}) / (2 + ({t[1]})**2)"),
            st.tuples(inner, st.integers(0, 3)).map(lambda t: f"({t[0]})**{t[1]}"),
            st.tuples(st.sampled_from(["tanh", "erf", "sin", "cos", "atan", "abs", "sigmoid", "relu"]), inner)
            .map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["max", "min"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            inner.map(lambda e: f"-({e})"),
        )

    return st.recursive(leaves, extend, max_leaves=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_formulas(), st.floats(-3, 3))
def test_parsed_formula_equals_python_evaluation(text, value):
    """The parser's sympy expression evaluates like Python evaluates the same (generated,
    harmless) formula."""
    import sympy as sp

    try:
        expected = eval(text, {"__builtins__": {}}, {**_MATH, "x": value})  # the test's own strings only
    except (OverflowError, ZeroDivisionError):
        return
    if not math.isfinite(expected):
        return
    try:
        expr = parse_expression(text)
    except ValueError as exc:  # a constant sub-expression beyond the documented magnitude limit
        assert "magnitude" in str(exc)
        return
    got = float(expr.subs(sp.Symbol("x", real=True), sp.Float(value, 30)).evalf(30))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_value_error(text):
    try:
        parse_expression(text)
    except ValueError as exc:
        assert str(exc).startswith("activation")
        assert "\n" not in str(exc)


_SYNTAX = st.text(alphabet="x()[]{}._'\",:;=+-*/%^&|<>!~@ \t0123456789eajlmbdsoin", max_size=60)


@settings(max_examples=300, deadline=None)
@given(_SYNTAX)
def test_python_syntax_soup_parses_or_raises_value_error(text):
    """Strings made of Python's punctuation and letters of dangerous keywords (lambda, import...);
    no warning escapes (on the command line it would be a second line)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            expr = parse_expression(text)
    except ValueError:
        return
    import sympy as sp

    assert isinstance(expr, sp.Expr) and expr.free_symbols <= {sp.Symbol("x", real=True)}


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True))
def test_unknown_names_attributes_and_dunders_are_refused(name):
    if name in FUNCTIONS or name in ("x", "pi", "E"):
        return
    for text in (f"{name}(x)", f"x*{name}", f"x.{name}", f"{name}", f"x[{name}]", f"__{name}__(x)"):
        with pytest.raises(ValueError, match="activation"):
            parse_expression(text)


@settings(max_examples=100, deadline=None)
@given(st.integers(MAX_LENGTH + 1, 5 * MAX_LENGTH))
def test_long_strings_are_refused(length):
    with pytest.raises(ValueError, match="too long"):
        get_activation("x" + "+x" * (length // 2))
