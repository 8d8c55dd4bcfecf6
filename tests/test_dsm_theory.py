"""Theory-side tests of the DSM learning curves: independent routes only.

* precision contract (SPEC §4): D digits vs D + 10 digits;
* the two charts of the pencil (primal x=-1, y=lam; dual x=lam, y=-1) are different
  parametrizations of the same resolvents and must agree at lam > 0;
* m = infinity: the any-m system at kappa = 0 vs the independent noise-averaged pencil;
* lam -> 0+: continuity of the lam = 0 value (continuation) with small lam (homotopy);
* finite-d identities are checked in derivations/check_dsm.py; theory vs simulation in
  tests/test_validation.py; Mei-Montanari in tests/test_mei_montanari.py.
"""
import math
import warnings

import mpmath
import pytest

import rmt_dsm
from rmt_dsm.api import ThresholdDivergence
from rmt_dsm.scalar import _evaluate, _params
from rmt_dsm.point import coefficients_of, point
from rmt_dsm.precision import working_precision
from rmt_dsm.dsm.noise_averaged import errors_m_inf
from rmt_dsm.dsm.system import dsm_system
from rmt_dsm.engine import ConvergenceError

FIELDS = ("train", "test", "score", "gap", "floor")


@pytest.mark.parametrize("m", [1, 3, math.inf])
def test_precision_contract(m):
    D = 25
    lo = rmt_dsm.errors(0.8, 1.7, m, t=0.2, lam=0.05, dps=D)
    hi = rmt_dsm.errors(0.8, 1.7, m, t=0.2, lam=0.05, dps=D + 10)
    for f in FIELDS:
        a, b = getattr(lo, f), getattr(hi, f)
        assert abs(a - b) <= mpmath.mpf(10) ** (-(D - 5)) * max(1, abs(b)), f


@pytest.mark.parametrize("psi_n,psi_p,m,t,lam", [
    (1.0, 0.5, 1, 0.3, 0.1), (0.5, 1.5, 1, 1.0, 0.01), (0.7, 1.2, 3, 0.05, 0.2), (0.3, 2.0, 5, 0.5, 1e-3),
])
def test_two_charts_agree(psi_n, psi_p, m, t, lam):
    pt = point(psi_n, psi_p, m, t, lam, "tanh", None, None, 30)
    vals = []
    with working_precision(30):
        coef = coefficients_of(pt)
        for chart in ("primal", "dual"):
            p = _params(pt, coef, pt.lam)
            p["x"], p["y"] = (-1, pt.lam) if chart == "primal" else (pt.lam, -1)
            sol = dsm_system().solve(p, dps=30)
            vals.append(_evaluate(sol, chart, pt.sigma)[:2])
    for a, b in zip(*vals):
        assert abs(a - b) < mpmath.mpf(10) ** -25


@pytest.mark.parametrize("psi_n,psi_p,t,lam,act", [
    (1.0, 0.5, 0.3, 0.1, "tanh"), (0.5, 1.5, 0.05, 0.01, "erf"), (2.0, 0.7, 1.0, 0.0, "relu"),
    (0.4, 3.0, 0.5, 1e-3, "tanh"),
])
def test_m_infinity_independent_pencil(psi_n, psi_p, t, lam, act):
    e = rmt_dsm.errors(psi_n, psi_p, math.inf, t=t, lam=lam, activation=act)
    c = e.coefficients
    train, test = errors_m_inf(psi_n, psi_p, e.params["a"], e.params["delta"], lam, c.mu1, c.v2, c.s2)
    assert train == pytest.approx(e.train, rel=1e-10)
    assert test == pytest.approx(e.test, rel=1e-10)


@pytest.mark.parametrize("psi_n,psi_p,m", [(1.0, 0.5, 1), (0.5, 1.5, 1), (0.4, 2.0, 3), (1.0, 2.0, math.inf)])
def test_lam_zero_is_the_limit(psi_n, psi_p, m):
    e0 = rmt_dsm.errors(psi_n, psi_p, m, t=0.3, lam=0.0)
    e1 = rmt_dsm.errors(psi_n, psi_p, m, t=0.3, lam=1e-7)
    e2 = rmt_dsm.errors(psi_n, psi_p, m, t=0.3, lam=2e-7)
    for f in ("train", "test"):
        a, b, c = getattr(e0, f), getattr(e1, f), getattr(e2, f)
        # E(lam) = E(0) + O(lam): linear extrapolation of the two small-lam values hits E(0)
        assert abs((2 * b - c) - a) < 1e-9 * max(1, abs(a)), f


def test_threshold_divergence_is_inf_with_warning():
    with pytest.warns(ThresholdDivergence):
        e = rmt_dsm.errors(1.0, 2.0, 2, t=0.3, lam=0.0)
    assert e.test == math.inf and e.score == math.inf
    # approaching the threshold the test error grows
    vals = [rmt_dsm.errors(1.0, 2.0 + h, 2, t=0.3, lam=0.0).test for h in (0.4, 0.1, 0.02)]
    assert vals[0] < vals[1] < vals[2]


def test_errors_are_physical_on_a_grid():
    """Errors of a least-squares fit: train >= 0, test >= score >= 0 region-wide, floor = a^2 (OU)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ThresholdDivergence)
        for m in (1, 4, math.inf):
            for t in (0.05, 1.0):
                curve = rmt_dsm.learning_curve("psi_p", [0.2, 0.7, 1.6, 3.3, 9.0], psi_n=1.1, m=m, t=t, lam=1e-3)
                for e in curve:
                    assert e.train >= -1e-12 and e.score >= -1e-12
                    assert e.floor == pytest.approx(math.exp(-2 * t), rel=1e-14)


@pytest.mark.parametrize("kwargs,name", [
    (dict(psi_n=0, psi_p=1, m=1, t=1), "psi_n"), (dict(psi_n=1, psi_p=-1, m=1, t=1), "psi_p"),
    (dict(psi_n=1, psi_p=1, m=0, t=1), "m"), (dict(psi_n=1, psi_p=1, m=1, t=0), "t"),
    (dict(psi_n=1, psi_p=1, m=1, t=1, lam=-1), "lam"), (dict(psi_n=float("nan"), psi_p=1, m=1, t=1), "psi_n"),
    (dict(psi_n=1, psi_p=1, m=1, a=1.0, delta=0.0), "delta"), (dict(psi_n=1, psi_p=1, m=1, t=1, activation="foo"),
                                                              "activation"),
    (dict(psi_n=1, psi_p=1, m=1, t=1, dps=0), "dps"),
])
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        rmt_dsm.errors(**kwargs)


def test_non_convergence_raises_with_parameters():
    sysm = dsm_system()
    p = {"psi_n": 1.0, "psi_p": 1.0, "kappa": 1.0, "a": 0.5, "delta": 0.75, "mu1": 0.6, "v2": 0.01,
         "s2": 0.02, "x": -1, "y": 0.1, "epsilon": 0}
    good = sysm.solve(p)
    # a start on the wrong branch (signs flipped) must be rejected, not returned
    bad = dict(good.values)
    with pytest.raises(ConvergenceError, match="psi_p"):
        sysm.solve(p, start={k: -v for k, v in bad.items()})


@pytest.mark.parametrize("psi_p,m,t,lam", [(0.997, 1, 0.1, 0.0), (2.99, 3, 0.1, 0.0), (1.003, 1, 0.5, 0.0),
                                           (8.341240204256188, math.inf, 0.0204, 0.1)])
def test_cold_solves_match_warm_started_curves(psi_p, m, t, lam):
    """A cold single-point solve (homotopy + ridge ladder) and a warm-started sweep reach the
    same point by different paths; near the threshold and at small t they must agree."""
    grid = [psi_p * f for f in (0.6, 0.8, 0.9, 0.95, 0.98, 1.0)] if psi_p < m * 1.0 or m == math.inf else \
        [psi_p * f for f in (1.6, 1.3, 1.1, 1.05, 1.02, 1.0)]
    warm = rmt_dsm.learning_curve("psi_p", grid, psi_n=1.0, m=m, t=t, lam=lam)[-1]
    cold = rmt_dsm.errors(1.0, psi_p, m, t=t, lam=lam)
    assert cold.test == pytest.approx(warm.test, rel=1e-7)
    assert cold.train == pytest.approx(warm.train, rel=1e-7, abs=1e-12)
