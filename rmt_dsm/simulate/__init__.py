"""Finite-d simulator of random-features denoising score matching: the project's ground truth.

It draws W, the data and the noise, accumulates U and V over the N = n m training pairs,
solves for the readout C = V^T (U + lambda I)^{-1} and reports E_train, E_test, E_score,
the gap and the floor (as defined in docs/model.md), for the true nonlinear model or for the
Gaussian-equivalent model (derivations/gaussian_equivalence.md). It never imports the theory code; its only
project imports are `rmt_dsm.model` and `rmt_dsm.activations`.
Formulas: derivations/simulator.md.

Examples
--------
>>> from rmt_dsm.simulate import simulate
>>> r = simulate(d=30, psi_n=1, psi_p=1, m=1, t=1.0, lam=0.5, activation="relu")
>>> r.train.mean < r.test.mean
True
"""
from .core import Estimate, Fit, SeedResult, SimulationResult, fit_seed, run, simulate, simulate_seed
from .equivalent_coefficients import EquivalentCoefficients, equivalent_coefficients
from .params import SimulationParams, make_params

__all__ = ["simulate", "run", "simulate_seed", "fit_seed", "make_params", "SimulationParams",
           "SimulationResult", "SeedResult", "Estimate", "Fit", "EquivalentCoefficients",
           "equivalent_coefficients"]
