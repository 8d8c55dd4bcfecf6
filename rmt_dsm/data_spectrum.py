r"""The data covariance Sigma, given by the limiting distribution of its eigenvalues (docs/model.md).

Shared by the theory and the finite-d simulator, like `rmt_dsm.model`: it holds the spectrum,
its validation and its parsing, and no formula of either side.

A `DataSpectrum` is a finite set of atoms: weight ``w_k >= 0`` (summing to 1) at eigenvalue
``l_k >= 0``.  A zero eigenvalue puts the data on a subspace (fraction ``psi_D`` of the directions
carries variance).  A continuous spectrum is given by its quantile function ``l(u)`` on (0, 1] and
turned into atoms by Gauss-Legendre quadrature in ``t`` with ``u = t^power`` (the power clusters the
nodes at u = 0, where a power law ``l(u) = c u^-alpha`` is singular); it carries a second rule of
twice the order, so that the theory reports its quadrature error by comparing the two.  Isotropic
data (Sigma = I) is the one atom (1, 1), the default.

>>> s = parse_sigma("0.5:2,0.5:0")
>>> s.weights, s.eigenvalues, s.q
((0.5, 0.5), (2.0, 0.0), 1.0)
>>> psi_d(0.25).eigenvalues
(1.0, 0.0)
>>> parse_sigma("0.5:1,0.4:2")
Traceback (most recent call last):
...
ValueError: sigma: the weights sum to 0.9, not 1
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import numpy as np

__all__ = ["DataSpectrum", "isotropic", "atoms", "from_quantile", "power_law", "psi_d", "from_samples",
           "parse_sigma", "as_spectrum", "SUM_TOLERANCE"]

#: relative tolerance on sum_k w_k = 1 (the weights are then divided by their sum)
SUM_TOLERANCE = 1e-12


@dataclass(frozen=True)
class DataSpectrum:
    """Eigenvalue distribution of Sigma: atoms ``(weights[k], eigenvalues[k])``.

    Attributes
    ----------
    weights, eigenvalues : tuples of numbers (floats, ints or mpmath numbers, as given), weights
        positive and summing to 1, eigenvalues >= 0.
    label : a short description (``"identity"``, ``"atoms"``, ``"power law alpha=0.5"``, ...).
    quantile : the quantile function of a continuous spectrum (None for atoms).
    order, power : the quadrature rule of a continuous spectrum (order nodes, u = t^power).
    """

    weights: tuple
    eigenvalues: tuple
    label: str = field(default="atoms", compare=False)
    quantile: Callable | None = None
    order: int | None = None
    power: float | None = None

    @property
    def size(self) -> int:
        """Number of atoms."""
        return len(self.weights)

    @property
    def is_identity(self) -> bool:
        """Sigma = I: the single atom (1, 1)."""
        return self.size == 1 and self.eigenvalues[0] == 1

    @property
    def q(self):
        """tr(Sigma)/d = sum_k w_k l_k (the Gaussian-equivalent coefficients use it)."""
        return sum(w * l for w, l in zip(self.weights, self.eigenvalues))

    @property
    def psi_d(self):
        """Fraction of directions with non-zero variance (sum of the weights of non-zero atoms)."""
        return sum(w for w, l in zip(self.weights, self.eigenvalues) if l != 0)

    def refined(self) -> "DataSpectrum | None":
        """The same continuous spectrum at twice the quadrature order (None for atoms)."""
        if self.quantile is None:
            return None
        return from_quantile(self.quantile, order=2 * self.order, power=self.power, label=self.label)

    def eigenvalues_for(self, d: int) -> np.ndarray:
        """d eigenvalues of a finite-d Sigma with this limiting spectrum (for the simulator).

        Atoms: round(w_k d) copies of l_k (largest remainders, so that there are exactly d);
        continuous: the quantiles l((i - 1/2)/d), i = 1..d.

        >>> parse_sigma("0.3:2,0.7:1").eigenvalues_for(10).tolist()
        [2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
        """
        if self.quantile is not None:
            return np.array([float(self.quantile((i + 0.5) / d)) for i in range(d)])
        raw = np.array([float(w) for w in self.weights]) * d
        counts = np.floor(raw).astype(int)
        for k in np.argsort(-(raw - counts), kind="stable")[: d - counts.sum()]:
            counts[k] += 1
        return np.repeat(np.array([float(l) for l in self.eigenvalues]), counts)

    def describe(self) -> str:
        """The spectrum in the CLI's ``W1:L1,W2:L2`` form (or its label for a continuous spectrum)."""
        if self.quantile is not None:
            return f"{self.label} (Gauss-Legendre order {self.order}, u = t^{self.power:g})"
        return ",".join(f"{_short(w)}:{_short(l)}" for w, l in zip(self.weights, self.eigenvalues))


def _short(v) -> str:
    """The shortest decimal that reads back as the same double: 0.3 -> '0.3', 1.0 -> '1'."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _number(v, what: str):
    """A finite real number (python, numpy or mpmath), else ValueError naming sigma."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"sigma: {what} must be a real number, got {v!r}") from None
    if isinstance(v, bool) or math.isnan(x) or math.isinf(x):
        raise ValueError(f"sigma: {what} must be a finite real number, got {v!r}")
    return v.item() if isinstance(v, np.generic) else v


def atoms(pairs, label: str = "atoms") -> DataSpectrum:
    """A spectrum from pairs ``(w_k, l_k)``: weights >= 0 summing to 1 (relative tolerance
    1e-12; they are then divided by their sum), eigenvalues >= 0.  Zero-weight atoms are dropped.

    >>> atoms([(0.25, 4), (0.75, 0)]).q
    1.0
    >>> atoms([(1, -1)])
    Traceback (most recent call last):
    ...
    ValueError: sigma: eigenvalue l_1 must be >= 0, got -1
    """
    try:
        pairs = [tuple(p) for p in pairs]
    except TypeError:
        raise ValueError(f"sigma must be a list of (weight, eigenvalue) pairs, got {pairs!r}") from None
    if not pairs:
        raise ValueError("sigma must have at least one atom (weight, eigenvalue)")
    ws, ls = [], []
    for k, p in enumerate(pairs, 1):
        if len(p) != 2:
            raise ValueError(f"sigma: atom {k} must be a pair (weight, eigenvalue), got {p!r}")
        w, l = _number(p[0], f"weight w_{k}"), _number(p[1], f"eigenvalue l_{k}")
        if w < 0:
            raise ValueError(f"sigma: weight w_{k} must be >= 0, got {w!r}")
        if l < 0:
            raise ValueError(f"sigma: eigenvalue l_{k} must be >= 0, got {l!r}")
        if w > 0:
            ws.append(w)
            ls.append(l)
    total = sum(ws)
    if not ws or abs(float(total) - 1) > SUM_TOLERANCE:
        raise ValueError(f"sigma: the weights sum to {float(total):.15g}, not 1")
    if total != 1:
        ws = [w / total for w in ws]
    if all(float(l) == 0 for l in ls):
        raise ValueError("sigma: every eigenvalue is 0 (no data variance)")
    return DataSpectrum(tuple(ws), tuple(ls), label=label)


@lru_cache(maxsize=None)
def isotropic() -> DataSpectrum:
    """Sigma = I: one atom (1, 1) (one immutable object, built once)."""
    return DataSpectrum((1,), (1,), label="identity")


def psi_d(x) -> DataSpectrum:
    """Data on a subspace: a fraction ``x`` in (0, 1] of the directions with unit variance, the rest 0
    (``--psi-d X`` = ``--sigma X:1,1-X:0``)."""
    x = _number(x, "psi_d")
    if not 0 < x <= 1:
        raise ValueError(f"sigma: psi_d must be in (0, 1], got {x!r}")
    return atoms([(x, 1.0), (1 - x, 0.0)], label=f"psi_d={x}")


def from_samples(samples, label: str = "empirical") -> DataSpectrum:
    """The empirical spectrum of samples (rows, assumed centred): the d eigenvalues of the second
    moment ``samples^T samples / rows``, each an atom of weight 1/d; eigenvalues below 1e-12 times
    the largest (constant coordinates, rank deficiency) are set to 0, and equal eigenvalues merged.

    >>> s = from_samples([[1.0, 0.0], [-1.0, 0.0]])
    >>> s.weights, s.eigenvalues, s.psi_d
    ((0.5, 0.5), (1.0, 0.0), 0.5)
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 1 or not np.all(np.isfinite(x)):
        raise ValueError("sigma: samples must be a finite 2-d array (rows = samples)")
    eigs = np.linalg.eigvalsh(x.T @ x / x.shape[0])[::-1]
    eigs[eigs < 1e-12 * max(eigs[0], 0.0)] = 0.0
    values, counts = np.unique(eigs, return_counts=True)
    d = x.shape[1]
    return atoms([(c / d, float(v)) for v, c in zip(values[::-1], counts[::-1])], label=label)


def from_quantile(quantile: Callable, order: int = 64, power: float = 1.0, label: str = "quantile") -> DataSpectrum:
    r"""A continuous spectrum from its quantile function ``l(u)``, u in (0, 1], as quadrature atoms.

    :math:`\int_0^1 f(l(u))\,du = \int_0^1 f(l(t^p))\,p\,t^{p-1}\,dt`, Gauss-Legendre with ``order``
    nodes in t; ``power`` p > 1 clusters the nodes at u = 0 (integrable singularities there).

    >>> s = from_quantile(lambda u: 2 * u, order=8)
    >>> round(float(s.q), 12)
    1.0
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"sigma: quadrature order must be a positive integer, got {order!r}")
    if not (isinstance(power, (int, float)) and math.isfinite(power) and power >= 1):
        raise ValueError(f"sigma: quadrature power must be a finite number >= 1, got {power!r}")
    t, wt = np.polynomial.legendre.leggauss(order)
    t, wt = (t + 1) / 2, wt / 2
    u = t ** power
    w = wt * power * t ** (power - 1)
    ls = []
    for k, uk in enumerate(u):
        l = _number(quantile(float(uk)), f"quantile l(u) at u = {uk:.6g}")
        if l < 0:
            raise ValueError(f"sigma: quantile function is negative at u = {uk:.6g}: {l!r}")
        ls.append(float(l))
    w = w / w.sum()  # the rule integrates 1 exactly up to rounding
    return DataSpectrum(tuple(float(x) for x in w), tuple(ls), label=label, quantile=quantile, order=order,
                        power=float(power))


def power_law(alpha, order: int = 64, c=None) -> DataSpectrum:
    r"""Power-law spectrum :math:`l(u) = c\,u^{-\alpha}`, 0 <= alpha < 1; default c = 1 - alpha
    (so that tr(Sigma)/d = 1).  Quadrature power p = 2/(1 - alpha): the mean is exact and the atom
    sums' integrands are smooth enough at t = 0 for fast Gauss-Legendre convergence.

    >>> round(float(power_law(0.5).q), 10)
    1.0
    """
    alpha = _number(alpha, "power-law exponent alpha")
    if not 0 <= alpha < 1:
        raise ValueError(f"sigma: power-law exponent alpha must be in [0, 1), got {alpha!r}")
    c = 1 - alpha if c is None else _number(c, "power-law scale c")
    if not c > 0:
        raise ValueError(f"sigma: power-law scale c must be positive, got {c!r}")
    return from_quantile(_PowerLaw(float(alpha), float(c)), order=order, power=2 / (1 - alpha),
                         label=f"power law alpha={alpha:g} c={c:g}")


@dataclass(frozen=True)
class _PowerLaw:
    alpha: float
    c: float

    def __call__(self, u):
        return self.c * u ** (-self.alpha)


def parse_sigma(text: str) -> DataSpectrum:
    """Parse the CLI form ``W1:L1,W2:L2,...`` (weights may be written ``1-X``), or
    ``power:ALPHA[:ORDER]`` for `power_law`.

    >>> parse_sigma("0.3:1,1-0.3:0").weights
    (0.3, 0.7)
    >>> parse_sigma("power:0.5:16").order
    16
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"sigma must be W1:L1,W2:L2,..., got {text!r}")
    if text.strip().startswith("power:"):
        parts = text.strip().split(":")[1:]
        if len(parts) not in (1, 2):
            raise ValueError(f"sigma: expected power:ALPHA or power:ALPHA:ORDER, got {text!r}")
        order = 64
        if len(parts) == 2:
            try:
                order = int(parts[1])
            except ValueError:
                raise ValueError(f"sigma: quadrature order must be an integer, got {parts[1]!r}") from None
        return power_law(_parse_number(parts[0]), order=order)
    pairs = []
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) != 2:
            raise ValueError(f"sigma: atom {item.strip()!r} is not of the form W:L")
        pairs.append((_parse_number(parts[0]), _parse_number(parts[1])))
    return atoms(pairs)


def _parse_number(s: str) -> float:
    s = s.strip()
    try:
        if s.startswith("1-"):
            return 1 - float(s[2:])
        return float(s)
    except ValueError:
        raise ValueError(f"sigma: {s!r} is not a number") from None


def as_spectrum(sigma) -> DataSpectrum:
    """None (Sigma = I), a `DataSpectrum`, or a sequence of pairs (w, l)."""
    if sigma is None:
        return isotropic()
    if isinstance(sigma, DataSpectrum):
        return sigma
    if isinstance(sigma, str):
        return parse_sigma(sigma)
    return atoms(sigma)
