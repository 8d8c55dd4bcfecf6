r"""Two-resolvent trace of the DSM pencil, reduced to three unknowns per pair of points [T§3].

For two spectral arguments z1, z2 (ridges lambda_i = -z_i) the test error of a gradient-flow
readout needs, with the population feature covariance of the linear part
A = W (a^2 Sigma + Delta I) W^T / d [S eq. (5.1)],

    T(z1, z2) = tr(V^T (U - z1)^{-1} A (U - z2)^{-1} V) / d.

Doubled pencil [T eq. (3.1)]: two copies of the DSM pencil sharing the same Gaussian matrices,
coupled by eps (a^2 l_k + Delta) between the probe blocks aW_k of the two copies.  The
linearized Dyson equation dG_12 = G(z1) [eta(dG_12) - E] G(z2) reduces, as the one-point
system does [S§4], to three unknowns, the copy-off-diagonal traces y = (y_0, y_1, y_v) of the
blocks u0, u1, v, with the data spectrum entering only through sums over its atoms (w_k, l_k)
of products of one factor at z1 and one at z2 [T eqs. (3.5)-(3.8)].  Per node z and atom l:

    gamma = psi_p g_v,   S(l) = mu1^2 (K_0(l) g_u0 + K_1 g_u1),   D(l) = 1/(1 - gamma S(l)),
    rho(l) = gamma D(l) (= g_{aa} of the atom),   E(l) = S(l) D(l),   gbar = kappa g_u0 + (1 - kappa) g_u1,

with K_0(l) = a^2 l + Delta kappa, K_1 = Delta (1 - kappa), c(l) = a^2 l + Delta the probe
weight.  With the atom sums <f>_rho = sum_k w_k f(l_k) rho_1(l_k) rho_2(l_k) (likewise <f>_D, <f>_E),
the pair (z1, z2) solves the 3 x 3 system [T eq. (3.7)]

    y_0 = g_u0^1 g_u0^2 [(mu1^2/psi_n) (mu1^2 <K_0^2>_rho y_0 + mu1^2 K_1 <K_0>_rho y_1 + psi_p <K_0>_D y_v
                                        - <K_0 c>_rho) + kt_0 (psi_p/psi_n) y_v],
    y_1 = g_u1^1 g_u1^2 [(mu1^2 Delta kappa/psi_n) (mu1^2 <K_0>_rho y_0 + mu1^2 K_1 <1>_rho y_1 + psi_p <1>_D y_v
                                        - <c>_rho) + kt_1 (psi_p/psi_n) y_v],
    y_v = g_v^1 g_v^2 [(v^2 + s^2 kappa + mu1^2 <K_0>_D) y_0 + (s^2 (1 - kappa) + mu1^2 K_1 <1>_D) y_1
                       + psi_p <1>_E y_v - <c>_D],

(kt_0 = v^2 + s^2 kappa, kt_1 = s^2 kappa) and T = -dQ_12 with [T eq. (3.8)]

    dQ_12 = ybar (1 - mu1 sqrt(Delta) (X1_1 + X1_2)) + Delta mu1^2 gbar_1 gbar_2 (mu1^2 (<K_0>_rho y_0 + K_1 <1>_rho y_1)
            + psi_p <1>_D y_v - <c>_rho),

ybar = kappa y_0 + (1 - kappa) y_1 and X1 = -mu1 sqrt(Delta) gbar sum_k w_k rho(l_k) [S eq. (5.4)].
The per-atom regression coefficients of the targets cancel as in [S eq. (5.3)], so no 0/0 arises
at l = 0, kappa = 0.  ``derivations/check_training.py`` checks these formulas against the
unreduced doubled pencil (the engine's eta of `rmt_dsm.dsm.pencil.dsm_pencil` with one and two
atoms) and, at z1 = z2, against the implicit-function derivative -dQ/deps of the one-point system.

The formulas are written once for numpy arrays: complex128 (double precision; the atom sums are
matrix products) or dtype=object arrays of mpmath numbers (any precision).
"""
from __future__ import annotations

import numpy as np

__all__ = ["NodeFactors", "node_factors", "two_point_matrix"]


class NodeFactors:
    """Per node (rows) and atom (columns): rho(l), D(l), E(l) = S(l) D(l); per node: g_u0, g_u1, g_v,
    gbar and X1 [T eq. (3.5)]."""

    def __init__(self, g, rho, D, E, gbar, X1):
        self.g, self.rho, self.D, self.E, self.gbar, self.X1 = g, rho, D, E, gbar, X1


def _atoms(params: dict, weights, eigenvalues, obj: bool):
    dtype = object if obj else float
    w = np.array(list(weights), dtype=dtype)
    lk = np.array(list(eigenvalues), dtype=dtype)
    a2, delta, kappa = params["a"] ** 2, params["delta"], params["kappa"]
    K0 = a2 * lk + delta * kappa
    K1 = delta * (1 - kappa)
    c = a2 * lk + delta
    return w, K0, K1, c


def node_factors(params: dict, weights, eigenvalues, g, X1) -> NodeFactors:
    """The per-node, per-atom factors of [T eq. (3.5)] from the reduced Dyson solutions.

    ``g``: (n, 3) array of (g_u0, g_u1, g_v) (complex, or dtype=object of mpmath numbers); ``X1``:
    (n,) array of X1 [S eq. (5.4)] at the same nodes (`rmt_dsm.dsm.observables.X1_expr`);
    ``params``: psi_p, kappa, a, delta, mu1 (numbers of the same kind); ``weights``,
    ``eigenvalues``: the atoms of the data spectrum.
    """
    obj = g.dtype == object
    _, K0, K1, _ = _atoms(params, weights, eigenvalues, obj)
    mu1sq, kappa = params["mu1"] ** 2, params["kappa"]
    gamma = params["psi_p"] * g[:, 2:3]
    S = mu1sq * (K0[None, :] * g[:, 0:1] + K1 * g[:, 1:2])
    D = 1 / (1 - gamma * S)
    rho = gamma * D
    gbar = kappa * g[:, 0] + (1 - kappa) * g[:, 1]
    return NodeFactors(g, rho, D, S * D, gbar, X1)


#: products with fewer multiply-adds than this skip BLAS (whose threads' start-up dominates there)
_SMALL_PRODUCT = 4_000_000


def product(A, B):
    """The matrix product A @ B: numpy's own loops (np.einsum) for a small complex or float product,
    BLAS (matmul) for a large one; arrays of python-flint balls by flint's matrix product (C speed:
    the atom sums of a many-atom spectrum at any precision); other object arrays by matmul."""
    if A.dtype == object:
        return _ball_product(A, B) if type(A.flat[0]).__name__ == "acb" else A @ B
    if A.shape[0] * A.shape[-1] * B.shape[-1] < _SMALL_PRODUCT:
        return np.einsum("ik,k...->i...", A, B)
    return A @ B


def _ball_product(A, B):
    """A @ B for object arrays of flint acb balls (A 2-d, B 1-d or 2-d)."""
    from flint import acb_mat

    B2 = B[:, None] if B.ndim == 1 else B
    C = acb_mat(A.shape[0], A.shape[1], list(A.ravel())) * acb_mat(B2.shape[0], B2.shape[1], list(B2.ravel()))
    out = np.empty(C.nrows() * C.ncols(), dtype=object)
    out[:] = C.entries()
    out = out.reshape(C.nrows(), C.ncols())
    return out[:, 0] if B.ndim == 1 else out


def _solve3(A, b):
    """Solutions of the stacked 3 x 3 systems A y = b (A: (..., 3, 3), b: (..., 3)) by Cramer's rule:
    elementwise operations on the whole stack, for any scalar type (complex, flint balls)."""
    det = lambda M: (M[..., 0, 0] * (M[..., 1, 1] * M[..., 2, 2] - M[..., 1, 2] * M[..., 2, 1])  # noqa: E731
                     - M[..., 0, 1] * (M[..., 1, 0] * M[..., 2, 2] - M[..., 1, 2] * M[..., 2, 0])
                     + M[..., 0, 2] * (M[..., 1, 0] * M[..., 2, 1] - M[..., 1, 1] * M[..., 2, 0]))
    d0 = det(A)
    out = []
    for j in range(3):
        Aj = A.copy()
        Aj[..., :, j] = b
        out.append(det(Aj) / d0)
    return np.stack(out, axis=-1)


def two_point_matrix(params: dict, weights, eigenvalues, f1: NodeFactors, f2: NodeFactors):
    """T(z1_i, z2_j) for all pairs of nodes: (n1, n2) array [T eqs. (3.7)-(3.8)].

    ``params``: psi_n, psi_p, kappa, a, delta, mu1, v2, s2; ``f1``, ``f2``: `node_factors` at
    the two sets of points (same number kind).
    """
    obj = f1.g.dtype == object
    w, K0, K1, c = _atoms(params, weights, eigenvalues, obj)
    pn, pp, kappa = params["psi_n"], params["psi_p"], params["kappa"]
    mu1sq, delta, v2, s2 = params["mu1"] ** 2, params["delta"], params["v2"], params["s2"]
    one = np.ones_like(K0)

    def atom_sum(L, R, f):  # sum_k w_k f(l_k) L(z1_i, l_k) R(z2_j, l_k)
        return product(L * (w * f)[None, :], R.T)

    r1, rK, rKK, rc, rKc = (atom_sum(f1.rho, f2.rho, f) for f in (one, K0, K0 * K0, c, K0 * c))
    d1, dK, dc = (atom_sum(f1.D, f2.D, f) for f in (one, K0, c))
    e1 = atom_sum(f1.E, f2.E, one)
    outer = lambda u, v: u[:, None] * v[None, :]  # noqa: E731
    G0, G1, Gv = (outer(f1.g[:, i], f2.g[:, i]) for i in range(3))
    kt0, kt1 = v2 + s2 * kappa, s2 * kappa
    c0, c1 = mu1sq / pn, mu1sq * delta * kappa / pn
    A = np.empty(r1.shape + (3, 3), dtype=r1.dtype)
    b = np.empty(r1.shape + (3,), dtype=r1.dtype)
    A[..., 0, 0] = 1 - G0 * c0 * mu1sq * rKK                                         # [T eq. (3.7)]
    A[..., 0, 1] = -G0 * c0 * mu1sq * K1 * rK
    A[..., 0, 2] = -G0 * (c0 * pp * dK + kt0 * pp / pn)
    b[..., 0] = -G0 * c0 * rKc
    A[..., 1, 0] = -G1 * c1 * mu1sq * rK
    A[..., 1, 1] = 1 - G1 * c1 * mu1sq * K1 * r1
    A[..., 1, 2] = -G1 * (c1 * pp * d1 + kt1 * pp / pn)
    b[..., 1] = -G1 * c1 * rc
    A[..., 2, 0] = -Gv * (v2 + s2 * kappa + mu1sq * dK)
    A[..., 2, 1] = -Gv * (s2 * (1 - kappa) + mu1sq * K1 * d1)
    A[..., 2, 2] = 1 - Gv * pp * e1
    b[..., 2] = -Gv * dc
    y = _solve3(A, b)
    y0, y1, yv = y[..., 0], y[..., 1], y[..., 2]
    ybar = kappa * y0 + (1 - kappa) * y1
    r = params["mu1"] * delta ** 0.5
    dQ = (ybar * (1 - r * (f1.X1[:, None] + f2.X1[None, :]))                           # [T eq. (3.8)]
          + delta * mu1sq * outer(f1.gbar, f2.gbar) * (mu1sq * (rK * y0 + K1 * r1 * y1) + pp * d1 * yv - rc))
    return -dQ
