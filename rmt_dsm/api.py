r"""Public API: exact high-dimensional errors of DSM with random features (docs/model.md).

``errors(psi_n, psi_p, m, t=None, lam=0.0, activation="tanh", a=None, delta=None, dps=None)``
returns `Errors` with attributes train, test, score, gap, floor.

Pipeline (one module per step): parameters (`rmt_dsm.point`) -> activation ->
Gaussian moments (`rmt_dsm.moments`) -> Gaussian-equivalent coefficients
(`rmt_dsm.equivalence`) -> the DSM Dyson system (`rmt_dsm.dsm.system`,
solved by `rmt_dsm.engine`) -> observables (`rmt_dsm.dsm.observables`).
Precision: `rmt_dsm.precision` (one guard constant; results rounded to ``dps``).
Derivation: derivations/dsm_learning_curves.md.
"""
from __future__ import annotations

import math
import types
import warnings
from dataclasses import dataclass, field, replace

import mpmath

from .model import check_tau
from .point import Point, coefficients_of, point
from .precision import GUARD, WARN_RELATIVE, PrecisionWarning, rounded, working_dps, working_precision
from .progress import track

__all__ = ["errors", "Errors", "learning_curve", "ThresholdDivergence", "PrecisionWarning"]

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
ERROR_NAMES = ("train", "test", "score", "gap", "floor")


class ThresholdDivergence(UserWarning):
    """lambda -> 0+ at the interpolation threshold psi_p = m psi_n: the test error diverges."""


@dataclass(frozen=True)
class Errors:
    r"""Asymptotic per-dimension errors at one parameter point (docs/model.md).

    Attributes
    ----------
    train : float or mpmath.mpf
        E_train.  Floats in double precision; with ``dps`` mpmath numbers rounded to ``dps``
        significant digits (the same for every error).
    test : float or mpmath.mpf
        E_test; the exact +inf of the threshold divergence is ``math.inf`` / ``mpmath.inf``.
    score : float or mpmath.mpf
        E_score = E_test - F_pop.
    gap : float or mpmath.mpf
        The generalization gap E_test - E_train.
    floor : float or mpmath.mpf
        The population floor F_pop.
    params : dict
        Every parameter of the point (psi_n, psi_p, m, t, lam, a, delta, activation, dps).
    residual : float or mpf or None
        Max-abs residual of the fixed-point equations at the solution (None at the divergence).
    iterations : int or None
        Newton iterations of the last solve.
    chart : str
        ``"primal"`` (x = -1, y = lambda), ``"dual"`` (x = lambda, y = -1) or ``"threshold"``
        (the exact divergence, nothing solved) [D§5.2].
    accuracy : dict
        Estimated relative error of each of train, test, score, gap, floor (floats).  Double
        precision: from a second evaluation (see Notes of `errors`); ``dps=D``: the
        precision contract 10^-(D-5).
    coefficients : rmt_dsm.equivalence.Coefficients
        The Gaussian-equivalent coefficients mu0, mu1, v2, s2 used.
    solution : rmt_dsm.engine.Solution or None
        The solution of the Dyson system (working precision); None for a point solved by the
        batched double-precision path (`rmt_dsm.batch`).
    diverged : bool
        True at lambda = 0 on the interpolation threshold (test, score, gap = +inf).
    quadrature : dict or None
        Finite training time ``tau`` only: the contour quadrature (nodes, spectrum edges, and in
        double precision the reusable ``curve``) [derivations/training_time.md].
    """

    train: object
    test: object
    score: object
    gap: object
    floor: object
    params: dict
    residual: object = None
    iterations: int | None = None
    chart: str = "primal"
    accuracy: dict = field(default_factory=dict, compare=False)
    coefficients: object = field(default=None, repr=False, compare=False)
    solution: object = field(default=None, repr=False, compare=False)
    diverged: bool = False
    quadrature: dict | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The five errors by name."""
        return {k: getattr(self, k) for k in ERROR_NAMES}

    @property
    def digits(self) -> int:
        """Estimated number of correct significant digits of the least accurate value."""
        worst = max(self.accuracy.values(), default=0.0)
        return 17 if worst <= 0 else max(0, int(math.floor(-math.log10(worst))))

    @property
    def info(self) -> types.MappingProxyType:
        """Read-only mapping view of the solver attributes (kept for older callers): residual,
        iterations, chart, accuracy, coefficients, solution, diverged."""
        return types.MappingProxyType({**{k: getattr(self, k) for k in (
            "residual", "iterations", "chart", "accuracy", "coefficients", "solution", "diverged")},
            **(self.quadrature or {})})


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


def _warn_precision(res: Errors) -> None:
    """PrecisionWarning when a double-precision value is estimated worse than 1e-10 relative."""
    if res.params.get("dps") is not None:
        return
    name, worst = max(res.accuracy.items(), key=lambda kv: kv[1])
    if worst > WARN_RELATIVE:
        pr = ", ".join(f"{k}={v}" for k, v in res.params.items() if v is not None and k != "dps")
        warnings.warn(f"estimated relative error {worst:.1e} of {name} (about {res.digits} correct digits) in "
                      f"double precision at {pr}: ask for more digits (dps=30, --dps 30)", PrecisionWarning,
                      stacklevel=4)



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


def _training(pt: Point, coef, taus) -> list[Errors]:
    """Errors of the gradient-flow readout C(tau) at each tau (finite or inf): contour integrals over
    the same Dyson system [derivations/training_time.md], see `rmt_dsm.dsm.training`.  For a
    continuous spectrum the curve is computed again with the quadrature of twice the order, whose
    results are returned with quadrature["quadrature_error"] = the largest change of train, test,
    score and floor at that tau (as `_with_quadrature_error` for tau = inf) [S§6]."""
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
    from .batch import errors_array, is_array_call

    if is_array_call(psi_n=psi_n, psi_p=psi_p, m=m, t=t, lam=lam, a=a, delta=delta):  # arrays: batched
        return errors_array(psi_n, psi_p, m, t, lam, activation, a, delta, dps, tau, sigma)
    pt = point(psi_n, psi_p, m, t, lam, activation, a, delta, dps, sigma)
    tau = check_tau(tau)
    if not math.isinf(tau):
        with working_precision(pt.dps):
            return _training(pt, coefficients_of(pt), [tau])[0]
    from .batch import batchable, errors_at_points

    if batchable(pt):  # double precision: the batched path (falls back to the one below)
        return errors_at_points([pt])[0]
    return _with_quadrature_error(pt)[0]


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
    from .batch import batchable, errors_at_points, points_for
    from .data_spectrum import as_spectrum

    if dps is None:
        sweep = {k: [base[k]] * len(values) for k in ("psi_n", "psi_p", "m", "t", "lam", "a", "delta")}
        points = points_for({**sweep, vary: values}, activation, as_spectrum(sigma))
    else:
        points = [point(**{**base, vary: v}) for v in values]
    if points and batchable(points[0]):  # double precision: all points solved together
        return errors_at_points(points)
    out, prev, prev_chart = [], None, None
    for pt in track(points, "learning curve"):
        res, sol = _with_quadrature_error(pt, start=prev if prev_chart == pt.chart else None)
        out.append(res)
        prev, prev_chart = sol, pt.chart
    return out
