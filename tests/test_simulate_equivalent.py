"""Gaussian-equivalent model: quadrature coefficients against closed forms; its exact errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

from rmt_dsm.simulate import equivalent_coefficients, simulate
from rmt_dsm.simulate.features import apply_activation

SCHEDULES = [(math.exp(-t), -math.expm1(-2 * t), 1.0) for t in (0.05, 0.5, 2.0)] + [(1.0, 0.25, 1.7)]


def _arcsine(k11, k22, k12):
    return 2 / math.pi * math.asin(2 * k12 / math.sqrt((1 + 2 * k11) * (1 + 2 * k22)))


def _arccos(k11, k22, k12):
    th = math.acos(max(-1.0, min(1.0, k12 / math.sqrt(k11 * k22))))
    return math.sqrt(k11 * k22) / (2 * math.pi) * (math.sin(th) + (math.pi - th) * math.cos(th))


@pytest.mark.parametrize("a,delta,tr", SCHEDULES)
def test_erf_coefficients_closed_form(a, delta, tr):
    co = equivalent_coefficients("erf", a, delta, tr)
    c, g2 = a * a * tr, a * a * tr + delta
    assert abs(co.mu0) < 1e-14
    assert co.mu1 == pytest.approx(2 / math.sqrt(math.pi) / math.sqrt(1 + 2 * g2), rel=1e-12)
    assert co.norm2 == pytest.approx(_arcsine(g2, g2, g2), rel=1e-12)
    assert co.sbar2 == pytest.approx(_arcsine(g2, g2, c), rel=1e-11, abs=1e-14)


@pytest.mark.parametrize("a,delta,tr", SCHEDULES)
def test_relu_coefficients_closed_form(a, delta, tr):
    co = equivalent_coefficients("relu", a, delta, tr)
    c, g2 = a * a * tr, a * a * tr + delta
    assert co.method == "quad"
    assert co.mu0 == pytest.approx(math.sqrt(g2 / (2 * math.pi)), rel=1e-11)
    assert co.mu1 == pytest.approx(0.5, rel=1e-11)
    assert co.norm2 == pytest.approx(g2 / 2, rel=1e-11)
    assert co.sbar2 == pytest.approx(_arccos(g2, g2, c), rel=1e-10)
    assert co.v2 == pytest.approx(_arccos(g2, g2, c) - g2 / (2 * math.pi) - c / 4, rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("a,delta", [(0.7, 0.51), (1.0, 0.5), (0.5, 2.0)])  # Gamma^2 = 1, 1.5, 2.25
def test_gauss_hermite_and_adaptive_quadrature_agree_for_smooth_activations(a, delta):
    for act in ("tanh", "erf", "x*exp(-x**2)"):
        gh = equivalent_coefficients(act, a, delta, 1.0, method="gauss-hermite")
        qd = equivalent_coefficients(act, a, delta, 1.0, method="quad")
        for f in ("mu0", "mu1", "norm2", "sbar2"):
            assert getattr(gh, f) == pytest.approx(getattr(qd, f), rel=1e-9, abs=1e-13), (act, f)


def test_coefficients_against_monte_carlo_for_tanh():
    a, delta = 0.8, 0.36
    co = equivalent_coefficients("tanh", a, delta)
    gen = np.random.default_rng(5)
    u, g1, g2 = gen.standard_normal((3, 1_000_000))
    h1, h2 = a * u + math.sqrt(delta) * g1, a * u + math.sqrt(delta) * g2
    f1, f2 = apply_activation("tanh", h1.copy()), apply_activation("tanh", h2.copy())
    for est, val in ((f1 * f2, co.sbar2), (f1 * f1, co.norm2), (f1 * h1 / (a * a + delta), co.mu1)):
        assert abs(est.mean() - val) < 5 * est.std() / math.sqrt(est.size)


def test_linear_activation_has_no_nonlinear_parts():
    co = equivalent_coefficients("2*x + 1", 0.6, 0.64)
    assert co.mu0 == pytest.approx(1.0) and co.mu1 == pytest.approx(2.0)
    assert co.v2 < 1e-12 and co.s2 < 1e-12


@pytest.mark.parametrize("m", [1, 4, math.inf])
def test_equivalent_model_errors_match_monte_carlo(m):
    """The exact test and score errors of the equivalent model (from its Q and B) against a
    Monte-Carlo test set of fresh equivalent features phi = mu0 + mu1 h + v eta + s zeta."""
    from rmt_dsm.simulate import fit_seed, make_params, simulate_seed

    pr = make_params(d=30, psi_n=1, psi_p=1.5, m=m, a=1.0, delta=0.5, lam=0.05, activation="tanh",
                     model="equivalent")
    res, fit = simulate_seed(pr, 0), fit_seed(pr, 0)
    co, d = fit.coeffs, pr.d
    gen = np.random.default_rng(11)
    e, q = [], []
    for _ in range(10):
        xi = gen.standard_normal((20_000, d))
        y = pr.a * gen.standard_normal((20_000, d)) + math.sqrt(pr.delta) * xi
        phi = co.mu0 + co.mu1 * (y @ fit.instance.W.T / math.sqrt(d)) + co.v * gen.standard_normal((20_000, pr.p)) \
            + co.s * gen.standard_normal((20_000, pr.p))
        pred = phi @ fit.Ct
        e.append(np.sum((xi - pred) ** 2, axis=1) / d)
        q.append(np.sum((pred - math.sqrt(pr.delta) * y / (pr.a ** 2 + pr.delta)) ** 2, axis=1) / d)
    for mc, exact in ((np.concatenate(e), res.test), (np.concatenate(q), res.score)):
        assert abs(mc.mean() - exact) < 4 * mc.std() / math.sqrt(mc.size), (mc.mean(), exact)
    assert 0 < res.train < res.test


def test_equivalent_model_close_to_true_model():
    """At moderate d the two models agree to a few percent (a smoke test of SPEC section 3)."""
    kw = dict(d=120, psi_n=1, psi_p=2, m=2, t=0.5, lam=0.05, activation="erf", seeds=2)
    tr, eq = simulate(model="true", **kw), simulate(model="equivalent", **kw)
    assert eq.test.mean == pytest.approx(tr.test.mean, rel=0.05)
    assert eq.train.mean == pytest.approx(tr.train.mean, rel=0.1)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_equivalent_population_statistics_match_monte_carlo(activation):
    """Q, B of the equivalent model against samples phi = mu0 + mu1 h + v eta + s zeta."""
    from rmt_dsm.simulate import make_params
    from rmt_dsm.simulate.core import coefficients_for
    from rmt_dsm.simulate.instance import draw_instance
    from rmt_dsm.simulate.population import equivalent_moments

    d = 6
    pr = make_params(d=d, psi_n=1, psi_p=1, m=1, t=0.4, activation=activation, model="equivalent",
                     sigma_eigs=np.linspace(0.5, 1.5, d))
    inst, co = draw_instance(pr, 0), coefficients_for(pr)
    mom = equivalent_moments(pr, inst, co)
    gen = np.random.default_rng(9)
    M = 400_000
    xi = gen.standard_normal((M, d))
    y = pr.a * inst.cov.sample(gen, M) + math.sqrt(pr.delta) * xi
    phi = co.mu0 + co.mu1 * (y @ inst.W.T / math.sqrt(d)) + co.v * gen.standard_normal((M, pr.p)) \
        + co.s * gen.standard_normal((M, pr.p))
    for exact, prod in ((mom.Q, phi[:, :, None] * phi[:, None, :]), (mom.B, phi[:, :, None] * xi[:, None, :])):
        z = np.abs(prod.mean(0) - exact) / (prod.std(0) / math.sqrt(M))
        assert z.max() < 5.0, z.max()
