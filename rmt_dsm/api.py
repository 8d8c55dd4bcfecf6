r"""Public API: exact high-dimensional errors of DSM with random features (docs/model.md).

``errors(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None)``
returns `Errors` with attributes train, test, score, gap, floor.

Pipeline (one module per step): parameters (`rmt_dsm.point`) -> activation ->
Gaussian moments (`rmt_dsm.moments`) -> Gaussian-equivalent coefficients
(`rmt_dsm.equivalence`) -> the DSM Dyson system (`rmt_dsm.dsm.system`,
solved by `rmt_dsm.engine`) -> observables (`rmt_dsm.dsm.observables`).
The layers below this one: the result type (`rmt_dsm.result`), the one-point path
(`rmt_dsm.scalar`), the batched path (`rmt_dsm.batch`) and finite training times
(`rmt_dsm.training_time`).
Precision: `rmt_dsm.precision` (one guard constant; results rounded to ``dps``).
Derivation: derivations/dsm_learning_curves.md.
"""
from __future__ import annotations

import math
from functools import lru_cache

from .model import check_tau
from .point import coefficients_of, point
from .precision import PrecisionWarning, working_precision
from .progress import track
from .result import ERROR_NAMES, Errors, ThresholdDivergence
from .scalar import _with_quadrature_error
from .training_time import _training

__all__ = ["errors", "Errors", "learning_curve", "ThresholdDivergence", "PrecisionWarning"]


def errors(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None,
           tau=None, sigma=None) -> Errors:
    r"""Exact high-dimensional train, test and score errors of DSM with random features.

    Parameters
    ----------
    psi_n, psi_p : float
        Ratios n/d (training points) and p/d (random features), finite and > 0.
    m : int or math.inf
        Noise draws per training point (>= 1); ``math.inf`` averages the loss over the noise.
    t : float, optional
        Diffusion time of the Ornstein-Uhlenbeck schedule a = e^{-t}, Delta = 1 - e^{-2t}.
    lam : float, default 0.0
        Ridge lambda >= 0; 0 is the limit lambda -> 0+ (minimum-norm readout).
    activation : str, default "tanh"
        "tanh", "erf", "relu" or a sympy expression in x (e.g. "x*exp(-x**2)").
    a, delta : float, optional
        The schedule given directly (instead of ``t``): y = a x + sqrt(Delta) xi.
    dps : int, optional
        Decimal digits: the result is computed at ``dps`` + `rmt_dsm.precision.GUARD`
        digits and rounded to ``dps`` digits (mpmath numbers).  None: double precision (floats).

    tau : float, optional
        Gradient-flow training time from C = 0 (docs/training_time.md); None or inf: the
        converged ridge readout.  Finite tau: contour quadrature over the same Dyson solution
        [derivations/training_time.md], ``accuracy`` from the quadrature error estimate; with
        ``dps`` it needs python-flint (extra ``precision``).  Any ``sigma`` (a continuous
        spectrum: ``info["quadrature_error"]`` as below, at each tau).
    sigma : optional
        The data spectrum (derivations/structured_data.md): None (Sigma = I), pairs
        ``[(w_1, l_1), ...]`` (weights summing to 1, eigenvalues >= 0), a ``"W1:L1,W2:L2"``
        string or a `rmt_dsm.data_spectrum.DataSpectrum` (e.g. a continuous spectrum, whose
        quadrature error is then reported as ``info["quadrature_error"]``: the largest change of
        train, test, score and floor between the quadrature order and twice it).

    Returns
    -------
    Errors
        train, test, score, gap, floor, the parameters, and the solver's residual, iterations,
        chart and accuracy estimate.  When any of psi_n, psi_p, m, t, lam, a, delta is a list,
        tuple or array, the arguments broadcast together and the result is a
        `rmt_dsm.batch.ErrorsArray` of arrays of that shape, computed by the batched solver
        (`rmt_dsm.batch`; the same values as point by point, to ~1e-13).

    Raises
    ------
    ValueError
        A bad argument, named in the message.
    rmt_dsm.engine.ConvergenceError
        The fixed-point solver did not converge (never a plausible wrong number).

    Warns
    -----
    ThresholdDivergence
        lambda = 0 on the interpolation threshold psi_p = m psi_n (finite m): test, score and
        gap are +inf (the exact answer).
    PrecisionWarning
        Double precision only: some value's estimated relative error exceeds 1e-10.

    Notes
    -----
    With H = x Q and H' = dH/dlambda from the Dyson solution [D eqs. (6.2)-(6.5), S eq. (5.5)],

    $$
    E_\mathrm{train} = H - \lambda H', \qquad
    E_\mathrm{test} = 1 - 2\mu_1\sqrt{\Delta}\,X_1 - \mu_1^2\,\partial_\varepsilon Q
                      + (v^2 + s^2) H',
    $$

    (the probe $\varepsilon$ weights each atom of the spectrum by $a^2 l_k + \Delta$; for
    Sigma = I this is the $\Gamma^2 \partial_\varepsilon Q$ of the isotropic system),
    $F_\mathrm{pop} = \sum_k w_k a^2 l_k/(a^2 l_k + \Delta)$ ($= 1 - \Delta/\Gamma^2$ for
    Sigma = I, written without the subtraction), $E_\mathrm{score} = E_\mathrm{test} - F_\mathrm{pop}$ and
    gap = $E_\mathrm{test} - E_\mathrm{train}$.  With ``dps`` every difference is taken at
    the working precision before rounding.  In double precision the solution of the Newton
    solve is polished and the observables evaluated again at 30 digits (from the double
    coefficients), which removes the rounding errors of the double solve (near the threshold
    they grow like 1/distance); ``accuracy`` then bounds the error left by the double inputs.
    The gap has no sign guarantee in general: it is what the formulas give at the working
    precision.

    Examples
    --------
    >>> e = errors(1.0, 0.5, 1, t=0.3, lam=0.1)
    >>> 0 < e.train < e.test
    True
    >>> e.chart, e.digits >= 10
    ('primal', True)
    >>> import mpmath
    >>> mpmath.nstr(errors(1.0, 0.5, 1, t=0.3, lam=0.1, dps=20).test, 20)   # rounded to 20 digits
    '1.0716085307913145179'
    """
    batch = _batch()
    if batch.is_array_call(psi_n=psi_n, psi_p=psi_p, m=m, t=t, lam=lam, a=a, delta=delta):  # arrays: batched
        return errors_array(psi_n, psi_p, m, t, lam, activation, a, delta, dps, tau, sigma)
    pt = point(psi_n, psi_p, m, t, lam, activation, a, delta, dps, sigma)
    tau = check_tau(tau)
    if not math.isinf(tau):
        with working_precision(pt.dps):
            return _training(pt, coefficients_of(pt), [tau])[0]
    if batch.batchable(pt):  # double precision: the batched path (falls back to the one below)
        return batch.errors_at_points([pt])[0]
    return _with_quadrature_error(pt)[0]


@lru_cache(maxsize=None)
def _batch():
    """`rmt_dsm.batch`, imported at the first call of `errors` (not at the top: ``import
    rmt_dsm.api`` stays free of numpy), not at every call."""
    from . import batch

    return batch


def errors_array(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None, tau=None,
                 sigma=None) -> ErrorsArray:
    """`rmt_dsm.errors` with arrays: the numeric arguments broadcast together (numpy rules).

    Called by `rmt_dsm.errors` when any of psi_n, psi_p, m, t, lam, a, delta is a list, tuple or
    array.  Double precision: the batched solver (`rmt_dsm.batch.errors_at_points`); with ``dps`` or a finite
    ``tau``, point by point.

    Raises
    ------
    ValueError
        Arguments that do not broadcast, or a bad entry (named, with its position).

    Examples
    --------
    >>> import rmt_dsm
    >>> e = rmt_dsm.errors(1.0, [[0.5], [2.0]], 1, t=[0.3, 1.0], lam=0.1)
    >>> e.shape, str(e.chart[1, 0])
    ((2, 2), 'dual')
    """
    import numpy as np

    from .batch import ErrorsArray, errors_at_points, points_for
    from .data_spectrum import as_spectrum

    given = {"psi_n": psi_n, "psi_p": psi_p, "m": m, "t": t, "lam": lam, "a": a, "delta": delta}
    arrays = {}
    for k, v in given.items():
        arr = np.empty((), dtype=object)
        arr[()] = v
        if isinstance(v, (list, tuple, np.ndarray)):
            try:
                arr = np.array(v, dtype=object)
            except ValueError:
                raise ValueError(f"{k} must be a number or a rectangular array of numbers, got {v!r}") from None
        arrays[k] = arr
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        raise ValueError("the array arguments do not broadcast together: shapes " + ", ".join(
            f"{k} {a.shape}" for k, a in arrays.items() if a.shape)) from None
    # a numpy scalar as the Python number it holds (other objects unchanged)
    flat = {k: [v.item() if isinstance(v, np.generic) else v for v in np.broadcast_to(a, shape).ravel()]
            for k, a in arrays.items()}
    if dps is not None or tau is not None:
        results = [errors(*(flat[k][i] for k in ("psi_n", "psi_p", "m", "t", "lam")), activation,
                          flat["a"][i], flat["delta"][i], dps, tau=tau, sigma=sigma)
                   for i in range(len(flat["psi_n"]))]
    else:
        results = errors_at_points(points_for(flat, activation, as_spectrum(sigma)))
    objs = np.empty(len(results), dtype=object)
    objs[:] = results
    objs = objs.reshape(shape)
    dtype = float if dps is None else object

    def field(f, dt=dtype):
        return np.array([f(r) for r in results], dtype=dt).reshape(shape)

    return ErrorsArray(*(field(lambda r, k=k: getattr(r, k)) for k in ERROR_NAMES),
                       accuracy={k: field(lambda r, k=k: r.accuracy.get(k, math.nan), float) for k in ERROR_NAMES},
                       chart=field(lambda r: r.chart, object).astype(str), diverged=field(lambda r: r.diverged, bool),
                       params={**{k: np.broadcast_to(a, shape) if a.shape else a[()] for k, a in arrays.items()},
                               "activation": activation, "dps": dps, "tau": tau, "sigma": sigma},
                       results=objs)



def _training_curve(vary, values, base, tau) -> list[Errors]:
    """learning_curve at finite training times: vary tau on one contour, or another parameter at fixed tau."""
    if vary == "tau":
        pt = point(**base)
        with working_precision(pt.dps):
            return _training(pt, coefficients_of(pt), [check_tau(v) for v in values])
    out = []
    for v in values:
        kw = {**base, vary: v}
        out.append(errors(kw["psi_n"], kw["psi_p"], kw["m"], kw["t"], kw["lam"], kw["activation"], kw["a"],
                          kw["delta"], kw["dps"], tau=tau, sigma=kw["sigma"]))
    return out


def learning_curve(vary: str, values, psi_n=1.0, psi_p=1.0, m=1, t=None, lam=0.0, activation="tanh",
                   a=None, delta=None, dps=None, tau=None, sigma=None) -> list[Errors]:
    """Errors along one parameter, each point warm-started from the previous one.

    Parameters
    ----------
    vary : {"psi_n", "psi_p", "t", "lam", "m", "tau"}
        The parameter that runs over ``values`` (``"tau"``: one contour quadrature serves
        every training time).
    values : iterable
        Its values, in the order they are solved (continuation follows this order).
    psi_n, psi_p, m, t, lam, activation, a, delta, dps, tau, sigma
        The other parameters, as in `errors`.

    Returns
    -------
    list of Errors
        One result per value; at the threshold divergence the +inf result of `errors`.

    Raises
    ------
    ValueError
        A bad argument (``vary`` or any value), named in the message.
    rmt_dsm.engine.ConvergenceError
        A point did not converge.

    Notes
    -----
    In double precision (and a data spectrum given by at most a few atoms) the points are solved
    together by the batched solver `rmt_dsm.batch.errors_at_points` (their ``solution`` is
    None); otherwise the solution at one value starts Newton at the next (same chart), and a
    failed warm start falls back to the cold solve of `errors`.  Warnings as in `errors`.

    Examples
    --------
    >>> curve = learning_curve("psi_p", [0.5, 1.0, 2.0], psi_n=1.0, m=1, t=0.3, lam=0.1)
    >>> len(curve), [e.chart for e in curve]
    (3, ['primal', 'dual', 'dual'])
    """
    base = dict(psi_n=psi_n, psi_p=psi_p, m=m, t=t, lam=lam, activation=activation, a=a, delta=delta, dps=dps,
                sigma=sigma)
    if vary not in ("psi_n", "psi_p", "t", "lam", "m", "tau"):
        raise ValueError(f"vary must be one of psi_n, psi_p, t, lam, m, tau; got {vary!r}")
    try:
        values = list(values)
    except TypeError:
        raise ValueError(f"values must be an iterable of {vary} values, got {values!r}") from None
    if vary == "tau" or tau is not None:
        return _training_curve(vary, values, base, tau)
    if dps is None:  # double precision: all points solved together (`rmt_dsm.batch`)
        from .batch import errors_for
        from .data_spectrum import as_spectrum

        sweep = {k: [base[k]] * len(values) for k in ("psi_n", "psi_p", "m", "t", "lam", "a", "delta")}
        return errors_for({**sweep, vary: values}, activation, as_spectrum(sigma))
    points = [point(**{**base, vary: v}) for v in values]
    out, prev, prev_chart = [], None, None
    for pt in track(points, "learning curve"):
        res, sol = _with_quadrature_error(pt, start=prev if prev_chart == pt.chart else None)
        out.append(res)
        prev, prev_chart = sol, pt.chart
    return out
