r"""The errors of `rmt_dsm.errors` at many points at once (double precision).

`errors_at_points` solves the DSM Dyson system [D§5.3, S§4] at N validated points together,
with the vectorized solver `rmt_dsm.engine.batch` (one lambdified evaluation and one batched
linear solve per Newton step for all the points), and returns for each point the same
`rmt_dsm.result.Errors` as the scalar path.  The steps mirror the one-point path `rmt_dsm.scalar`:

1. *solve* in double precision by a continuation shared along the order of the points
   (`_solve_double`): the points fall into runs that one path joins; the first point of a run
   is solved by the continuation of `rmt_dsm.scalar._solve` (the homotopy s: 0 -> 1 at the
   ridge lam_h = max(lam, 1), then the ridge path from lam_h down to the target, geometric in
   lambda, down to the floor min(1e-14, 1e-14 distance^2) and then to 0 for lambda = 0); from
   it the adaptive predictor-corrector follows the polygon through the run's parameters, and
   every other point starts Newton from the cubic Hermite interpolant of the path's roots and
   tangents (dense output); the physical-branch check of
   `rmt_dsm.dsm.system.physical_branch` on every solution;
2. *polish* the roots by Newton with the residual in extended precision (``numpy.longdouble``,
   19 digits on x86-64) and evaluate the observables [D eq. (6.4), S eq. (5.5)] there, with the
   point's ratios read as decimals (as the scalar path's second evaluation does);
3. *certify*: the rounding error of the extended evaluation is estimated from the difference
   between the double and the extended evaluations (the same operations, so the extended
   error is about eps_ext/eps_double = 2^-11 of that difference; a factor 16 of margin is taken),
   and for score and gap at least that of their subtraction (`_least_rounding`),
   the effect of the double inputs (a, Delta, mu1, v^2, s^2) by the finite difference of
   `rmt_dsm.scalar._refine` (the root at the moved inputs by Newton from a chord step off the
   root).  ``accuracy`` is their sum plus
   the final rounding.

Batches of a few points (one call of `rmt_dsm.errors`) take the same steps on Python numbers
(`rmt_dsm.engine.single`), where numpy's per-call overhead would dominate; their solve starts
from the nearest root kept by earlier calls (`_warm_root`: the last `_WARM_ROOTS` roots of each
data spectrum, activation, schedule, m, chart and lambda = 0 or not) by one continuation step
when one is within `_WARM_STEP` of the point, in the same chart and at a comparable distance to
the threshold (a researcher's loop over nearby points), else cold.  Only the start of the path
is reused, never a value: the root is solved at the point and certified as above.  Where the C
kernels are built, these steps run in C (`_one_compiled`, ``rmt_dsm/compiled/one_point.h``: the
same operations in the same order, the same bits), which hands every point whose outcome the
Python path could decide otherwise back to it.

Where they are built, larger batches (a curve, an array, a phase diagram) take the same C path
one point after the other (`_chained`, `_chain_run`: ``chain`` in ``one_point.h``), exactly as a
loop of `rmt_dsm.errors` calls would solve them -- each point from the nearest root kept before
it, the same kept roots, the same bits (tests/test_kernels.py) -- with the roots computed in turn
and their certificates on a second thread (`_THREADS`; ``RMT_DSM_THREADS=1``: one thread, the
same bits).  A point the C path hands back is solved by the Python path, and the chain goes on
from the next.  `errors_for`, behind `rmt_dsm.learning_curve`, runs it along the ratios without
building a point per entry.  Without the C path, larger batches take the vectorized path below.

A data spectrum of more atoms than the shipped code writes out, or a continuous one, enters the
system through atom sums bound to its (double) atoms (`rmt_dsm.dsm.atoms.BoundAtoms`, summed
over the atoms for every point at once); for a continuous spectrum the points are solved again
at twice the quadrature order, in a second batch, and the result carries the quadrature error
as from the scalar path (`rmt_dsm.scalar._quadrature_checked`) [S§6].

A point is handed to the scalar path (`rmt_dsm.scalar._with_quadrature_error`, which polishes at
30 digits and raises the precision when score or gap cancel) when any stage fails, when its estimated
rounding error exceeds `BATCH_RELATIVE` (e.g. within ~1e-4 of the interpolation threshold, or
when a difference cancels many digits), and at the exact threshold divergence.  The batched
values therefore agree with the scalar path to about `BATCH_RELATIVE`, and no point is ever
returned unchecked.
"""
from __future__ import annotations

import math
import os
import types
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import attrgetter, itemgetter

import numpy as np

from .compiled.kernels import chain as kernels_chain
from .compiled.kernels import records as kernels_records
from .compiled.kernels import kernel, one_point
from .dsm.numeric import atom_parameter_values, broadcasting, entry_for, floor, numeric_observables, numeric_system
from .engine import ConvergenceError, single
from .engine.batch import EXTENDED, EXTENDED_EPS, batch_functions, derivatives, polish, track
from .engine.grid import _ACCEPT, _LOOSE, _TOL_RES, _TOL_STEP, _apply, _inverse, _newton, _norm
from .engine.grid import _EPS as _GRID_EPS
from .precision import WARN_RELATIVE
from .result import ERROR_NAMES, Errors, _double_result, _warn_precision
from .scalar import _EPS, _INPUT_REL, _LAM_START, _STEP_DOUBLE, _quadrature_checked, _with_quadrature_error

__all__ = ["errors_at_points", "errors_for", "ErrorsArray", "BATCH_RELATIVE", "points_for", "batchable"]

#: estimated relative rounding error of a batched value above which the scalar path takes over
BATCH_RELATIVE = 1e-13
#: margin on the extended-precision rounding error estimated from the double-extended difference
_MARGIN = 16
#: ... the factor from that difference to the extended rounding error
_EXTENDED_ROUNDING = _MARGIN * EXTENDED_EPS / _EPS
#: batches of at most this many points are solved one by one on Python numbers (`_one`)
_FEW_POINTS = 4
#: larger batches are solved by the C path one after the other (`_chained`) where it is built
_CHAIN = True
#: a warm start (`_warm_root`) only from a root whose distance to the threshold is within this factor
_DIST_RATIO = 1.5
_FIELDS = ("psi_n", "psi_p", "m", "t", "lam", "a", "delta", "activation", "dps", "sigma")
_SIGMA, _DPS = attrgetter("sigma"), attrgetter("dps")
_SCHEDULE = attrgetter("activation", "a", "delta")
_PSI_N, _PSI_P, _M, _A, _DELTA, _LAM = map(attrgetter, ("psi_n", "psi_p", "m", "a", "delta", "lam"))
_THRESHOLD_DISTANCE = attrgetter("threshold_distance")
#: the Gaussian coefficients of double points by (activation, a, delta, data spectrum), kept across calls
#: (`rmt_dsm.point.coefficients_of` validates its inputs at 30 digits on every call) ...
_COEFFICIENTS: dict = {}
#: ... up to this many (then forgotten all at once)
_COEFFICIENTS_KEPT = 256
#: consecutive points of `_solve_double` are on one path (`_breaks`) when their distances to the
#: threshold are within this factor ...
_RUN_RATIO = 2.0
#: ... and no parameter moves by more than this, relative
_RUN_STEP = 0.25
#: the path's longest step and its shortest, in points (`_follow`)
_RUN_SPAN, _RUN_HMIN = 32.0, 1e-4
#: up to this many runs of several points are followed one by one on Python numbers (`_follow`), more all at once
_FEW_RUNS = 8
#: up to this many heads of paths are solved cold one by one on Python numbers (`_heads`), and up to
#: this many points whose Newton from the dense output failed are stepped again (`_steps_one_by_one`)
_FEW_COLD = 32
#: the ladder of ridges stops at this fraction of the ridge scale (`_ladder_floor`)
_FLOOR = 1e-14
#: the least distance to the threshold a kept root records (`_distance`): the ratio test stays finite
_DIST_MIN = 1e-300
#: the first step of the ridge ladder divides lambda by this (`_first_rung`)
_RUNG = 10.0
#: the inputs whose rounding `_moved` probes (`rmt_dsm.scalar._INPUTS`)
_INPUT_NAMES = ("a", "delta", "mu1", "v2", "s2")
_ARRAY_PARAMS = ("psi_n", "psi_p", "m", "t", "lam", "a", "delta")




def _default_threads() -> int:
    """2 where this process may run on two cores or more, 1 with the environment variable
    ``RMT_DSM_THREADS=1``."""
    if os.environ.get("RMT_DSM_THREADS") == "1":
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return 2 if cores >= 2 else 1


#: the C path along many points (`_chained`) certifies on this many threads (1 or 2; the same bits)
_THREADS = _default_threads()


@contextmanager
def one_thread():
    """Within the block, the C path along many points certifies on one thread (worker processes
    that already share the cores: `rmt_dsm.phase.phase_rows`)."""
    global _THREADS
    kept, _THREADS = _THREADS, 1
    try:
        yield
    finally:
        _THREADS = kept


# --------------------------------------------------------------------------- points
def points_for(values: dict, activation, sigma, dps=None) -> list:
    """Validated `rmt_dsm.point.Point` objects, one per entry of the equal-length sequences
    ``values[name]`` (names psi_n, psi_p, m, t, lam, a, delta).

    Each distinct combination of (m, t, lam, a, delta) is validated once by `rmt_dsm.point.point`,
    each distinct ratio once by `rmt_dsm.model.check_ratio`; a ValueError names the argument and
    the position of the bad entry.
    """
    if dps is None:
        try:
            return _points_fast(values, activation, sigma)
        except (ValueError, TypeError):  # the entry-by-entry loop below names the bad entry
            pass
    from .model import check_ratio
    from .point import point

    n = len(values["psi_n"])
    bases, checked, out = {}, set(), []
    for i in range(n):
        try:
            if dps is not None:  # mpmath numbers: every point converted by `point`
                out.append(point(*(values[k][i] for k in ("psi_n", "psi_p", "m", "t", "lam")), activation,
                                 values["a"][i], values["delta"][i], dps, sigma))
                continue
            key = tuple(_hashable(values[k][i]) for k in ("m", "t", "lam", "a", "delta"))
            base = bases.get(key)
            if base is None:
                base = bases[key] = point(1.0, 1.0, *(values[k][i] for k in ("m", "t", "lam")), activation,
                                          values["a"][i], values["delta"][i], None, sigma)
            for name in ("psi_n", "psi_p"):
                if (name, _hashable(values[name][i])) not in checked:
                    check_ratio(name, values[name][i])
                    checked.add((name, _hashable(values[name][i])))
            out.append(replace(base, psi_n=float(values["psi_n"][i]), psi_p=float(values["psi_p"][i])))
        except ValueError as exc:
            raise ValueError(f"{exc} (entry {i})") from None
    return out


def _points_fast(values, activation, sigma):
    """`points_for` in double precision when every entry is hashable and valid (raises otherwise):
    the entries grouped by (m, t, lam, a, delta) and the ratios checked per distinct value, in
    C loops (dict and zip), the points built directly."""
    from .model import check_ratio
    from .point import point

    names = ("psi_n", "psi_p", "m", "t", "lam", "a", "delta")
    if any(bool in set(map(type, values[k])) for k in names):  # True == 1: keep bools apart (refused)
        raise TypeError("a boolean entry")
    rest = list(zip(*(values[k] for k in names[2:])))
    bases = {key: point(1.0, 1.0, *key[:3], activation, key[3], key[4], None, sigma) for key in dict.fromkeys(rest)}
    for name in ("psi_n", "psi_p"):
        distinct = list(dict.fromkeys(values[name]))
        if not _valid_ratios(distinct):
            for v in distinct:
                check_ratio(name, v)
    return [bases[key].at_ratios(float(pn), float(pp)) for pn, pp, key in zip(values["psi_n"], values["psi_p"], rest)]


def _valid_ratios(values) -> bool:
    """True when `rmt_dsm.model.check_ratio` accepts every value because each is a float (or
    numpy.float64) that is positive and finite, checked on an array; False says nothing."""
    if not set(map(type, values)) <= {float, np.float64}:
        return False
    v = np.fromiter(values, float, len(values))
    return bool(((v > 0) & (v < math.inf)).all())  # NaN fails both


def _hashable(v):
    try:
        hash(v)
        return (type(v).__name__, v)
    except TypeError:
        return ("repr", repr(v))


# --------------------------------------------------------------------------- observables
def _error_values(co, args, dg, prm, charts):
    """The five errors [D eq. (6.4), S eq. (5.5)] from the compiled observables ``co`` at
    ``args`` (the unknowns, then the parameters of ``co.args``): Q, X1 and the total derivatives
    of Q by the implicit function theorem, dQ/dtheta = explicit partial + grad . dg/dtheta, in
    the formulas of `rmt_dsm.dsm.observables.error_expressions`; the floor [S eq. (5.6)] from
    the atoms.  ``dg``: {"x", "y", "epsilon": dg/dtheta indexed by unknown, or None where the
    chart needs none}.  Python numbers (``charts``: the chart) or arrays of points (``charts``:
    {chart: mask}, the errors (N, 5) taken from each point's chart)."""
    arrays = isinstance(charts, dict)
    grad = _gradient(co, args, arrays)

    def total(j, d):  # over the three unknowns g_u0, g_u1, g_v
        return 0 if d is None else grad[3 + j] + (grad[0] * d[0] + grad[1] * d[1] + grad[2] * d[2])

    common = (co.X1(*args), total(0, dg["x"]), total(1, dg["y"]), total(2, dg["epsilon"]),
              floor(prm["atoms"], prm["a"], prm["delta"]), prm["delta"], prm["lam"], prm["mu1"], prm["s2"], prm["v2"])
    Q = co.Q(*args)
    if not arrays:
        return list(co.errors[charts](Q, *common))
    out = np.empty(Q.shape + (5,), dtype=Q.dtype)
    zero = 0 * Q
    rows = {ch: co.errors[ch](Q, *common) for ch in charts}
    for k in range(5):
        out[:, k] = np.where(charts["primal"], rows["primal"][k] + zero, rows["dual"][k] + zero)
    return out


def _gradient(co, args, arrays) -> list:
    """[dQ/dg_u0, dQ/dg_u1, dQ/dg_v, dQ/dx, dQ/dy, dQ/deps] from the compiled observables ``co``
    (`rmt_dsm.dsm.numeric.CompiledObservables`) at Python numbers or, with ``arrays``, at
    arrays of points (their matrices evaluated by `rmt_dsm.dsm.numeric.broadcasting`)."""
    if arrays:
        return [*broadcasting(co.dQ_dg)(*args).reshape(3, -1), *broadcasting(co.dQ_dtheta)(*args).reshape(3, -1)]
    return [v for fn in (co.dQ_dg, co.dQ_dtheta) for row in _listing(fn)(*args) for v in row]


@lru_cache(maxsize=None)
def _listing(fn):
    """The generated (or lambdified) numpy function ``fn`` returning a matrix, with its rows as
    lists (``numpy.array`` replaced by the identity): at one point, no array is built; its C
    kernel where there is one (`rmt_dsm.compiled.kernels`)."""
    if "array" not in fn.__globals__:
        return lambda *args: np.asarray(fn(*args)).tolist()
    listed = types.FunctionType(fn.__code__, {**fn.__globals__, "array": _rows}, fn.__name__, fn.__defaults__,
                                fn.__closure__)
    return kernel(fn, python=listed)


def _rows(rows):
    return rows


def _at_floats(fn):
    """The generated (or lambdified) numpy function ``fn`` for Python floats: numpy's square root,
    which returns a numpy scalar (slower in the arithmetic that follows), replaced by
    `math.sqrt` (the same correctly rounded square root, a float)."""
    if fn.__globals__.get("sqrt") is not np.sqrt:
        return fn
    return types.FunctionType(fn.__code__, {**fn.__globals__, "sqrt": math.sqrt}, fn.__name__, fn.__defaults__,
                              fn.__closure__)


def _args(fns, co, g, th):
    """The arguments of the compiled observables: the unknowns, then the parameters named in ``co.args``."""
    names = {s.name: i for i, s in enumerate(fns.theta)}
    return [*g, *[th[names[s.name]] for s in co.args[3:]]]


def _observables(fns, sigma, g, J, th, prm, primal, ok, Je=None, refine=2, inverse=None):
    """The five errors (N, 5) at the roots ``g`` (dtype float64 or EXTENDED) of the points of the
    data spectrum ``sigma`` (`_error_values`), and the mask of the points whose derivatives solved
    (``Je``, ``refine``, ``inverse``: as in `rmt_dsm.engine.batch.derivatives`)."""
    co = numeric_observables("numpy", sigma)
    ix, iy, ie = fns.index("x"), fns.index("y"), fns.index("epsilon")
    dg, ok = derivatives(fns, g, J, th, (ix, iy, ie), ok, Je, refine, inverse)
    with np.errstate(all="ignore"):
        out = _error_values(co, _args(fns, co, g.T, th), {"x": dg[ix].T, "y": dg[iy].T, "epsilon": dg[ie].T}, prm,
                         {"primal": primal, "dual": ~primal})
        ok &= np.isfinite(out.astype(float)).all(axis=1)
    return out, ok


# --------------------------------------------------------------------------- parameters
def _theta(fns, prm, lam, s, dtype):
    """The extended parameter list of the DSM system at ridges ``lam`` (chart of each point)."""
    primal = prm["primal"]
    vals = {**prm["system"], "epsilon": 0.0, "s_h": s,
            "x": np.where(primal, -1.0, lam).astype(dtype), "y": np.where(primal, lam, -1.0).astype(dtype)}
    return [vals[p.name] for p in fns.theta]


def _parameters(points, coefs, dtype):
    """Per-point parameter arrays of the system in ``dtype``; with EXTENDED the ratios, ridge,
    kappa and atoms are read as decimals (`_decimal`, as `rmt_dsm.scalar._refine` reads them at
    30 digits), a, Delta and the coefficients are the double inputs."""
    ext = dtype is EXTENDED
    num = _decimal if ext else float
    col = lambda f, items=points: np.fromiter(map(f, items), dtype=float, count=len(items)).astype(dtype)  # noqa: E731
    doubles = lambda f: np.fromiter(map(f, points), dtype=float, count=len(points))  # noqa: E731
    dec = (lambda f: _decimals(doubles(f))) if ext else col
    m = doubles(_M)
    if ext:  # 1/m divided out in extended precision
        kappa = np.where(m == math.inf, 0.0, 1.0).astype(dtype) / np.where(m == math.inf, 1.0, m).astype(dtype)
    else:  # the point's own kappa (`rmt_dsm.point.Point.kappa`)
        kappa = np.fromiter((float(p.kappa) for p in points), dtype=float, count=len(points))
    out = _fixed_parameters(points[0].sigma, kappa, col(_A), col(_DELTA),
                            *(col(attrgetter(k), coefs) for k in ("mu1", "v2", "s2")), num)
    out["system"].update(psi_n=dec(_PSI_N), psi_p=dec(_PSI_P))
    # a parameter equal at every point (all but psi_p along a psi_p curve) as one number
    out["system"] = {k: v[0] if isinstance(v, np.ndarray) and v.ndim and (v == v[0]).all() else v
                     for k, v in out["system"].items()}
    out.update({k: out["system"][k] for k in _INPUT_NAMES}, lam=dec(_LAM),
               primal=np.fromiter((p.chart == "primal" for p in points), dtype=bool, count=len(points)))
    return out


@lru_cache(maxsize=1024)
def _decimal(v):
    """The number ``v`` read as the decimal it prints as, in EXTENDED (0.1 is 1/10 to 19 digits);
    kept for the last values read (a loop reads the same psi_n and lambda again and again)."""
    return EXTENDED(repr(float(v)))


def _decimals(values) -> np.ndarray:
    """`_decimal` of the doubles ``values`` (an array): each distinct value converted once (along a
    curve all but one parameter are equal)."""
    if (values == values[0]).all():
        return np.full(len(values), _decimal(values[0]), dtype=EXTENDED)
    distinct, where = np.unique(values, return_inverse=True)
    return np.array([repr(v) for v in distinct.tolist()]).astype(EXTENDED)[where.reshape(-1)]


def _fixed_parameters(sigma, kappa, a, delta, mu1, v2, s2, num) -> dict:
    """The parameters of `_parameters` but the ratios, the ridge and the chart: {"system": the
    system's values by name, "atoms": [(w_k, l_k)], and a, delta, mu1, v2, s2} (``num``: a
    spectrum number to the working type)."""
    system = {"kappa": kappa, "a": a, "delta": delta, "mu1": mu1, "v2": v2, "s2": s2}
    # the atom parameters l_k, w_k: from the shipped code's table when there is one (no sympy)
    if entry_for(sigma) is not None:
        system.update(atom_parameter_values(sigma, num))
    else:
        from .dsm.atoms import reduction_for

        system.update(reduction_for(sigma).values(sigma, num))
    return {"system": system, "atoms": [(num(w), num(lk)) for w, lk in zip(sigma.weights, sigma.eigenvalues)],
            **{k: system[k] for k in _INPUT_NAMES}}


def _moved(prm, step):
    """The parameters with the inputs a, Delta, mu1, v2, s2 scaled by 1 + step (`rmt_dsm.scalar._moved`)."""
    system = {**prm["system"]}
    for k in _INPUT_NAMES:
        system[k] = system[k] * (1 + step)
    return {**prm, "system": system, **{k: system[k] for k in _INPUT_NAMES}}


# --------------------------------------------------------------------------- solve
def _first_rung(rate):
    """The first step of the ridge ladder, in its path parameter t (lambda = lam_h e^(t rate)):
    a factor `_RUNG` in lambda (the step of `rmt_dsm.scalar._lam_ladder`), at most half the way."""
    return np.minimum(0.5, math.log(_RUNG) / np.maximum(np.abs(rate), 1e-300))


def _ladder_floor(points):
    """The ridge reached before the final step to lambda = 0: `_FLOOR` times the ridge scale
    distance^2 of the problem (`rmt_dsm.scalar._lam_ladder`), below which the solution is analytic
    in lambda with a radius ~ that scale (the chart is regular at lambda = 0), so that the
    tangent step to 0 lands within ~ `_FLOOR`^2 of the root."""
    return _floor_at(np.fromiter(map(float, map(_THRESHOLD_DISTANCE, points)), float, len(points)))


def _floor_at(dist):
    """`_ladder_floor` at the distances ``dist`` to the threshold (an array)."""
    return _FLOOR * np.minimum(1.0, dist * dist)


def _solve_double(fns, prm, points):
    """Double-precision roots (N, n) at the points' ridges, the mask of those reached, and the
    Newton iterations per point.

    Continuation with dense output, shared along the order of the points (a curve, or the rows
    of a grid).  The points fall into *runs*: consecutive points one path joins (`_breaks`: the
    same chart, every parameter within `_RUN_STEP` relative and the distances to the
    interpolation threshold within a factor `_RUN_RATIO` from one point to the next; there the
    solution varies like a power of that distance).  The first point of a run is solved cold
    (`_heads`); from it the root is followed along the polygon through the run's parameters
    by the adaptive predictor-corrector, whose steps are as long as the solution's
    curvature allows (many points per step where it is smooth, short ones near the threshold):
    run by run on Python numbers (`_follow`), or all the runs at once when there are many
    (`_follow_all`).  Every other point starts Newton (all at once,
    `rmt_dsm.engine.grid._newton`) from the cubic Hermite interpolant of the roots and tangents
    of the path's steps around it (`_dense_starts`, the dense output of the continuation); a
    point whose Newton fails or lands off the physical branch is stepped again from the path on
    Python numbers (`_steps_one_by_one`), then solved cold (`_cold_at`).
    """
    ctx = _context(points[0].sigma)
    N = len(points)
    TH = np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), (N,))
                          for v in _theta(fns, prm, prm["lam"], 1.0, float)])
    g = np.zeros((N, fns.n))
    its = np.zeros(N, dtype=int)
    ok = np.zeros(N, dtype=bool)
    breaks = _breaks(np.array([_distance(p) for p in points]), TH).tolist()
    runs = list(zip([0, *breaks], [*breaks, N]))
    states = _States()
    heads = _heads(fns, prm, points, ctx, TH, [a for a, _ in runs])
    if sum(b - a > 1 for a, b in runs) <= _FEW_RUNS:  # run by run (a new head where a path stalls)
        for a, b in runs:
            while a < b:
                found = heads.pop(a, None) or _head(ctx, points[a], TH[a].tolist())
                if found is None:  # no root at the head: the next point heads the rest of the run
                    a += 1
                    continue
                g[a], ok[a], its[a] = found[0], True, found[3]
                a = _follow(ctx, found[0], found[2], TH[a:b], a, states) + 1
    else:
        for a, _ in runs:
            found = heads.get(a) or _head(ctx, points[a], TH[a].tolist())
            if found is not None:
                g[a], ok[a], its[a] = found[0], True, found[3]
        _follow_all(fns, TH, [(a, b) for a, b in runs if ok[a]], g, states)
    states = states.arrays()
    idx = np.flatnonzero(~ok & _covered(states, N))
    if idx.size:
        start = _dense_starts(states, idx)
        th_idx = [col[idx] if (col != col[0]).any() else float(col[0]) for col in TH.T]
        gi, conv, itn, _ = _newton(fns, start, th_idx, np.isfinite(start).all(axis=1), np.zeros(idx.size, dtype=bool))
        conv &= _branch_ok(gi.T, th_idx[ctx.i_x], th_idx[ctx.i_y])
        g[idx], ok[idx], its[idx] = gi, conv, itn
    left = np.flatnonzero(~ok)
    if 0 < left.size <= _FEW_COLD:  # a few points left: stepped again from the path, one by one
        g[left], ok[left], its[left] = _steps_one_by_one(ctx, points, TH, states, left)
    left = np.flatnonzero(~ok)
    if left.size:
        g[left], ok[left], its[left] = _cold_at(fns, prm, points, left)
    return g, ok, its


def _breaks(dist, TH):
    """The points (indices) that start a new path of `_solve_double`: where the path does not go
    on from the point before (the distances to the threshold ``dist`` differ by more than a factor
    `_RUN_RATIO`, or a parameter (a column of ``TH``) moves by more than `_RUN_STEP` relative;
    lambda = 0 stays 0).  A change of chart is always a break: x and y trade -1 for lambda [D§5.2]."""
    a, b = TH[:-1], TH[1:]
    with np.errstate(all="ignore"):
        small = ((a == b) | ((a != 0) & (np.abs(b / a - 1) <= _RUN_STEP))).all(axis=1)
    near = np.maximum(dist[1:] / dist[:-1], dist[:-1] / dist[1:]) <= _RUN_RATIO
    return np.flatnonzero(~(near & small)) + 1


def _heads(fns, prm, points, ctx, TH, idx) -> dict:
    """The roots (g, F, J, iterations) at the heads ``idx`` of the runs, by index: all at once
    (`_solve_cold`) when they are more than `_FEW_COLD` (the vectorized ladder costs its ~30
    rounds whatever the number of points), else none (`_head` solves each one when its turn comes)."""
    if len(idx) <= _FEW_COLD:
        return {}
    gc, okc, itc = _cold_at(fns, prm, points, np.array(idx))
    out = {}
    for i, gi, o, it in zip(idx, gc.tolist(), okc, itc.tolist()):
        th = TH[i].tolist()
        if o:
            try:
                gi, f, J, its = single.newton(ctx.c, gi, th)
            except single.Failed:
                continue
            if _branch_ok(gi, th[ctx.i_x], th[ctx.i_y]):
                out[i] = (gi, f, J, it + its)
    return out


def _head(ctx, pt, th):
    """The root (g, F, J, iterations) at the point by the cold continuation (`_cold_root`) on
    Python numbers, or None (no root on the physical branch)."""
    try:
        found = _cold_root(ctx.c, ctx, pt, th, ctx.i_y if pt.chart == "primal" else ctx.i_x, float(pt.lam))
    except (ArithmeticError, ValueError):  # Failed, or a division by zero on the way
        return None
    return found if _branch_ok(found[0], th[ctx.i_x], th[ctx.i_y]) else None


class _States:
    """The roots on the paths of `_solve_double`: position u along the points (point k at
    u = k), the first point of the path's run, the root g and the tangent dg/du."""

    def __init__(self):
        self.u, self.run, self.g, self.tangent = [], [], [], []

    def add(self, u, run, g, tangent):
        self.u.append(u)
        self.run.append(run)
        self.g.append(g)
        self.tangent.append(tangent)

    def arrays(self) -> dict:
        """The states sorted by position, as arrays ``u``, ``run``, ``g`` (K, n) and ``tangent`` (K, n)."""
        if not self.u:
            return {"u": np.zeros(0), "run": np.zeros(0, dtype=int), "g": np.zeros((0, 0)), "tangent": np.zeros((0, 0))}
        u = np.concatenate([np.atleast_1d(np.asarray(v, dtype=float)) for v in self.u])
        order = np.argsort(u, kind="stable")
        stack = lambda vs: np.concatenate([np.asarray(v, dtype=float).reshape(-1, np.shape(v)[-1]) for v in vs])  # noqa: E731
        return {"u": u[order], "run": np.concatenate([np.atleast_1d(v) for v in self.run]).astype(int)[order],
                "g": stack(self.g)[order], "tangent": stack(self.tangent)[order]}


def _directions(TH):
    """dtheta/du along the segments of the polygon through the rows of ``TH`` (point k at u = k)."""
    return TH[1:] - TH[:-1]


def _on_polygon(TH, D, u, last):
    """The points at the positions ``u`` (an array) of the polygon through the rows of ``TH``
    (point k at u = k; ``D``: `_directions`), on the segments before the points ``last``: the row
    itself at a whole u, so that a path's states and later steps from them see the same
    parameters.  `_follow` computes the same on Python numbers, for one path.

    >>> TH = np.array([[0.0, 1.0], [0.1, 1.0], [0.3, 2.0]])
    >>> _on_polygon(TH, _directions(TH), np.array([0.5, 2.0, 1.0]), np.array([2, 2, 1]))
    array([[0.05, 1.  ],
           [0.3 , 2.  ],
           [0.1 , 1.  ]])
    """
    whole = u == np.floor(u)
    th = TH[np.where(whole, u, 0).astype(int)]
    part = ~whole  # strictly inside a segment: there is one
    if part.any():
        seg = np.minimum(np.floor(u[part]).astype(int), last[part] - 1)
        th[part] = TH[seg] + (u[part] - seg)[:, None] * D[seg]
    return th


def _follow(ctx, g0, J0, TH, offset, states) -> int:
    """Follow the root ``g0`` (Jacobian ``J0``) at ``TH[0]`` along the polygon through the rows
    of ``TH`` by `rmt_dsm.engine.single.track` on Python numbers (first step `_first_step`, steps
    of at most `_RUN_SPAN` points), adding the start and the accepted steps to ``states``
    (`_States`).  Returns the last point (offset + index) the path reached:
    ``offset + len(TH) - 1`` unless it stalled."""
    last = len(TH) - 1
    if not last:
        states.add(float(offset), offset, g0, [0.0] * len(g0))
        return offset
    D = _directions(TH)
    rows, dirs = {}, {}

    def row(k):
        if k not in rows:
            rows[k] = TH[k].tolist()
        return rows[k]

    def direction(seg):  # {k: dtheta_k/du} along the segment from point seg
        if seg not in dirs:
            dirs[seg] = {k: d for k, d in enumerate(D[seg].tolist()) if d}
        return dirs[seg]

    def path(t):  # t = u / last
        u = t * last
        seg = min(int(u), last - 1)
        dth = {k: d * last for k, d in direction(seg).items()}
        if u == seg:
            return row(seg), dth
        if t >= 1:
            return row(last), dth
        out = row(seg).copy()
        for k, d in direction(seg).items():
            out[k] += (u - seg) * d
        return out, dth

    steps = []
    try:
        single.track(ctx.c, g0, path, _first_step(TH[0], D[0]) / last, hmin=_RUN_HMIN / last, J=J0,
                     hmax=_RUN_SPAN / last, record=steps)
    except (ArithmeticError, ValueError):  # Failed, or a division by zero on the way: the steps so far
        pass
    for t, g, J, tangent in steps:
        u = t * last
        if tangent is None:  # the last root of a path that ran out of steps: dg/du along its segment
            seg = min(int(u), last - 1)
            tangent = single.derivative_along(ctx.c, g, J, path(t)[0], direction(seg))
        else:
            tangent = [v / last for v in tangent]
        states.add(offset + u, offset, g, tangent)
    return offset + int(steps[-1][0] * last) if steps else offset


def _first_step(th, d) -> float:
    """The first step of a path, in points: `_WARM_STEP` relative in the parameters ``th``
    moving at ``d`` per point, at least one point, at most `_RUN_SPAN`."""
    with np.errstate(all="ignore"):
        rel = np.abs(d[th != 0] / th[th != 0])
    fastest = rel.max() if rel.size else 0.0
    return min(max(_WARM_STEP / fastest if fastest > 0 else _RUN_SPAN, 1.0), _RUN_SPAN)


def _follow_all(fns, TH, runs, g, states):
    """`_follow` for many runs at once (`rmt_dsm.engine.batch.track`, one path per run, from the
    roots ``g`` at their heads): each round costs about as much whatever the number of paths."""
    runs = [(a, b) for a, b in runs if b - a > 1]  # a run of one point is its head
    if not runs:
        return
    heads = np.array([a for a, _ in runs], dtype=int)
    ends = np.array([b - 1 for _, b in runs], dtype=int)
    last = (ends - heads).astype(float)
    D = _directions(TH)
    moving = [k for k in range(TH.shape[1]) if (D[:, k] != 0).any()]

    def path(t, idx):
        u = heads[idx] + t * last[idx]
        seg = np.minimum(np.floor(u).astype(int), ends[idx] - 1)
        return list(_on_polygon(TH, D, u, ends[idx]).T), {k: D[seg, k] * last[idx] for k in moving}

    def record(idx, t, gi, tan):
        states.add(heads[idx] + t * last[idx], heads[idx], gi, tan / last[idx][:, None])

    first = np.array([_first_step(TH[a], D[a]) for a in heads.tolist()])
    track(fns, g[heads], path, np.ones(len(runs), dtype=bool), first / last, hmin=_RUN_HMIN / last,
          hmax=_RUN_SPAN / last, record=record)


def _covered(states, N):
    """The mask of the points between the first and the last state of a run (the roots of its path)."""
    out = np.zeros(N, dtype=bool)
    last = np.full(N, -1.0)
    np.maximum.at(last, states["run"], states["u"])
    for a in np.flatnonzero(last >= 0).tolist():
        out[a:int(last[a]) + 1] = True
    return out


def _dense_starts(states, idx):
    """Starts (len(idx), n) at the points ``idx``: the cubic Hermite interpolant, in the position
    u along the points, of the roots g and tangents dg/du of the two states of the path around
    each point (``states``: `_States.arrays`; the tangent of a state is taken along the segment
    after it: where the polygon turns at a point, the start is a little worse, which Newton
    corrects) -- the dense output of the continuation."""
    pos, G, D = states["u"], states["g"], states["tangent"]
    k0 = np.searchsorted(pos, idx, side="right") - 1
    k1 = np.minimum(k0 + 1, len(pos) - 1)  # a point of a run lies between two of its states, or at its last
    k1 = np.where(pos[k1] > pos[k0], k1, k0)
    h = pos[k1] - pos[k0]
    s = np.where(h > 0, (idx - pos[k0]) / np.where(h > 0, h, 1), 0.0)[:, None]
    h = h[:, None]
    # the cubic Hermite basis on [0, 1]
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * G[k0] + h10 * h * D[k0] + h01 * G[k1] + h11 * h * D[k1]


def _steps_one_by_one(ctx, points, TH, states, idx):
    """For the few points ``idx`` whose Newton from the dense output failed: a continuation step
    (`_segment_step`) from the state of the path before the point (its run's), on Python numbers,
    then the cold solve (`_head`).  Returns (roots, ok, iterations)."""
    g = np.zeros((len(idx), ctx.fns.n))
    ok = np.zeros(len(idx), dtype=bool)
    its = np.zeros(len(idx), dtype=int)
    pos, run = states["u"], states["run"]
    before = np.searchsorted(pos, idx, side="right") - 1  # the state of the path before each point (-1: none)
    starts = _on_polygon(TH, _directions(TH), pos[before], np.full(len(idx), len(TH) - 1)) if len(pos) else None
    for j, (i, k) in enumerate(zip(idx.tolist(), before.tolist())):
        th = TH[i].tolist()
        found = None
        if k >= 0 and run[k] <= i:
            found = _segment_step(ctx.c, starts[j].tolist(), states["g"][k].tolist(), None, th)
            if found is not None and not _branch_ok(found[0], th[ctx.i_x], th[ctx.i_y]):
                found = None
        found = found or _head(ctx, points[i], th)
        if found is not None:
            g[j], ok[j], its[j] = found[0], True, found[3]
    return g, ok, its


def _cold_at(fns, prm, points, idx):
    """`_solve_cold` at the points ``idx`` of the parameters ``prm``."""
    if not len(idx):
        return np.zeros((0, fns.n)), np.zeros(0, dtype=bool), np.zeros(0, dtype=int)
    sub = {"system": {k: _at(v, idx) for k, v in prm["system"].items()}, "primal": prm["primal"][idx],
           "lam": prm["lam"][idx]}
    return _solve_cold(fns, sub, [points[i] for i in idx])


def _distance(pt) -> float:
    """The point's distance to the interpolation threshold (`rmt_dsm.point.Point.threshold_distance`), > 0."""
    return max(float(pt.threshold_distance), _DIST_MIN)


def _comparable(d0, d1, ratio=_DIST_RATIO) -> bool:
    """Whether two distances to the threshold are within a factor ``ratio``: there the solution,
    which varies like a power of that distance, is a short straight continuation step away."""
    return max(d0 / d1, d1 / d0) <= ratio


def _at(v, idx):
    return v[idx] if isinstance(v, np.ndarray) and v.ndim else v


def _solve_cold(fns, prm, points):
    """Roots by the continuation of `rmt_dsm.scalar._solve` from the homotopy at lam_h = max(lam, 1)."""
    N = len(points)
    lam = prm["lam"]
    lam_h = np.maximum(lam, _LAM_START)
    ok = np.ones(N, dtype=bool)
    with np.errstate(all="ignore"):
        g0 = -fns.F(np.zeros((N, fns.n)), _theta(fns, prm, lam_h, 0.0, float))
        g, ok, its = track(fns, g0, lambda t, idx: (_sub(fns, prm, idx, lam_h[idx], t), {-1: np.ones(idx.size)}),
                           ok, h0=1.0, exact_end=lam == lam_h)
        lam_end = np.where(lam > 0, lam, _ladder_floor(points))
        down = ok & (lam < lam_h)
        if down.any():
            rate = np.log(lam_end / lam_h)

            def ladder(t, idx):
                lt = lam_h[idx] * np.exp(t * rate[idx])
                return _sub(fns, prm, idx, lt, 1.0), _ridge_rates(fns, prm, idx, lt * rate[idx])

            g, ok2, its2 = track(fns, g, ladder, down, h0=_first_rung(rate), exact_end=lam > 0, log_predictor=True)
            ok &= ok2 | ~down
            its += its2
        zero = ok & (lam == 0)
        if zero.any():
            def last(t, idx):
                lt = lam_end[idx] * (1 - t)
                return _sub(fns, prm, idx, lt, 1.0), _ridge_rates(fns, prm, idx, -lam_end[idx] + 0 * t)

            g, ok3, its3 = track(fns, g, last, zero, h0=1.0)
            ok &= ok3 | ~zero
            its += its3
    return g, ok, its


def _sub(fns, prm, idx, lam, s):
    """Parameter list restricted to the points ``idx`` at ridges ``lam`` and homotopy parameter s."""
    sub = {"system": {k: _at(v, idx) for k, v in prm["system"].items()}, "primal": prm["primal"][idx]}
    return _theta(fns, sub, lam, s, float)


def _ridge_rates(fns, prm, idx, dlam):
    """{index of x: dx/dt, index of y: dy/dt} when lambda moves at rate ``dlam`` in each point's chart."""
    primal = prm["primal"][idx]
    return {fns.index("x"): np.where(primal, 0.0, dlam), fns.index("y"): np.where(primal, dlam, 0.0)}


def _branch_ok(g, x, y, tol=None):
    """The physical-branch conditions of `rmt_dsm.dsm.system.physical_branch` [D§5.2] at every point:
    x g_u and y g_v in [0, 1], and g_u, g_v of the signs of -y, -x.  ``g``: the unknowns
    (g_u0, g_u1, g_v), each an array over the points (and x, y arrays or numbers; a mask), or
    each a number at one point (a bool)."""
    tol = _BRANCH_TOL if tol is None else tol
    ok = True
    for v in g:  # finite (NaN fails the comparison)
        ok = ok & (abs(v) < math.inf)
    for j, other, scale in ((0, y, x), (1, y, x), (2, x, y)):
        v = g[j]
        w = scale * v
        ok = ok & (-v * other >= -tol * (1 + abs(v))) & (w >= -tol) & (w <= 1 + tol)
    return ok


def _batch(points, coefs):
    """The batched path at points of one data spectrum: (values, accuracy, residual, iterations, ok)."""
    sigma = points[0].sigma
    fns = batch_functions(numeric_system(sigma))  # shipped generated code where there is some (no sympy)
    p64 = _parameters(points, coefs, float)
    g, ok, its = _solve_double(fns, p64, points)
    th64 = _theta(fns, p64, p64["lam"], 1.0, float)
    with np.errstate(all="ignore"):
        F, J = fns.evaluate(g, th64)
        residual = _norm(F)
        ok &= _branch_ok(g.T, th64[fns.index("x")], th64[fns.index("y")])
        inv, ok = _inverse(J, ok)  # every solve with J below: a product
        v64, ok = _observables(fns, sigma, g, J, th64, p64, p64["primal"], ok, Je=J, inverse=inv)
        # the extended-precision evaluation
        pld = _parameters(points, coefs, EXTENDED)
        thld = _theta(fns, pld, pld["lam"], EXTENDED(1), EXTENDED)
        gld, ok, _ = polish(fns, g, J, thld, ok, inverse=inv)
        vld, ok = _observables(fns, sigma, gld, J, thld, pld, pld["primal"], ok, inverse=inv)
        # the sensitivity to the double inputs (`rmt_dsm.scalar._refine`): derivatives without
        # refinement suffice for a difference of relative size _STEP_DOUBLE (as `_one`)
        moved = _moved(p64, _STEP_DOUBLE)
        thm = _theta(fns, moved, p64["lam"], 1.0, float)
        gm, okm, itm, Jm = _moved_roots(fns, g, inv, thm, ok)
        ok &= okm
        vm, ok = _observables(fns, sigma, gm, Jm, thm, moved, p64["primal"], ok, refine=0)
        values = vld.astype(float)
        mag = np.abs(values)
        rounding = np.maximum(_EXTENDED_ROUNDING * np.abs((v64 - vld).astype(float)),
                              np.stack(_least_rounding(*values.T), axis=1))
        sens = np.abs(vm - v64) / _STEP_DOUBLE * _INPUT_REL
        accuracy = np.where(mag > 0, (rounding + sens + _EPS * mag) / np.where(mag > 0, mag, 1), 0.0)
        ok &= (rounding <= BATCH_RELATIVE * mag).all(axis=1)
    return values, accuracy, residual, its + itm, ok


def _moved_roots(fns, g, inverse, th, ok):
    """`_moved_root` at every point: Newton (full tolerance) from one chord step off the roots
    ``g`` (``inverse``: the inverses of their Jacobians) to the moved inputs ``th``.  Returns
    (roots, ok, iterations, Jacobians)."""
    dx, solved = _apply(inverse, -fns.F(g, th), ok)
    start = np.where(solved[:, None], g + dx, g)
    gm, okm, its, Jm = _newton(fns, start, th, ok.copy(), np.zeros(len(g), dtype=bool), maxit=20)
    return gm, okm, its + 1, Jm


# --------------------------------------------------------------------------- one point
def _least_rounding(train, test, score, gap, floor) -> list:
    """The least rounding error of the extended evaluation of each error (numbers, or arrays over
    the points): for the differences score = test - floor and gap = test - train [D eq. (6.4)],
    eps_ext (|minuend| + |subtrahend|), the rounding of their terms (whose cancellation
    `rmt_dsm.scalar._cancelled_digits` counts), 0 for the others.  It bounds the estimate from the
    double-extended difference from below where that difference says nothing: when a difference
    cancels all the digits of both evaluations alike (e.g. the gap ~ a^4 at m = inf and large t,
    0 in both), the point is left to the scalar path, which raises the precision."""
    zero = 0 * train
    return [zero, zero, EXTENDED_EPS * (abs(test) + abs(floor)), EXTENDED_EPS * (abs(test) + abs(train)), zero]


def _one(pt, coef, compiled=True):
    """`_batch` for one point on Python numbers (`rmt_dsm.engine.single`): the same stages, the
    same certificate.  Returns (values, accuracy, residual, iterations); raises
    `rmt_dsm.engine.single.Failed` where `_batch` would flag the point.

    The root comes from a continuation step from a root kept by an earlier call (`_warm_root`)
    when one is close enough, else from the cold continuation (`_cold_root`).  Where the C
    kernels are built, the same operations run in C (`_one_compiled`: the same bits) unless
    ``compiled`` is False; the Python path below decides wherever that one hands over."""
    ctx = _context(pt.sigma)
    primal = pt.chart == "primal"
    if compiled and ctx.one is not None:
        out = _one_compiled(ctx, pt, coef, primal)
        if out is not None:
            return out
    c = ctx.c
    k_lam = ctx.i_y if primal else ctx.i_x
    (th64, p64), (thld, pld), (thm, moved) = _one_parameters(ctx, pt, coef, k_lam)
    lam = th64[k_lam]
    key = (id(c), pt.sigma, *_SCHEDULE(pt), pt.m, primal, lam == 0)
    found = _warm_root(c, key, pt, th64)
    if found is None or not _branch_ok(found[0], th64[ctx.i_x], th64[ctx.i_y]):
        found = _cold_root(c, ctx, pt, th64, k_lam, lam)
        if not _branch_ok(found[0], th64[ctx.i_x], th64[ctx.i_y]):
            raise single.Failed("not the physical branch")
    g, f, J, its = found
    solve = single.solver(J)  # J factored once: derivatives, polish, extended derivatives
    v64 = _observables_one(ctx, g, J, th64, p64, primal, Je=J, solve=solve)
    gld, Jld = single.polish(c, g, J, thld, solve=solve)
    vld = _observables_one(ctx, gld, J, thld, pld, primal, Je=Jld, solve=solve)
    # the sensitivity to the double inputs (`rmt_dsm.scalar._refine`): derivatives without
    # refinement suffice for a difference of relative size _STEP_DOUBLE
    gm, Jm, itm = _moved_root(c, g, solve, thm)
    vm = _observables_one(ctx, gm, Jm, thm, moved, primal, refine=0)
    values = [float(b) for b in vld]
    accuracy = []
    for a, b, w, r, v in zip(v64, vld, vm, _least_rounding(*values), values):
        rounding = max(_EXTENDED_ROUNDING * abs(float(a - b)), r)
        if not math.isfinite(v) or rounding > BATCH_RELATIVE * abs(v):
            raise single.Failed("not certified")
        accuracy.append(0.0 if v == 0 else (rounding + abs(w - a) / _STEP_DOUBLE * _INPUT_REL + _EPS * abs(v)) / abs(v))
    _keep_root(key, pt, (th64, g, J, solve))
    return values, accuracy, single._norm(f), its + itm


def _one_compiled(ctx, pt, coef, primal):
    """`_one` by its C translation (``ctx.one``: `rmt_dsm.compiled.kernels.one_point`, the same
    operations on C doubles and long doubles), the cold continuation `_cold_root` included.
    None where the C path hands over (a floating-point exception, a stage that fails, a value
    not certified): then the Python path of `_one` runs from the start and decides."""
    tpl = _one_template(ctx, pt, coef)
    lam = float(pt.lam)
    key = (id(ctx.c), pt.sigma, *_SCHEDULE(pt), pt.m, primal, lam == 0)
    args = (*tpl.packed, float(pt.psi_n), float(pt.psi_p), lam, _decimal(pt.psi_n), _decimal(pt.psi_p),
            _decimal(pt.lam), primal)
    best = _nearest_root(key, pt)
    res = False if best is None else ctx.one(*args, _packed_start(best[4]), -1)
    if res is False:  # cold (`_cold_root`), from the ladder's floor at lambda = 0 (`_ladder_floor`)
        res = ctx.one(*args, _ladder_floor([pt]).tobytes(), -2)
    if res is None:
        return None
    values, accuracy, residual, its, kept = res
    _keep_root(key, pt, kept)
    return values, accuracy, residual, its


def _chained(ctx, pts, coefs) -> list:
    """`_one_or_none` at each point, in order, as a loop of calls solves them (each point from the
    nearest root the calls before it kept, its root kept for the next: `_WARM`), by the C path
    along the points (`rmt_dsm.compiled.kernels.chain`, one call per run of points of one
    schedule and m: `_chain_run`): the same rows, the same bits, the same kept roots."""
    rows = []
    keys = [(*_SCHEDULE(pt), pt.m) for pt in pts]
    start = 0
    for end in range(1, len(pts) + 1):
        if end == len(pts) or keys[end] != keys[start]:
            run = pts[start:end]
            ratios = (np.fromiter(map(get, run), float, len(run)) for get in (_PSI_N, _PSI_P, _LAM))
            out, handed, _ = _chain_run(ctx, run[0], coefs[start], *ratios, run.__getitem__)
            values, accuracy = out[:, :5].tolist(), out[:, 5:10].tolist()
            rows += zip(values, accuracy, out[:, 10].tolist(), out[:, 11].astype(int).tolist())
            for i, row in handed.items():
                rows[start + i] = row
            start = end
    return rows


def _chain_run(ctx, pt0, coef, pn, pp, lam, point_at) -> tuple:
    """`_chained` along points of the schedule and m of the point ``pt0`` at the ratios and ridges
    ``pn``, ``pp``, ``lam`` (arrays).  Returns (the N x 12 array of `rmt_dsm.compiled.kernels.chain`:
    values, accuracy, residual, iterations of each point; {i: the row of a point the C path handed
    back}; primal: a list of bools).  The chain stops at every point the C path hands back
    (`_one_compiled`); the Python path solves it (``point_at(i)``: the point i; it may keep its
    root; the row is None where it fails) and the chain goes on from the next point."""
    N = len(pn)
    primal, dist = _chart_and_distance(pn, pp, pt0.m)
    points = np.stack([pn, pp, lam, np.maximum(dist, _DIST_MIN), _floor_at(dist), primal.astype(float)],
                      axis=1)  # `_distance`, `_ladder_floor`
    base = (id(ctx.c), pt0.sigma, *_SCHEDULE(pt0), pt0.m)
    keys = [(*base, chart, zero) for chart in (False, True) for zero in (False, True)]  # 2 primal + (lam == 0)
    packed = _one_template(ctx, pt0, coef).packed
    out = np.empty((N, 12))
    handed = {}
    i = 0
    while i < N:
        stores = tuple([(*root[:4], _packed_start(root[4])) for root in _WARM.get(key, ())] for key in keys)
        stop, stores = kernels_chain(ctx.one, *packed, points, stores, i, out, _THREADS)
        for key, kept in zip(keys, stores):
            if kept:
                _store(key)[:] = kept
        if stop < N:  # handed back: the Python path decides
            handed[stop] = _one_or_none(point_at(stop), coef, compiled=False)
        i = stop + 1
    return out, handed, primal.tolist()


def errors_for(values: dict, activation, sigma) -> list:
    """``errors_at_points(points_for(values, activation, sigma))`` in double precision: the same
    results, and where only the ratios vary (one m, t, lambda, a, Delta), the C path along them
    (`_chain_run`) without building a point per entry (`_along_ratios`)."""
    fast = _along_ratios(values, activation, sigma)
    return fast if fast is not None else errors_at_points(points_for(values, activation, sigma))


def _along_ratios(values, activation, sigma):
    """`errors_for` along the ratios: None where it does not apply (a parameter but the ratios
    varies, a ratio `_valid_ratios` does not accept, a few points, a data spectrum without the C
    path or continuous: `errors_for` then builds the points)."""
    from .point import point

    N = len(values["psi_n"])
    rest = [values[k] for k in ("m", "t", "lam", "a", "delta")]
    if N <= _FEW_POINTS or not _CHAIN or any(v.count(v[0]) != N for v in rest) or any(
            bool in set(map(type, v)) for v in rest) or not all(
            _valid_ratios(list(dict.fromkeys(values[k]))) for k in ("psi_n", "psi_p")):
        return None
    base = point(1.0, 1.0, *(v[0] for v in rest[:3]), activation, rest[3][0], rest[4][0], None, sigma)
    ctx = _context(base.sigma)
    if ctx.one is None or base.sigma.refined() is not None:
        return None
    pn, pp = (np.fromiter(values[k], float, N) for k in ("psi_n", "psi_p"))
    lam = np.full(N, float(base.lam))
    idx = np.flatnonzero(~_on_threshold(pn, pp, base.m, lam))
    ratios = list(zip(pn.tolist(), pp.tolist()))

    def point_at(i):
        return base.at_ratios(*ratios[i])

    coef = _coefficients(base)
    table, handed, primal = _chain_run(ctx, base, coef, pn[idx], pp[idx], lam[idx], lambda j: point_at(idx[j]))
    charts = np.where(primal, 1, 2).astype(np.uint8)  # 0: no row (the scalar path below)
    for j, row in handed.items():
        if row is None:
            charts[j] = 0
        else:
            table[j, :5], table[j, 5:10], table[j, 10], table[j, 11] = row
    # `_results` with one base point: the `_double_result` of each row, built in C
    template = {**base.__dict__, "sigma": _described(base.sigma, base.sigma.label)}
    results = kernels_records(Errors, template, table, np.stack([pn[idx], pp[idx]], axis=1), charts, coef)
    out = [None] * N
    for i, res in zip(idx.tolist(), results):
        out[i] = res
    for j in np.flatnonzero((table[:, 5:10].max(axis=1) > WARN_RELATIVE) & (charts > 0)).tolist():
        _warn_precision(results[j])
    return _by_scalar_path(out, point_at)


def _one_parameters(ctx, pt, coef, k_lam) -> list:
    """The parameter lists of `_one` at the point, each with the parameters of `_error_values`:
    in double; in EXTENDED (ratios and ridge read as decimals, `_parameters`); in double at the
    inputs moved by `rmt_dsm.scalar._STEP_DOUBLE` (`_moved`).  Each is a copy of a template of
    the point's data spectrum, schedule and m (`_one_template`, kept by the context) with the
    ratios and the ridge (entry ``k_lam``) set."""
    out = []
    for (base, prm), num in zip(_one_template(ctx, pt, coef).lists, (float, _decimal, float)):
        th = base.copy()
        th[ctx.i_pn], th[ctx.i_pp], th[k_lam] = num(pt.psi_n), num(pt.psi_p), num(pt.lam)
        out.append((th, {**prm, "lam": th[k_lam]}))
    return out


@dataclass(frozen=True)
class _Template:
    """The parameters of `_one` at a data spectrum, schedule and m, but the ratios and the ridge.

    ``lists``: [(parameter list, parameters of `_error_values` but lambda)] in double, in EXTENDED
    and in double at the moved inputs, at s = 1 and epsilon = 0, with x = y = -1 and the ratios 0
    (set by `_one_parameters`); a, Delta and the coefficients are the double inputs, kappa and the
    atoms are read as decimals in EXTENDED (as `_parameters`).  ``packed``: the same for the C
    path (`_one_compiled`), each list followed by (F_pop, delta, mu1, s2, v2), as bytes of doubles,
    long doubles and doubles."""

    lists: list
    packed: tuple


def _one_template(ctx, pt, coef) -> _Template:
    """The `_Template` of the point, kept by the context."""
    key = (pt.sigma, *_SCHEDULE(pt), pt.m)
    tpl = ctx.templates.get(key)
    if tpl is not None:
        return tpl
    if len(ctx.templates) >= _COEFFICIENTS_KEPT:
        ctx.templates.clear()
    inputs = [getattr(coef, k) for k in ("mu1", "v2", "s2")]
    p64 = _fixed_parameters(pt.sigma, float(pt.kappa), float(pt.a), float(pt.delta), *map(float, inputs), float)
    kappa = EXTENDED(0) if pt.m == math.inf else EXTENDED(1) / EXTENDED(pt.m)  # 1/m divided out in EXTENDED
    pld = _fixed_parameters(pt.sigma, kappa, EXTENDED(pt.a), EXTENDED(pt.delta), *map(EXTENDED, inputs), _decimal)
    lists, packed = [], []
    for prm, s, dtype in ((p64, 1.0, float), (pld, EXTENDED(1), EXTENDED), (_moved(p64, _STEP_DOUBLE), 1.0, float)):
        vals = {**prm["system"], "psi_n": 0.0, "psi_p": 0.0, "epsilon": 0.0, "s_h": s, "x": -1.0, "y": -1.0}
        base = [vals[n] for n in ctx.names]
        lists.append((base, {k: prm[k] for k in ("atoms", *_INPUT_NAMES)}))
        extra = [floor(prm["atoms"], prm["a"], prm["delta"]), *(prm[k] for k in ("delta", "mu1", "s2", "v2"))]
        packed.append(np.array([*base, *extra], dtype=dtype).tobytes())
    tpl = ctx.templates[key] = _Template(lists, tuple(packed))
    return tpl


def _moved_root(c, g, solve, th):
    """The root at the moved inputs ``th`` (to the full tolerance, as `rmt_dsm.scalar._refine`):
    Newton from one chord step g - J^{-1} F(g; th) off the root ``g`` at the inputs (``solve``:
    its factored Jacobian; the step leaves an error ~ the square of the move).  Returns (root,
    its Jacobian, iterations).

    (Stopping after one Newton step and taking the Jacobian at the chord point, one evaluation
    of (F, J) fewer, moved ``accuracy`` by up to 7 % within 1e-3 of the interpolation threshold:
    the difference of `_one` cancels there, and the Jacobian at the root is kept.)"""
    try:
        gm, _, J, its = single.newton(c, [a - b for a, b in zip(g, solve(c.f(*g, *th)))], th, maxit=_MOVED_MAXIT)
    except (ArithmeticError, ValueError):  # Failed, or a division by zero at the chord step
        gm, _, J, its = single.newton(c, g, th, maxit=_MOVED_MAXIT)
    return gm, J, its + 1


@dataclass(frozen=True)
class _Context:
    """The compiled functions of a data spectrum's system for `_one`, and the positions of the
    parameters it sets."""

    c: object      # `rmt_dsm.engine.backends.Compiled` (numpy)
    co: object     # `rmt_dsm.dsm.numeric.CompiledObservables` (numpy) for EXTENDED scalars
    co64: object   # ... the same at Python floats (`_at_floats`)
    fns: object    # `rmt_dsm.engine.batch.BatchFunctions`
    names: tuple   # the extended parameter list's names
    i_x: int
    i_y: int
    i_s: int
    i_eps: int
    i_pn: int      # the positions of psi_n and psi_p
    i_pp: int
    obs_of: object  # the observables' parameters (`_args`) from the parameter list (`operator.itemgetter`)
    #: `_one` in C (`rmt_dsm.compiled.kernels.one_point`), None where the kernels are not built
    one: object = None
    #: the `_Template` of `_one` by data spectrum, schedule and m
    templates: dict = field(default_factory=dict, compare=False)

    def theta(self, base, k_lam, lam, s) -> list:
        """``base`` at the ridge ``lam`` (entry ``k_lam``: y in the primal, x in the dual chart) and homotopy s."""
        out = base.copy()
        out[k_lam], out[self.i_s] = lam, s
        return out


#: the `_Context` of each pair (system, observables) by their identities (the context holds them)
_CONTEXTS: dict = {}


def _context(sigma) -> _Context:
    """The `_Context` of the data spectrum ``sigma``: of its system and observables as
    `rmt_dsm.dsm.numeric` gives them now (shipped generated code where there is some, no sympy),
    kept by their identities."""
    system, co = numeric_system(sigma), numeric_observables("numpy", sigma)
    ctx = _CONTEXTS.get((id(system), id(co)))
    if ctx is None:
        fns = batch_functions(system)
        if len(_CONTEXTS) >= _COEFFICIENTS_KEPT:
            _CONTEXTS.clear()
        names = tuple(p.name for p in fns.theta)
        obs_at = tuple(names.index(s.name) for s in co.args[3:])
        # at Python floats (math.sqrt) and in EXTENDED, each by its C kernel where there is one
        # (`rmt_dsm.compiled.kernels`; the matrices dQ/dg, dQ/dtheta by `_listing`)
        co64 = replace(co, Q=kernel(co.Q, python=_at_floats(co.Q)), X1=kernel(co.X1, python=_at_floats(co.X1)),
                       dQ_dg=_at_floats(co.dQ_dg), dQ_dtheta=_at_floats(co.dQ_dtheta),
                       errors={chart: kernel(fn, python=_at_floats(fn)) for chart, fn in co.errors.items()})
        coext = replace(co, Q=kernel(co.Q), X1=kernel(co.X1), errors={ch: kernel(fn) for ch, fn in co.errors.items()})
        ctx = _CONTEXTS[id(system), id(co)] = _Context(
            fns.c, coext, co64, fns, names, fns.index("x"), fns.index("y"), fns.index("s_h"), fns.index("epsilon"),
            fns.index("psi_n"), fns.index("psi_p"), itemgetter(*obs_at), _one_point(fns.c, co, names, obs_at))
    return ctx


def _one_point(c, co, names, obs_at):
    """`_one` in C for the system ``c`` (three unknowns) and its observables ``co``, with the
    constants of the Python path (`rmt_dsm.compiled.kernels.one_point`), or None."""
    if c.n != 3 or names[-1] != "s_h":  # the homotopy parameter last, as `_cold_root` moves it
        return None
    ns = c.functions
    return one_point([ns["f"], ns["fj"], *(ns[f"ft_{k}"] for k in range(c.p)), co.Q, co.X1, co.dQ_dg, co.dQ_dtheta,
                      co.errors["primal"], co.errors["dual"]], obs_at,
                     [names.index(k) for k in ("x", "y", "epsilon", "psi_n", "psi_p", "s_h")],
                     [_TOL_RES, _TOL_STEP, _ACCEPT, _LOOSE, _GRID_EPS, EXTENDED_EPS, BATCH_RELATIVE, _EXTENDED_ROUNDING,
                      _STEP_DOUBLE, _INPUT_REL, _EPS, _BRANCH_TOL, _WARM_HMIN, single.NEWTON_MAXIT, _MOVED_MAXIT,
                      single.POLISH_MAXIT, _REFINE, single.MAX_STEPS, single.START_MAXIT, single.HMIN, _LAM_START,
                      _RUNG, _WARM_STEP, _DIST_RATIO, _WARM_ROOTS])


def _cold_root(c, ctx, pt, b64, k_lam, lam):
    """The root at the point by the continuation of `rmt_dsm.scalar._solve`: the homotopy s: 0 -> 1
    at lam_h = max(lam, 1), the geometric ridge ladder down to lam (or to the floor of
    `_ladder_floor`), then to lambda = 0.  Returns (g, F, J, iterations)."""
    lam_h = max(lam, _LAM_START)
    g = [-v for v in c.f(*[0.0] * ctx.fns.n, *ctx.theta(b64, k_lam, lam_h, 0.0))]
    g, f, J, its = single.track(c, g, lambda t: (ctx.theta(b64, k_lam, lam_h, t), {-1: 1.0}), 1.0,
                           exact_end=lam == lam_h)
    if lam < lam_h:
        lam_end = lam if lam > 0 else float(_ladder_floor([pt])[0])
        rate = math.log(lam_end / lam_h)

        def ladder(t):
            lt = lam_end if t == 1 else lam_h * math.exp(t * rate)
            return ctx.theta(b64, k_lam, lt, 1.0), {k_lam: lt * rate}

        # each stage starts where the previous one ended (the same parameters): its J is passed on
        g, f, J, its2 = single.track(c, g, ladder, _first_rung(rate), exact_end=lam > 0, log_predictor=True, J=J)
        its += its2
        if lam == 0:
            g, f, J, its3 = single.track(c, g, lambda t: (ctx.theta(b64, k_lam, lam_end * (1 - t), 1.0),
                                                     {k_lam: -lam_end}), 1.0, J=J)
            its += its3
    return g, f, J, its


# --------------------------------------------------------------------------- warm starts
#: roots of earlier one-point solves (`_one`), the starts of continuation steps to nearby points:
#: by (compiled system, data spectrum, activation, a, Delta, m, chart, lambda = 0) ...
_WARM: dict = {}
#: ... at most this many keys (then forgotten all at once), the last this many roots of each
_WARM_KEYS, _WARM_ROOTS = 64, 8
#: the largest relative change of psi_n, psi_p and lambda > 0 from a kept root that one
#: continuation step (`rmt_dsm.engine.single.track`, halving its step at most 3 times) covers
_WARM_STEP = 0.05
#: the shortest fraction of that step `_segment_step` takes (its step is halved at most 3 times)
_WARM_HMIN = 1 / 8
#: the Newton iterations of `_moved_root`
_MOVED_MAXIT = 20
#: the steps of iterative refinement of the derivatives in `_observables_one`
_REFINE = 2
#: the tolerance of `_branch_ok`
_BRANCH_TOL = 1e-9


def _nearest_root(key, pt):
    """The root kept under ``key`` (`_keep_root`) nearest to the point, from which `_warm_root`
    steps: of the same chart, within `_WARM_STEP` in psi_n, psi_p and lambda and within a factor
    `_DIST_RATIO` of the point's distance to the interpolation threshold (where the solution
    varies like a power of that distance, a straight step is short); None when there is none.
    Returns the kept entry (psi_n, psi_p, lambda, distance, root) (root: see `_root_lists`)."""
    kept = _WARM.get(key)
    if not kept:
        return None
    dist = _distance(pt)
    best, near = None, _WARM_STEP
    psi_n, psi_p, lam = pt.psi_n, pt.psi_p, pt.lam
    # the most recent first: of equally near roots the most recent is taken, and a root kept at
    # the point itself (step 0, a call repeated) ends the search
    for root in reversed(kept):  # the largest relative change of psi_n, psi_p, lambda, and `_comparable`, written out
        rn, rp, rl, d = root[0], root[1], root[2], root[3]
        step = abs(psi_n / rn - 1)
        s = abs(psi_p / rp - 1)
        if s > step:
            step = s
        if rl:
            s = abs(lam / rl - 1)
            if s > step:
                step = s
        if (step < near or (best is None and step == near)) and d / dist <= _DIST_RATIO and dist / d <= _DIST_RATIO:
            best, near = root, step
            if not step:
                break
    return best


def _warm_root(c, key, pt, th):
    """The root at the point by continuation from the nearest kept root (`_nearest_root`) along
    the straight segment between their parameters (`_segment_step`).  Returns (g, F, J,
    iterations), or None when there is no such root or the step fails (then the caller solves
    cold)."""
    best = _nearest_root(key, pt)
    if best is None:
        return None
    th0, g0, J0, solve0 = _root_lists(best[4])
    return _segment_step(c, th0, g0, J0, th, solve0)


def _root_lists(root) -> tuple:
    """(theta, g, J, solve) of a kept root: kept by the Python path as that tuple, or by the C
    path as the bytes of the doubles theta, g, J (rows) (solve: None, J not yet factored)."""
    if not isinstance(root, bytes):
        return root
    v = np.frombuffer(root, dtype=float).tolist()
    p = len(v) - 12
    return v[:p], v[p:p + 3], [v[p + 3:p + 6], v[p + 6:p + 9], v[p + 9:p + 12]], None


def _packed_start(root) -> bytes:
    """A kept root as the start of the C continuation step (`_one_compiled`): the bytes of the
    doubles theta, g, J (rows)."""
    if isinstance(root, bytes):
        return root
    th, g, J, _ = root
    return np.array([*th, *g, *(v for row in J for v in row)], dtype=float).tobytes()


def _segment_step(c, th0, g0, J0, th, solve0=None):
    """The root at the parameters ``th`` by continuation from the root ``g0`` (Jacobian ``J0``,
    ``solve0``: its `rmt_dsm.engine.single.solver` when already factored) at ``th0`` along the
    straight segment between them (`rmt_dsm.engine.single.track`: one predictor-corrector step,
    halved at most 3 times).  Returns (g, F, J, iterations), or None when the step fails."""
    moving = {k: b - a for k, (a, b) in enumerate(zip(th0, th)) if a != b}  # d theta / dt

    def path(t):
        if t >= 1:
            return th, moving
        if t == 0:
            return th0, moving
        out = th0.copy()
        for k, d in moving.items():
            out[k] = th0[k] + t * d
        return out, moving

    try:
        return single.track(c, g0, path, 1.0, hmin=_WARM_HMIN, J=J0, solve=solve0)
    except (ArithmeticError, ValueError):  # Failed, or a division by zero on the way
        return None


def _keep_root(key, pt, root):
    """Keep the certified ``root`` of the point for `_warm_root`: (theta, g, J, solve) with
    solve the `rmt_dsm.engine.single.solver` of J or None, or the same as bytes from the C path
    (`_root_lists`)."""
    kept = _store(key)
    if len(kept) >= _WARM_ROOTS:
        del kept[0]
    kept.append((pt.psi_n, pt.psi_p, pt.lam, _distance(pt), root))


def _store(key) -> list:
    """The list of roots kept under ``key`` in `_WARM`, a new one if there is none (all keys are
    forgotten when there are `_WARM_KEYS`)."""
    kept = _WARM.get(key)
    if kept is None:
        if len(_WARM) >= _WARM_KEYS:
            _WARM.clear()
        kept = _WARM[key] = []
    return kept


def _observables_one(ctx, g, J, th, prm, primal, Je=None, refine=_REFINE, solve=None):
    """`_observables` at one point (Python floats, with the observables of ``ctx.co64``, or
    EXTENDED scalars); ``Je``: the Jacobian at (g, th) when known; ``refine``: steps of iterative
    refinement of the derivatives; ``solve``: `rmt_dsm.engine.single.solver` of J when already
    factored."""
    k_lam = ctx.i_y if primal else ctx.i_x
    dg = single.derivatives(ctx.c, g, J, th, (k_lam, ctx.i_eps), Je, refine, solve)
    chart = "primal" if primal else "dual"
    return _error_values(ctx.co if type(g[0]) is EXTENDED else ctx.co64, [*g, *ctx.obs_of(th)],
                         {"x": None if primal else dg[k_lam], "y": dg[k_lam] if primal else None,
                          "epsilon": dg[ctx.i_eps]}, prm, chart)


# --------------------------------------------------------------------------- public
def batchable(pt) -> bool:
    """Points the batched path handles: double precision (any data spectrum; a continuous one
    at its quadrature order and at twice it, as `rmt_dsm.scalar._with_quadrature_error`).  (The
    threshold divergence, which needs no solve, is left to the scalar path.)"""
    return pt.dps is None


def _batched(points) -> list:
    """`rmt_dsm.result.Errors` of the batched path at each point (one quadrature order for a
    continuous spectrum), None where the scalar path must take over."""
    if len(points) == 1:  # one call of `rmt_dsm.errors`: the shortest way
        return [_batched_one(points[0])]
    out = [None] * len(points)
    groups: dict = {}  # by data spectrum (the same object: `points_for` gives all its points one) and dps
    keys = list(zip(map(id, map(_SIGMA, points)), map(_DPS, points)))
    if keys and keys.count(keys[0]) == len(keys):  # one group (a curve): no loop
        groups[keys[0]] = list(range(len(points)))
    else:
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
    groups = [[i for i, at in zip(idx, _at_threshold([points[i] for i in idx])) if not at]
              for idx in groups.values() if batchable(points[idx[0]])]
    for idx in groups:
        if not idx:
            continue
        pts = [points[i] for i in idx]
        sigma = pts[0].sigma
        schedules = list(map(_SCHEDULE, pts))
        # the coefficients by schedule (of this spectrum), each computed (or looked up) once
        kept = {key: _coefficients(pt) for key, pt in dict(zip(schedules, pts)).items()}
        coefs = list(map(kept.__getitem__, schedules))
        ctx = _context(sigma)
        if len(pts) <= _FEW_POINTS:  # one by one on Python numbers: no array overhead
            rows = [_one_or_none(pt, coef) for pt, coef in zip(pts, coefs)]
        elif ctx.one is not None and _CHAIN:  # one after the other in C (`_chained`)
            rows = _chained(ctx, pts, coefs)
        else:
            values, accuracy, residual, its, ok = _batch(pts, coefs)
            rows = [r if o else None for r, o in zip(zip(values.tolist(), accuracy.tolist(), residual.tolist(),
                                                         its.astype(int).tolist()), ok.tolist())]
        for i, res in zip(idx, _results(pts, coefs, rows, sigma.describe())):
            out[i] = res
    return out


def _at_threshold(points) -> list:
    """`rmt_dsm.point.Point.at_threshold` of double points, on arrays: lambda = 0, m finite and
    |psi_p - m psi_n| <= THRESHOLD_DOUBLE m psi_n (the same operations)."""
    N = len(points)
    return _on_threshold(*(np.fromiter(map(get, points), float, N) for get in (_PSI_N, _PSI_P, _M, _LAM))).tolist()


def _chart_and_distance(pn, pp, m) -> tuple:
    """`rmt_dsm.point.Point.chart` (True: primal) and `threshold_distance` at arrays psi_n, psi_p
    of double points of one m, the same operations."""
    if m == math.inf:
        return np.ones(len(pn), dtype=bool), np.ones(len(pn))
    scale = m * pn
    return pp < scale, np.minimum(1.0, np.abs(pp - scale) / scale)


def _on_threshold(pn, pp, m, lam):
    """`rmt_dsm.point.Point.at_threshold` at arrays (or numbers) psi_n, psi_p, m, lambda of double
    points: lambda = 0, m finite and |psi_p - m psi_n| <= THRESHOLD_DOUBLE m psi_n, the same operations."""
    from .point import THRESHOLD_DOUBLE

    with np.errstate(invalid="ignore"):  # m = inf
        return (lam == 0) & (m != math.inf) & (np.abs(pp - m * pn) <= THRESHOLD_DOUBLE * m * pn)


def _batched_one(pt):
    """`_batched` for one point."""
    if not batchable(pt) or pt.at_threshold:
        return None
    coef = _coefficients(pt)
    return _results([pt], [coef], [_one_or_none(pt, coef)], _described(pt.sigma, pt.sigma.label))[0]


@lru_cache(maxsize=_COEFFICIENTS_KEPT)
def _described(sigma, label) -> str:
    """``sigma.describe()``, kept for the data spectra of recent calls (by spectrum and label: the
    label, which a continuous spectrum's description shows, is not part of its equality)."""
    return sigma.describe()


def _coefficients(pt):
    """The Gaussian coefficients of the point (`rmt_dsm.point.coefficients_of`), kept in
    `_COEFFICIENTS` by activation, schedule and data spectrum."""
    key = (*_SCHEDULE(pt), pt.sigma)
    coef = _COEFFICIENTS.get(key)
    if coef is None:
        from .point import coefficients_of

        if len(_COEFFICIENTS) >= _COEFFICIENTS_KEPT:
            _COEFFICIENTS.clear()
        coef = _COEFFICIENTS[key] = coefficients_of(pt)
    return coef


def _one_or_none(pt, coef, compiled=True):
    """`_one`, or None where it fails (the scalar path then takes over)."""
    try:
        with np.errstate(all="ignore"):  # non-finite values are caught by the checks
            return _one(pt, coef, compiled)
    except (ArithmeticError, ValueError):  # rmt_dsm.engine.single.Failed, numpy errors
        return None


def _results(pts, coefs, rows, described) -> list:
    """The `rmt_dsm.result.Errors` of batched points (PrecisionWarning as from `rmt_dsm.errors`)
    from their ``rows`` (values, accuracy, residual, iterations: Python floats and an int), None where a row is None;
    ``described``: the points' ``sigma.describe()``."""
    out = []
    for pt, coef, row in zip(pts, coefs, rows):
        if row is None:
            out.append(None)
            continue
        values, accuracy, residual, iterations = row
        # = pt.public(), the description computed once: a Point's fields are _FIELDS, in this
        # order, and nothing else (tests/test_batch.py)
        params = pt.__dict__.copy()
        params["sigma"] = described
        a_train, a_test, a_score, a_gap, a_floor = accuracy
        out.append(_double_result(values, params, residual, iterations, pt.chart,
                                  {"train": a_train, "test": a_test, "score": a_score, "gap": a_gap, "floor": a_floor},
                                  coef))
        if max(accuracy) > WARN_RELATIVE:
            _warn_precision(out[-1])
    return out


def errors_at_points(points, keep_failures=False) -> list:
    """`rmt_dsm.result.Errors` at each validated point (`rmt_dsm.point.point`), batched where possible.

    Parameters
    ----------
    points : sequence of rmt_dsm.point.Point
    keep_failures : bool
        Put the ConvergenceError of a point that does not converge in its place in the list
        instead of raising it.

    Returns
    -------
    list of Errors
        In the order of ``points``; equal to `rmt_dsm.errors` at each point to about
        `BATCH_RELATIVE` (the points the batched path cannot certify are computed by it).
        ``iterations`` counts the Newton steps of the point's batched solve; ``solution`` is None for
        batched points.  Warnings (PrecisionWarning, ThresholdDivergence) as from `rmt_dsm.errors`.

    Raises
    ------
    rmt_dsm.engine.ConvergenceError
        A point that the scalar path cannot solve either (unless ``keep_failures``).

    Examples
    --------
    >>> from rmt_dsm.point import point
    >>> res = errors_at_points([point(1.0, p, 1, t=0.3, lam=0.1) for p in (0.5, 2.0)])
    >>> [r.chart for r in res], res[0].train < res[0].test
    (['primal', 'dual'], True)
    """
    points = list(points)
    out = _batched(points)
    # a continuous spectrum: the same points at twice the quadrature order, batched too [S§6]
    refined = {key: sigma.refined() for key, sigma in dict(zip(map(id, map(_SIGMA, points)), map(_SIGMA, points))).items()}
    coarse = [] if all(r is None for r in refined.values()) else [
        i for i, res in enumerate(out) if res is not None and refined[id(points[i].sigma)] is not None]
    if coarse:
        fine = _batched([replace(points[i], sigma=refined[id(points[i].sigma)]) for i in coarse])
        for i, res_fine in zip(coarse, fine):
            out[i] = None if res_fine is None else _quadrature_checked(out[i], res_fine)
    return _by_scalar_path(out, points.__getitem__, keep_failures)


def _by_scalar_path(out, point_at, keep_failures=False) -> list:
    """``out`` with each None entry i (not batchable, or not certified) computed by the scalar path
    of `rmt_dsm.errors` at the point ``point_at(i)``; with ``keep_failures`` its ConvergenceError in
    its place instead of raised."""
    for i in [i for i, res in enumerate(out) if res is None]:
        try:
            out[i] = _with_quadrature_error(point_at(i))[0]
        except ConvergenceError as exc:
            if not keep_failures:
                raise
            out[i] = exc
    return out


@dataclass(frozen=True)
class ErrorsArray:
    """`rmt_dsm.errors` over broadcast arrays of parameters (see `errors_array`).

    Attributes
    ----------
    train, test, score, gap, floor : numpy.ndarray
        The errors, of the broadcast shape of the array arguments (float; object arrays of mpmath
        numbers with ``dps``).
    accuracy : dict
        Estimated relative error of each error (arrays of that shape).
    chart : numpy.ndarray
        ``"primal"``, ``"dual"`` or ``"threshold"`` at each point.
    diverged : numpy.ndarray
        True at lambda = 0 on the interpolation threshold.
    params : dict
        The broadcast parameters (arrays) and the scalar ones.
    results : numpy.ndarray
        The `rmt_dsm.result.Errors` of every point (object array).
    """

    train: np.ndarray
    test: np.ndarray
    score: np.ndarray
    gap: np.ndarray
    floor: np.ndarray
    accuracy: dict
    chart: np.ndarray
    diverged: np.ndarray
    params: dict
    results: np.ndarray

    @property
    def shape(self) -> tuple:
        return self.train.shape

    def as_dict(self) -> dict:
        """The five error arrays by name."""
        return {k: getattr(self, k) for k in ERROR_NAMES}


def is_array_call(**kw) -> bool:
    """True when one of the numeric parameters of `rmt_dsm.errors` is a sequence or an array."""
    for k in _ARRAY_PARAMS:
        if isinstance(kw.get(k), (list, tuple, np.ndarray)):
            return True
    return False
