"""Generated samples (rmt_dsm.sampling): anchors, metrics on constructed sets, theory columns, CLI."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, special

from rmt_dsm.sampling import (EmpiricalScore, PopulationScore, fit_scores, make_sample_params, memorized,
                              nearest_two, reverse_sample, sample, second_moment_error, time_grid)
from rmt_dsm.sampling.bound import freeze_terms, girsanov_bound
from rmt_dsm.sampling.experiment import _sample_metrics
from rmt_dsm.simulate import make_params
from rmt_dsm.simulate.features import accumulate, training_chunks
from rmt_dsm.simulate.instance import draw_instance
from rmt_dsm.simulate.population import errors_from_moments, exact_moments
from rmt_dsm.simulate.readout import solve_readout, solve_readout_dual


# ---- building blocks ------------------------------------------------------------------------------

@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_dual_readout_equals_primal(lam):
    pr = make_params(d=15, psi_n=1, psi_p=3, m=2, t=0.2, lam=lam, activation="tanh")
    inst = draw_instance(pr, 0)
    Phi, Xi = next(training_chunks(pr, inst, chunk_rows=pr.N))
    sums = accumulate(training_chunks(pr, inst), pr.p, pr.d)
    primal = solve_readout(sums.U, sums.V, lam, sums.N)
    assert np.allclose(solve_readout_dual(Phi, Xi, lam), primal, rtol=1e-7, atol=1e-9)


def test_fresh_noise_generator_changes_only_the_noise():
    pr = make_params(d=10, psi_n=1, psi_p=1, m=2, t=0.3)
    inst = draw_instance(pr, 0)
    gen = np.random.default_rng(5)
    phi0, xi0 = next(training_chunks(pr, inst, chunk_rows=pr.N))
    phi1, xi1 = next(training_chunks(pr, inst, chunk_rows=pr.N, noise=gen))
    assert np.array_equal(xi1, np.random.default_rng(5).standard_normal((pr.N, pr.d)))
    assert not np.allclose(xi0, xi1)
    # same data: y - sqrt(Delta) xi = a x_i in both
    W = inst.W / math.sqrt(pr.d)
    y = pr.a * inst.X[np.arange(pr.N) // pr.m] + math.sqrt(pr.delta) * xi1
    assert np.allclose(phi1, np.tanh(y @ W.T))


def test_nearest_two_and_memorized_against_brute_force():
    gen = np.random.default_rng(0)
    X = gen.standard_normal((40, 7))
    x = np.vstack([X[:10] + 0.05 * gen.standard_normal((10, 7)), gen.standard_normal((30, 7))])
    D = np.linalg.norm(x[:, None, :] - X[None, :, :], axis=2)
    Ds = np.sort(D, axis=1)
    d1, d2 = nearest_two(x, X, block=7)
    assert np.allclose(d1, Ds[:, 0]) and np.allclose(d2, Ds[:, 1])
    assert np.array_equal(memorized(x, X), Ds[:, 0] < Ds[:, 1] / 3)
    assert memorized(x, X)[:10].all()


def test_memorized_fraction_of_a_constructed_set():
    """Training points 10 e_i; samples at distance r from x_1 along e_2: d1 = r, d2 = |10 e_1 + r e_2 - 10 e_2|."""
    X = 10.0 * np.eye(5)
    rs = np.array([0.0, 1.0, 2.0, 3.0, 3.8, 4.0, 6.0])
    x = X[0] + rs[:, None] * np.eye(5)[1]
    d2 = np.sqrt(100.0 + (10.0 - rs) ** 2)
    expect = rs < d2 / 3  # 9 r^2 < 100 + (10 - r)^2  <=>  8 r^2 + 20 r - 200 < 0  <=>  r < 3.904
    assert expect.tolist() == [True, True, True, True, True, False, False]
    out = _sample_metrics(x, X)
    assert out["f_mem"][0] == pytest.approx(5 / 7)
    assert out["f_mem"][1] == pytest.approx(math.sqrt((5 / 7) * (2 / 7) / 6))  # std(ddof=1)/sqrt(S)
    assert out["nn_ratio"][0] == pytest.approx(float(np.mean(rs / d2)))


def test_second_moment_error_is_unbiased_with_honest_jackknife():
    """Gaussian samples with covariance diag(c): E estimate = (1/d) sum (c_i - 1)^2."""
    gen = np.random.default_rng(1)
    d, S, reps = 6, 60, 400
    c = np.array([0.5, 1.0, 1.0, 1.5, 2.0, 1.0])
    truth = float(np.mean((c - 1.0) ** 2))
    est, ses = [], []
    for _ in range(reps):
        e, se = second_moment_error(gen.standard_normal((S, d)) * np.sqrt(c))
        est.append(e)
        ses.append(se)
    est = np.array(est)
    assert abs(est.mean() - truth) < 4 * est.std(ddof=1) / math.sqrt(reps)
    assert np.mean(ses) == pytest.approx(est.std(ddof=1), rel=0.2)  # jackknife ~ the real spread


def test_empirical_score_is_the_gradient_of_the_log_mixture():
    gen = np.random.default_rng(2)
    X = 3.0 * gen.standard_normal((6, 4))
    g = time_grid(0.05, 1.0, 2)
    a, delta = g.a[0], g.delta[0]

    def logp(y):
        return special.logsumexp(-np.sum((y - a * X) ** 2, axis=1) / (2 * delta))

    y = X[2] * a + 0.4 * gen.standard_normal(4)
    eps = 1e-5
    num = np.array([(logp(y + eps * e) - logp(y - eps * e)) / (2 * eps) for e in np.eye(4)])
    assert np.allclose(EmpiricalScore(X, g)(y[None, :], 0)[0], num, rtol=1e-6, atol=1e-6)
    far = EmpiricalScore(X, g)(1e4 * np.ones((1, 4)), 0)  # log-sum-exp: no overflow far away
    assert np.all(np.isfinite(far))


# ---- reference-score anchors ----------------------------------------------------------------------

def _population_variance_sde(grid, tweedie=True) -> float:
    """Per-coordinate variance of the SDE sampler with the score -y (Sigma = I), exact recursion:
    y <- (2 - e^h) y + sqrt(e^{2h} - 1) z from variance 1, then x = a_1 y (Tweedie)."""
    v = 1.0
    for h in grid.h[::-1]:
        v = (2.0 - math.exp(h)) ** 2 * v + math.expm1(2.0 * h)
    return grid.a[0] ** 2 * v if tweedie else v


@pytest.mark.parametrize("sampler", ["sde", "ode"])
def test_population_score_anchor_matches_closed_form(sampler):
    d, S = 8, 4000
    g = time_grid(0.02, 3.0, 25)
    gen = np.random.default_rng(3)
    x = reverse_sample(PopulationScore(g), g, gen.standard_normal((S, d)), sampler, gen=gen)
    v = _population_variance_sde(g) if sampler == "sde" else g.a[0] ** 2  # ODE: y unchanged, x = a_1 y
    est, se = second_moment_error(x)
    assert abs(est - (v - 1.0) ** 2) < 4 * se + 1e-12
    assert abs(np.mean(x * x) - v) < 4 * np.std(np.mean(x * x, axis=1)) / math.sqrt(S)


def test_population_anchor_covariance_error_vanishes_as_the_grid_is_refined():
    """Two errors, of opposite signs: the frozen-score SDE steps inflate the variance (v - 1 > 0, of
    order max h), the Tweedie step shrinks it by a_1^2 (1 - a_1^2 ~ 2 t_1); both vanish as the grid
    is refined (t_1 -> 0 and max h -> 0), and so does the covariance error (a_1^2 v - 1)^2."""
    grids = [time_grid(0.1, 4.0, 16), time_grid(0.01, 4.0, 128), time_grid(0.001, 4.0, 1024)]
    inflate = [_population_variance_sde(g, tweedie=False) - 1.0 for g in grids]
    shrink = [1.0 - g.a[0] ** 2 for g in grids]
    assert all(u > 0 for u in inflate) and inflate[0] > 4 * inflate[1] > 16 * inflate[2]
    assert shrink[0] > 4 * shrink[1] > 16 * shrink[2]
    assert (_population_variance_sde(grids[-1]) - 1.0) ** 2 < 1e-5
    r = sample(d=10, psi_n=2, psi_p=1, m=1, lam=0.1, t_min=0.1, t_max=4.0, steps=16, samples=3000, theory=False)
    pop = r.memorization["population_score"]
    assert pop["f_mem"].mean == 0.0
    expected = (_population_variance_sde(grids[0]) - 1.0) ** 2
    assert abs(pop["cov_error"].mean - expected) < 4 * pop["cov_error"].stderr


def test_empirical_score_anchor_memorizes_as_t_min_goes_to_zero():
    f = []
    for t_min in (1.5, 0.3, 0.01):
        r = sample(d=12, psi_n=2, psi_p=1, m=1, lam=0.1, t_min=t_min, t_max=4.0, steps=40, samples=300,
                   theory=False)
        f.append(r.memorization["empirical_score"]["f_mem"].mean)
        fresh = r.memorization["fresh_data"]
        assert fresh["f_mem"].mean < 0.05
        assert abs(fresh["cov_error"].mean) < 4 * fresh["cov_error"].stderr
    assert f[0] < f[1] < f[2] and f[2] > 0.97


# ---- learned scores and theory columns --------------------------------------------------------------

def test_learned_score_error_matches_exact_population_error():
    """The fresh-point distance to the population score is E_score of the fitted readout: compare it
    with the simulator's exact population statistics (erf) at the same W and readout."""
    params = make_sample_params(d=30, psi_n=1, psi_p=2, m=2, lam=0.01, activation="erf", t_min=0.05,
                                steps=4, samples=4000)
    inst = draw_instance(params.model, 0)
    learned = fit_scores(params, inst)
    g = params.grid
    from rmt_dsm.sampling.experiment import _score_comparisons

    for k in (0, 2):
        exact = errors_from_moments(params.at(k), learned.Ct[k], exact_moments(params.at(k), inst)).score
        c = _score_comparisons(params, inst, learned, PopulationScore(g), EmpiricalScore(inst.X, g), k)
        mean, se = c["fresh"]["to_population"]
        assert abs(mean - exact) < 4 * se, (k, mean, exact, se)


def test_theory_columns_equal_rmt_dsm_errors_and_the_bound_its_definition():
    from rmt_dsm import errors

    r = sample(d=10, psi_n=1, psi_p=2, m=2, lam=0.05, t_min=0.05, t_max=2.0, steps=5, samples=20)
    g = r.params.grid
    for k in range(g.K):
        e = errors(1.0, 2.0, 2, t=g.t[k], lam=0.05)
        for key in ("train", "test", "score", "gap", "floor"):
            assert r.theory.rows[k][key] == pytest.approx(float(getattr(e, key)), rel=1e-9)
    # the bound by quadrature of its integrand (independent of the closed forms J, D)
    total = 0.0
    for k in range(g.K - 1):
        ek = r.theory.rows[k]["score"] / g.delta[k]
        total += integrate.quad(lambda u: (math.sqrt(ek) + math.sqrt(-2 * math.expm1(-u))) ** 2,
                                0, g.t[k + 1] - g.t[k], epsabs=0, epsrel=1e-13)[0]
    assert r.theory.bound.total == pytest.approx(total, rel=1e-10)
    assert r.theory.bound.score_integral == pytest.approx(
        sum((g.t[k + 1] - g.t[k]) * r.theory.rows[k]["score"] / g.delta[k] for k in range(g.K - 1)), rel=1e-12)


def test_freeze_terms_against_quadrature():
    for h in (1e-3, 0.1, 1.0, 3.0):
        J, D = freeze_terms(h)
        quad = lambda f: integrate.quad(f, 0, h, epsabs=0, epsrel=1e-13)[0]  # noqa: E731
        assert J == pytest.approx(quad(lambda u: math.sqrt(-2 * math.expm1(-u))), rel=1e-10)
        assert D == pytest.approx(quad(lambda u: -2 * math.expm1(-u)), rel=1e-10)
    with pytest.raises(ValueError, match="one score error per step"):
        girsanov_bound([1.0], [0.1, 0.2])


def test_reproducible_and_input_not_modified():
    kw = dict(d=8, psi_n=1, psi_p=2, m=1, lam=0.1, steps=4, samples=30, theory=False)
    a, b = sample(**kw).as_dict(), sample(**kw).as_dict()
    a.pop("timings"), b.pop("timings")
    assert a == b
    g = time_grid(0.1, 1.0, 3)
    y = np.ones((2, 3))
    reverse_sample(PopulationScore(g), g, y, "sde", gen=np.random.default_rng(0))
    assert np.array_equal(y, np.ones((2, 3)))


@pytest.mark.parametrize("kw,word", [
    (dict(t_min=0.0), "t_min"), (dict(t_min=1.0, t_max=0.5), "t_max"), (dict(steps=1), "steps"),
    (dict(samples=2), "samples"), (dict(sampler="euler"), "sampler"), (dict(m=math.inf), "m = inf"),
    (dict(psi_n=0.01), "psi_n"), (dict(seeds=0), "seeds"), (dict(lam=-1.0), "lam"),
])
def test_bad_arguments_raise_naming_them(kw, word):
    base = dict(d=20, psi_n=1, psi_p=1, m=1)
    base.update(kw)
    with pytest.raises(ValueError, match=word):
        make_sample_params(**base)


# ---- command line ---------------------------------------------------------------------------------

def test_cli_json_keys(capsys):
    from rmt_dsm.cli import main

    status = main(["sample", "--d", "10", "--psi-n", "1", "--psi-p", "2", "--m", "2", "--lam", "0.05",
                   "--t-min", "0.05", "--t-max", "2", "--steps", "4", "--samples", "40", "--seeds", "2",
                   "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data = json.loads(out)
    assert set(data) == {"params", "memorization", "bound", "grid", "timings"}
    assert set(data["memorization"]) == {"learned", "population_score", "empirical_score", "fresh_data"}
    for row in data["memorization"].values():
        assert set(row) == {"f_mem", "nn_ratio", "cov_error"}
        assert all(set(v) == {"mean", "stderr"} and v["stderr"] is not None for v in row.values())
    assert len(data["grid"]) == 4 and data["grid"][-1]["step"] is None
    row = data["grid"][0]
    assert set(row["theory"]) == {"train", "test", "score", "gap", "floor"}
    assert set(row["simulation"]) == {"train", "score", "gap", "fresh", "training"}
    assert set(row["simulation"]["fresh"]) == {"to_population", "to_empirical", "population_to_empirical",
                                               "toward_empirical"}
    assert set(data["bound"]["theory"]) == {"score_integral", "discretization", "initial", "total"}
    assert data["params"]["seeds"] == 2 and data["params"]["sampler"] == "sde"


def test_cli_saved_samples_reproduce_f_mem(tmp_path, capsys):
    """Independent nearest neighbours (scipy's k-d tree) on the saved samples give the printed f_mem."""
    from scipy.spatial import cKDTree

    from rmt_dsm.cli import main

    path = tmp_path / "s.npz"
    status = main(["sample", "--d", "6", "--psi-n", "2", "--psi-p", "2", "--m", "4", "--lam", "0.01",
                   "--t-min", "0.02", "--steps", "8", "--samples", "60", "--seeds", "2", "--no-theory",
                   "--save-samples", str(path), "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data, arrays = json.loads(out), np.load(path)
    for name in ("learned", "population_score", "empirical_score", "fresh_data"):
        per_seed = []
        for k in range(2):
            dist, _ = cKDTree(arrays[f"seed{k}_training"]).query(arrays[f"seed{k}_{name}"], k=2)
            per_seed.append(np.mean(dist[:, 0] < dist[:, 1] / 3))
        assert data["memorization"][name]["f_mem"]["mean"] == pytest.approx(np.mean(per_seed), abs=1e-12)
    assert data["memorization"]["empirical_score"]["f_mem"]["mean"] > 0.9


@pytest.mark.parametrize("args,word", [
    (["--t-min", "0"], "t_min"), (["--steps", "1"], "steps"), (["--m", "inf"], "m = inf"),
    (["--m", "0"], "--m"), (["--psi-n", "nan"], "psi_n"), (["--sampler", "rk4"], "--sampler"),
    (["--samples", "1"], "samples"), (["--activation", "foo("], "activation"), (["--d", "0"], "d"),
    (["--save-samples", "/nonexistent-dir/s.npz"], "--save-samples"),
])
def test_cli_bad_input_one_line_exit_2(args, word, capsys):
    from rmt_dsm.cli import main

    base = {"--d": "10", "--psi-n": "1", "--psi-p": "1", "--m": "1", "--steps": "3", "--samples": "10"}
    base.update(dict(zip(args[::2], args[1::2])))
    try:
        status = main(["sample"] + [x for kv in base.items() for x in kv] + ["--json"])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], err
