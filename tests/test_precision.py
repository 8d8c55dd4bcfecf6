"""Precision and accuracy of the theory (docs/model.md, numerical contract), by independent routes:

* double precision against the same point at dps = 50 (or 30): the value must agree within its
  own accuracy estimate (the estimate bounds the true error), with no PrecisionWarning unless
  the estimate exceeds 1e-10;
* D digits against D + 10 digits, and results rounded to D digits;
* closed forms (F_pop = a^2 / Gamma^2, the Hermite terms of the weakly correlated cross moment
  integrated here by mpmath.quad) against the library's route;
* the architecture: nothing below rmt_dsm.api imports it; typed result attributes.
"""
from __future__ import annotations

import ast
import json
import math
import warnings
from pathlib import Path

import mpmath
import pytest

import rmt_dsm
from rmt_dsm import moments
from rmt_dsm.equivalence import coefficients

FIELDS = ("train", "test", "score", "gap", "floor")
T_GRID = (1e-3, 0.1, 1, 5, 20, 50)
EPS = 2.0**-52


def _rel(x, ref):
    """Relative difference of a float from a reference (absolute when the reference is 0)."""
    return float(abs(mpmath.mpf(x) - ref) / abs(ref)) if ref != 0 else float(abs(x))


def _check_against(ref_dps, psi_n, psi_p, m, t, lam, activation="tanh"):
    """Double vs ``ref_dps`` digits: each value within (twice) its estimated accuracy; returns
    the largest true relative error and the largest ratio true / estimate."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", rmt_dsm.PrecisionWarning)
        e = rmt_dsm.errors(psi_n, psi_p, m, t=t, lam=lam, activation=activation)
    ref = rmt_dsm.errors(psi_n, psi_p, m, t=t, lam=lam, activation=activation, dps=ref_dps)
    worst, ratio = 0.0, 0.0
    for f in FIELDS:
        true, est = _rel(getattr(e, f), getattr(ref, f)), e.accuracy[f]
        assert true <= 2 * est or true == 0, (f, true, est)
        worst, ratio = max(worst, true), max(ratio, true / est if est else 0.0)
    warned = any(issubclass(w.category, rmt_dsm.PrecisionWarning) for w in caught)
    assert warned == (max(e.accuracy.values()) > 1e-10)
    assert warned or worst <= 1e-10
    return worst, ratio


@pytest.mark.parametrize("t", [0.1, 50])
@pytest.mark.parametrize("psi_n,psi_p,m,lam", [(0.7, 1.3, 3, 0.0), (0.5, 1.7, math.inf, 0.01)])
def test_double_vs_dps50(psi_n, psi_p, m, lam, t):
    _check_against(50, psi_n, psi_p, m, t, lam)


def test_near_threshold():
    # psi_p = 0.7 (1 + 1e-5): the double solve alone is off by 1.6e-10
    worst, _ = _check_against(30, 0.7, 0.7 * (1 + 1e-5), 1, 0.4, 0.0)
    assert worst <= 1e-14


@pytest.mark.slow
def test_issue_point_near_threshold():
    # psi_p = 0.7 (1 + 1e-7): the double solve alone was off by 2.5e-8 with no warning
    worst, _ = _check_against(30, 0.7, 0.7 * (1 + 1e-7), 1, 0.4, 0.0)
    assert worst <= 1e-14


@pytest.mark.slow
@pytest.mark.parametrize("t", T_GRID)
@pytest.mark.parametrize("psi_n,psi_p,m,lam", [
    (0.7, 0.5, 1, 0.0), (0.7, 1.3, 3, 0.0), (0.5, 1.7, math.inf, 0.01),
    (0.7, 0.7 * (1 + 1e-7), 1, 0.0), (0.7, 0.7 * (1 - 1e-7), 1, 0.0), (1e4, 0.5, 1, 0.0),
])
def test_double_vs_dps50_grid(psi_n, psi_p, m, lam, t):
    _check_against(50, psi_n, psi_p, m, t, lam)


@pytest.mark.slow
@pytest.mark.parametrize("activation", ["erf", "relu", "x*exp(-x**2)"])
@pytest.mark.parametrize("t", [1e-3, 1, 50])
def test_double_vs_dps50_activations(activation, t):
    _check_against(50, 0.7, 1.3, 3, t, 0.0, activation)
    _check_against(50, 0.5, 0.4, math.inf, t, 0.1, activation)


def _coefficients_agree(activation, t):
    # the accuracy estimate of errors() assumes the double coefficients within 8 eps
    lo = coefficients(activation, math.exp(-t), -math.expm1(-2 * t))
    with mpmath.workdps(70):
        a, delta = mpmath.exp(-mpmath.mpf(t)), -mpmath.expm1(-2 * mpmath.mpf(t))
    hi = coefficients(activation, a, delta, dps=50)
    for f in ("mu0", "mu1", "v2", "s2", "norm2"):
        assert _rel(getattr(lo, f), getattr(hi, f)) <= 8 * EPS, (t, f)


#: quadrature at 65 digits takes seconds for these (slow suite)
_SLOW_COEFFICIENTS = [(act, t) for act in ("tanh", "x*exp(-x**2)") for t in (1e-3, 0.1, 1)]


@pytest.mark.parametrize("activation,t", [(act, t) for act in ("tanh", "erf", "relu", "x*exp(-x**2)")
                                          for t in T_GRID if (act, t) not in _SLOW_COEFFICIENTS])
def test_coefficients_double_vs_dps50(activation, t):
    _coefficients_agree(activation, t)


@pytest.mark.slow
@pytest.mark.parametrize("activation,t", _SLOW_COEFFICIENTS)
def test_coefficients_double_vs_dps50_small_t(activation, t):
    _coefficients_agree(activation, t)


@pytest.mark.parametrize("t", [30, 50])
def test_tanh_cross_moment_large_t(t):
    # rho = e^{-2t}: E[tanh(h) tanh(h')] = h1^2 rho + h3^2 rho^3 + O(rho^5) (Mehler), with
    # h_k = E[tanh(z) He_k(z)] / sqrt(k!) integrated here by mpmath.quad
    with mpmath.workdps(40):
        rho = mpmath.exp(-2 * mpmath.mpf(t))
        phi = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        h1 = mpmath.quad(lambda z: mpmath.tanh(z) * z * phi(z), [-mpmath.inf, 0, mpmath.inf])
        h3 = mpmath.quad(lambda z: mpmath.tanh(z) * (z**3 - 3 * z) * phi(z), [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(6)
        want = h1**2 * rho + h3**2 * rho**3
        got = moments.cross("tanh", 1, rho, dps=30)
        assert abs(got - want) <= mpmath.mpf(10) ** -28 * want
        c = coefficients("tanh", mpmath.sqrt(rho), 1 - rho, dps=30)
        # v2 = sum_{k>=2} h_k^2 rho^k / (a^2 + delta)^0 ... here Gamma^2 = 1 + rho - rho = 1
        assert abs(c.v2 - h3**2 * rho**3) <= mpmath.mpf(10) ** -25 * h3**2 * rho**3


@pytest.mark.parametrize("activation", ["tanh", "erf", "relu", "x*exp(-x**2)"])
def test_coefficients_precision_contract_large_t(activation):
    D = 30
    for t in ("30", "50"):
        with mpmath.workdps(80):
            a, delta = mpmath.exp(-mpmath.mpf(t)), -mpmath.expm1(-2 * mpmath.mpf(t))
        lo, hi = coefficients(activation, a, delta, dps=D), coefficients(activation, a, delta, dps=D + 10)
        for f in ("mu1", "v2", "s2", "norm2"):
            x, y = getattr(lo, f), getattr(hi, f)
            assert abs(x - y) <= mpmath.mpf(10) ** (-(D - 5)) * abs(y), (t, f)


@pytest.mark.parametrize("t", [5, 20, 50])
def test_floor_large_t(t):
    with mpmath.workdps(60):
        a2 = mpmath.exp(-2 * mpmath.mpf(t))
        want = a2 / (a2 - mpmath.expm1(-2 * mpmath.mpf(t)))
    e = rmt_dsm.errors(0.5, 1.7, 1, t=t, lam=0.1)
    assert _rel(e.floor, want) <= 4 * EPS
    e30 = rmt_dsm.errors(0.5, 1.7, 1, t=t, lam=0.1, dps=30)
    assert abs(e30.floor - want) <= mpmath.mpf(10) ** -29 * want
    with pytest.warns(rmt_dsm.api.ThresholdDivergence):  # the floor at the divergence, too
        d = rmt_dsm.errors(0.5, 1.0, 2, t=t, lam=0.0)
    assert _rel(d.floor, want) <= 4 * EPS


@pytest.mark.parametrize("t", [5, 20, 50])
def test_gap_positive_at_m_inf_large_t(t):
    # at m = inf the gap vanishes like a^4: the difference test - train cancels ~4t/ln(10) digits
    e = rmt_dsm.errors(0.5, 1.7, math.inf, t=t, lam=0.01)
    ref = rmt_dsm.errors(0.5, 1.7, math.inf, t=t, lam=0.01, dps=30)
    ref40 = rmt_dsm.errors(0.5, 1.7, math.inf, t=t, lam=0.01, dps=40)
    assert ref.gap > 0 and e.gap > 0
    assert _rel(e.gap, ref.gap) <= 1e-14
    assert abs(ref.gap - ref40.gap) <= mpmath.mpf(10) ** -25 * ref40.gap


def test_results_rounded_to_dps():
    e20 = rmt_dsm.errors(0.8, 1.7, 3, t=0.2, lam=0.05, dps=20)
    e30 = rmt_dsm.errors(0.8, 1.7, 3, t=0.2, lam=0.05, dps=30)
    with mpmath.workdps(20):
        prec20 = mpmath.mp.prec
    for f in FIELDS:
        v = getattr(e20, f)
        assert isinstance(v, mpmath.mpf) and v._mpf_[3] <= prec20, f   # no more bits than 20 digits
        assert abs(v - getattr(e30, f)) <= mpmath.mpf(10) ** -19 * abs(getattr(e30, f)), f
    assert e20.accuracy == dict.fromkeys(FIELDS, 1e-15)


@pytest.mark.slow
def test_precision_contract_near_threshold():
    D = 20
    lo = rmt_dsm.errors(0.7, 0.70000007, 1, t=0.4, lam=0.0, dps=D)
    hi = rmt_dsm.errors(0.7, 0.70000007, 1, t=0.4, lam=0.0, dps=D + 10)
    for f in FIELDS:
        a, b = getattr(lo, f), getattr(hi, f)
        assert abs(a - b) <= mpmath.mpf(10) ** (-(D - 5)) * max(abs(b), mpmath.mpf(10) ** -300), f


def test_precision_warning_and_cli_line(monkeypatch, capsys):
    # an input error 1e-6 (instead of 8 eps) must turn into an estimate above 1e-10 and a warning
    from rmt_dsm import batch, scalar
    from rmt_dsm.cli import main

    for path in (scalar, batch):  # the one constant, as the one-point and the batched path bind it
        monkeypatch.setattr(path, "_INPUT_REL", 1e-6)
    monkeypatch.setattr(batch, "_CONTEXTS", {})  # the C one-point path binds the constants with its context
    with pytest.warns(rmt_dsm.PrecisionWarning, match="dps"):
        e = rmt_dsm.errors(1.0, 0.5, 3, t=0.3, lam=0.1)
    assert max(e.accuracy.values()) > 1e-10 and e.digits <= 10
    assert main(["errors", "--psi-n", "1", "--psi-p", "0.5", "--m", "3", "--t", "0.3", "--lam", "0.1", "--json"]) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert set(payload["accuracy"]["relative"]) == set(FIELDS) and payload["accuracy"]["digits"] == e.digits
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "--dps" in lines[0] and f"about {e.digits} correct digits" in lines[0]


def test_no_warning_and_accuracy_in_json(capsys):
    from rmt_dsm.cli import main

    assert main(["errors", "--psi-n", "1", "--psi-p", "0.5", "--m", "3", "--t", "0.3", "--lam", "0.1", "--json"]) == 0
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert err == "" and payload["accuracy"]["digits"] >= 13
    assert all(0 < v < 1e-13 for v in payload["accuracy"]["relative"].values())


def test_result_attributes():
    e = rmt_dsm.errors(1.0, 0.5, 3, t=0.3, lam=0.1)
    assert e.chart == "primal" and e.iterations >= 0 and abs(e.residual) < 1e-12 and not e.diverged
    assert e.info["residual"] == e.residual and e.info["coefficients"] is e.coefficients
    with pytest.raises(TypeError):
        e.info["chart"] = "dual"  # read-only view
    assert not hasattr(e.solution, "success")
    assert issubclass(rmt_dsm.PrecisionWarning, UserWarning)


def test_nothing_below_the_facade_imports_it():
    root = Path(rmt_dsm.__file__).parent
    below = [root / f"{name}.py" for name in ("point", "precision", "moments", "hermite", "equivalence",
                                              "activations", "model", "result", "scalar", "batch",
                                              "training_time")]
    below += sorted((root / "engine").glob("*.py")) + sorted((root / "dsm").glob("*.py"))
    for path in below:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [a.name for a in node.names]
                assert not any(n == "api" or n.endswith(".api") for n in names), path
