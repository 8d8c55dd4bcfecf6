r"""Gradient-flow learning curves: the errors of C(tau) = V^T g_tau(U) as contour integrals [T§1-§5].

Derivation: derivations/training_time.md (cited [T eq. (k.j)]).  Gradient flow from C = 0,
dC/dtau = -(C (U + lambda) - V^T), gives C(tau) = V^T g_tau(U) with

    g_tau(u) = (1 - exp(-tau (u + lambda))) / (u + lambda)        (g_inf(u) = 1/(u + lambda)).

Every error is a functional of g = g_tau of the *same* Dyson solution as the ridge errors
[T eq. (2.3)]:

    E_train = 1 - 2 F[g] + F[u g^2],
    E_test  = 1 - 2 mu1 sqrt(Delta) X[g] + mu1^2 Gamma^2 B[g, g] + (v^2 + s^2) F[g^2],

with F[f] = tr(V^T f(U) V)/d, X[f] = tr(V^T f(U) W)/d^{3/2}, B[f, f] = tr(V^T f(U) A f(U) V)/d.
By Cauchy's formula on a contour Gamma around the support of the V-weighted spectral measure
of U (which excludes the atom of U at 0: V lies in the range of U) [T eq. (4.1)],

    F[f] = -(1/2 pi i) oint f(z) h(z) dz,     X[f] = -(1/2 pi i) oint f(z) X1(z) dz,
    B[f, f] = (1/2 pi i)^2 oint oint f(z1) f(z2) T(z1, z2) dz1 dz2,

where h(z) = 1 - x Q and X1(z) are [D eqs. (6.2)-(6.3)] at the ridge lambda = -z and T is the
two-resolvent trace of :mod:`rmt_dsm.dsm.two_point`.

Contour [T§4]: a Bernstein ellipse in zeta = log z around [log a, log b], with semi-minor axis
below pi/2: b a certified bound of the spectrum of U [T eq. (4.2)], a below its lower edge (found on
the real axis as the fold of the Dyson solution, and certified afterwards by the mass of the
spectral measure inside the contour [T eq. (4.3)]).  Then Re z > 0 on and inside the strip the
trapezoidal rule needs, so |exp(-tau (z + lambda))| <= 1: the integrands are bounded uniformly in
tau (no cancellation, no oscillation problem at large tau), the contour separates the support from 0 and from
-lambda, and the same nodes serve every tau (tau = inf included).  The trapezoidal rule
converges geometrically; the number of nodes is doubled until two successive sums agree.

Any data spectrum: written-out atoms (shipped generated code, no sympy), any number of atoms and the
quadrature atoms of a continuous spectrum (vectorized atom sums, `rmt_dsm.dsm.atoms.BoundAtoms`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..engine import ConvergenceError, FixedPointSystem
from ..data_spectrum import as_spectrum
from .numeric import entry_for, floor, numeric_observables, numeric_system
from .two_point import node_factors, product, two_point_matrix

__all__ = ["Contour", "SpectralData", "support_bound", "spectral_edges", "spectral_data", "g_tau",
           "training_errors", "training_curve", "TrainingCurve", "TrainingErrors"]

#: agreement of two successive trapezoidal sums (M and 2M nodes) at which 2M is accepted;
#: the error of the 2M sum is then ~ this squared (geometric convergence)
_ACCEPT = 1e-9
_M_START = 64
#: the first rule is built by continuation on this many nodes, then by doubling (batched Newton)
_M_CONTINUED = 32
_M_MAX = 4096
#: the mass of the chart's spectral measure inside the contour must be the expected one to this
#: tolerance (the certificate that the contour encloses the whole support) [T§4]
_MASS_TOL = 1e-8
#: at most this many contours, each with its lower focus 10 times lower, when the certificate fails
_MAX_WIDENINGS = 4


def _xy(chart: str, z):
    """Pencil scalars (x, y) at spectral argument z (ridge lambda = -z) [D§5.2]."""
    return (-1.0, -z) if chart == "primal" else (-z, -1.0)


def _stieltjes_sign(sol):
    """Branch check off the real axis: the diagonal resolvent block read in the chart (g_v in the
    primal chart, g_u0 in the dual one) is a Stieltjes transform in z, so Im g has the sign of Im z."""
    p = {k.name: complex(v) for k, v in sol.params.items()}
    primal = p["x"] == -1
    z = -p["y"] if primal else -p["x"]
    g = complex(sol["g_v" if primal else "g_u0"])
    if z.imag > 0 and g.imag < -1e-9 * (1 + abs(g)):
        return f"Im g = {g.imag:.3g} < 0 at Im z = {z.imag:.3g} > 0"
    return None


def contour_system(sigma=None) -> FixedPointSystem:
    """The DSM system [S eqs. (4.1)-(4.3)] of the data spectrum ``sigma`` (default Sigma = I; the
    shipped generated code when there is some, `rmt_dsm.dsm.numeric.numeric_system`) without the
    real-ridge branch checks (the contour has complex and negative ridges lambda = -z), with the
    Stieltjes sign check off the real axis."""
    return _contour_system(numeric_system(as_spectrum(sigma)))


@lru_cache(maxsize=16)
def _contour_system(base: FixedPointSystem) -> FixedPointSystem:
    return base.variant("dsm_contour", checks=[_stieltjes_sign], fixed_point_form=False)


def _solve(base: dict, chart: str, z, start=None, sigma=None):
    x, y = _xy(chart, z)
    return contour_system(sigma).solve({**base, "x": x, "y": y, "epsilon": 0.0}, start=start)


def _ok(base, chart, z, start, side, sigma=None):
    """The solution at real z continued from ``start``, or None when continuation fails or leaves
    the physical branch.  ``side`` = +1 below the support, -1 above it: there the diagonal resolvent
    block of the chart, int rho(u) du/(u - z), has the sign of ``side``."""
    try:
        sol = _solve(base, chart, z, start, sigma)
    except ConvergenceError:
        return None
    if any(abs(complex(v).imag) > 1e-12 for v in sol.vector):
        return None
    g = complex(sol["g_v" if chart == "primal" else "g_u0"]).real
    return sol if side * g > 0 else None


def support_bound(base: dict, sigma=None) -> float:
    """A certified upper bound of the spectrum of U (and of K = Phi Phi^T/N) [T eq. (4.2)].

    In the rotated model [D eq. (2.2)] Phi = mu1 Y W^T/sqrt(d) + D Z (Y = [Y_0; Y_1], D Z = [tau_0 Z_0;
    tau_1 Z_1]), so ||U|| = ||Phi||^2/N <= (mu1 ||Y|| ||W||/sqrt(N d) + ||D Z||/sqrt(N))^2, with
    ||Y||^2 <= ||Y_0||^2 + ||Y_1||^2 and the Bai-Yin limits of the Gaussian norms (rows and
    columns r, c: sqrt(r) + sqrt(c)); the covariance of the rows of Y_0 is at most
    m a^2 l_max + Delta, l_max the largest eigenvalue of Sigma.  ``base``: psi_n, psi_p, kappa, a,
    delta, mu1, v2, s2.

    >>> b = support_bound(dict(psi_n=1.0, psi_p=2.0, kappa=1.0, a=0.6, delta=0.64, mu1=0.8, v2=0.01, s2=0.02))
    >>> round(b, 6)
    18.326068
    """
    pn, pp, k = base["psi_n"], base["psi_p"], base["kappa"]
    l_max = max(float(v) for v in as_spectrum(sigma).eigenvalues)
    contrasts = 1.0 if k < 1 else 0.0                       # population 1 exists for m > 1 only
    Y2 = ((1 + pn ** -0.5) ** 2 * (base["a"] ** 2 * l_max + base["delta"] * k)
          + contrasts * base["delta"] * (math.sqrt(1 - k) + math.sqrt(k / pn)) ** 2)
    Z2 = ((base["v2"] + k * base["s2"]) * (1 + math.sqrt(pp / pn)) ** 2
          + contrasts * base["s2"] * (math.sqrt(1 - k) + math.sqrt(k * pp / pn)) ** 2)
    return (abs(base["mu1"]) * math.sqrt(Y2) * (1 + math.sqrt(pp)) + math.sqrt(Z2)) ** 2


def spectral_edges(base: dict, chart: str, lam: float = 0.0, rel: float = 1e-2, sigma=None) -> tuple[float, float]:
    """(a, b) with b >= E_+ (certified, :func:`support_bound`) and a, meant to be <= E_-: the lower
    edge of the V-weighted support of U [T§4].

    Real z below the support (continued from z = -1) have real Dyson solutions; the real branch
    folds at the lower edge, where continuation fails.  Geometric bisection keeps the last
    successful point.  A continuation can step over a narrow part of the support (an isolated
    atom of small weight), so a is checked afterwards by the mass inside the contour
    (:func:`training_curve`).  ``chart`` must be the one without an atom at 0 (primal below the
    interpolation threshold and for m = inf, dual above it).  When the support reaches 0 (the
    interpolation threshold) a = None is returned and the contour is shifted (:class:`Contour`).
    ``sigma``: the data spectrum (default Sigma = I; ``base`` holds its atom parameters).
    """
    hi_ok = support_bound(base, sigma)
    below = _solve(base, chart, -1.0, None, sigma)
    zero = _ok(base, chart, 0.0, below, +1, sigma)
    if zero is None:  # the support reaches 0 (interpolation threshold)
        return None, hi_ok
    lo_ok, lo_sol, hi_bad = None, zero, hi_ok
    for k in range(1, 16):
        z = hi_ok * 10.0 ** (-k)
        sol = _ok(base, chart, z, zero, +1, sigma)
        if sol is not None:
            lo_ok, lo_sol = z, sol
            break
        hi_bad = z
    if lo_ok is None:
        return 0.0, hi_ok
    while hi_bad / lo_ok > 1 + rel:
        mid = math.sqrt(hi_bad * lo_ok)
        sol = _ok(base, chart, mid, lo_sol, +1, sigma)
        if sol is None:
            hi_bad = mid
        else:
            lo_ok, lo_sol = mid, sol
    return lo_ok, hi_ok


@dataclass(frozen=True)
class Contour:
    r"""Bernstein ellipse in zeta = log z with foci log a, log b and parameter rho [T§4]:

    zeta(theta) = c + h (rho e^{i theta} + e^{-i theta}/rho)/2,  z = exp(zeta) - shift,
    c = (log(a + shift) + log(b + shift))/2, h = (log(b + shift) - log(a + shift))/2.
    rho = sqrt(rho_max), rho_max the ellipse of semi-minor axis pi/2 (where Re z + shift reaches 0).
    shift = lam/2 when the gap below the support is smaller than the ridge (a < lam), else 0:
    Re z > -lam/2 keeps -lam outside and |exp(-tau (z + lam))| <= 1.  At lam = 0 with the support
    reaching 0 (the interpolation threshold, a = None) only finite times exist: shift = 1/tau_max,
    so that |exp(-tau z)| <= e for tau <= tau_max [T§5].
    """

    a: float
    b: float
    shift: float = 0.0

    @classmethod
    def around(cls, a, b: float, lam: float, tau_max: float = math.inf) -> "Contour":
        if lam > 0 and (a is None or a < lam):
            return cls(-0.25 * lam if a is None else a, b, 0.5 * lam)
        if a is None:
            if math.isinf(tau_max):
                raise ConvergenceError("training contour", "the support of the spectrum reaches 0 at lam = 0 "
                                       "(interpolation threshold): the converged errors diverge", {},
                                       hint="ask for finite training times only, or lam > 0")
            return cls(-0.5 / tau_max, b, 1.0 / tau_max)
        return cls(a, b, 0.0)

    @property
    def center(self) -> float:
        return 0.5 * (math.log(self.a + self.shift) + math.log(self.b + self.shift))

    @property
    def half(self) -> float:
        return 0.5 * (math.log(self.b + self.shift) - math.log(self.a + self.shift))

    @property
    def left(self) -> float:
        """Where the contour crosses the real axis left of the support (theta = pi)."""
        return math.exp(self.center - self.half * (self.rho + 1 / self.rho) / 2) - self.shift

    @property
    def rho(self) -> float:
        s = math.pi / self.half  # rho_max - 1/rho_max = 2 (pi/2) / half
        return math.sqrt(0.5 * (s + math.sqrt(s * s + 4)))

    def nodes(self, M: int):
        """(z, dz): M nodes theta_k = 2 pi k/M and trapezoidal weights z'(theta_k) 2 pi/M."""
        th = 2 * np.pi * np.arange(M) / M
        w = self.rho * np.exp(1j * th)
        zeta = self.center + self.half * (w + 1 / w) / 2
        dzeta = self.half * 1j * (w - 1 / w) / 2
        ez = np.exp(zeta)
        return ez - self.shift, ez * dzeta * (2 * np.pi / M)


@dataclass(frozen=True)
class SpectralData:
    """Everything tau-independent on the contour: nodes, weights, h, X1 and T; ``mass``: the mass of
    the chart's spectral measure inside the contour, -(1/2 pi i) oint g dz (g_v primal, g_u0 dual).
    T holds the rows theta_k in [0, pi] (k = 0 .. M/2) only: the other rows are their complex
    conjugates, T(conj z1, conj z2) = conj T(z1, z2)."""

    contour: Contour
    z: np.ndarray
    dz: np.ndarray
    h: np.ndarray
    X1: np.ndarray
    T: np.ndarray
    mass: float = 1.0
    upper: np.ndarray | None = field(default=None, compare=False, repr=False)  # (g_u0, g_u1, g_v), k = 0 .. M/2


def node_values(base: dict, chart: str, contour: Contour, M: int, previous=None, sigma=None) -> np.ndarray:
    """Reduced Dyson solutions (g_u0, g_u1, g_v) at the upper-half nodes theta_k = 2 pi k/M,
    k = 0 .. M/2 (rows), of the M-node rule.

    Without ``previous``: continuation node after node from the left real crossing theta = pi
    (itself continued from z = -1), on at most `_M_CONTINUED` nodes (then doubled as below).  With ``previous`` (the rows of the M/2-node rule) the even
    nodes are known and the odd ones, each between two known neighbours, are solved together by
    Newton from the mean of the neighbours (`rmt_dsm.engine.grid`); a node where Newton fails,
    lands farther from that guess than the neighbours are apart, or breaks the Stieltjes sign, is
    continued from its neighbour instead (as are all nodes of a spectrum without shipped code).
    """
    z, _ = contour.nodes(M)
    out = np.empty((M // 2 + 1, 3), dtype=complex)
    batched = True
    if (previous is None or len(previous) != M // 4 + 1) and batched and M > _M_CONTINUED:
        previous = node_values(base, chart, contour, M // 2, None, sigma)
    if previous is None or len(previous) != M // 4 + 1:
        sol = _ok(base, chart, float(z[M // 2].real), _solve(base, chart, -1.0, None, sigma), +1, sigma)
        if sol is None:
            raise ConvergenceError("training contour", f"no physical real solution at the left crossing "
                                   f"z = {float(z[M // 2].real):.6g} of the contour", base)
        out[M // 2] = sol.vector
        for k in range(M // 2 - 1, -1, -1):
            sol = _solve(base, chart, complex(z[k]) if k else float(z[k].real), sol, sigma)
            out[k] = sol.vector
        return out
    out[0::2] = previous
    odd = np.arange(1, M // 2, 2)
    guess = 0.5 * (out[odd - 1] + out[odd + 1])
    ok = _newton_at_nodes(base, chart, z[odd], guess, sigma) if batched else None
    for i, k in enumerate(odd):
        if ok is not None and ok[1][i]:
            out[k] = ok[0][i]
            continue
        start = _solve(base, chart, complex(z[k + 1]) if k + 1 < M // 2 else float(z[k + 1].real), list(out[k + 1]),
                       sigma)
        out[k] = _solve(base, chart, complex(z[k]), start, sigma).vector
    return out


def _newton_at_nodes(base: dict, chart: str, z, guess, sigma):
    """(g, ok): Newton from ``guess`` at all the nodes z at once; ok where it converged close to the
    guess (within the spacing of the neighbours) on the Stieltjes branch (Im g Im z >= 0)."""
    from ..engine.batch import batch_functions
    from ..engine.grid import _newton

    system = contour_system(sigma)
    fns = batch_functions(system)
    xy = np.array([_xy(chart, zk) for zk in z], dtype=complex)
    point = {**base, "x": xy[:, 0], "y": xy[:, 1], "epsilon": 0.0}
    th = [np.asarray(point[p.name], dtype=complex) if p.name in ("x", "y") else complex(point[p.name])
          for p in system.parameters] + [complex(1.0)]
    g, ok, _, _ = _newton(fns, guess.copy(), th, np.ones(len(z), dtype=bool), np.zeros(len(z), dtype=bool))
    g_chart = g[:, 2] if chart == "primal" else g[:, 0]
    spread = np.max(np.abs(np.diff(guess, axis=0)), initial=0.0) if len(guess) > 1 else 1.0
    ok &= np.max(np.abs(g - guess), axis=1) <= max(spread, 1e-8)
    ok &= (np.sign(np.imag(z)) * g_chart.imag) >= -1e-9 * (1 + np.abs(g_chart))
    return g, ok


def spectral_data(base: dict, chart: str, contour: Contour, M: int, previous: SpectralData | None = None,
                  sigma=None) -> SpectralData:
    """Solve the Dyson system at the M contour nodes (upper half; the lower half by conjugation)
    and evaluate h, X1 and the two-point matrix T there [T eqs. (3.5)-(3.8)].

    ``sigma``: the data spectrum (default Sigma = I; ``base`` holds its atom parameters).
    """
    spectrum = as_spectrum(sigma)
    z, dz = contour.nodes(M)
    upper_vals = node_values(base, chart, contour, M, previous.upper if previous is not None else None, sigma)
    vals = np.empty((M, 3), dtype=complex)
    vals[:M // 2 + 1] = upper_vals
    for k in range(M // 2 + 1, M):
        vals[k] = np.conj(vals[M - k])
    xs, Q, X1 = observables_at_nodes(base, chart, z, vals, spectrum)
    h = 1 - xs * Q                                                                 # [D eq. (6.2)]
    atoms = (spectrum.weights, spectrum.eigenvalues)
    f = node_factors(base, *atoms, vals, X1)
    upper = M // 2 + 1
    T = np.empty((upper, M), dtype=complex)
    step = 128
    for i in range(0, upper, step):
        j = min(i + step, upper)
        T[i:j] = two_point_matrix(base, *atoms, node_factors(base, *atoms, vals[i:j], X1[i:j]), f)
    g_chart = vals[:, 2] if chart == "primal" else vals[:, 0]
    mass = float((-1 / (2j * np.pi) * np.sum(g_chart * dz)).real)                # [T eq. (4.3)]
    return SpectralData(contour, z, dz, h, X1, T, mass, upper=upper_vals)


def observables_at_nodes(base: dict, chart: str, z, vals, spectrum):
    """(x, Q, X1) at the nodes z from the reduced solutions ``vals`` (M x 3) [D eqs. (6.2)-(6.3),
    S eq. (5.4)]: the shipped generated code on all nodes at once, or the symbolic path's
    functions node by node (a bound spectrum: atom sums reduce over the atoms)."""
    c = numeric_observables("numpy", spectrum)
    xy = np.array([_xy(chart, zk) for zk in z], dtype=complex)
    point = {**base, "x": xy[:, 0], "y": xy[:, 1], "epsilon": 0.0}
    if entry_for(spectrum) is not None:
        args = list(vals.T) + [point[s.name] for s in c.args[3:]]
        return xy[:, 0], np.broadcast_to(c.Q(*args), z.shape), np.broadcast_to(c.X1(*args), z.shape)
    Q, X1 = np.empty(len(z), dtype=complex), np.empty(len(z), dtype=complex)
    for k in range(len(z)):
        args = list(vals[k]) + [point[s.name][k] if s.name in ("x", "y") else point[s.name] for s in c.args[3:]]
        Q[k], X1[k] = c.Q(*args), c.X1(*args)
    return xy[:, 0], Q, X1


def g_tau(z, tau, lam):
    """g_tau(z) = (1 - exp(-tau (z + lam)))/(z + lam), tau = inf: 1/(z + lam) [T eq. (1.2)]."""
    s = z + lam
    if math.isinf(tau):
        return 1 / s
    return -tau * np.expm1(-tau * s) / (tau * s)


@dataclass(frozen=True)
class TrainingErrors:
    """The five errors at one tau, and the estimated quadrature error of the larger one."""

    train: float
    test: float
    score: float
    gap: float
    floor: float
    accuracy: float


def _errors(data: SpectralData, coef, delta, F_pop, lam, taus) -> np.ndarray:
    """(train, test, score, gap, floor) at each tau, shape (len(taus), 5) [T eq. (2.3)], by the
    trapezoidal sums of [T eq. (4.1)] (all taus at once: one product with the two-point matrix).
    ``F_pop``: the population floor of the data spectrum [S eq. (5.6)]."""
    g = np.array([g_tau(data.z, tau, lam) for tau in taus])          # (n_tau, M)
    w = g * data.dz
    c = -1 / (2j * np.pi)
    F_g = (c * product(w, data.h)).real
    F_ug2 = (c * product(w * g * data.z, data.h)).real
    F_g2 = (c * product(w * g, data.h)).real
    X_g = (c * product(w, data.X1)).real
    # the double sum over rows theta_j in [0, pi]: the rows in (pi, 2 pi) add the complex conjugates
    upper = data.T.shape[0]
    rows = np.full(upper, 2.0)
    rows[[0, -1]] = 1.0
    B_gg = (c * c).real * product((w[:, :upper] * product(w, data.T.T)).real, rows)
    train = 1 - 2 * F_g + F_ug2
    test = 1 - 2 * coef.mu1 * math.sqrt(delta) * X_g + coef.mu1 ** 2 * B_gg + (coef.v2 + coef.s2) * F_g2
    floor = np.full_like(test, F_pop)
    return np.stack([train, test, test - floor, test - train, floor], axis=1).astype(float)


@dataclass(frozen=True)
class TrainingCurve:
    """Converged contour data of one parameter point: errors at any tau by :meth:`at` [T§4].

    ``accuracy``: the estimated quadrature error (agreement of the M and M/2 sums, squared, as
    the convergence is geometric), uniform in tau because the integrands are bounded uniformly.
    """

    data: SpectralData
    coef: object
    delta: float
    floor: float
    lam: float
    accuracy: float

    def at(self, tau) -> TrainingErrors:
        return self.many([tau])[0]

    def many(self, taus) -> list[TrainingErrors]:
        """:meth:`at` for a sequence of times (one matrix product for all of them)."""
        shift = self.data.contour.shift
        if self.lam == 0 and shift > 0 and any(t > (1 + 1e-9) / shift for t in taus):
            raise ConvergenceError("training contour", f"this contour (interpolation threshold, lam = 0) serves "
                                   f"times up to {1 / shift:.6g} only", {},
                                   hint="compute the curve with all the times at once (its largest time sets "
                                        "the contour); the converged errors are +inf there")
        rows = _errors(self.data, self.coef, self.delta, self.floor, self.lam, list(taus))
        return [TrainingErrors(*map(float, row), accuracy=self.accuracy * (1 + float(np.max(np.abs(row)))))
                for row in rows]

    @property
    def edges(self) -> tuple[float, float]:
        """(a, b): the bracket of the support of the V-weighted spectral measure of U."""
        return self.data.contour.a, self.data.contour.b


#: training times at which the node doubling is checked (besides the requested ones), in units
#: of the edges of the spectrum: from 0.01/E_+ to 100/E_-, and tau = inf
def _check_taus(contour: Contour, lam: float) -> list:
    if lam == 0 and contour.shift > 0:  # threshold at lam = 0: finite times up to 1/shift only
        return list(np.geomspace(0.01 / contour.b, 1 / contour.shift, 25))
    return list(np.geomspace(0.01 / contour.b, 100 / max(contour.a, 1e-3 * contour.b), 25)) + [math.inf]


def contour_tau_max(taus) -> float:
    """The largest time when every time is finite (it sets the contour at the threshold), else inf."""
    finite = [t for t in taus if not math.isinf(t)]
    return max(finite) if finite and len(finite) == len(taus) else math.inf


def contour_for(base: dict, chart: str, lam, taus, sigma=None) -> Contour:
    """The contour of a point (edges of the spectrum, shift at the interpolation threshold) [T§4-§5]."""
    return Contour.around(*spectral_edges(base, chart, lam, sigma=sigma), lam, contour_tau_max(taus))


def training_curve(base: dict, chart: str, coef, a, delta, lam, taus=(), tol: float = _ACCEPT,
                   sigma=None) -> TrainingCurve:
    """Contour data with node doubling from 64 until the sums with M and 2M nodes agree to
    ``tol`` (relative to 1 + |E|) at every tau of ``taus`` and of a grid spanning the timescales
    of the spectrum (and the mass inside the contour agrees too); ConvergenceError beyond 4096 nodes.

    Certificate [T§4]: the upper focus bounds the spectrum (:func:`support_bound`); the lower one
    comes from a real-axis search, so the mass of the chart's spectral measure inside the contour
    is compared with :func:`expected_mass` (to 1e-8): when some is missing, or no solution is found
    on the contour's left real crossing (the search stepped over a part of the support), the lower
    focus is lowered tenfold and the curve computed again.
    ``sigma``: the data spectrum (default Sigma = I; ``base`` holds its atom parameters); the floor
    is its F_pop [S eq. (5.6)]."""
    spectrum = as_spectrum(sigma)
    F_pop = floor(zip(map(float, spectrum.weights), map(float, spectrum.eigenvalues)), float(a), float(delta))
    contour = contour_for(base, chart, lam, taus, sigma)
    for _ in range(_MAX_WIDENINGS):
        try:
            curve = _converged(base, chart, coef, delta, F_pop, lam, taus, tol, sigma, contour)
        except ConvergenceError as exc:  # e.g. the left real crossing inside the spectrum
            failure = exc
        else:
            missing = expected_mass(base, contour) - curve.data.mass
            if abs(missing) <= _MASS_TOL:
                return curve
            failure = ConvergenceError("training contour", f"the contour misses a mass {missing:.3g} of the "
                                       f"spectrum of U (lower focus {contour.a:.6g})", base)
        if contour.a <= 0:
            break
        contour = Contour.around(contour.a / 10, contour.b, lam, contour_tau_max(taus))
    raise failure


def expected_mass(base: dict, contour: Contour) -> float:
    """The mass of the chart's spectral measure inside the contour when it encloses the whole support
    [T eq. (4.3)]: 1, less at m = inf the atom of U at s^2 (mass 1 - (psi_n + 1)/psi_p, V-weight 0) when it
    lies left of the contour."""
    if base["kappa"] != 0 or contour.left <= base["s2"]:
        return 1.0
    return 1.0 - max(0.0, 1 - (base["psi_n"] + 1) / base["psi_p"])


def _spread(taus, most: int = 32) -> list:
    """At most ``most`` of the requested times, spread evenly over their sorted list (smallest and
    largest included): with the check grid they control the node doubling, the quadrature error
    being bounded uniformly in tau [T§4]."""
    ordered = sorted(taus)
    if len(ordered) <= most:
        return ordered
    return [ordered[i] for i in np.unique(np.linspace(0, len(ordered) - 1, most).round().astype(int))]


def _converged(base, chart, coef, delta, F_pop, lam, taus, tol, sigma, contour) -> TrainingCurve:
    """Node doubling on one contour until the M and 2M sums agree to ``tol``."""
    check = _spread(taus) + _check_taus(contour, lam)
    M = _M_START
    prev = spectral_data(base, chart, contour, M, sigma=sigma)
    old = _errors(prev, coef, delta, F_pop, lam, check)
    while True:
        M *= 2
        data = spectral_data(base, chart, contour, M, prev, sigma)
        new = _errors(data, coef, delta, F_pop, lam, check)
        diff = max(float(np.max(np.abs(new - old) / (1 + np.abs(new)))), abs(data.mass - prev.mass))
        if diff <= tol:
            break
        if M >= _M_MAX:
            raise ConvergenceError("training contour", f"trapezoidal sums not converged with {M} nodes "
                                   f"(difference {diff:.2e})", base)
        old, prev = new, data
    return TrainingCurve(data, coef, delta, F_pop, lam, accuracy=max(diff ** 2, 1e-15))


def training_errors(base: dict, chart: str, coef, a, delta, lam, taus, tol: float = _ACCEPT, sigma=None):
    """Errors at each tau in ``taus`` with accuracy estimates, and the :class:`TrainingCurve`."""
    curve = training_curve(base, chart, coef, a, delta, lam, taus, tol, sigma)
    return curve.many(taus), curve
