r"""Independent check of the m = 1 theory against Mei & Montanari's closed form (issue 3, item 6c).

Mei & Montanari, "The generalization error of random features regression: precise
asymptotics and double descent curve", arXiv:1908.05355 (Comm. Pure Appl. Math. 75, 2022),
Definition 1 and Theorem 1, give the test error of random-features ridge regression of a
linear target with label noise.  For m = 1 the DSM problem is exactly that regression
(one scalar regression per output coordinate).  The formulas and the convention mapping
are written out in derivations/mei_montanari.md; everything on the MM side below
(Gaussian coefficients, fixed point, polynomials) is implemented here from the paper,
without rmt_dsm.moments / rmt_dsm.equivalence.

Mapping (derivations/mei_montanari.md, section 3), with Gamma^2 = a^2 + Delta:
  x_MM = y / Gamma,  sigma_MM(u) = sigma(Gamma u),  psi_1 = psi_p,  psi_2 = psi_n,
  F_1^2 = Delta / Gamma^2,  tau^2 = a^2 / Gamma^2,  F_star = 0,
  lambda_MM = lam / psi_p   (MM penalty (N lambda / d) ||a||^2 = lam ||c||^2),
  E_test = R_RF + tau^2     (MM's risk is measured against the noiseless target).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

import rmt_dsm

# --------------------------------------------------------------------------------------
# MM side: Gaussian coefficients of sigma_MM(u) = sigma(Gamma u), G ~ N(0, 1)
#   mu_0 = E sigma_MM(G), mu_1 = E[G sigma_MM(G)], mu_star^2 = E sigma_MM(G)^2 - mu_0^2 - mu_1^2
# --------------------------------------------------------------------------------------


def _gauss_quad(h):
    """E h(G), G ~ N(0,1), by adaptive quadrature (smooth integrands)."""
    w = lambda z: h(z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    val, err = integrate.quad(w, -np.inf, np.inf, epsabs=1e-15, epsrel=1e-13, limit=400)
    return val


def mm_coefficients(activation: str, Gamma: float):
    """(mu_0, mu_1, mu_star^2) of u -> sigma(Gamma u): closed forms for erf/relu, quadrature for tanh."""
    g2 = Gamma * Gamma
    if activation == "erf":
        # E erf(cG) = 0; E[G erf(cG)] = c E erf'(cG) = (2c/sqrt(pi)) / sqrt(1 + 2c^2);
        # E erf(cG)^2 = (2/pi) arcsin(2c^2 / (1 + 2c^2))
        mu0 = 0.0
        mu1 = 2 * Gamma / math.sqrt(math.pi * (1 + 2 * g2))
        m2 = (2 / math.pi) * math.asin(2 * g2 / (1 + 2 * g2))
    elif activation == "relu":
        # E relu(cG) = c/sqrt(2 pi); E[G relu(cG)] = c/2; E relu(cG)^2 = c^2/2
        mu0 = Gamma / math.sqrt(2 * math.pi)
        mu1 = Gamma / 2
        m2 = g2 / 2
    elif activation == "tanh":
        mu0 = _gauss_quad(lambda z: math.tanh(Gamma * z))
        mu1 = _gauss_quad(lambda z: z * math.tanh(Gamma * z))
        m2 = _gauss_quad(lambda z: math.tanh(Gamma * z) ** 2)
    else:  # pragma: no cover
        raise ValueError(activation)
    return mu0, mu1, m2 - mu0 * mu0 - mu1 * mu1


# --------------------------------------------------------------------------------------
# MM Definition 1: nu_1, nu_2 at xi = i s, s = sqrt(psi_1 psi_2 lambda_bar).
# On the imaginary axis nu_k(i s) = i a_k with a_k > 0 real, and the equations read
#   a_1 = psi_1 / (s + a_2 + zeta^2 a_2 / (1 + zeta^2 a_1 a_2)),
#   a_2 = psi_2 / (s + a_1 + zeta^2 a_1 / (1 + zeta^2 a_1 a_2)),
# chi = nu_1 nu_2 = -a_1 a_2.  The branch is the one continued from large s (a_k ~ psi_k/s),
# followed by continuation in s down to the target.
# --------------------------------------------------------------------------------------


def _nu_residual(v, zeta2, psi1, psi2, s):
    a1, a2 = v
    den = 1 + zeta2 * a1 * a2
    return np.array([a1 * (s + a2 + zeta2 * a2 / den) - psi1, a2 * (s + a1 + zeta2 * a1 / den) - psi2])


def _nu_newton(v, zeta2, psi1, psi2, s, iters=60):
    """Newton's method on the 2x2 system (analytic Jacobian), from a nearby start v."""
    for _ in range(iters):
        a1, a2 = v
        den = 1 + zeta2 * a1 * a2
        # d/da of zeta^2 a_j / den, with den = 1 + zeta^2 a1 a2
        g = zeta2 / den**2  # d(zeta^2 a2/den)/da2 = zeta^2/den^2; d(.)/da1 = -zeta^4 a2^2/den^2
        J = np.array([
            [s + a2 + zeta2 * a2 / den - a1 * zeta2 * zeta2 * a2 * a2 / den**2, a1 * (1 + g)],
            [a2 * (1 + g), s + a1 + zeta2 * a1 / den - a2 * zeta2 * zeta2 * a1 * a1 / den**2],
        ])
        step = np.linalg.solve(J, _nu_residual(v, zeta2, psi1, psi2, s))
        new = v - step
        while np.any(new <= 0):  # stay in the positive quadrant (damping)
            step = step / 2
            new = v - step
        v = new
        if np.max(np.abs(step) / v) < 1e-15:
            break
    return v


def mm_chi(zeta, psi1, psi2, lbar):
    """chi(zeta, psi_1, psi_2, lambda_bar) of MM Definition 1 (lambda_bar > 0); lambda_bar = 0: ridgeless limit."""
    zeta2 = zeta * zeta
    if lbar == 0:
        # s -> 0+: the a_k of the larger psi diverges, the product x = a_1 a_2 stays finite and
        # solves x (1 + zeta^2 / (1 + zeta^2 x)) = min(psi_1, psi_2) (derived in the note, sec. 2.3)
        psi = min(psi1, psi2)
        b = 1 + zeta2 - psi * zeta2
        x = (-b + math.sqrt(b * b + 4 * zeta2 * psi)) / (2 * zeta2)
        return -x
    s = math.sqrt(psi1 * psi2 * lbar)
    s0 = max(1e3 * (1 + psi1 + psi2), 10 * s)
    v = np.array([psi1 / s0, psi2 / s0])
    for si in np.geomspace(s0, s, 40):
        v = _nu_newton(v, zeta2, psi1, psi2, si)
    res = np.max(np.abs(_nu_residual(v, zeta2, psi1, psi2, s)))
    assert res < 1e-13 * (1 + psi1 + psi2)
    assert v[0] < psi1 / s and v[1] < psi2 / s  # |nu_k| <= psi_k / Im(xi)
    return -v[0] * v[1]


def mm_bias_variance(zeta, psi1, psi2, lbar):
    """B = E_1/E_0, V = E_2/E_0 (MM Definition 1)."""
    c = mm_chi(zeta, psi1, psi2, lbar)
    z2, z4, z6 = zeta**2, zeta**4, zeta**6
    p12 = psi1 * psi2
    E0 = (-(c**5) * z6 + 3 * c**4 * z4 + (p12 - psi2 - psi1 + 1) * c**3 * z6 - 2 * c**3 * z4
          - 3 * c**3 * z2 + (psi1 + psi2 - 3 * p12 + 1) * c**2 * z4 + 2 * c**2 * z2 + c**2
          + 3 * p12 * c * z2 - p12)
    E1 = psi2 * c**3 * z4 - psi2 * c**2 * z2 + p12 * c * z2 - p12
    E2 = (c**5 * z6 - 3 * c**4 * z4 + (psi1 - 1) * c**3 * z6 + 2 * c**3 * z4 + 3 * c**3 * z2
          + (-psi1 - 1) * c**2 * z4 - 2 * c**2 * z2 - c**2)
    return E1 / E0, E2 / E0


def mm_risk(F1sq, tau2, Fstar2, zeta, psi1, psi2, lbar):
    """MM Theorem 1: R_RF -> F_1^2 B + (tau^2 + F_star^2) V + F_star^2 (noiseless-target risk)."""
    B, V = mm_bias_variance(zeta, psi1, psi2, lbar)
    return F1sq * B + (tau2 + Fstar2) * V + Fstar2


def mm_dsm_test(psi_n, psi_p, t, lam, activation, a=None, delta=None):
    """E_test of DSM at m = 1 from MM via the mapping of derivations/mei_montanari.md
    (schedule: t, or a and delta with any Gamma^2 = a^2 + delta)."""
    if t is not None:
        a, delta = math.exp(-t), -math.expm1(-2 * t)
    G2 = a * a + delta
    _, mu1, ms2 = mm_coefficients(activation, math.sqrt(G2))
    zeta = mu1 / math.sqrt(ms2)
    lbar = (lam / psi_p) / ms2  # lambda_MM = lam / psi_1, lambda_bar = lambda_MM / mu_star^2
    tau2 = a * a / G2
    return mm_risk(delta / G2, tau2, 0.0, zeta, psi_p, psi_n, lbar) + tau2


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------

ACTIVATIONS = ["tanh", "erf", "relu"]

# (psi_n, psi_p, t, lam): psi_p < psi_n and psi_p > psi_n, lam from 1e-3 to 1
POINTS = [
    (2.0, 1.0, 0.4, 1e-3),
    (3.0, 0.5, 0.05, 1e-2),
    (1.5, 1.2, 1.0, 0.1),
    (1.0, 2.0, 0.2, 1e-3),
    (0.5, 3.0, 0.7, 1.0),
    (0.8, 1.0, 2.0, 0.03),
    (1.0, 1.0, 0.3, 1e-2),  # at the interpolation threshold (finite because lam > 0)
]

RIDGELESS = [(2.0, 0.7, 0.5), (0.6, 1.8, 0.3)]  # (psi_n, psi_p, t), lam = 0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_test_error_matches_mei_montanari(activation):
    """rmt_dsm.errors(..., m=1).test equals MM's closed form to ~1e-10 (both exact asymptotics)."""
    worst = 0.0
    for psi_n, psi_p, t, lam in POINTS:
        ours = rmt_dsm.errors(psi_n, psi_p, 1, t=t, lam=lam, activation=activation).test
        mm = mm_dsm_test(psi_n, psi_p, t, lam, activation)
        rel = abs(ours - mm) / abs(mm)
        worst = max(worst, rel)
        assert rel < 1e-8, (activation, psi_n, psi_p, t, lam, ours, mm)
    assert worst < 1e-8


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_ridgeless_limit_matches_mei_montanari(activation):
    """lam = 0 (limit lam -> 0+, computed by continuation) against MM's ridgeless chi."""
    for psi_n, psi_p, t in RIDGELESS:
        ours = rmt_dsm.errors(psi_n, psi_p, 1, t=t, lam=0.0, activation=activation).test
        mm = mm_dsm_test(psi_n, psi_p, t, 0.0, activation)
        assert abs(ours - mm) < 1e-8 * abs(mm), (activation, psi_n, psi_p, t, ours, mm)
        # and the ridgeless chi is the lambda -> 0 limit of the ridge fixed point
        near = mm_dsm_test(psi_n, psi_p, t, 1e-9, activation)
        assert abs(near - mm) < 1e-5 * abs(mm)


# (a, delta) with Gamma^2 = a^2 + delta != 1: F_1^2 = Delta/Gamma^2, tau^2 = a^2/Gamma^2 and the
# activation sigma(Gamma u) all differ from their OU values
GENERAL_SCHEDULES = [(1.0, 0.5), (0.5, 2.0), (2.0, 0.3)]


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("a,delta", GENERAL_SCHEDULES)
def test_general_schedules_match_mei_montanari(activation, a, delta):
    """m = 1 at a^2 + Delta != 1, with ridge and ridgeless, both sides of psi_p = psi_n."""
    for psi_n, psi_p, lam in ((2.0, 1.0, 1e-2), (1.0, 2.5, 0.1), (2.0, 0.7, 0.0), (0.6, 1.8, 0.0)):
        ours = rmt_dsm.errors(psi_n, psi_p, 1, a=a, delta=delta, lam=lam, activation=activation).test
        mm = mm_dsm_test(psi_n, psi_p, None, lam, activation, a=a, delta=delta)
        assert abs(ours - mm) < 1e-8 * abs(mm), (activation, a, delta, psi_n, psi_p, lam, ours, mm)


def test_mm_side_is_not_trivially_insensitive():
    """The comparison can fail: a wrong ridge normalization or dropping tau^2 is far off."""
    psi_n, psi_p, t, lam = 2.0, 1.0, 0.4, 1e-2
    ours = rmt_dsm.errors(psi_n, psi_p, 1, t=t, lam=lam, activation="tanh").test
    good = mm_dsm_test(psi_n, psi_p, t, lam, "tanh")
    wrong_ridge = mm_dsm_test(psi_n, psi_p, t, lam * psi_p * 2, "tanh")  # lambda_MM = 2 lam: off by psi-factor
    a2 = math.exp(-2 * t)
    assert abs(good - ours) < 1e-10
    assert abs(wrong_ridge - ours) > 1e-3
    assert abs((good - a2) - ours) > 0.1  # without the label-noise floor tau^2 = a^2 (Gamma = 1)


def test_mm_coefficients_closed_forms_vs_quadrature():
    """Closed forms for erf and relu agree with direct quadrature (MM side sanity)."""
    for Gamma in (0.7, 1.0, 1.6):
        for act, f in (("erf", special.erf), ("relu", lambda v: max(v, 0.0))):
            mu0, mu1, ms2 = mm_coefficients(act, Gamma)
            q0 = _gauss_quad(lambda z: float(f(Gamma * z)))
            q1 = _gauss_quad(lambda z: z * float(f(Gamma * z)))
            q2 = _gauss_quad(lambda z: float(f(Gamma * z)) ** 2) - q0**2 - q1**2
            assert abs(mu0 - q0) < 1e-10 and abs(mu1 - q1) < 1e-10 and abs(ms2 - q2) < 1e-10


def test_mm_large_ridge_limits():
    """lambda_bar -> infinity: chi -> 0, B -> 1 (zero predictor), V -> 0."""
    B, V = mm_bias_variance(0.8, 1.3, 0.7, 1e8)
    assert abs(B - 1) < 1e-6 and abs(V) < 1e-6


# --------------------------------------------------------------------------------------
# Finite-d simulations (small d): check the mapping on both sides independently
# --------------------------------------------------------------------------------------


def _sphere(rng, k, d):
    g = rng.standard_normal((k, d))
    return math.sqrt(d) * g / np.linalg.norm(g, axis=1, keepdims=True)


def _act(activation):
    return {"tanh": np.tanh, "erf": special.erf, "relu": lambda v: np.maximum(v, 0.0)}[activation]


def simulate_mm(d, psi_n, psi_p, F1, tau, lam_mm, activation, Gamma, seeds, n_test=1000):
    """MM's own setting: x, theta uniform on the sphere of radius sqrt(d), y = <beta, x> + eps,
    ridge (1/n) ||y - Z a||^2 + (N lam_mm / d) ||a||^2, risk E_x (<beta, x> - f(x))^2.
    Activation u -> sigma(Gamma u).  Several targets (columns) share the features."""
    sig = _act(activation)
    n, N = int(psi_n * d), int(psi_p * d)
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        Th = _sphere(rng, N, d)
        X, Xt = _sphere(rng, n, d), _sphere(rng, n_test, d)
        K = 20
        beta = F1 * _sphere(rng, K, d).T / math.sqrt(d)  # d x K, ||beta_k|| = F1
        Y = X @ beta + tau * rng.standard_normal((n, K))
        Z, Zt = sig(Gamma * X @ Th.T / math.sqrt(d)), sig(Gamma * Xt @ Th.T / math.sqrt(d))
        A = np.linalg.solve(Z.T @ Z / n + (N * lam_mm / d) * np.eye(N), Z.T @ Y / n)
        out.append(np.mean((Xt @ beta - Zt @ A) ** 2))
    return np.mean(out), np.std(out) / math.sqrt(len(out))


def simulate_dsm_m1(d, psi_n, psi_p, t, lam, activation, seeds, n_test=1000):
    """DSM at m = 1 exactly as in SPEC section 2 (Gaussian W, x, xi; C = V^T (U + lam I)^{-1})."""
    sig = _act(activation)
    a, delta = math.exp(-t), -math.expm1(-2 * t)
    n, p = int(psi_n * d), int(psi_p * d)
    out = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        W = rng.standard_normal((p, d))
        x, xi = rng.standard_normal((n, d)), rng.standard_normal((n, d))
        y = a * x + math.sqrt(delta) * xi
        Phi = sig(y @ W.T / math.sqrt(d))
        Ct = np.linalg.solve(Phi.T @ Phi / n + lam * np.eye(p), Phi.T @ xi / n)  # p x d, = C^T
        xt, xit = rng.standard_normal((n_test, d)), rng.standard_normal((n_test, d))
        yt = a * xt + math.sqrt(delta) * xit
        out.append(np.mean((xit - sig(yt @ W.T / math.sqrt(d)) @ Ct) ** 2))
    return np.mean(out), np.std(out) / math.sqrt(len(out))


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_mapping_against_finite_d_simulations(activation):
    """d = 300: MM's formula vs a simulation of MM's setting, and our theory vs a simulation of
    DSM (m = 1): both agree within a few percent, so the mapping is checked on both sides."""
    d, psi_n, psi_p, t, lam = 300, 1.5, 2.5, 0.5, 0.05
    a, delta = math.exp(-t), -math.expm1(-2 * t)
    G2 = a * a + delta
    _, mu1, ms2 = mm_coefficients(activation, math.sqrt(G2))
    zeta, lam_mm = mu1 / math.sqrt(ms2), lam / psi_p
    F1sq, tau2 = delta / G2, a * a / G2
    R = mm_risk(F1sq, tau2, 0.0, zeta, psi_p, psi_n, lam_mm / ms2)
    R_sim, R_se = simulate_mm(d, psi_n, psi_p, math.sqrt(F1sq), math.sqrt(tau2), lam_mm, activation,
                              math.sqrt(G2), seeds=range(3))
    assert abs(R_sim - R) < 0.03 * R + 3 * R_se, (R_sim, R_se, R)
    ours = rmt_dsm.errors(psi_n, psi_p, 1, t=t, lam=lam, activation=activation).test
    E_sim, E_se = simulate_dsm_m1(d, psi_n, psi_p, t, lam, activation, seeds=range(3))
    assert abs(E_sim - ours) < 0.02 * ours + 3 * E_se, (E_sim, E_se, ours)
    assert abs(ours - (R + tau2)) < 1e-9
