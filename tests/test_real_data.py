"""Real data (scikit-learn's bundled digits): the loader, its empirical spectrum as atoms of the theory,
and (slow) the comparison of the simulator on the images with Gaussian data of the same covariance.

Needs the optional extra ``data`` (scikit-learn); skipped cleanly without it.
"""
import math

import numpy as np
import pytest

from rmt_dsm.data_spectrum import from_samples

sklearn = pytest.importorskip("sklearn")

from rmt_dsm.datasets import digits, standardize  # noqa: E402


def test_digits_loader_is_centred_with_unit_mean_eigenvalue():
    x = digits()
    raw = sklearn.datasets.load_digits().data
    assert x.shape == raw.shape == (1797, 64)
    assert np.abs(x.mean(axis=0)).max() < 1e-12
    sigma = x.T @ x / x.shape[0]
    assert abs(np.trace(sigma) / 64 - 1) < 1e-12
    # one global factor: the standardized images are an affine image of the raw pixels
    keep = np.abs(x) > 1e-9
    c = (raw - raw.mean(axis=0))[keep] / x[keep]
    assert np.ptp(c) < 1e-9 * abs(c.mean())


def test_empirical_spectrum_of_digits():
    x = digits()
    s = from_samples(x)
    assert abs(sum(s.weights) - 1) < 1e-14
    assert abs(float(s.q) - 1) < 1e-12                       # mean eigenvalue tr(Sigma)/d
    eigs = np.linalg.eigvalsh(x.T @ x / x.shape[0])
    assert abs(float(sum(w * l ** 2 for w, l in zip(s.weights, s.eigenvalues))) - np.mean(eigs ** 2)) < 1e-10
    constant = int(np.sum(np.ptp(sklearn.datasets.load_digits().data, axis=0) == 0))
    assert constant >= 1 and abs(float(s.psi_d) - (1 - constant / 64)) < 1e-14  # constant pixels: eigenvalue 0


def test_standardize_refuses_constant_images():
    with pytest.raises(ValueError, match="images"):
        standardize(np.ones((5, 3)))


def _pair(images, eigs, t, m, psi_p, seeds=6):
    kw = dict(d=64, psi_n=4.0, psi_p=psi_p, m=m, t=t, lam=1e-2, activation="tanh", seeds=seeds, n_test=10000,
              population="mc")
    from rmt_dsm.simulate import simulate

    return simulate(**kw, sigma_eigs=eigs, seed=101), simulate(**kw, data=images, seed=102)


@pytest.mark.slow
def test_digits_gaussian_universality_where_it_holds_and_where_it_fails():
    """docs/structured_data.md: at t = 1 the simulator on the digits matches Gaussian data of the same
    covariance (d = 64); at t = 0.1 and p >> n the held-out test error of the digits is clearly lower."""
    images = digits()
    eigs = np.clip(np.linalg.eigvalsh(images.T @ images / images.shape[0]), 0, None)
    for psi_p in (2.0, 8.0):
        ga, dg = _pair(images, eigs, 1.0, 1, psi_p)
        for k in ("train", "test"):
            a, b = getattr(ga, k), getattr(dg, k)
            assert abs(a.mean - b.mean) < 4 * math.hypot(a.stderr, b.stderr) + 0.01 * a.mean, (psi_p, k, a, b)
    ga, dg = _pair(images, eigs, 0.1, 4, 16.0)
    se = math.hypot(ga.test.stderr, dg.test.stderr)
    assert dg.test.mean < ga.test.mean - max(10 * se, 0.05 * ga.test.mean), (ga.test, dg.test)
