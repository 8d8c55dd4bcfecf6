#!/usr/bin/env python
"""Mutation check of the default test suite over an explicit list of plausible one-line bugs.

    .venv/bin/python scripts/mutation.py                 # run every mutant, print the table
    .venv/bin/python scripts/mutation.py --write         # ... and regenerate docs/mutation.md
    .venv/bin/python scripts/mutation.py --only M03 --write   # rerun some, update their rows
    .venv/bin/python scripts/mutation.py --only M03 M17  # selected mutants
    .venv/bin/python scripts/mutation.py --check         # only check that every snippet is found once
    .venv/bin/python scripts/mutation.py --list          # list the mutants

Each mutant is (file, exact original snippet, replacement, description). For each one the
repository's files (tracked and untracked-but-not-ignored, as listed by ``git ls-files``) are
copied into a temporary directory, the snippet is replaced there (it must occur exactly once
in the file: otherwise the script stops with an error, so that the list is updated after the
code changes), and the default suite runs in the copy:

    python -m pytest -x -q -p no:cacheprovider <PRIORITY test files>             (stage 1)
    python -m pytest -x -q -p no:cacheprovider <PRIORITY files> <other tests> rmt_dsm   (stage 2)

with ``PYTHONPATH`` set to the copy (the package, the console script and every subprocess then
import the mutated code). Stage 2 names exactly the files of the default suite
(``testpaths = tests, rmt_dsm``; the ``addopts`` of pyproject.toml apply: no slow tests,
doctests), only in another order; stage 1 is a part of it (the derivation checks, the theory
and simulator tests), run first because collecting the whole suite costs more than most kills.
Stage 2 runs only if stage 1 passes. A mutant is *killed* when a stage fails (the first failing
test is recorded), *survived* when both pass; the wall time is recorded. Before the mutants, the
unmutated copy must pass (otherwise the run stops).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "mutation.md"
DATA = ROOT / "docs" / "data" / "mutation.json"

#: test files run first (fast and sensitive); the rest of the default suite follows in name order
PRIORITY = ("tests/test_derivations.py", "tests/test_atom_sums.py", "tests/test_dsm_theory.py",
            "tests/test_mei_montanari.py", "tests/test_equivalence.py", "tests/test_moments.py",
            "tests/test_simulate.py", "tests/test_simulate_population.py", "tests/test_simulate_equivalent.py",
            "tests/test_finite_m.py", "tests/test_schedules.py", "tests/test_structured.py", "tests/test_training.py",
            "tests/test_ge_finite_m.py")


@dataclass(frozen=True)
class Mutant:
    """One plausible bug: replace ``original`` (exactly one occurrence) by ``replacement`` in ``file``."""

    id: str
    file: str
    original: str
    replacement: str
    description: str


_M = [
    # ---- error formulas [D eqs. (6.4)-(6.5)] ---------------------------------------------------------
    ("rmt_dsm/dsm/system.py", "    return a**2 * lk + delta\n", "    return sp.Integer(1) + 0 * lk\n",
     "test error: the probe weight Gamma^2 = a^2 l + Delta replaced by 1"),
    ("rmt_dsm/dsm/numeric.py", "return sum(w * (a2 * lk) / (a2 * lk + delta) for w, lk in spectrum)",
     "return sum(w * (a2 * lk) for w, lk in spectrum)",
     "floor F_pop = a^2/Gamma^2 replaced by a^2 (equal only when a^2 + Delta = 1)"),
    ("rmt_dsm/dsm/observables.py", "+ (v2 + s2) * Hp", "- (v2 + s2) * Hp",
     "test error: sign of the (v^2 + s^2) H' term"),
    ("rmt_dsm/dsm/observables.py", "+ (v2 + s2) * Hp", "+ v2 * Hp",
     "test error: (v^2 + s^2) replaced by v^2"),
    ("rmt_dsm/dsm/observables.py", "2 * mu1 * sp.sqrt(delta) * X1", "2 * mu1 * X1",
     "test error: factor sqrt(Delta) of the X1 term dropped"),
    ("rmt_dsm/dsm/observables.py", "2 * mu1 * sp.sqrt(delta) * X1", "mu1 * sp.sqrt(delta) * X1",
     "test error: factor 2 of the X1 term dropped"),
    ("rmt_dsm/dsm/observables.py", "train = H - lam * Hp", "train = H + lam * Hp",
     "train error: sign of lambda H'"),
    ("rmt_dsm/dsm/observables.py", "gbar() ** 2 * R", "(gbar() ** 2 - 4 * kappa * (1 - kappa) * g_u0 * g_u1) * R",
     "Q: sign of the cross-population term of gbar^2"),
    ("rmt_dsm/dsm/observables.py", "return kappa * g_u0 + (1 - kappa) * g_u1", "return g_u0 + (1 - kappa) * g_u1",
     "gbar: weight N_0/N = kappa of population 0 dropped"),
    ("rmt_dsm/dsm/observables.py", "return -mu1 * sp.sqrt(delta) * gbar() * R", "return mu1 * sp.sqrt(delta) * gbar() * R",
     "X1: overall sign"),
    ("rmt_dsm/dsm/observables.py", "return lam * Q, Q + lam * dQ_dx", "return lam * Q, Q - lam * dQ_dx",
     "dual chart: H' = Q - lambda dQ/dx"),
    ("rmt_dsm/dsm/observables.py", "return -Q, -dQ_dy", "return -Q, dQ_dy",
     "primal chart: sign of H' = -dQ/dy"),
    # ---- populations [D eq. (2.4)] ---------------------------------------------------------------
    ("rmt_dsm/dsm/populations.py", "g0 = a**2 * l + delta * kappa ", "g0 = a**2 * l + delta * (1 - kappa) ",
     "population 0: kappa -> 1 - kappa in kappa gamma_0^2"),
    ("rmt_dsm/dsm/populations.py", "beta=sp.sqrt(delta) * kappa / g0", "beta=sp.sqrt(delta) / g0",
     "population 0: factor kappa of beta_0 dropped"),
    ("rmt_dsm/dsm/populations.py", "ktau2=v2 + s2 * kappa", "ktau2=s2 + v2 * kappa",
     "population 0: v^2 and s^2 swapped in kappa tau_0^2"),
    ("rmt_dsm/dsm/populations.py", "ktau2=s2 * kappa,", "ktau2=v2 * kappa,",
     "population 1: s^2 replaced by v^2"),
    ("rmt_dsm/dsm/populations.py", "omega2=a**2 * l / g0", "omega2=delta * kappa / g0",
     "population 0: label-noise variance a^2/g0 replaced by Delta kappa/g0"),
    # ---- reduced Dyson system [D eqs. (5.4)-(5.7)] ------------------------------------------------
    ("rmt_dsm/dsm/system.py", "K = tuple(p.weight * p.kgamma2 / kappa", "K = tuple(p.kgamma2 / kappa",
     "K_p: weight N_p/N dropped (K_1 = Delta (1 - kappa) becomes Delta kappa)"),
    ("rmt_dsm/dsm/system.py", "tz = (v2 + s2 * kappa, s2 * (1 - kappa))", "tz = (v2 + s2 * kappa, s2)",
     "eta_v: factor (1 - kappa) of the contrast noise dropped"),
    ("rmt_dsm/dsm/system.py", "rho = s**2 * psi_p * g_v / (1 - s**2 * psi_p * g_v * S)",
     "rho = s**2 * psi_p * g_v / (1 + s**2 * psi_p * g_v * S)", "rho: sign in the Sherman-Morrison denominator"),
    ("rmt_dsm/dsm/system.py", 'out[("ba", p)] = -(1 + rho * A[p]) / mu1', 'out[("ba", p)] = -(1 - rho * A[p]) / mu1',
     "g_{b_k a_k}: sign of rho A_k"),
    ("rmt_dsm/dsm/system.py", "S = A[0] + A[1] - eps", "S = A[0] + A[1] + eps",
     "S: sign of the probe eps"),
    # ---- point.py, scalar.py: chart, threshold, floor, kappa, coefficients ----------------------------------------
    ("rmt_dsm/point.py", "or self.psi_p < self.m * self.psi_n:", "or self.psi_p > self.m * self.psi_n:",
     "chart choice inverted (dual below the threshold, primal above)"),
    ("rmt_dsm/scalar.py", "floor = rounded(population_floor(_atoms(pt.sigma, pt.dps), pt.a, pt.delta), pt.dps)",
     "floor = rounded(pt.a**2, pt.dps)",
     "floor returned at the divergence point replaced by a^2"),
    ("rmt_dsm/point.py", "THRESHOLD_DOUBLE = 1e-12", "THRESHOLD_DOUBLE = 1e-4",
     "threshold detection tolerance 1e-12 -> 1e-4 (finite points reported as divergent)"),
    ("rmt_dsm/point.py", "if self.dps is not None else 1.0 / self.m", "if self.dps is not None else 1.0 - 1.0 / self.m",
     "kappa = 1/m replaced by 1 - 1/m (double precision)"),
    ("rmt_dsm/scalar.py", '"v2": coef.v2, "s2": coef.s2, "x": x', '"v2": coef.s2, "s2": coef.v2, "x": x',
     "v^2 and s^2 swapped when passed to the Dyson system"),
    # ---- Gaussian-equivalent coefficients and moments ---------------------------------------------
    ("rmt_dsm/equivalence.py", "v2 = e2 - mu0 * mu0 - t_lin", "v2 = e2 - t_lin",
     "v^2: mu0^2 not subtracted"),
    ("rmt_dsm/equivalence.py", "t_lin, t_d = mu1 * mu1 * C, mu1 * mu1 * D", "t_lin, t_d = mu1 * mu1 * C, mu1 * D",
     "s^2: mu1^2 Delta replaced by mu1 Delta"),
    ("rmt_dsm/equivalence.py", "    G2 = C + D\n    mu0, mu1, n2", "    G2 = A + D\n    mu0, mu1, n2",
     "double path: Gamma^2 = a^2 q + Delta replaced by a + Delta"),
    ("rmt_dsm/moments.py", '"slope": 2 / mpmath.sqrt(mpmath.pi * (1 + 2 * G2))',
     '"slope": 2 / mpmath.sqrt(mpmath.pi * (1 + G2))', "erf: mu1 with 1 + Gamma^2 instead of 1 + 2 Gamma^2"),
    ("rmt_dsm/moments.py", "(mpmath.sin(th) + (mpmath.pi - th) * c)", "(mpmath.sin(th) + th * c)",
     "relu arc-cosine kernel: (pi - theta) replaced by theta"),
    ("rmt_dsm/moments.py", "v2 = float(wu @ (sb - mu0 - mu1 * s * uu) ** 2)", "v2 = float(wu @ (sb - mu1 * s * uu) ** 2)",
     "double split: mu0 not subtracted in v^2"),
    ("rmt_dsm/moments.py", "s2 = float(wu @ (((F - sb[:, None] - mu1 * b * gg[None, :]) ** 2) @ wg))",
     "s2 = float(wu @ (((F - sb[:, None] - mu1 * gg[None, :]) ** 2) @ wg))",
     "double split: factor sqrt(Delta) dropped in s^2"),
    # ---- simulator ------------------------------------------------------------------------------
    ("rmt_dsm/simulate/params.py", "return 1.0 - self.delta * float(np.mean(", "return 1.0 - self.delta * 0 * float(np.mean(",
     "simulator floor: 1 - Delta tr(S^-1)/d replaced by 1 (score shifted)"),
    ("rmt_dsm/simulate/params.py", "1.0 / (self.a ** 2 * self.eigs() + self.delta)",
     "1.0 / (self.eigs() + self.delta)", "simulator floor: a^2 Sigma replaced by Sigma"),
    ("rmt_dsm/simulate/population.py", "score = cqc / d - 2.0 * cb / d + (1.0 - params.floor())",
     "score = cqc / d - 2.0 * cb / d + params.floor()", "simulator exact score: + F_pop instead of 1 - F_pop"),
    ("rmt_dsm/simulate/population.py", "target = (sd * s_inv[0]) * y", "target = s_inv[0] * y",
     "simulator Monte-Carlo score: factor sqrt(Delta) of the target dropped"),
    ("rmt_dsm/simulate/population.py", "B = (math.sqrt(params.delta / params.d) * D)[:, None] * inst.W",
     "B = (math.sqrt(1.0 / params.d) * D)[:, None] * inst.W", "simulator exact B: factor sqrt(Delta) dropped"),
    ("rmt_dsm/simulate/population.py", "(2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + 2.0 * kdiag)",
     "(2.0 / math.sqrt(math.pi)) / np.sqrt(1.0 + kdiag)", "simulator: E erf'(h) with 1 + K_ii instead of 1 + 2 K_ii"),
    ("rmt_dsm/simulate/population.py", "(np.sqrt(1.0 - cos * cos) + (math.pi - th) * cos)",
     "(np.sqrt(1.0 - cos * cos) + th * cos)", "simulator arc-cosine kernel: (pi - theta) replaced by theta"),
    ("rmt_dsm/simulate/population.py", "Q[np.diag_indices_from(Q)] += co.v2 + co.s2",
     "Q[np.diag_indices_from(Q)] += co.s2", "simulator GE population Q: v^2 dropped from the diagonal"),
    ("rmt_dsm/simulate/features.py", "U += (coeffs.mu1 ** 2 * params.delta / d) * (W @ W.T)",
     "U += (coeffs.mu1 ** 2 / d) * (W @ W.T)", "simulator m = inf average: factor Delta of mu1^2 W W^T/d dropped"),
    ("rmt_dsm/simulate/features.py", "Cm = (coeffs.mu1 * params.a / math.sqrt(d)) * (inst.X @ W.T)",
     "Cm = (coeffs.mu1 / math.sqrt(d)) * (inst.X @ W.T)", "simulator m = inf average: factor a dropped"),
    ("rmt_dsm/simulate/equivalent_coefficients.py", "s2 = norm2 - sbar2 - mu1 ** 2 * delta",
     "s2 = norm2 - sbar2 - mu1 ** 2 * c", "simulator GE coefficients: s^2 subtracts mu1^2 c instead of mu1^2 Delta"),
    ("rmt_dsm/simulate/readout.py", "return (sums.xi2 - 2.0 * cv + cuc) / d", "return (sums.xi2 - cv + cuc) / d",
     "simulator train error: factor 2 of the cross term dropped"),
    # ---- more formulas (appended: ids stay stable) ------------------------------------------------
    ("rmt_dsm/dsm/populations.py", "beta=1 / sp.sqrt(delta), omega2", "beta=sp.sqrt(delta), omega2",
     "population 1: beta_1 = 1/sqrt(Delta) replaced by sqrt(Delta)"),
    ("rmt_dsm/dsm/system.py", "eta_u = (mu1**2 * rho_sum + pop.ktau2 * psi_p * g_v) / psi_n",
     "eta_u = (mu1**2 * rho_sum + pop.ktau2 * g_v) / psi_n", "eta_u: factor psi_p of the Z term dropped"),
    ("rmt_dsm/dsm/observables.py", "return gbar() + mu1**2 * delta", "return gbar() - mu1**2 * delta",
     "Q: sign of the mu1^2 Delta gbar^2 Rbar term"),
    ("rmt_dsm/moments.py", '"mean": G / mpmath.sqrt(2 * mpmath.pi)', '"mean": G / mpmath.sqrt(mpmath.pi)',
     "relu: mu0 = Gamma/sqrt(pi) instead of Gamma/sqrt(2 pi)"),
    ("rmt_dsm/simulate/population.py", "return (s[0] / d) * (inst.W @ inst.W.T)", "return (1.0 / d) * (inst.W @ inst.W.T)",
     "simulator: feature covariance K = W W^T/d without a^2 + Delta (right only when a^2 + Delta = 1)"),
    ("rmt_dsm/simulate/population.py", "y = params.a * x + sd * xi", "y = x + sd * xi",
     "simulator Monte-Carlo test set: factor a of the data dropped"),
    ("rmt_dsm/simulate/features.py", "Y += sd * xi", "Y += xi", "simulator training pairs: factor sqrt(Delta) dropped"),
    ("rmt_dsm/simulate/features.py", "V = (coeffs.mu1 * math.sqrt(params.delta / d)) * W",
     "V = (coeffs.mu1 * math.sqrt(1.0 / d)) * W", "simulator m = inf average: V without sqrt(Delta)"),
    ("rmt_dsm/simulate/equivalent_coefficients.py", "mu1 = (w @ (z * fz)) / gam", "mu1 = (w @ (z * fz)) / g2",
     "simulator GE coefficients: Stein's mu1 divided by Gamma^2 instead of Gamma"),
    # ---- structured data: spectrum, atom sums, probe, floor [S§4-§5] ------------------------------
    ("rmt_dsm/data_spectrum.py", "return sum(w * l for w, l in zip(self.weights, self.eigenvalues))",
     "return sum(w * l * l for w, l in zip(self.weights, self.eigenvalues))",
     "tr(Sigma)/d: sum_k w_k l_k replaced by sum_k w_k l_k^2"),
    ("rmt_dsm/data_spectrum.py", "w = wt * power * t ** (power - 1)",
     "w = wt * power * t ** power",
     "quadrature of a quantile function: Jacobian t^(p-1) replaced by t^p"),
    ("rmt_dsm/data_spectrum.py", "    u = t ** power\n",
     "    u = t\n",
     "quadrature of a quantile function: nodes not mapped by u = t^p (weights still are)"),
    ("rmt_dsm/data_spectrum.py", "power=2 / (1 - alpha),",
     "power=1 / (1 - alpha),",
     "power law: quadrature power 2/(1 - alpha) replaced by 1/(1 - alpha)"),
    ("rmt_dsm/data_spectrum.py", "return self.c * u ** (-self.alpha)",
     "return self.c * u ** self.alpha",
     "power law: l(u) = c u^alpha instead of c u^-alpha"),
    ("rmt_dsm/data_spectrum.py", "return np.array([float(self.quantile((i + 0.5) / d)) for i in range(d)])",
     "return np.array([float(self.quantile((i + 1) / d)) for i in range(d)])",
     "finite-d Sigma of a continuous spectrum: quantiles at i/d instead of (i - 1/2)/d"),
    ("rmt_dsm/dsm/atoms.py", "return -n * self.func(j + 1, n + 1, c0, c1)",
     "return -n * self.func(j, n + 1, c0, c1)",
     "AtomSum: d/dc1 without the extra power of l_k"),
    ("rmt_dsm/dsm/atoms.py", "return -n * self.func(j, n + 1, c0, c1)",
     "return n * self.func(j, n + 1, c0, c1)",
     "AtomSum: sign of d/dc0"),
    ("rmt_dsm/dsm/atoms.py", "return np.sum(w64 * l64**j / (c0 + c1 * l64) ** n)",
     "return np.sum(w64 * l64**j / (c0 + c1 * l64))",
     "AtomSum (double precision): exponent n of the denominator dropped"),
    ("rmt_dsm/dsm/atoms.py", "mpmath.fsum(w * x**j / (c0 + c1 * x) ** n for",
     "mpmath.fsum(w * x**j / (c0 + c1 * x) for",
     "AtomSum (mpmath): exponent n of the denominator dropped"),
    ("rmt_dsm/dsm/atoms.py", "c * self.func(j, 1, d0, d1)",
     "c * self.func(j, 1, d1, d0)",
     "bound atoms: c0 and c1 of the per-atom denominator swapped"),
    ("rmt_dsm/dsm/numeric.py", 'out.update({f"w_{k}": convert(v) for k, v in enumerate(spectrum.weights, 1)})',
     'out.update({f"w_{k}": convert(v) for k, v in enumerate(spectrum.weights[::-1], 1)})',
     "explicit atoms: weights assigned to the atoms in reverse order"),
    ("rmt_dsm/dsm/system.py", "    return a**2 * lk + delta\n",
     "    return a**2 + delta\n",
     "probe weight a^2 l_k + Delta: l_k dropped"),
    ("rmt_dsm/dsm/populations.py", "g0 = a**2 * l + delta * kappa ",
     "g0 = a**2 + delta * kappa ",
     "population 0: l dropped in kappa gamma_0^2 = a^2 l + Delta kappa"),
    ("rmt_dsm/dsm/numeric.py", "return sum(w * (a2 * lk) / (a2 * lk + delta) for w, lk in spectrum)",
     "return sum(w * a2 / (a2 + delta) for w, lk in spectrum)",
     "F_pop: the spectrum ignored (a^2/(a^2 + Delta))"),
    # ---- training time: g_tau, contour, two-point trace [T§1-§5] --------------------------------
    ("rmt_dsm/dsm/training.py", "return -tau * np.expm1(-tau * s) / (tau * s)",
     "return -tau * np.expm1(tau * s) / (tau * s)",
     "g_tau: sign of the exponent"),
    ("rmt_dsm/dsm/training.py", "    s = z + lam\n    if math.isinf(tau):",
     "    s = z - lam\n    if math.isinf(tau):",
     "g_tau: ridge shift z + lambda replaced by z - lambda"),
    ("rmt_dsm/dsm/training.py", "F_ug2 = (c * product(w * g * data.z, data.h)).real",
     "F_ug2 = (c * product(w * g, data.h)).real",
     "train error: F[u g^2] replaced by F[g^2]"),
    ("rmt_dsm/dsm/two_point.py", "    c = a2 * lk + delta\n",
     "    c = 1.0 + 0 * lk\n",
     "training-time test error: the probe weight Gamma^2 = a^2 l + Delta replaced by 1"),
    ("rmt_dsm/dsm/training.py", "return ez - self.shift, ez * dzeta * (2 * np.pi / M)",
     "return ez - self.shift, dzeta * (2 * np.pi / M)",
     "contour: dz = e^zeta dzeta without the factor e^zeta"),
    ("rmt_dsm/dsm/training.py", "return cls(-0.25 * lam if a is None else a, b, 0.5 * lam)",
     "return cls(-0.25 * lam if a is None else a, b, 2 * lam)",
     "contour: shift 2 lambda instead of lambda/2 (the pole at -lambda enclosed)"),
    ("rmt_dsm/dsm/training.py", "s = math.pi / self.half  #",
     "s = 2 * math.pi / self.half  #",
     "contour: ellipse of semi-minor axis pi instead of pi/2 (Re z < 0 on the contour)"),
    ("rmt_dsm/dsm/two_point.py", "A[..., 2, 2] = 1 - Gv * pp * e1", "A[..., 2, 2] = 1 + Gv * pp * e1",
     "two-point system [T eq. (3.7)]: sign of the g_v g_v coupling in (I - K) y = b"),
    ("rmt_dsm/dsm/two_point.py", "    ybar = kappa * y0 + (1 - kappa) * y1", "    ybar = y0 + (1 - kappa) * y1",
     "two-point readout [T eq. (3.8)]: weight N_0/N = kappa of population 0 dropped in ybar"),
    # ---- subtle: 1 % in kappa at one place (resolved by the 0.1 % GE validation, tests/test_ge_finite_m.py) --
    ("rmt_dsm/dsm/populations.py", "g0 = a**2 * l + delta * kappa ", "g0 = a**2 * l + delta * kappa * 1.01 ",
     "population 0: Delta kappa -> 1.01 Delta kappa in kappa gamma_0^2 (errors move by 0.01-0.2 %)"),
    ("rmt_dsm/dsm/populations.py", "mean = Population(weight=kappa,", "mean = Population(weight=kappa * 1.01,",
     "population 0: weight N_0/N = kappa -> 1.01 kappa (errors move by 0.03-1.5 %)"),
    # ---- the dense-output continuation of batched curves (rmt_dsm.batch._solve_double): Newton corrects a
    # worse start, so these only show in the speed of the solve; the tests check each piece directly
    ("rmt_dsm/batch.py", "h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2",
     "h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 + s**2",
     "dense output: Hermite basis h11 = s^3 + s^2 instead of s^3 - s^2"),
    ("rmt_dsm/batch.py", "dist[:-1] / dist[1:]) <= _RUN_RATIO", "dist[:-1] / dist[1:]) <= math.inf",
     "runs: a path continued whatever the distances to the threshold"),
    ("rmt_dsm/batch.py", "gi, tan / last[idx][:, None])", "gi, tan)",
     "dense output, all runs at once: the path's tangent dg/dt taken for dg/du"),
    ("rmt_dsm/batch.py", "tangent = [v / last for v in tangent]", "tangent = list(tangent)",
     "dense output: the path's tangent dg/dt taken for dg/du (off by the run's length)"),
    # ---- the C kernels (rmt_dsm.compiled.cgen, rmt_dsm.compiled.kernels)
    ("rmt_dsm/compiled/cgen.py", '_POW = {"d": "pow", "l": "powl", "t": "KPOW"}', '_POW = {"d": "pow", "l": "pow", "t": "KPOW"}',
     "C kernels: long double powers taken in double"),
    ("rmt_dsm/compiled/kernels.py", "slot = (index, form, id(python))", "slot = (index, form)",
     "C kernels: one binding per function and form, whatever Python function it hands points to"),
    # ---- the one-point path in C (rmt_dsm/compiled/one_point.h, rmt_dsm.batch._one_compiled)
    ("rmt_dsm/batch.py", "[_TOL_RES, _TOL_STEP, _ACCEPT, _LOOSE,", "[_TOL_STEP, _TOL_RES, _ACCEPT, _LOOSE,",
     "one point in C: Newton's residual and step tolerances exchanged"),
    ("rmt_dsm/batch.py", "res = ctx.one(*args, _ladder_floor([pt]).tobytes(), -2)",
     "res = ctx.one(*args, np.array([_FLOOR]).tobytes(), -2)",
     "one point in C: the cold ladder of ridges stops at 1e-14 whatever the distance to the threshold"),
    ("rmt_dsm/batch.py", "    _keep_root(key, pt, kept)\n", "",
     "one point in C: no root kept, every call solved cold"),
    # ---- many points in C, one after the other (rmt_dsm.batch._chained, errors_for; chain in one_point.h)
    ("rmt_dsm/batch.py", "_RUNG, _WARM_STEP, _DIST_RATIO, _WARM_ROOTS])", "_RUNG, _DIST_RATIO, _WARM_STEP, _WARM_ROOTS])",
     "chain in C: the longest warm step and the ratio of distances to the threshold exchanged"),
    ("rmt_dsm/batch.py", "return _FLOOR * np.minimum(1.0, dist * dist)", "return _FLOOR * np.minimum(1.0, dist)",
     "cold ladder of ridges (every path): it stops at 1e-14 distance, not 1e-14 distance^2"),
    ("rmt_dsm/batch.py", "return (lam == 0) & (m != math.inf) &", "return (m != math.inf) &",
     "arrays of points: a point with lambda > 0 on psi_p = m psi_n taken for the threshold divergence"),
    ("rmt_dsm/batch.py", "np.stack([pn[idx], pp[idx]], axis=1)", "np.stack([pp[idx], pn[idx]], axis=1)",
     "curve along the ratios: psi_n and psi_p exchanged in the results' parameters"),
    ("rmt_dsm/engine/codegen.py", 'else f"(1/({prod}))"', 'else f"(1/{prod})"',
     "generated code: b**-2 written 1/b*b (= 1) where the code is lambdified in the process"),
]

MUTANTS = tuple(Mutant(f"M{i + 1:02d}", f, o, r, desc) for i, (f, o, r, desc) in enumerate(_M))

#: mutants that no test can kill: the mutated code computes the same numbers (up to the accuracy
#: that the code controls itself), with the reason; docs/mutation.md lists them below the table
EQUIVALENT = {
    "M92": "the floor of the ridge ladder only sets where the last tangent step to lambda = 0 starts; Newton "
           "then solves the root to the same tolerance and the certificate is taken at it. Measured over 107 "
           "points from 1e-7 to 1e-2 of the threshold (a curve and one-point calls, m = 1, lambda = 0): values "
           "within 0.27 of the two accuracy estimates of each other, 173 of 268 equal, iterations different at "
           "3. (Before the polish stepped at least once, the same comparison found a value 1e-13 off at 2e-4 of "
           "the threshold, in the unmutated code: fixed, with tests against 30 digits.)",
    "M76": "the contour is still valid. With z = e^zeta - 2 lambda the point -lambda sits at zeta = log(lambda), "
           "below the lower focus log(a + 2 lambda) >= log(1.75 lambda) (a >= -lambda/4) by more than 0.55, "
           "while the ellipse reaches at most 0.24 below that focus (maximum over the half-width of the foci): "
           "-lambda stays outside, and Re(z + lambda) >= 0.38 lambda on the whole contour (scan of a + 2 lambda "
           "over [1.75, 3) lambda and b/(a + 2 lambda) over [1, 1e8]), so |exp(-tau (z + lambda))| <= 1 still "
           "holds. By Cauchy's formula every contour around the support that excludes -lambda gives the same "
           "integrals; only the convergence rate of the trapezoidal rule changes (the number of nodes, doubled "
           "until two sums agree). The \"pole enclosed\" of the description does not happen.",
}


def check_snippets(mutants, root=ROOT) -> None:
    """Every original snippet occurs exactly once in its file (else SystemExit naming the mutant)."""
    bad = []
    for mu in mutants:
        path = root / mu.file
        if not path.exists():
            bad.append(f"{mu.id}: no file {mu.file}")
            continue
        n = path.read_text().count(mu.original)
        if n != 1:
            bad.append(f"{mu.id}: snippet found {n} times in {mu.file} (must be exactly once): {mu.original!r}")
    bad += [f"{k}: in EQUIVALENT but not a mutant id" for k in EQUIVALENT if k not in {m.id for m in MUTANTS}]
    if bad:
        raise SystemExit("mutation: the mutant list is out of date with the code:\n  " + "\n  ".join(bad))


def _repo_files(root=ROOT) -> list[str]:
    """The repository's files, and the C kernels' extension built from them in place (ignored by
    git; no mutant touches C, so that tests/test_kernels.py runs in the copies too)."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root,
                         capture_output=True, check=True).stdout.decode()
    built = [str(p.relative_to(root)) for p in (root / "rmt_dsm" / "compiled").glob("_kernels*.so")]
    return [f for f in out.split("\0") if f and (root / f).is_file()] + built


def _copy_repo(dest: Path, files, source: Path = ROOT) -> None:
    for f in files:
        target = dest / f
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / f, target)


def suite_args(root: Path) -> tuple[list[str], list[str]]:
    """(priority files, the whole default suite with the priority files first)."""
    rest = sorted(str(p.relative_to(root)) for p in (root / "tests").rglob("test_*.py"))
    first = [f for f in PRIORITY if (root / f).exists()]
    return first, first + [f for f in rest if f not in first] + ["rmt_dsm"]


_FAIL_RE = re.compile(r"^(FAILED|ERROR) (.+?)(?: - .*)?$", re.M)


#: pytest node ids deselected in every run (--deselect): failures of the unmutated code that are
#: unrelated to the formulas (e.g. a documentation test failing on main) would stop the script
DESELECT: list[str] = []


def run_suite(root: Path, timeout: float) -> tuple[str, str, float]:
    """(status, first failing test or '', seconds) of the default suite in ``root`` (one BLAS thread
    per run, so that parallel runs on a shared machine do not oversubscribe the cores)."""
    env = dict(os.environ, PYTHONPATH=str(root), MPLBACKEND="Agg", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE",
           *(f"--deselect={n}" for n in DESELECT)]
    t0 = time.perf_counter()
    for stage in suite_args(root):  # stage 1: the priority files (quick kills); stage 2: the whole suite
        try:
            proc = subprocess.run(cmd + stage, cwd=root, env=env, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return "killed (timeout)", f"no result within {timeout:.0f} s", time.perf_counter() - t0
        if proc.returncode != 0:
            m = _FAIL_RE.search(proc.stdout)
            first = m.group(2) if m else (proc.stdout.strip().splitlines() or ["?"])[-1]
            return "killed", first, time.perf_counter() - t0
    return "survived", "", time.perf_counter() - t0


def run_one(mu: Mutant | None, files, snapshot: Path, timeout: float):
    """Copy the snapshot, apply the mutant (None: unmutated), run the suite."""
    tmp = Path(tempfile.mkdtemp(prefix="rmt_dsm_mut_"))
    try:
        _copy_repo(tmp, files, snapshot)
        if mu is not None:
            path = tmp / mu.file
            text = path.read_text()
            if text.count(mu.original) != 1:
                raise SystemExit(f"{mu.id}: snippet not found exactly once in {mu.file}")
            path.write_text(text.replace(mu.original, mu.replacement))
        return run_suite(tmp, timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def markdown(results, baseline_sec: float, commits=(), deselected=()) -> str:
    killed = sum(r[1].startswith("killed") for r in results)
    equivalent = [r[0].id for r in results if r[0].id in EQUIVALENT and not r[1].startswith("killed")]
    lines = [
        "# Mutation check of the test suite",
        "",
        "Generated by `python scripts/mutation.py --write` (do not edit by hand).",
        "",
        "Each mutant below is a plausible one-line bug in a formula of the theory, the Gaussian",
        "moments or the simulator. The script applies it to a temporary copy of the repository and",
        "runs the default test suite there (`python -m pytest -x -q -p no:cacheprovider`: the files of",
        "`tests/` and the doctests of `rmt_dsm/`; the derivation checks, theory and simulator tests",
        "first, as a separate first stage, so that `-x` stops early). A mutant is *killed* when the",
        "suite fails; the first failing test is listed, and the wall time of the run (one BLAS thread,",
        "on a shared 2-core machine). A snippet that no longer occurs exactly once in its file stops the script:",
        "the list (`scripts/mutation.py`, `_M`) must then be updated to the code.",
        "",
        f"**{killed} of {len(results)} mutants killed**"
        + (f" ({len(equivalent)} surviving mutant{'s are' if len(equivalent) > 1 else ' is'} equivalent: the mutated "
           "code computes the same "
           "numbers, see below)" if equivalent else "") + ". Unmutated suite in the same setting: "
        f"{baseline_sec:.0f} s. Code and tests at commit {', '.join(commits) or '?'} (HEAD when the "
        "script copied the working tree; a run with `--only` updates its rows).",
        "",
        "| id | file | mutant | result | first failing test | time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for mu, status, first, sec in ((r[0], r[1], r[2], r[3]) for r in results):
        lines.append(f"| {mu.id} | `{mu.file.removeprefix('rmt_dsm/')}` | {mu.description} | {status} | "
                     f"`{first}` | {sec:.0f} |" if first else
                     f"| {mu.id} | `{mu.file.removeprefix('rmt_dsm/')}` | {mu.description} | {status} | | {sec:.0f} |")
    if deselected:
        lines += ["", "Deselected in every run (they fail on the unmutated code, for reasons unrelated to "
                  "the formulas): " + ", ".join(f"`{n}`" for n in deselected) + "."]
    if equivalent:
        lines += ["", "Equivalent mutants (`EQUIVALENT` in `scripts/mutation.py`): they survive because no test "
                  "can tell them from the original code.", ""]
        lines += [f"- {i}: {EQUIVALENT[i]}" for i in equivalent]
    lines += ["", "Snippets (original -> replacement) are in `scripts/mutation.py`.", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="run only these mutants (e.g. M01 M17)")
    ap.add_argument("--write", action="store_true",
                    help="record the results in docs/data/mutation.json (merged with earlier runs when --only "
                         "is given) and regenerate docs/mutation.md")
    ap.add_argument("--check", action="store_true", help="only check that every snippet is found once")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--jobs", type=int, default=1, help="mutants run in parallel (default 1)")
    ap.add_argument("--timeout", type=float, default=1800.0, help="per mutant, in seconds")
    ap.add_argument("--no-baseline", action="store_true", help="skip the run of the unmutated suite")
    ap.add_argument("--deselect", action="append", default=[], metavar="NODEID",
                    help="deselect a test in every run (a failure of the unmutated code unrelated to the "
                         "formulas; listed in docs/mutation.md)")
    args = ap.parse_args(argv)
    DESELECT[:] = args.deselect
    mutants = MUTANTS
    if args.only:
        unknown = set(args.only) - {m.id for m in MUTANTS}
        if unknown:
            raise SystemExit(f"mutation: unknown mutant ids {sorted(unknown)}")
        mutants = tuple(m for m in MUTANTS if m.id in args.only)
    if args.list:
        for mu in mutants:
            print(f"{mu.id}  {mu.file:45s} {mu.description}")
        return 0
    check_snippets(mutants)
    if args.check:
        print(f"all {len(mutants)} snippets found exactly once")
        return 0
    files, head = _repo_files(), _head()
    snapshot = Path(tempfile.mkdtemp(prefix="rmt_dsm_mut_snapshot_"))  # the tree as it is now
    try:
        _copy_repo(snapshot, files)
        results, base_sec = _run_all(mutants, files, snapshot, args)
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)
    killed = sum(r[1].startswith("killed") for r in results)
    print(f"{killed} of {len(results)} mutants killed; total {sum(r[3] for r in results):.0f} s")
    if args.write:
        write_docs(results, base_sec, head)
    real = [r for r in results if not r[1].startswith("killed") and r[0].id not in EQUIVALENT]
    return 0 if not real else 1


def _head() -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def write_docs(results, base_sec, head) -> None:
    """Merge the results into docs/data/mutation.json (a run with --only updates its mutants) and
    regenerate docs/mutation.md from it for every mutant of the list."""
    old = json.loads(DATA.read_text()) if DATA.exists() else {"mutants": {}}
    store = {k: v for k, v in old["mutants"].items() if k in {m.id for m in MUTANTS}}
    for mu, status, first, sec in results:
        store[mu.id] = {"file": mu.file, "description": mu.description, "status": status, "first": first,
                        "seconds": round(sec, 1), "commit": head}
    base = round(base_sec, 1) if base_sec else old.get("baseline_seconds", 0.0)
    DATA.write_text(json.dumps({"baseline_seconds": base, "mutants": store}, indent=1) + "\n")
    rows = []
    for mu in MUTANTS:
        r = store.get(mu.id)
        rows.append((mu, r["status"], r["first"], r["seconds"]) if r and r["description"] == mu.description
                    else (mu, "not run", "", 0.0))
    commits = sorted({r.get("commit", "?") for r in store.values()})
    DOC.write_text(markdown(rows, base, commits, DESELECT))
    print(f"wrote {DOC.relative_to(ROOT)} and {DATA.relative_to(ROOT)}")


def _run_all(mutants, files, snapshot, args):
    base_sec = 0.0
    if not args.no_baseline:
        status, first, base_sec = run_one(None, files, snapshot, args.timeout)
        print(f"baseline (unmutated): {status} in {base_sec:.0f} s", flush=True)
        if status != "survived":
            raise SystemExit(f"mutation: the unmutated suite fails ({first}); fix it first")

    def job(mu):
        status, first, sec = run_one(mu, files, snapshot, args.timeout)
        print(f"{mu.id} {status:9s} {sec:6.0f} s  {mu.file}: {mu.description}" + (f"  <- {first}" if first else ""),
              flush=True)
        return mu, status, first, sec

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        return list(ex.map(job, mutants)), base_sec


if __name__ == "__main__":
    sys.exit(main())
