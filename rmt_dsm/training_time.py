r"""The errors of the gradient-flow readout C(tau) at finite training times tau (docs/training_time.md).

Contour integrals over the same Dyson system as the converged readout
[derivations/training_time.md]: `rmt_dsm.dsm.training` in double precision,
`rmt_dsm.dsm.training_precise` at ``dps`` digits, each returning `rmt_dsm.result.Errors` with
``accuracy`` from the quadrature error estimate (and, for a continuous data spectrum, the
quadrature error of the spectrum [S§6]).  Called by `rmt_dsm.errors` and
`rmt_dsm.learning_curve` with a finite ``tau``.
"""
from __future__ import annotations

import math
from dataclasses import replace

import mpmath

from .point import Point, coefficients_of
from .result import ERROR_NAMES, Errors
from .scalar import _atoms, _params


def _training(pt: Point, coef, taus) -> list[Errors]:
    """Errors of the gradient-flow readout C(tau) at each tau (finite or inf): contour integrals over
    the same Dyson system [derivations/training_time.md], see `rmt_dsm.dsm.training`.  For a
    continuous spectrum the curve is computed again with the quadrature of twice the order, whose
    results are returned with quadrature["quadrature_error"] = the largest change of train, test,
    score and floor at that tau (as `rmt_dsm.scalar._with_quadrature_error` for tau = inf) [S§6]."""
    out = _training_at(pt, coef, taus)
    fine = pt.sigma.refined()
    if fine is None:
        return out
    pt_fine = replace(pt, sigma=fine)
    finer = _training_at(pt_fine, coefficients_of(pt_fine), taus)  # tr(Sigma)/d of the finer rule
    return [replace(f, quadrature={**f.quadrature, "quadrature_error": max(
        abs(getattr(f, k) - getattr(c, k)) for k in ("train", "test", "score", "floor"))})
        for c, f in zip(out, finer)]


def _training_at(pt: Point, coef, taus) -> list[Errors]:
    """`_training` with the point's spectrum as it is (its quadrature atoms for a continuous one)."""
    from .dsm.training import training_errors

    base = {k: v for k, v in _params(pt, coef, pt.lam).items() if k not in ("x", "y", "epsilon")}
    if pt.dps is not None:
        return _training_precise(pt, coef, base, taus)
    try:
        rows, curve = training_errors(base, pt.chart, coef, pt.a, pt.delta, pt.lam, list(taus), sigma=pt.sigma)
    except Exception as exc:  # ConvergenceError: name the public parameters
        from .engine import ConvergenceError

        if not isinstance(exc, ConvergenceError):
            raise
        raise ConvergenceError("rmt_dsm.errors (tau)", exc.reason, pt.public(), exc.residual,
                               exc.iterations, exc.hint) from exc
    out = []
    for tau, row in zip(taus, rows):
        params = {**pt.public(), "tau": tau}
        values = (row.train, row.test, row.score, row.gap, row.floor)
        out.append(Errors(*values, params=params, chart=pt.chart, accuracy=_relative(values, row.accuracy),
                          coefficients=coef,
                          quadrature={"nodes": len(curve.data.z), "edges": curve.edges, "curve": curve}))
    return out


def _training_precise(pt: Point, coef, base_mp: dict, taus) -> list[Errors]:
    """`_training` at ``pt.dps`` digits (`rmt_dsm.dsm.training_precise`; the contour is
    found in double precision)."""
    from .dsm.training import contour_for
    from .dsm.training_precise import precise_errors
    from .engine import ConvergenceError

    from .dsm.observables import floor

    base = {k: float(v) for k, v in base_mp.items()}
    try:
        contour = contour_for(base, pt.chart, float(pt.lam), [float(t) for t in taus], pt.sigma)
        with mpmath.workdps(pt.dps + 15):
            taus_mp = [t if math.isinf(t) else mpmath.mpf(str(t)) for t in taus]
            F_pop = floor(_atoms(pt.sigma, pt.dps), pt.a, pt.delta)                   # [S eq. (5.6)]
            rows, acc, nodes = precise_errors(base, base_mp, pt.chart, coef, pt.delta, F_pop, pt.lam, taus_mp,
                                              pt.dps, contour, pt.sigma)
    except ConvergenceError as exc:
        raise ConvergenceError("rmt_dsm.errors (tau)", exc.reason, pt.public(), exc.residual,
                               exc.iterations, exc.hint) from exc
    out = []
    for tau, row in zip(taus, rows):
        out.append(Errors(*row, params={**pt.public(), "tau": tau}, chart=pt.chart,
                          accuracy=_relative(row, acc), coefficients=coef,
                          quadrature={"nodes": nodes, "edges": (contour.a, contour.b)}))
    return out


def _relative(values, absolute) -> dict:
    """Relative accuracies of the values from an absolute quadrature error estimate."""
    return {k: float(absolute / abs(v)) if v else float(absolute) for k, v in zip(ERROR_NAMES, values)}

