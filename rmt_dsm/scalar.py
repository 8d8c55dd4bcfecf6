r"""The one-point path of `rmt_dsm.errors`: Newton in double, polish at 30 digits, the certificate.

At a validated point (`rmt_dsm.point.point`):

1. *solve* the DSM Dyson system [D§5.2] (`_solve`): the homotopy of `rmt_dsm.engine` at the
   ridge lam_h = max(lam, 1), then continuation down a geometric ladder of ridges to the target
   (`_lam_ladder`; lambda = 0 through a floor ~ 1e-14 distance^2), or a warm start from a
   previous solution;
2. *evaluate* the observables [D eq. (6.4), S eq. (5.5)] at the solution and the population
   floor [S eq. (5.6)] (`_evaluate`), with more digits while score or gap cancel
   (`_evaluate_precisely`);
3. *certify* a double-precision result (`_refine`): the solution polished at ``_CHECK_DPS`` +
   `rmt_dsm.precision.GUARD` digits with the point's ratios read as decimals, the observables
   evaluated there, and the accuracy from the sensitivity to the double inputs (a, delta, mu1,
   v2, s2, relative error ``_INPUT_REL``); with ``dps`` the values rounded to ``dps`` digits.

At the interpolation threshold with lambda = 0 nothing is solved: the exact divergence
(`_diverged`).  A continuous data spectrum is solved again at twice the quadrature order, for
the quadrature error [S§6] (`_with_quadrature_error`).  The batched path `rmt_dsm.batch` takes
the same steps for many points at once in double precision and hands over to this one where it
cannot certify a point.  Derivations: derivations/dsm_learning_curves.md [D],
derivations/structured_data.md [S].
"""
from __future__ import annotations

import math
import warnings
from dataclasses import replace

import mpmath

from .point import Point, coefficients_of
from .precision import GUARD, rounded, working_dps, working_precision
from .progress import track
from .result import ERROR_NAMES, Errors, ThresholdDivergence, _warn_precision

#: ridge from which lambda = 0 is reached by continuation (the homotopy needs lambda > 0)
_LAM_START = 1.0
#: unit roundoff of a double
_EPS = 2.0**-52
#: digits of the second evaluation that checks a double-precision result (see `_refine`)
_CHECK_DPS = 15
#: relative error assumed for the double-precision inputs of the system (a, delta, mu1, v2, s2;
#: measured <= 1.5e-15 against dps = 50 on the test grid)
_INPUT_REL = 8 * _EPS
#: the inputs of the system that carry that error
_INPUTS = frozenset(("a", "delta", "mu1", "v2", "s2"))
#: relative steps of the finite differences that measure the sensitivity to them, in double
#: precision (noise ~ 1e-8 relative near the threshold / 1e-4 stays far below eps) and at >= 30 digits
_STEP_DOUBLE = 1e-4
_STEP = mpmath.mpf("1e-10")
#: at most this many precision raises when score or gap cancel
_MAX_RAISES = 3


def _params(pt: Point, coef, lam) -> dict:
    """Parameter values of the DSM system at ridge ``lam`` in the point's chart."""
    from .dsm.numeric import atom_parameter_values

    x, y = (-1, lam) if pt.chart == "primal" else (lam, -1)
    return {"psi_n": pt.psi_n, "psi_p": pt.psi_p, "kappa": pt.kappa, "a": pt.a, "delta": pt.delta,
            "mu1": coef.mu1, "v2": coef.v2, "s2": coef.s2, "x": x, "y": y, "epsilon": 0,
            **atom_parameter_values(pt.sigma, pt.number)}


def _lam_ladder(lam_from, lam_to, dps, scale=1):
    """Geometric ridges from lam_from down to lam_to (> 0), or, for lam_to = 0, down to a floor
    below which the solution no longer changes at the working precision, then 0.  ``scale``:
    the ridge scale of the problem, ~ delta^2 at relative distance delta from the threshold
    (where E_test ~ lam^(-1/2) crosses over to its lam = 0 value)."""
    base = 1e-14 if dps is None else mpmath.mpf(10) ** (-(dps // 2) - 7)
    floor = lam_to if lam_to > 0 else min(base, base * scale)
    out, lam = [], lam_from
    while lam / 10 > floor:
        lam = lam / 10
        out.append(lam)
    out.append(lam_to if lam_to > 0 else floor)
    if lam_to == 0:
        out.append(lam_to)
    return out


def _solve(pt: Point, coef, start=None):
    """Solve the DSM system at the point [D§5.2].

    Warm start (``start``): continuation from a previous solution.  Cold start: the
    homotopy of the engine at ridge lam_h = max(lam, 1) (retried at larger ridges if it
    fails), then continuation down a geometric ladder of ridges to the target (to lam = 0
    through lam ~ 1e-14): near the interpolation threshold the solution varies on the scale
    of lam itself, which a geometric ladder resolves and a straight path does not.
    """
    from .dsm.numeric import numeric_system
    from .engine import ConvergenceError

    system = numeric_system(pt.sigma)
    target = _params(pt, coef, pt.lam)
    if start is not None and start.dps == pt.dps:
        try:
            return system.solve(target, dps=pt.dps, start=start)
        except ConvergenceError:
            pass  # fall back to a cold solve
    error = None
    for lam_h in (max(pt.lam, _LAM_START), 10 * max(pt.lam, _LAM_START), 100 * max(pt.lam, _LAM_START)):
        try:
            sol = system.solve(_params(pt, coef, lam_h), dps=pt.dps)
            if lam_h == pt.lam:
                return sol
            for lam in track(_lam_ladder(lam_h, pt.lam, pt.dps, scale=pt.threshold_distance ** 2), "lambda ladder"):
                sol = system.solve(_params(pt, coef, lam), dps=pt.dps, start=sol)
            return sol
        except ConvergenceError as exc:
            error = exc
    hint = error.hint
    if pt.dps is None and pt.lam == 0 and pt.threshold_distance < 1e-5:
        hint = (f"psi_p is within a relative {float(pt.threshold_distance):.1e} of the interpolation threshold "
                "psi_p = m psi_n, where the equations are ill-conditioned (condition ~ 1/distance^2) in double "
                "precision: ask for more digits (dps=30, --dps 30)")
    raise ConvergenceError("rmt_dsm.errors", error.reason, pt.public(), error.residual, error.iterations,
                           hint) from error


def _evaluate(sol, chart, sigma) -> list:
    """[train, test, score, gap, floor] from a Dyson solution at its own parameters and
    precision, for the data spectrum ``sigma``: the formulas of
    `rmt_dsm.dsm.observables.error_expressions` [D eq. (6.4), S eq. (5.5)] at Q, X1 and the
    exact derivatives of Q (implicit function theorem), and the floor [S eq. (5.6)] at the
    solution's a and Delta."""
    from .dsm.numeric import numeric_observables
    from .dsm.numeric import floor

    c = numeric_observables("numpy" if sol.dps is None else "mpmath", sigma)
    vals = {s.name: v for s, v in sol.values.items()}
    vals.update({k.name if hasattr(k, "name") else k: v for k, v in sol.params.items()})
    args = [vals[s.name] for s in c.args]
    Q, X1 = c.Q(*args), c.X1(*args)
    grad_m, part_m = c.dQ_dg(*args), c.dQ_dtheta(*args)
    grad = [grad_m[i, 0] for i in range(3)]
    part = [part_m[i, 0] for i in range(3)]

    def total(i, name):  # dQ/dtheta = explicit partial + grad . dg/dtheta
        dg = sol.derivative(name)
        return part[i] + sum(gi * dg[u] for gi, u in zip(grad, sol.system.unknowns))

    lam = vals["x"] if chart == "dual" else vals["y"]
    dQx = total(0, "x") if chart == "dual" else 0
    dQy = total(1, "y") if chart == "primal" else 0
    F_pop = floor(_atoms(sigma, sol.dps), vals["a"], vals["delta"])
    out = c.errors[chart](Q, X1, dQx, dQy, total(2, "epsilon"), F_pop, vals["delta"], lam,
                          vals["mu1"], vals["s2"], vals["v2"])
    if sol.dps is None:
        return [float(v.real) if isinstance(v, complex) else float(v) for v in out]
    return list(out)


def _atoms(sigma, dps) -> list:
    """[(w_k, l_k)] of the spectrum as floats (``dps`` None) or mpf at the current working
    precision (a float read by its shortest repr, as the point's inputs)."""
    num = float if dps is None else _mp_number
    return [(num(w), num(lk)) for w, lk in zip(sigma.weights, sigma.eigenvalues)]


def _mp_number(v):
    """A spectrum number as an mpf at the current working precision (a float by its shortest repr)."""
    return mpmath.mpf(repr(v)) if isinstance(v, float) else +mpmath.mpmathify(v)


def _cancelled_digits(values, digits) -> float:
    """Digits lost in the differences score = test - floor and gap = test - train, out of the
    ``digits`` they were computed with (all of them when a difference came out as 0)."""
    train, test, score, gap, floor = values
    lost = 0.0
    for diff, terms in ((score, (test, floor)), (gap, (test, train))):
        big = max(abs(v) for v in terms)
        if big == 0 or not mpmath.isfinite(big):
            continue
        lost = max(lost, digits if diff == 0 else float(mpmath.log10(big / abs(diff))))
    return lost


def _evaluate_precisely(sol, chart, sigma):
    """(values, solution): `_evaluate` at the solution's working precision, solved and
    evaluated again with more digits while score or gap lose more than GUARD - 5 digits to
    cancellation (e.g. the gap ~ a^4 at m = inf and large t)."""
    values = _evaluate(sol, chart, sigma)
    for _ in range(_MAX_RAISES):
        lost = _cancelled_digits(values, working_dps(sol.dps))
        if lost <= GUARD - 5:
            break
        dps = sol.dps + int(math.ceil(lost))
        with mpmath.workdps(working_dps(dps)):
            sol = sol.system.solve(sol.params, dps=dps, start=sol)
            values = _evaluate(sol, chart, sigma)
    return values, sol


def _moved(params: dict, step) -> dict:
    """The system's parameters with the inputs a, delta, mu1, v2, s2 scaled by 1 + step."""
    return {k: v * (1 + step) if getattr(k, "name", k) in _INPUTS else v for k, v in params.items()}


def _refine(pt: Point, coef, sol, chart):
    """Second evaluation of a double-precision result, and its accuracy.

    The double solution is polished by Newton at ``_CHECK_DPS + GUARD`` digits (more if score
    or gap cancel, `_evaluate_precisely`) with the point's ratios read as decimals (as
    ``dps`` does), and the observables are evaluated there: this removes the rounding errors of
    the double solve (near the interpolation threshold they grow like 1/distance).  What is
    left is the error of the double inputs of the system (a, delta and the coefficients mu1,
    v2, s2: <= 1.5e-15 relative against dps = 50; taken as ``_INPUT_REL`` = 8 eps): its effect
    is the sensitivity of each value to a relative change of all of them (a difference of two
    double solves with step ``_STEP_DOUBLE``; when score or gap cancel, of two evaluations at
    the raised precision with step ``_STEP``), scaled to ``_INPUT_REL``; plus the final rounding.

    Returns (values, accuracy): the five floats and their estimated relative errors.
    """
    from .dsm.numeric import atom_parameter_values, numeric_system
    from .engine import ConvergenceError

    system = numeric_system(pt.sigma)
    double = _params(pt, coef, pt.lam)
    with working_precision(_CHECK_DPS):
        params = {**double, **{k: mpmath.mpf(str(getattr(pt, k))) for k in ("psi_n", "psi_p")}}
        params["kappa"] = 0 if pt.m == math.inf else mpmath.mpf(1) / pt.m
        params.update(atom_parameter_values(pt.sigma, _mp_number))  # the atoms as decimals
        if pt.lam != 0:
            params["x" if chart == "dual" else "y"] = mpmath.mpf(str(pt.lam))
        try:
            values, ref = _evaluate_precisely(system.solve(params, dps=_CHECK_DPS, start=sol), chart,
                                               pt.sigma)
            if ref.dps == _CHECK_DPS:  # no cancellation: the sensitivity by a double difference
                step = _STEP_DOUBLE
                base = _evaluate(sol, chart, pt.sigma)
                alt = _evaluate(system.solve(_moved(double, step), start=sol), chart, pt.sigma)
            else:  # score or gap cancel: the sensitivity at the precision that resolves them
                step, base = _STEP, values
                with mpmath.workdps(working_dps(ref.dps)):
                    alt, _ = _evaluate_precisely(system.solve(_moved(ref.params, step), dps=ref.dps, start=ref),
                                                 chart, pt.sigma)
        except ConvergenceError:  # the double values stand, with an unknown accuracy
            return _evaluate(sol, chart, pt.sigma), dict.fromkeys(ERROR_NAMES, 1.0)
        accuracy = {}
        for name, v, b, w in zip(ERROR_NAMES, values, base, alt):
            err = abs(w - b) / step * _INPUT_REL + _EPS * abs(v)
            accuracy[name] = 0.0 if v == 0 else float(err / abs(v))
    return [float(v) for v in values], accuracy


def _observe(pt: Point, coef, sol, chart=None) -> Errors:
    """The result at a point from its Dyson solution, in ``chart`` (default: the point's)."""
    chart = chart or pt.chart
    if pt.dps is None:
        values, accuracy = _refine(pt, coef, sol, chart)
    else:
        values = [rounded(v, pt.dps) for v in _evaluate_precisely(sol, chart, pt.sigma)[0]]
        accuracy = dict.fromkeys(ERROR_NAMES, 10.0 ** (5 - pt.dps))
    return Errors(*values, params=pt.public(), residual=sol.residual, iterations=sol.iterations, chart=chart,
                  accuracy=accuracy, coefficients=coef, solution=sol)


def _diverged(pt: Point, coef) -> Errors:
    warnings.warn(f"lambda -> 0+ at the interpolation threshold psi_p = m psi_n = {pt.psi_p}: "
                  "the test and score errors diverge (+inf)", ThresholdDivergence, stacklevel=4)
    inf = mpmath.inf if pt.dps is not None else math.inf
    from .dsm.numeric import floor as population_floor

    with working_precision(pt.dps):  # F_pop = sum_k w_k a^2 l_k/(a^2 l_k + Delta), no cancellation [S eq. (5.6)]
        floor = rounded(population_floor(_atoms(pt.sigma, pt.dps), pt.a, pt.delta), pt.dps)
    exact = 0.0 if pt.dps is None else 10.0 ** (5 - pt.dps)
    accuracy = {**dict.fromkeys(ERROR_NAMES, 0.0), "floor": 2 * _EPS if pt.dps is None else exact}
    return Errors(train=0 * floor, test=inf, score=inf, gap=inf, floor=floor, params=pt.public(),
                  chart="threshold", accuracy=accuracy, coefficients=coef, diverged=True)


def _errors_at(pt: Point, start=None):
    """(Errors, solution) at a validated point, warm-started from ``start`` if given."""
    with working_precision(pt.dps):
        coef = coefficients_of(pt)
        if pt.at_threshold:
            return _diverged(pt, coef), None
        sol = _solve(pt, coef, start=start)
        res = _observe(pt, coef, sol)
    _warn_precision(res)
    return res, sol


def _with_quadrature_error(pt: Point, start=None) -> tuple:
    """(Errors, solution) at the point; for a continuous spectrum the point is solved again with
    the quadrature of twice the order, whose result is returned with info["quadrature_error"] =
    the largest change of train, test, score and floor (the solution returned is the first
    one's, for warm starts along a curve) [S§6]."""
    res, sol = _errors_at(pt, start)
    fine = pt.sigma.refined()
    if fine is None:
        return res, sol
    return _quadrature_checked(res, _errors_at(replace(pt, sigma=fine))[0]), sol


def _quadrature_checked(res: Errors, res_fine: Errors) -> Errors:
    """The result at twice the quadrature order with info["quadrature_error"] = the largest change
    of train, test, score and floor from the result ``res`` at the order of the point [S§6]."""
    diff = max((abs(getattr(res_fine, k) - getattr(res, k)) for k in ("train", "test", "score", "floor")
                if not mpmath.isinf(getattr(res, k))), default=0)
    return replace(res_fine, quadrature={**(res_fine.quadrature or {}), "quadrature_error": diff})

