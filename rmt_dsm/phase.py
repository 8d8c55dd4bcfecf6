r"""Phase diagram of DSM in the (psi_n, psi_p) plane at fixed m, t (or a, Delta), lambda.

At every grid point the exact asymptotic errors of `rmt_dsm.errors` are computed, and two
regions are marked (definitions: docs/model.md, "Regimes: memorization, generalization and
the floor diagnostic"):

* **memorization**, in the sense of the papers (George, Veiga, Macris, arXiv:2502.00336;
  Bonnaire et al., arXiv:2505.17638): the learned score approaches the score of the empirical
  training distribution, which fits its training draws exactly in high dimension (zero train
  error) while its test error stays large; in the learning curves, the generalization gap
  E_test - E_train opens up to the whole test error.  The toolkit measures this by the
  *relative gap* `relative_gap` = (E_test - E_train)/E_test (0: the train error predicts
  the test error; 1: zero train error) and flags a point as memorizing when it is at least
  `MEMORIZATION_GAP` = 1/2, i.e. when the training error hides at least half the test error
  (the threshold is the toolkit's convention);
* **below the floor**, E_train < F_pop: a diagnostic only ("fits below the population
  floor").  It is not memorization: at m = 1 it already holds for very small psi_p/psi_n,
  where the model merely fits part of the noise of its training draws.

The figure (`plot_phase`) shows two heatmaps, the score error E_score and the relative
gap, each with the memorization region hatched (boundary: relative gap = 1/2), the boundary
E_train = F_pop of the diagnostic dashed, the diagonal psi_p = psi_n and, for finite m, the
interpolation threshold psi_p = m psi_n.  Finite m other than 1 and infinity is this project's
own extension of the published results (docs/theory.md).

Computation (`phase_grid`): the grid points are solved together by the batched solver
(`rmt_dsm.batch.errors_at_points`), in this process for grids of up to `IN_PROCESS_POINTS`
points (faster than starting workers); larger grids (or ``backend="dask"``) are cut into chunks
of rows that go through `rmt_dsm.parallel.parallel_map`, so they run on all cores or on a dask
cluster.  The result does not depend on how the points were scheduled.

At lambda = 0 the points on the threshold psi_p = m psi_n have test = score = gap = +inf
(`rmt_dsm.api.ThresholdDivergence`); they are kept as +inf in the table and drawn in
dark grey (the "over" colour of the heatmaps); their relative gap is 1.  A grid point within
a relative 1e-12 of the threshold (rounding of the grid) counts as lying on it
(`rmt_dsm.errors` detects this).

Examples
--------
At m = 1 a small model already fits below the floor, without memorizing; beyond the
threshold psi_p = psi_n it memorizes:

>>> rows = phase_grid([1.0], [0.05, 2.0], m=1, t=0.01, lam=0.0, jobs=1, progress=False)
>>> [(r["below_floor"], r["memorizes"]) for r in rows]
[(True, False), (True, True)]
"""
from __future__ import annotations

import contextlib
import math
import warnings
from dataclasses import replace

import numpy as np

__all__ = ["phase_grid", "phase_row", "phase_rows", "make_axis", "plot_phase", "write_phase_csv", "save_deterministic",
           "relative_gap", "COLUMNS", "MEMORIZATION_GAP", "PhaseFailure"]

#: CSV columns, in order: the errors, then the two flags (0/1) of the module docstring
COLUMNS = ("psi_n", "psi_p", "train", "test", "score", "gap", "floor", "below_floor", "memorizes")
_KEYS = ("train", "test", "score", "gap", "floor")
#: a point memorizes when its relative gap (E_test - E_train)/E_test is at least this
MEMORIZATION_GAP = 0.5


def relative_gap(train, test) -> float:
    """The generalization gap as a fraction of the test error, (E_test - E_train)/E_test.

    0 when the train error equals the test error, 1 when the train error is zero (as for the
    empirical score in high dimension); 1 at the threshold, where E_test = +inf and E_train is
    finite; NaN when either error is NaN.

    Examples
    --------
    >>> relative_gap(0.25, 1.0), relative_gap(0.0, math.inf), relative_gap(1.0, 1.0)
    (0.75, 1.0, 0.0)
    """
    train, test = float(train), float(test)
    return 1.0 - train / test


class PhaseFailure(RuntimeError):
    """Some grid points did not converge; ``rows`` holds the whole grid (NaN there)."""

    def __init__(self, message, rows, failures):
        super().__init__(message)
        self.rows, self.failures = rows, failures


def make_axis(start: float, stop: float, num: int, log: bool = True, name: str = "psi") -> list[float]:
    """Grid values of one axis: log-spaced (default) or linear, both ends included.

    Examples
    --------
    >>> make_axis(0.1, 10, 3)
    [0.1, 1.0, 10.0]
    >>> make_axis(1, 2, 3, log=False)
    [1.0, 1.5, 2.0]
    """
    for v in (start, stop):
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} range must be finite positive ratios, got {start} {stop}")
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"num must be a positive number of grid points, got {num!r}")
    values = np.geomspace(start, stop, num) if log else np.linspace(start, stop, num)
    return [float(v) for v in values]


def phase_row(task: dict) -> dict:
    """One row of the grid (a fixed psi_n): the errors along psi_p (`phase_rows` of one row)."""
    return phase_rows({**task, "psi_n": [task["psi_n"]]})


def phase_rows(task: dict) -> dict:
    """Rows of the grid: the errors at every (psi_n, psi_p) of ``task["psi_n"]`` x ``task["psi_p"]``.

    All the points are solved together by the batched solver (`rmt_dsm.batch.errors_at_points`;
    a point it cannot certify is solved by `rmt_dsm.errors`).  Runs in this process or in a worker.
    With ``task["one_thread"]`` true (a worker process) the batch certifies on one thread
    (`rmt_dsm.batch.one_thread`).
    Returns ``{"rows": [...], "failures": [...]}``; a point where the solver does not converge
    becomes a row of NaNs listed in ``failures`` as ``(psi_n, psi_p, message)``.
    """
    from rmt_dsm.api import ThresholdDivergence
    from rmt_dsm.batch import errors_at_points, one_thread
    from rmt_dsm.point import point

    kw = {k: task.get(k) for k in ("m", "t", "lam", "activation", "a", "delta", "sigma")}  # no sigma: Sigma = I
    base = point(1.0, 1.0, **kw)  # validated once; the ratios were checked by phase_grid
    pairs = [(float(pn), float(pp)) for pn in task["psi_n"] for pp in task["psi_p"]]
    with warnings.catch_warnings(), (one_thread() if task.get("one_thread") else contextlib.nullcontext()):
        warnings.simplefilter("ignore", ThresholdDivergence)
        results = errors_at_points([replace(base, psi_n=pn, psi_p=pp) for pn, pp in pairs], keep_failures=True)
    rows, failures = [], []
    for (psi_n, v), res in zip(pairs, results):
        if isinstance(res, Exception):
            failures.append((psi_n, v, " ".join(str(res).split())))
            res = None
        row = {"psi_n": psi_n, "psi_p": v}
        for k in _KEYS:
            row[k] = math.nan if res is None else float(getattr(res, k))
        # both flags are False at NaN (no convergence)
        row["below_floor"] = bool(row["train"] < row["floor"])
        row["memorizes"] = bool(relative_gap(row["train"], row["test"]) >= MEMORIZATION_GAP)
        rows.append(row)
    return {"rows": rows, "failures": failures}


#: grids of at most this many points are computed in this process whatever ``jobs`` says: the
#: batched solver needs ~0.1-0.3 ms a point, less than a fresh worker needs to compile the
#: system (1-2 s), see benchmarks/batch.py
IN_PROCESS_POINTS = 40000


def phase_grid(psi_n_values, psi_p_values, m, t=None, lam=0.0, activation="tanh", a=None, delta=None,
               jobs=None, backend="joblib", scheduler=None, progress=True, sigma=None) -> list[dict]:
    """Errors on the grid psi_n_values x psi_p_values, rows of psi_n in the given order.

    Parameters
    ----------
    psi_n_values, psi_p_values : sequence of float
        The grid axes (positive ratios n/d and p/d).
    m, t, lam, activation, a, delta
        The model parameters, as in `rmt_dsm.errors`.
    jobs : int, optional
        Worker processes for grids of more than `IN_PROCESS_POINTS` points (None: all cores;
        1: serial in this process); smaller grids are one batch in this process.
    backend : {"joblib", "dask"}
        Local processes, or a running dask.distributed cluster at ``scheduler``.
    scheduler : str or distributed.Client, optional
        The dask scheduler (with ``backend="dask"``).
    progress : bool
        Progress bar on stderr.

    Returns
    -------
    list of dict
        One dict per grid point with the keys `COLUMNS` (psi_n major, psi_p minor): the errors,
        ``below_floor`` and ``memorizes``.

    Raises
    ------
    ValueError
        A bad parameter, named in the message; checked once in this process before any worker
        starts.
    PhaseFailure
        Some point did not converge; its ``rows`` hold the whole grid, NaN at those points.
    """
    from rmt_dsm.point import point
    from rmt_dsm.parallel import parallel_map

    psi_n_values = [float(v) for v in psi_n_values]
    psi_p_values = [float(v) for v in psi_p_values]
    if not psi_n_values or not psi_p_values:
        raise ValueError("the psi_n and psi_p grids must not be empty")
    for pn in (psi_n_values[0], psi_n_values[-1]):
        for pp in (psi_p_values[0], psi_p_values[-1]):
            point(pn, pp, m, t, lam, activation, a, delta, None, sigma)  # validation only
    for name, vals in (("psi_n", psi_n_values), ("psi_p", psi_p_values)):
        for v in vals:
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite positive ratio, got {v}")
    kw = {"psi_p": psi_p_values, "m": m, "t": t, "lam": lam, "activation": activation, "a": a, "delta": delta,
          "sigma": sigma}
    n_points = len(psi_n_values) * len(psi_p_values)
    if backend == "joblib" and n_points <= IN_PROCESS_POINTS:
        results = [phase_rows({**kw, "psi_n": psi_n_values})]  # one batch, in this process
    else:  # a few chunks of rows per worker, each chunk one batch
        from rmt_dsm.parallel import default_jobs

        n_chunks = min(len(psi_n_values), 4 * (jobs or default_jobs()))
        bounds = np.linspace(0, len(psi_n_values), n_chunks + 1).round().astype(int)
        # in worker processes (or a dask cluster's threads), which share the cores: one thread each
        workers = backend != "joblib" or jobs != 1
        tasks = [{**kw, "psi_n": psi_n_values[i:j], "one_thread": workers} for i, j in zip(bounds[:-1], bounds[1:])
                 if j > i]
        results = parallel_map(phase_rows, tasks, jobs=jobs, backend=backend, scheduler=scheduler,
                               progress=progress, label="phase rows")
    rows = [r for res in results for r in res["rows"]]
    failures = [f for res in results for f in res["failures"]]
    if failures:
        pn, pp, msg = failures[0]
        raise PhaseFailure(f"{len(failures)} grid point(s) did not converge, first at psi_n={pn}, "
                           f"psi_p={pp}: {msg}", rows, failures)
    return rows


def _fmt(v) -> str:
    """A CSV cell: shortest round-trip repr of a float, inf/nan spelled out, flags as 0/1.

    Examples
    --------
    >>> _fmt(0.1), _fmt(math.inf), _fmt(True)
    ('0.1', 'inf', '1')
    """
    if isinstance(v, bool):
        return "1" if v else "0"
    return repr(float(v))


def write_phase_csv(path: str, rows: list[dict]) -> None:
    """PREFIX.csv: header `COLUMNS`, one line per grid point, the flags as 0/1."""
    with open(path, "w", newline="") as fh:
        fh.write(",".join(COLUMNS) + "\n")
        for r in rows:
            fh.write(",".join(_fmt(r[c]) for c in COLUMNS) + "\n")


def _matrix(rows, key, n_n, n_p):
    """Values of ``key`` as an array Z[i_p, i_n] (psi_p along the vertical axis)."""
    z = np.array([r[key] for r in rows], dtype=float).reshape(n_n, n_p)
    return z.T


def _edges(values, log):
    """Cell edges around grid values (geometric midpoints on log axes)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return np.array([v[0] / 1.5, v[0] * 1.5]) if log else np.array([v[0] - 0.5, v[0] + 0.5])
    w = np.log(v) if log else v
    mid = (w[1:] + w[:-1]) / 2
    e = np.concatenate([[w[0] - (mid[0] - w[0])], mid, [w[-1] + (w[-1] - mid[-1])]])
    return np.exp(e) if log else e


def _norm(z):
    """Colour scale of one panel: logarithmic over the finite positive values when possible."""
    from matplotlib.colors import LogNorm, Normalize, SymLogNorm

    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return Normalize(0, 1)
    pos = finite[finite > 0]
    if finite.min() > 0:
        return LogNorm(vmin=pos.min(), vmax=pos.max())
    if pos.size:  # some values <= 0: symmetric log around 0
        lin = max(np.abs(finite[finite != 0]).min(), 1e-12 * np.abs(finite).max())
        return SymLogNorm(linthresh=lin, vmin=finite.min(), vmax=finite.max())
    return Normalize(vmin=finite.min(), vmax=finite.max() if finite.max() > finite.min() else finite.min() + 1)


def _title(params: dict) -> str:
    parts = []
    m = params.get("m")
    if m is not None:
        parts.append(r"m=\infty" if m == math.inf else f"m={m}")
    if params.get("t") is not None:
        parts.append(f"t={params['t']:.4g}")
    else:
        if params.get("a") is not None:
            parts.append(f"a={params['a']:.4g}")
        if params.get("delta") is not None:
            parts.append(rf"\Delta={params['delta']:.4g}")
    parts.append(rf"\lambda={params.get('lam', 0.0):.4g}")
    title = "$" + r",\ ".join(parts) + "$"
    if params.get("activation"):
        title += f", {params['activation']}"
    if params.get("sigma") is not None:
        title += rf", $\Sigma$: {params['sigma'].describe()}"
    return title


def plot_phase(rows: list[dict], params: dict, log: bool = True):
    """Two heatmaps over (psi_n, psi_p): E_score (left) and the relative gap (right).

    The right panel shows `relative_gap` = (E_test - E_train)/E_test on a linear scale from
    0 to 1.  Both panels hatch the memorization region, relative gap >= `MEMORIZATION_GAP`
    (bounded by the black contour where it equals 1/2, interpolated between grid points),
    draw the boundary E_train = F_pop of the below-the-floor diagnostic as a dashed contour,
    the diagonal psi_p = psi_n and, for finite m != 1, the threshold psi_p = m psi_n.
    Non-finite values (+inf at the threshold for lambda = 0) get the colour map's "over"
    colour; NaN (no convergence) is left white.

    Parameters
    ----------
    rows : list of dict
        A full rectangular grid, as returned by `phase_grid` (keys `COLUMNS`).
    params : dict
        m and t (or a, delta), lam, activation: for the title and the threshold line.
    log : bool
        Logarithmic axes (default) or linear.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to any display.
    """
    import matplotlib

    psi_n = sorted({r["psi_n"] for r in rows})
    psi_p = sorted({r["psi_p"] for r in rows})
    n_n, n_p = len(psi_n), len(psi_p)
    rows = sorted(rows, key=lambda r: (r["psi_n"], r["psi_p"]))
    if len(rows) != n_n * n_p:
        raise ValueError("plot_phase needs a full rectangular grid of (psi_n, psi_p) points")
    rows = [dict(r, rel_gap=relative_gap(r["train"], r["test"])) for r in rows]
    xe, ye = _edges(psi_n, log), _edges(psi_p, log)
    excess = _matrix(rows, "train", n_n, n_p) - _matrix(rows, "floor", n_n, n_p)  # < 0: below the floor
    margin = _matrix(rows, "rel_gap", n_n, n_p) - MEMORIZATION_GAP  # >= 0: memorization
    m = params.get("m")

    with matplotlib.rc_context({"hatch.color": "0.85", "hatch.linewidth": 0.6}):
        return _draw_phase(rows, params, log, psi_n, psi_p, n_n, n_p, xe, ye, margin, excess, m)


def _region(ax, psi_n, psi_p, z, hatch, **line):
    """Hatch where z >= 0 and draw the contour z = 0 (both interpolated between grid points)."""
    z = np.ma.masked_invalid(z)
    if min(len(psi_n), len(psi_p)) < 2 or z.count() == 0:
        return
    if hatch and (z >= 0).any():
        ax.contourf(psi_n, psi_p, z, levels=[0.0, float(z.max()) + 1.0], colors="none", hatches=[hatch])
    if (z >= 0).any() and (z < 0).any():
        ax.contour(psi_n, psi_p, z, levels=[0.0], **line)


def _draw_phase(rows, params, log, psi_n, psi_p, n_n, n_p, xe, ye, margin, excess, m):
    import matplotlib
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = Figure(figsize=(11.0, 5.0), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    panels = (("score", r"score error $E_{\rm score}$", "viridis"),
              ("rel_gap", r"relative gap $(E_{\rm test}-E_{\rm train})/E_{\rm test}$", "magma"))
    lo, hi = min(xe[0], ye[0]), max(xe[-1], ye[-1])
    line = np.geomspace(lo, hi, 200) if log else np.linspace(lo, hi, 200)
    for ax, (key, label, cmap_name) in zip(axes, panels):
        z = _matrix(rows, key, n_n, n_p)
        cmap = matplotlib.colormaps[cmap_name].with_extremes(over="0.15", bad="white")
        norm = Normalize(0.0, 1.0) if key == "rel_gap" else _norm(z)
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=cmap, norm=norm, shading="flat",
                             rasterized=True)
        if np.isposinf(z).any():  # +inf cells: the "over" colour
            ax.pcolormesh(xe, ye, np.ma.masked_where(~np.isposinf(z), np.ones_like(z)),
                          cmap=matplotlib.colors.ListedColormap(["0.15"]), shading="flat", rasterized=True)
        fig.colorbar(mesh, ax=ax, label=label, extend="max" if np.isposinf(z).any() else "neither")
        _region(ax, psi_n, psi_p, margin, "/", colors="k", linewidths=1.4)  # memorization
        _region(ax, psi_n, psi_p, -excess, None, colors="tab:cyan", linewidths=1.3,
                linestyles="--")  # diagnostic: E_train = F_pop
        ax.plot(line, line, color="white", ls="--", lw=1.2)
        if m is not None and m != math.inf and m != 1:
            ax.plot(line, m * line, color="tab:red", ls=":", lw=1.6)
        ax.set_xlim(xe[0], xe[-1])
        ax.set_ylim(ye[0], ye[-1])
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel(r"$\psi_n = n/d$")
        ax.set_title(label, fontsize=10)
    axes[0].set_ylabel(r"$\psi_p = p/d$")
    handles = [Patch(facecolor="none", edgecolor="k", hatch="/",
                     label=r"memorization: $E_{\rm test}-E_{\rm train} \geq E_{\rm test}/2$"),
               Line2D([], [], color="tab:cyan", ls="--", lw=1.3,
                      label=r"$E_{\rm train}=F_{\rm pop}$ (floor diagnostic)"),
               Line2D([], [], color="white", ls="--", lw=1.2, label=r"$\psi_p=\psi_n$")]
    if m is not None and m != math.inf:
        if m == 1:
            handles[-1] = Line2D([], [], color="white", ls="--", lw=1.2,
                                 label=r"$\psi_p=\psi_n$ (threshold, $m=1$)")
        else:
            handles.append(Line2D([], [], color="tab:red", ls=":", lw=1.6,
                                  label=rf"threshold $\psi_p={m}\,\psi_n$"))
    leg = fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8.5)
    leg.get_frame().set_facecolor("0.8")  # the white line of psi_p = psi_n stays visible
    fig.suptitle(_title(params), fontsize=11)
    return fig


#: fixed metadata: no timestamp, no version string, so equal inputs give byte-identical files
_METADATA = {
    "png": {"Software": "rmt_dsm"},
    "pdf": {"Creator": "rmt_dsm", "Producer": "rmt_dsm", "CreationDate": None},
}


def save_deterministic(fig, prefix: str, formats=("png", "pdf"), dpi: int = 150) -> list[str]:
    """Write ``prefix.<fmt>`` with fixed metadata (byte-identical for equal figures)."""
    from rmt_dsm.plotting import save_figure

    return save_figure(fig, prefix, formats, dpi=dpi, metadata=_METADATA)
