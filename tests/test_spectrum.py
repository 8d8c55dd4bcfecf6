"""Spectrum of U from the DSM Dyson system vs eigenvalues of simulated U.

Compared through the Stieltjes transform g(z) = (1/p) tr (U - z)^{-1} at complex z (smooth,
no binning): the theory's g_v(z) against (1/p) sum_i 1/(lambda_i - z) of a simulated U,
built here directly from the true nonlinear features (m finite) or from the exact noise
average of the Gaussian-equivalent model (m = infinity), whose coefficients come from the
simulator's own quadrature (rmt_dsm.simulate.equivalent_coefficients, not the theory's).
Atom masses against exact ranks.
"""
import math

import numpy as np
import pytest

from rmt_dsm.dsm.spectrum import spectrum, spectrum_system
from rmt_dsm.dsm.system import g_v

D = 300


def _U_true(d, psi_n, psi_p, m, t, seed):
    rng = np.random.default_rng(seed)
    a, delta = math.exp(-t), -math.expm1(-2 * t)
    n, p = int(psi_n * d), int(psi_p * d)
    W = rng.standard_normal((p, d))
    X = rng.standard_normal((n, d))
    U = np.zeros((p, p))
    for _ in range(m):
        Phi = np.tanh((a * X + math.sqrt(delta) * rng.standard_normal((n, d))) @ W.T / math.sqrt(d))
        U += Phi.T @ Phi
    return U / (n * m)


def _U_ge_inf(d, psi_n, psi_p, t, seed):
    from rmt_dsm.simulate import equivalent_coefficients

    rng = np.random.default_rng(seed)
    a, delta = math.exp(-t), -math.expm1(-2 * t)
    coef = equivalent_coefficients("tanh", a, delta)
    n, p = int(psi_n * d), int(psi_p * d)
    W = rng.standard_normal((p, d))
    F = coef.mu1 * a * rng.standard_normal((n, d)) @ W.T / math.sqrt(d) + math.sqrt(coef.v2) * rng.standard_normal((n, p))
    return F.T @ F / n + coef.mu1**2 * delta * W @ W.T / d + coef.s2 * np.eye(p)


def _theory_g(psi_n, psi_p, m, t, zval):
    from rmt_dsm.point import coefficients_of, point

    pt = point(psi_n, psi_p, m, t, 1.0, "tanh", None, None, None)
    c = coefficients_of(pt)
    params = {"psi_n": psi_n, "psi_p": psi_p, "kappa": pt.kappa, "a": pt.a, "delta": pt.delta,
              "mu1": c.mu1, "v2": c.v2, "s2": c.s2, "z": zval}
    return complex(spectrum_system().solve(params)[g_v])


@pytest.mark.parametrize("psi_n,psi_p,m,t", [(1.0, 3.0, 1, 0.5), (0.5, 1.5, 2, 0.3), (0.5, 2.0, math.inf, 0.1)])
def test_stieltjes_transform_matches_simulation(psi_n, psi_p, m, t):
    zs = [0.05 + 0.05j, 0.4 + 0.1j, 1.5 + 0.1j]
    evs = []
    for seed in range(3):
        U = _U_ge_inf(D, psi_n, psi_p, t, seed) if m == math.inf else _U_true(D, psi_n, psi_p, m, t, seed)
        evs.append(np.linalg.eigvalsh(U))
    for zval in zs:
        g = _theory_g(psi_n, psi_p, m, t, zval)
        emp = np.array([np.mean(1 / (ev - zval)) for ev in evs])
        se = np.std(emp, ddof=1) / np.sqrt(len(emp))
        # 4 standard errors over seeds + the O(1/d) finite-size bias of a normalized trace
        # (measured: |bias| ~ 1e-3 |g| at d = 400, comparable to the seed spread)
        assert abs(emp.mean() - g) < 4 * se + abs(g) / D, (zval, g, emp)


def test_atoms_are_the_rank_deficits():
    s1 = spectrum(1.0, 3.0, 2, [1.0], t=0.5)
    assert s1.atom_mass == pytest.approx(1 - 2 / 3)
    ev = np.linalg.eigvalsh(_U_true(200, 1.0, 3.0, 2, 0.5, 0))
    assert np.mean(ev < 1e-9 * ev.max()) == pytest.approx(s1.atom_mass, abs=1 / 600)
    assert s1.atom_at == 0.0
    s2 = spectrum(0.5, 2.0, math.inf, [1.0], t=0.1)
    assert s2.atom_mass == pytest.approx(0.25)
    # m = inf: U >= s^2 I with equality on the complement of the rank-(n + d) part; s^2 from the
    # simulator's own quadrature
    from rmt_dsm.simulate import equivalent_coefficients

    assert s2.atom_at == pytest.approx(equivalent_coefficients("tanh", math.exp(-0.1), -math.expm1(-0.2)).s2,
                                       rel=1e-9)


def test_density_is_nonnegative_and_positive_in_the_bulk():
    E = np.linspace(0.3, 1.2, 7)
    s = spectrum(1.0, 3.0, 1, E, t=0.5)
    assert np.all(s.density > 0)


def test_spectrum_cli_writes_csv_and_figure(tmp_path, capsys):
    import csv
    import json

    from rmt_dsm.cli import main

    out = tmp_path / "spec"
    assert main(["spectrum", "--psi-n", "1", "--psi-p", "3", "--m", "1", "--t", "0.5", "--num", "30",
                 "--emax", "4", "--out", str(out), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["atom_mass"] == pytest.approx(2 / 3) and len(data["density"]) == 30
    rows = list(csv.DictReader(open(f"{out}.csv")))
    assert len(rows) == 30 and (tmp_path / "spec.png").exists() and (tmp_path / "spec.pdf").exists()
    assert main(["spectrum", "--psi-n", "-1", "--psi-p", "3", "--m", "1", "--t", "0.5"]) == 2
    assert "psi_n" in capsys.readouterr().err
