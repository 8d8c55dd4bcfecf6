"""One validated parameter point of the model and its Gaussian-equivalent coefficients.

The public entry points (`rmt_dsm.errors`, `rmt_dsm.learning_curve`,
`rmt_dsm.dsm.spectrum.spectrum`, the phase diagram) all start here: `point`
checks every argument (``ValueError`` naming it; conventions in docs/model.md) and
converts the numbers to the requested precision; `coefficients_of` gives mu1, v2, s2
[D§3] at that point.  The point is a frozen dataclass: a new model parameter is one more
field, one more check in `point`, and one more entry in `Point.public`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import lru_cache

import mpmath

from .model import check_dps, check_lam, check_m, check_ratio, schedule
from .precision import working_precision

__all__ = ["Point", "point", "coefficients_of", "THRESHOLD_DOUBLE"]

#: in double precision a point with lambda = 0 and |psi_p - m psi_n| <= this times m psi_n is on
#: the interpolation threshold (`Point.at_threshold`)
THRESHOLD_DOUBLE = 1e-12


@dataclass(frozen=True)
class Point:
    """Validated parameters of one point (names as in docs/model.md).

    Attributes
    ----------
    psi_n : float or mpf
        n/d.
    psi_p : float or mpf
        p/d.
    m : int or math.inf
        Noise draws per data point.
    t : float, mpf or None
        Diffusion time of the OU schedule (None when (a, delta) were given).
    lam : float or mpf
        Ridge (0 means lambda -> 0+).
    a : float or mpf
        Signal scale of the forward process.
    delta : float or mpf
        Noise variance Delta of the forward process.
    activation : str
        Activation name or sympy expression in x.
    dps : int or None
        Requested digits, None for double precision.
    sigma : DataSpectrum
        Eigenvalue distribution of the data covariance (`rmt_dsm.data_spectrum`; Sigma = I by
        default), derivations/structured_data.md.
    """

    psi_n: object
    psi_p: object
    m: object
    t: object
    lam: object
    a: object
    delta: object
    activation: str
    dps: int | None
    sigma: object = None

    def number(self, v):
        """A spectrum number at the point's precision (a float read by its shortest repr)."""
        if self.dps is None:
            return float(v)
        with working_precision(self.dps):
            return mpmath.mpf(repr(v)) if isinstance(v, float) else +mpmath.mpmathify(v)

    @property
    def atoms(self) -> list:
        """[(w_k, l_k)] of the data spectrum at the point's precision."""
        return [(self.number(w), self.number(lk)) for w, lk in zip(self.sigma.weights, self.sigma.eigenvalues)]

    @property
    def kappa(self):
        """1/m (0 for m = inf)."""
        if self.m == math.inf:
            return 0
        return mpmath.mpf(1) / self.m if self.dps is not None else 1.0 / self.m

    @property
    def chart(self) -> str:
        """primal (x=-1, y=lam) below the threshold psi_p < m psi_n (and m = inf), else dual [D§5.2]."""
        if self.m == math.inf or self.psi_p < self.m * self.psi_n:
            return "primal"
        return "dual"

    @property
    def threshold_distance(self):
        """Relative distance |psi_p - m psi_n| / (m psi_n) to the interpolation threshold (1 for m = inf)."""
        if self.m == math.inf:
            return 1
        return min(1, abs(self.psi_p - self.m * self.psi_n) / (self.m * self.psi_n))

    @property
    def at_threshold(self) -> bool:
        """lambda = 0 and psi_p = m psi_n up to the working precision (relative 1e-12 in double,
        10^-dps otherwise): there the exact answer is +inf, and a point one rounding error
        away would only return rounding noise."""
        if self.lam != 0 or self.m == math.inf:
            return False
        tol = THRESHOLD_DOUBLE if self.dps is None else mpmath.mpf(10) ** (-self.dps)
        return abs(self.psi_p - self.m * self.psi_n) <= tol * self.m * self.psi_n

    def with_dps(self, dps) -> "Point":
        """The same point converted to another precision (``None``: double)."""
        return point(**{**{f.name: getattr(self, f.name) for f in fields(self)}, "dps": dps})

    def at_ratios(self, psi_n: float, psi_p: float) -> "Point":
        """The same double-precision point at the ratios ``psi_n``, ``psi_p`` (floats the caller
        has checked with `rmt_dsm.model.check_ratio`): equal to ``replace(self, psi_n=psi_n,
        psi_p=psi_p)``, built without the dataclass's field-by-field ``__init__`` (the cost that
        matters when a curve builds a thousand points).

        Examples
        --------
        >>> from dataclasses import replace
        >>> base = point(1.0, 1.0, 2, t=0.5)
        >>> base.at_ratios(0.5, 3.0) == replace(base, psi_n=0.5, psi_p=3.0)
        True
        """
        out = object.__new__(Point)
        out.__dict__.update(self.__dict__, psi_n=psi_n, psi_p=psi_p)
        return out

    def public(self) -> dict:
        """Every parameter by its name in docs/model.md (the ``params`` of a result); the data
        spectrum in the CLI's ``W1:L1,W2:L2`` form (JSON-friendly)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["sigma"] = self.sigma.describe()
        return out


def _exact(v):
    """A number as an mpf at the current working precision, read as the decimal it prints as
    (0.1 means 1/10, not the nearest double)."""
    if v is None or isinstance(v, mpmath.mpf):
        return v
    return mpmath.mpf(str(v))


def point(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None,
          sigma=None) -> Point:
    """Validate the parameters of one point and convert them to the requested precision.

    Parameters
    ----------
    psi_n, psi_p : float
        Ratios n/d and p/d (finite, > 0).
    m : int or math.inf
        Noise draws per data point (>= 1).
    t : float, optional
        Diffusion time (OU schedule a = e^{-t}, Delta = 1 - e^{-2t}); or give ``a`` and ``delta``.
    lam : float
        Ridge >= 0.
    activation : str
        Name (tanh, erf, relu) or sympy expression in x.
    a, delta : float, optional
        Schedule given directly.
    dps : int, optional
        Digits (mpmath numbers, computed at dps + GUARD), None for floats.
    sigma : optional
        Data spectrum: None (Sigma = I), pairs ``[(w_1, l_1), ...]``, a ``"W1:L1,W2:L2"`` string
        or a `rmt_dsm.data_spectrum.DataSpectrum`.

    Returns
    -------
    Point

    Raises
    ------
    ValueError
        Naming the first bad argument.

    Examples
    --------
    >>> p = point(1.0, 2.0, 1, t=0.5)
    >>> p.chart, round(p.a ** 2 + p.delta, 12)
    ('dual', 1.0)
    >>> point(1.0, -2.0, 1, t=0.5)
    Traceback (most recent call last):
    ...
    ValueError: psi_p must be a finite positive ratio, got -2.0
    """
    as_spectrum, check_gaussian_moments = _checks()
    sigma = as_spectrum(sigma)  # ValueError naming 'sigma'
    psi_n = check_ratio("psi_n", psi_n)
    psi_p = check_ratio("psi_p", psi_p)
    m = check_m(m)
    lam = check_lam(lam)
    dps = check_dps(dps)
    sch = schedule(t=t, a=a, delta=delta)  # validation (ValueError naming the argument)
    check_gaussian_moments(activation, float(sch.a) ** 2 + float(sch.delta))  # ValueError naming 'activation'
    if dps is not None:
        with working_precision(dps):
            sch = schedule(t=_exact(t), a=_exact(a), delta=_exact(delta))
            psi_n, psi_p, lam = _exact(psi_n), _exact(psi_p), _exact(lam)
        a, delta = sch.a, sch.delta
    else:
        psi_n, psi_p, lam, a, delta = float(psi_n), float(psi_p), float(lam), float(sch.a), float(sch.delta)
    return Point(psi_n=psi_n, psi_p=psi_p, m=m, t=sch.t, lam=lam, a=a, delta=delta, activation=activation,
                 dps=dps, sigma=sigma)


@lru_cache(maxsize=None)
def _checks() -> tuple:
    """(`rmt_dsm.data_spectrum.as_spectrum`, `rmt_dsm.activations.check_gaussian_moments`), imported
    at the first call of `point` (they need numpy, which ``import rmt_dsm.api`` does not load), not
    at every call."""
    from .activations import check_gaussian_moments
    from .data_spectrum import as_spectrum

    return as_spectrum, check_gaussian_moments


def coefficients_of(pt: Point):
    """Gaussian-equivalent coefficients [D§3] at the point, at the point's precision: floats,
    or mpf at the current working precision (call inside ``working_precision(pt.dps)``)."""
    from .equivalence import coefficients, coefficients_at

    q = pt.number(pt.sigma.q)  # tr(Sigma)/d [S§3]
    if pt.dps is None:
        return coefficients(pt.activation, pt.a, pt.delta, q=q)
    return coefficients_at(pt.activation, pt.a, pt.delta, q=q)
