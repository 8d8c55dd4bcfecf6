"""Training features phi(y_ij) and the accumulated sums U, V (docs/model.md).

Pairs are ordered r = i m + j (data point i, noise draw j); the noise draw of pair r is
row r of one virtual N x d standard-normal matrix generated sequentially from the 'xi'
stream, so any split into chunks of consecutive rows reproduces the same pairs.

    U = (1/N) sum_ij phi_ij phi_ij^T  (p x p),   V = (1/N) sum_ij phi_ij xi_ij^T  (p x d)

are accumulated chunk by chunk (memory O(p^2 + p d + n d + chunk (p + d)), independent
of m), with one GEMM for the pre-activations H = Y W^T / sqrt(d) of a chunk, sigma applied
in place, a rank-k update (BLAS syrk) for U and a GEMM for V^T = Xi^T Phi, all in float64.

Feature maps:
  true model        phi_ij = sigma(W y_ij / sqrt(d)),  y_ij = a x_i + sqrt(Delta) xi_ij;
  equivalent model  phi_ij = mu0 1 + mu1 W y_ij / sqrt(d) + v eta_i + s zeta_ij,
                    eta_i ~ N(0, I_p) shared by the draws of x_i, zeta_ij ~ N(0, I_p).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas
from scipy.special import erf

from rmt_dsm.activations import get_activation

from .equivalent_coefficients import EquivalentCoefficients
from .instance import Instance, rng
from .params import SimulationParams

__all__ = ["Sums", "apply_activation", "default_chunk_rows", "training_chunks", "accumulate",
           "training_design", "expected_sums_equivalent", "accumulation_flops"]


@dataclass(frozen=True)
class Sums:
    """U (p x p), V (p x d), xi2 = (1/N) sum ||xi_ij||^2 and N (inf: exact average over xi)."""

    U: np.ndarray
    V: np.ndarray
    xi2: float
    N: int | float


def apply_activation(name: str, H: np.ndarray) -> np.ndarray:
    """sigma(H) entrywise; in place (H is overwritten) for tanh, erf and relu."""
    if name == "tanh":
        return np.tanh(H, out=H)
    if name == "erf":
        return erf(H, out=H)
    if name == "relu":
        return np.maximum(H, 0.0, out=H)
    return np.asarray(get_activation(name)(H), dtype=np.float64)


def default_chunk_rows(p: int, d: int) -> int:
    """Rows per chunk: a feature block of about 16 MB, between 256 and 8192 rows."""
    return int(max(256, min(8192, (1 << 21) // max(p, d))))


def accumulation_flops(n_pairs: int, p: int, d: int) -> float:
    """Floating-point operations of the accumulation: N (2pd [H] + p(p+1) [syrk U] + 2pd [V])."""
    return float(n_pairs) * (4.0 * p * d + p * (p + 1.0))


def training_chunks(params: SimulationParams, inst: Instance, chunk_rows: int | None = None,
                    coeffs: EquivalentCoefficients | None = None, noise: np.random.Generator | None = None):
    """Yield (phi, xi) for consecutive blocks of training pairs (finite m only).

    phi has shape (rows, p) and xi shape (rows, d); both are fresh arrays owned by the caller.
    ``noise``: the generator of the noise draws xi (default: the seed's 'xi' stream); another
    generator gives fresh noise draws on the same W and data, e.g. one per diffusion time.
    """
    if math.isinf(params.m):
        raise ValueError("training_chunks needs a finite m")
    n, m, d, p = params.n, params.m, params.d, params.p
    N = n * m
    rows = chunk_rows or default_chunk_rows(p, d)
    sa, sd = params.a, math.sqrt(params.delta)
    Wt = np.asfortranarray(inst.W.T) / math.sqrt(d)  # d x p, scaled once
    xi_gen = rng(params.seed, inst.k, "xi") if noise is None else noise
    equivalent = params.model == "equivalent"
    if equivalent:
        if coeffs is None:
            raise ValueError("the equivalent model needs its coefficients")
        eta = rng(params.seed, inst.k, "eta").standard_normal((n, p)) if coeffs.v > 0 else None
        zeta_gen = rng(params.seed, inst.k, "zeta")
    for r0 in range(0, N, rows):
        r1 = min(N, r0 + rows)
        idx = np.arange(r0, r1) // m
        xi = xi_gen.standard_normal((r1 - r0, d))
        Y = inst.X[idx] if m > 1 else inst.X[r0:r1].copy()
        Y *= sa
        Y += sd * xi
        H = Y @ Wt
        if equivalent:
            H *= coeffs.mu1
            H += coeffs.mu0
            if eta is not None:
                H += coeffs.v * eta[idx]
            if coeffs.s > 0:
                H += coeffs.s * zeta_gen.standard_normal((r1 - r0, p))
            yield H, xi
        else:
            yield apply_activation(params.activation, H), xi


def accumulate(chunks, p: int, d: int, progress=None) -> Sums:
    """U, V and (1/N) sum ||xi||^2 from an iterable of (phi, xi) blocks (syrk + GEMM, float64)."""
    U = np.zeros((p, p), order="F")
    Vt = np.zeros((d, p), order="F")  # V^T = (1/N) sum xi phi^T, accumulated as xi^T Phi
    xi2 = 0.0
    N = 0
    for phi, xi in chunks:
        # phi is C-ordered (rows x p): phi.T is Fortran-ordered, so BLAS reads it without a copy.
        U = blas.dsyrk(1.0, phi.T, beta=1.0, c=U, trans=0, lower=0, overwrite_c=1)
        Vt = blas.dgemm(1.0, xi.T, phi.T, beta=1.0, c=Vt, trans_b=1, overwrite_c=1)
        xi2 += float(np.einsum("ij,ij->", xi, xi))
        N += phi.shape[0]
        if progress is not None:
            progress.update(phi.shape[0])
    U = np.triu(U)
    U += np.triu(U, 1).T
    U /= N
    Vt /= N
    return Sums(U=np.ascontiguousarray(U), V=np.ascontiguousarray(Vt.T), xi2=xi2 / N, N=N)


def training_design(params: SimulationParams, inst: Instance, coeffs=None):
    """The whole training design at once: Phi (N x p) and Xi (N x d) (for tests; small d only)."""
    blocks = list(training_chunks(params, inst, chunk_rows=params.n * params.m, coeffs=coeffs))
    return blocks[0]


def expected_sums_equivalent(params: SimulationParams, inst: Instance,
                             coeffs: EquivalentCoefficients) -> Sums:
    """m = inf in the equivalent model: the sums averaged exactly over xi and zeta.

    U = (1/n) sum_i c_i c_i^T + mu1^2 Delta W W^T / d + s^2 I,  c_i = mu0 1 + mu1 a W x_i/sqrt(d) + v eta_i,
    V = mu1 sqrt(Delta) W / sqrt(d),  (1/N) sum ||xi||^2 -> d.
    """
    d, p, n = params.d, params.p, params.n
    W = inst.W
    Cm = (coeffs.mu1 * params.a / math.sqrt(d)) * (inst.X @ W.T)
    Cm += coeffs.mu0
    if coeffs.v > 0:
        Cm += coeffs.v * rng(params.seed, inst.k, "eta").standard_normal((n, p))
    U = (Cm.T @ Cm) / n
    U += (coeffs.mu1 ** 2 * params.delta / d) * (W @ W.T)
    U[np.diag_indices(p)] += coeffs.s2
    V = (coeffs.mu1 * math.sqrt(params.delta / d)) * W
    return Sums(U=U, V=V, xi2=float(d), N=math.inf)
