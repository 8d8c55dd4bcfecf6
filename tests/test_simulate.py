"""Finite-d simulator: the fitted readout, the training error, seeds and chunking."""
from __future__ import annotations

import math

import numpy as np
import pytest

from rmt_dsm.simulate import fit_seed, make_params, simulate
from rmt_dsm.simulate.features import accumulate, training_chunks, training_design
from rmt_dsm.simulate.instance import draw_instance
from rmt_dsm.simulate.readout import solve_readout, train_error


def _params(**kw):
    base = dict(d=12, psi_n=1.0, psi_p=1.5, m=3, t=0.4, lam=0.05, activation="tanh")
    base.update(kw)
    return make_params(**base)


def _design(params, fit):
    return training_design(params, fit.instance, coeffs=fit.coeffs)


@pytest.mark.parametrize("model", ["true", "equivalent"])
@pytest.mark.parametrize("lam,psi_p", [(0.05, 1.5), (0.0, 1.5), (0.0, 5.0)])
def test_gradient_of_ridge_loss_vanishes(model, lam, psi_p):
    """(2/d)[(1/N) sum (C phi - xi) phi^T + lam C] = 0 at the returned C (from stored features)."""
    pr = _params(lam=lam, psi_p=psi_p, model=model)  # p = 18 < N = 36, p = 60 > N
    fit = fit_seed(pr, 0, chunk_rows=5)
    Phi, Xi = _design(pr, fit)
    C = fit.Ct.T
    grad = (2 / pr.d) * ((C @ Phi.T - Xi.T) @ Phi / pr.N + lam * C)
    scale = (2 / pr.d) * np.linalg.norm(Xi.T @ Phi / pr.N)
    assert np.linalg.norm(grad) < 1e-9 * scale
    # and a perturbed C has a much larger gradient (the test can fail)
    C2 = C + 1e-3 * np.random.default_rng(1).standard_normal(C.shape)
    grad2 = (2 / pr.d) * ((C2 @ Phi.T - Xi.T) @ Phi / pr.N + lam * C2)
    assert np.linalg.norm(grad2) > 1e3 * np.linalg.norm(grad)


@pytest.mark.parametrize("model", ["true", "equivalent"])
def test_train_error_from_sums_equals_direct_loss(model):
    pr = _params(m=3, model=model, activation="relu")
    fit = fit_seed(pr, 0)
    Phi, Xi = _design(pr, fit)
    direct = np.sum((Xi - Phi @ fit.Ct) ** 2) / (pr.d * pr.N)
    assert train_error(fit.sums, fit.Ct) == pytest.approx(direct, rel=1e-11, abs=1e-13)


def test_chunked_accumulation_equals_one_shot():
    pr = _params(m=4, activation="erf")
    inst = draw_instance(pr, 0)
    Phi, Xi = training_design(pr, inst)
    for rows in (1, 7, 48, 1000):
        s = accumulate(training_chunks(pr, inst, chunk_rows=rows), pr.p, pr.d)
        np.testing.assert_allclose(s.U, Phi.T @ Phi / pr.N, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(s.V, Phi.T @ Xi / pr.N, rtol=1e-12, atol=1e-14)
        assert s.xi2 == pytest.approx(np.sum(Xi ** 2) / pr.N, rel=1e-13)
        assert s.N == pr.N == Phi.shape[0]


def test_pairs_are_the_model_pairs():
    """Row r = i m + j of the design is sigma(W (a x_i + sqrt(Delta) xi_r) / sqrt(d))."""
    pr = _params(m=3, activation="tanh")
    inst = draw_instance(pr, 0)
    Phi, Xi = training_design(pr, inst)
    i = np.arange(pr.N) // pr.m
    Y = pr.a * inst.X[i] + math.sqrt(pr.delta) * Xi
    np.testing.assert_allclose(Phi, np.tanh(Y @ inst.W.T / math.sqrt(pr.d)), rtol=1e-13, atol=1e-15)


def test_seeds_are_reproducible_and_independent():
    kw = dict(d=16, psi_n=1, psi_p=2, m=2, t=0.3, lam=0.1, activation="erf")
    r1 = simulate(seeds=1, **kw)
    r3 = simulate(seeds=3, chunk_rows=5, **kw)
    again = simulate(seeds=3, **kw)
    assert again.per_seed == simulate(seeds=3, **kw).per_seed  # bitwise, same chunking
    for a, b in zip(r3.per_seed, again.per_seed):  # other chunking: same draws, other rounding
        assert (a.train, a.test, a.score) == pytest.approx((b.train, b.test, b.score), rel=1e-11)
    assert r3.per_seed[0].train == pytest.approx(r1.per_seed[0].train, rel=1e-12)
    assert r3.per_seed[0].test == pytest.approx(r1.per_seed[0].test, rel=1e-12)
    assert len({r.train for r in r3.per_seed}) == 3
    other = simulate(seeds=1, seed=1, **kw)
    assert other.train.mean != r1.train.mean
    vals = np.array([r.test for r in r3.per_seed])
    assert r3.test.mean == pytest.approx(vals.mean())
    assert r3.test.stderr == pytest.approx(vals.std(ddof=1) / math.sqrt(3))


@pytest.mark.parametrize("psi_p", [0.5, 4.0])  # p = 8 < N = 16 and p = 64 > N = 16
def test_ridge_tends_to_minimum_norm(psi_p):
    pr = _params(d=16, psi_n=1, psi_p=psi_p, m=1, lam=0.0, activation="tanh")
    fit = fit_seed(pr, 0)
    Phi, Xi = _design(pr, fit)
    lstsq = np.linalg.lstsq(Phi, Xi, rcond=None)[0]  # minimum-norm least squares
    np.testing.assert_allclose(fit.Ct, lstsq, rtol=1e-7, atol=1e-7 * np.abs(lstsq).max())
    errs = [np.abs(solve_readout(fit.sums.U, fit.sums.V, lam) - fit.Ct).max() for lam in (1e-3, 1e-5, 1e-7)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-4 * np.abs(fit.Ct).max()
    # E_train vanishes (interpolation) when p > N
    if pr.p > pr.N:
        assert abs(train_error(fit.sums, fit.Ct)) < 1e-9


@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_m1_agrees_with_direct_least_squares(lam):
    pr = _params(d=20, psi_n=2, psi_p=1, m=1, lam=lam, activation="relu")
    fit = fit_seed(pr, 0)
    Phi, Xi = _design(pr, fit)
    if lam == 0:
        direct = np.linalg.lstsq(Phi, Xi, rcond=None)[0]
    else:
        direct = np.linalg.solve(Phi.T @ Phi / pr.N + lam * np.eye(pr.p), Phi.T @ Xi / pr.N)
    np.testing.assert_allclose(fit.Ct, direct, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("a,delta", [(math.exp(-0.7), -math.expm1(-1.4)), (1.0, 0.5)], ids=["OU", "a1-delta0.5"])
def test_floor_score_and_gap_by_direct_routes(a, delta):
    """Floor against its formula; the exact E_score (from Q, B and F_pop) against a direct Monte
    Carlo of ||C phi - sqrt(Delta) S^{-1} y||^2/d; the gap against the Monte-Carlo test error minus
    the training loss recomputed from the stored design."""
    kw = dict(d=30, psi_n=1, psi_p=2, m=2, a=a, delta=delta, lam=0.01, activation="relu")
    r = simulate(**kw)
    s = simulate(population="mc", n_test=40_000, **kw).per_seed[0]
    assert r.floor.mean == pytest.approx(1 - delta / (a * a + delta), rel=1e-14)
    assert abs(r.score.mean - s.score) < 4 * s.score_se
    fit = fit_seed(r.params, 0)
    Phi, Xi = _design(r.params, fit)
    train = np.sum((Xi - Phi @ fit.Ct) ** 2) / (r.params.d * r.params.N)
    assert abs(r.gap.mean - (s.test - train)) < 4 * s.test_se
    # a, delta given directly (variance-exploding schedule) and a non-isotropic Sigma
    eigs = np.linspace(0.2, 2.0, 30)
    r2 = simulate(d=30, psi_n=1, psi_p=2, m=2, a=1.0, delta=0.5, lam=0.01, activation="erf",
                  sigma_eigs=eigs)
    assert r2.floor.mean == pytest.approx(1 - 0.5 * np.mean(1 / (eigs + 0.5)), rel=1e-14)


def test_memorization_regime_for_large_p():
    """p >> N and lam -> 0: E_train ~ 0 < floor (the fit memorises the training draws)."""
    r = simulate(d=40, psi_n=0.5, psi_p=4, m=1, t=0.5, lam=0.0, activation="erf")
    assert r.train.mean < 1e-8 < r.floor.mean


@pytest.mark.parametrize("bad,word", [
    (dict(d=0), "d"), (dict(d=10.5), "d"), (dict(psi_n=-1), "psi_n"), (dict(psi_p=float("nan")), "psi_p"),
    (dict(m=0), "m"), (dict(lam=-0.1), "lam"), (dict(t=0.0), "t"), (dict(activation="sin(y)"), "activation"),
    (dict(seeds=0), "seeds"), (dict(model="other"), "model"), (dict(sigma_eigs=[1.0, 2.0]), "sigma_eigs"),
    (dict(m=math.inf), "m = inf"),
])
def test_bad_input_raises_naming_the_argument(bad, word):
    kw = dict(d=10, psi_n=1, psi_p=1, m=1, t=0.5)
    kw.update(bad)
    with pytest.raises(ValueError, match=word):
        simulate(**kw)


def test_equivalent_m_inf_is_the_limit_of_large_m():
    """The exact noise average of the equivalent model (m = inf) is the m -> inf limit of the sums."""
    kw = dict(d=10, psi_n=1, psi_p=1.5, t=0.5, lam=0.1, activation="tanh", model="equivalent")
    inf = fit_seed(make_params(m=math.inf, **kw), 0)
    big = fit_seed(make_params(m=3000, **kw), 0)
    # same W, X, eta: only the average over xi and zeta differs, by O(1/sqrt(N)) ~ 0.002 per entry
    assert np.abs(big.sums.U - inf.sums.U).max() < 0.012  # (s^2 = 0.026 on the diagonal)
    assert np.abs(big.sums.V - inf.sums.V).max() < 0.02
    assert np.abs(big.sums.U - inf.sums.U).max() > 1e-4  # really different draws
    t_inf, t_big = train_error(inf.sums, inf.Ct), train_error(big.sums, big.Ct)
    assert t_big == pytest.approx(t_inf, abs=0.02)


def test_simulator_never_imports_theory_code():
    import subprocess
    import sys

    code = ("import sys, rmt_dsm.simulate, rmt_dsm.cli.simulate;"
            "bad = [m for m in sys.modules if m.split('.')[:2] in (['rmt_dsm','engine'], ['rmt_dsm','moments'],"
            " ['rmt_dsm','equivalence'], ['rmt_dsm','dsm'])]; print(bad); sys.exit(bool(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_progress_bar_writes_only_when_enabled():
    import io

    from rmt_dsm.progress import Progress

    s = io.StringIO()
    bar = Progress(10, enabled=True, delay=0.0, stream=s)
    bar.update(5)
    bar.close()
    assert "/10" in s.getvalue()
    s2 = io.StringIO()
    bar2 = Progress(10, enabled=None, delay=0.0, stream=s2)  # StringIO is not a TTY
    bar2.update(5)
    bar2.close()
    assert s2.getvalue() == ""


def test_small_problems_run_on_one_blas_thread():
    """`rmt_dsm.simulate.core.blas_threads`: one BLAS thread up to p = ONE_THREAD_MAX_P features, the
    library's own number above (threadpoolctl reads the loaded BLAS), the seed's values the same up
    to the rounding of the library's sums."""
    from threadpoolctl import threadpool_info

    from rmt_dsm.simulate import core

    def blas_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}

    outside = blas_threads()
    small = make_params(d=40, psi_n=1, psi_p=0.5, m=1, t=0.5, lam=0.1, activation="erf", seeds=1)
    big = make_params(d=600, psi_n=0.1, psi_p=2, m=1, t=0.5, lam=0.1, activation="erf", seeds=1)
    assert small.p <= core.ONE_THREAD_MAX_P < big.p
    with core.blas_threads(small):
        assert blas_threads() == {1}
    with core.blas_threads(big):
        assert blas_threads() == outside
    assert blas_threads() == outside  # restored
    one = core.simulate_seed(small, 0)
    kept, core.ONE_THREAD_MAX_P = core.ONE_THREAD_MAX_P, 0
    try:
        library = core.simulate_seed(small, 0)
    finally:
        core.ONE_THREAD_MAX_P = kept
    for name in ("train", "test", "score"):
        assert getattr(one, name) == pytest.approx(getattr(library, name), rel=1e-12, abs=1e-15)
