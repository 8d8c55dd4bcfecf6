"""Generated samples: does the random-features diffusion model copy its training data?

One random-features score per diffusion time on a grid t_1 < ... < t_K (shared W and data,
fresh noise draws per time), samples by the reverse-time SDE or the probability-flow ODE,
a final Tweedie step; the memorized fraction f_mem (arXiv:2505.17638's nearest-neighbour
criterion), the second-moment error, the distance of the learned score to the empirical
optimal and to the population score; beside them the theory's errors along the grid and the
Girsanov bound on KL(data || samples).  Derivation: derivations/sampling.md; page: docs/sampling.md.

Like :mod:`rmt_dsm.validation`, this package compares the two routes and imports both the
theory (:mod:`rmt_dsm.sampling.theory`) and the simulator (the other modules).
"""
from .bound import BoundTerms, girsanov_bound
from .experiment import SampleResult, run_sample, sample
from .grid import TimeGrid, time_grid
from .metrics import memorized, nearest_two, second_moment_error
from .params import SampleParams, make_sample_params
from .sampler import reverse_sample
from .scores import EmpiricalScore, PopulationScore, RandomFeaturesScores, fit_scores
from .theory import TheoryAlongGrid, theory_along_grid

__all__ = ["sample", "run_sample", "SampleResult", "SampleParams", "make_sample_params", "TimeGrid",
           "time_grid", "reverse_sample", "PopulationScore", "EmpiricalScore", "RandomFeaturesScores",
           "fit_scores", "memorized", "nearest_two", "second_moment_error", "girsanov_bound", "BoundTerms",
           "theory_along_grid", "TheoryAlongGrid"]
