r"""Phase diagram of DSM in the (psi_n, psi_p) plane at fixed m, t (or a, Delta), lambda.

At every grid point the exact asymptotic errors of :func:`rmt_dsm.errors` are computed;
the point *memorizes* when the train error falls below the population floor,
E_train < F_pop (SPEC section 2).  The figure (:func:`plot_phase`) shows two heatmaps,
the score error E_score and the generalization gap E_test - E_train, with the
memorization region outlined, the diagonal psi_p = psi_n and, for finite m, the
interpolation threshold psi_p = m psi_n.

Computation (:func:`phase_grid`): one task per row of the grid (fixed psi_n), solved along
psi_p by :func:`rmt_dsm.learning_curve` (each point warm-started from the previous one);
the rows go through :func:`rmt_dsm.parallel.parallel_map`, so they run on all cores or on
a dask cluster, and the result does not depend on how they were scheduled.

At lambda = 0 the points on the threshold psi_p = m psi_n have test = score = gap = +inf
(:class:`rmt_dsm.api.ThresholdDivergence`); they are kept as +inf in the table and drawn in
dark grey (the "over" colour of the heatmaps).  A grid point within a relative 1e-12 of the
threshold (rounding of the grid) counts as lying on it (:func:`rmt_dsm.errors` detects this).

Examples
--------
>>> rows = phase_grid([1.0], [0.2, 2.0], m=1, t=0.3, lam=0.1, jobs=1, progress=False)
>>> [r["memorizes"] for r in rows]
[False, True]
"""
from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = ["phase_grid", "phase_row", "make_axis", "plot_phase", "write_phase_csv", "save_deterministic",
           "COLUMNS", "PhaseFailure"]

#: CSV columns, in order
COLUMNS = ("psi_n", "psi_p", "train", "test", "score", "gap", "floor", "memorizes")
_KEYS = ("train", "test", "score", "gap", "floor")


class PhaseFailure(RuntimeError):
    """Some grid points did not converge; ``rows`` holds the whole grid (NaN there)."""

    def __init__(self, message, rows, failures):
        super().__init__(message)
        self.rows, self.failures = rows, failures


def make_axis(start: float, stop: float, num: int, log: bool = True, name: str = "psi") -> list[float]:
    """Grid values of one axis: log-spaced (default) or linear, both ends included.

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
    """One row of the grid (a fixed psi_n): the errors along psi_p.

    Runs in a worker process.  Returns ``{"rows": [...], "failures": [...]}``; a point where
    the solver does not converge is retried without warm start and, failing again, becomes
    a row of NaNs listed in ``failures`` as ``(psi_n, psi_p, message)``.
    """
    from rmt_dsm.api import ThresholdDivergence, errors, learning_curve

    psi_n, values = task["psi_n"], list(task["psi_p"])
    kw = {k: task[k] for k in ("m", "t", "lam", "activation", "a", "delta")}
    failures = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ThresholdDivergence)
        try:
            results = learning_curve("psi_p", values, psi_n=psi_n, **kw)
        except (ArithmeticError, RuntimeError, ValueError) as exc:
            if isinstance(exc, ValueError) and "must" in str(exc):
                raise  # bad input: not a convergence problem
            results = []
            for v in values:  # point by point, no warm start
                try:
                    results.append(errors(psi_n, v, **kw))
                except (ArithmeticError, RuntimeError) as exc_point:
                    failures.append((psi_n, v, " ".join(str(exc_point).split())))
                    results.append(None)
    rows = []
    for v, res in zip(values, results):
        row = {"psi_n": psi_n, "psi_p": v}
        for k in _KEYS:
            row[k] = math.nan if res is None else float(getattr(res, k))
        row["memorizes"] = bool(row["train"] < row["floor"])  # False for NaN
        rows.append(row)
    return {"rows": rows, "failures": failures}


def phase_grid(psi_n_values, psi_p_values, m, t=None, lam=0.0, activation="tanh", a=None, delta=None,
               jobs=None, backend="joblib", scheduler=None, progress=True) -> list[dict]:
    """Errors on the grid psi_n_values x psi_p_values, rows of psi_n in the given order.

    Returns a list of dicts with keys :data:`COLUMNS` (psi_n major, psi_p minor).  The
    parameters are checked once in this process (``ValueError`` naming the bad one) before
    any worker starts.  Raises :class:`PhaseFailure` if some point did not converge.
    """
    from rmt_dsm.point import point
    from rmt_dsm.parallel import parallel_map

    psi_n_values = [float(v) for v in psi_n_values]
    psi_p_values = [float(v) for v in psi_p_values]
    if not psi_n_values or not psi_p_values:
        raise ValueError("the psi_n and psi_p grids must not be empty")
    for pn in (psi_n_values[0], psi_n_values[-1]):
        for pp in (psi_p_values[0], psi_p_values[-1]):
            point(pn, pp, m, t, lam, activation, a, delta, None)  # validation only
    for name, vals in (("psi_n", psi_n_values), ("psi_p", psi_p_values)):
        for v in vals:
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name} must be a finite positive ratio, got {v}")
    tasks = [{"psi_n": pn, "psi_p": psi_p_values, "m": m, "t": t, "lam": lam, "activation": activation,
              "a": a, "delta": delta} for pn in psi_n_values]
    results = parallel_map(phase_row, tasks, jobs=jobs, backend=backend, scheduler=scheduler,
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

    >>> _fmt(0.1), _fmt(math.inf), _fmt(True)
    ('0.1', 'inf', '1')
    """
    if isinstance(v, bool):
        return "1" if v else "0"
    return repr(float(v))


def write_phase_csv(path: str, rows: list[dict]) -> None:
    """PREFIX.csv: header :data:`COLUMNS`, one line per grid point, ``memorizes`` as 0/1."""
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
    return title


def plot_phase(rows: list[dict], params: dict, log: bool = True):
    """Two heatmaps over (psi_n, psi_p): E_score (left) and the gap E_test - E_train (right).

    Both panels outline the memorization region (E_train < F_pop: hatched, bounded by the
    black contour E_train = F_pop interpolated between grid points),
    and draw the diagonal psi_p = psi_n and, for finite m != 1, the threshold
    psi_p = m psi_n.  Non-finite values (+inf at the threshold for lambda = 0) get the
    colour map's "over" colour; NaN (no convergence) is left white.  ``params`` holds m and
    t (or a, delta), lam, activation for the title and the threshold line.  Returns a
    :class:`matplotlib.figure.Figure` not attached to any display.
    """
    import matplotlib

    psi_n = sorted({r["psi_n"] for r in rows})
    psi_p = sorted({r["psi_p"] for r in rows})
    n_n, n_p = len(psi_n), len(psi_p)
    rows = sorted(rows, key=lambda r: (r["psi_n"], r["psi_p"]))
    if len(rows) != n_n * n_p:
        raise ValueError("plot_phase needs a full rectangular grid of (psi_n, psi_p) points")
    xe, ye = _edges(psi_n, log), _edges(psi_p, log)
    mem = _matrix([{"memorizes": float(r["memorizes"])} for r in rows], "memorizes", n_n, n_p) > 0.5
    excess = _matrix(rows, "train", n_n, n_p) - _matrix(rows, "floor", n_n, n_p)  # < 0: memorization
    m = params.get("m")

    with matplotlib.rc_context({"hatch.color": "0.85", "hatch.linewidth": 0.6}):
        return _draw_phase(rows, params, log, psi_n, psi_p, n_n, n_p, xe, ye, mem, excess, m)


def _draw_phase(rows, params, log, psi_n, psi_p, n_n, n_p, xe, ye, mem, excess, m):
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig = Figure(figsize=(11.0, 4.6), layout="constrained")
    axes = fig.subplots(1, 2, sharex=True, sharey=True)
    panels = (("score", r"score error $E_{\rm score}$", "viridis"),
              ("gap", r"generalization gap $E_{\rm test}-E_{\rm train}$", "magma"))
    lo, hi = min(xe[0], ye[0]), max(xe[-1], ye[-1])
    line = np.geomspace(lo, hi, 200) if log else np.linspace(lo, hi, 200)
    for ax, (key, label, cmap_name) in zip(axes, panels):
        z = _matrix(rows, key, n_n, n_p)
        cmap = matplotlib.colormaps[cmap_name].with_extremes(over="0.15", bad="white")
        norm = _norm(z)
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(z), cmap=cmap, norm=norm, shading="flat",
                             rasterized=True)
        if np.isposinf(z).any():  # +inf cells: the "over" colour
            ax.pcolormesh(xe, ye, np.ma.masked_where(~np.isposinf(z), np.ones_like(z)),
                          cmap=matplotlib.colors.ListedColormap(["0.15"]), shading="flat", rasterized=True)
        fig.colorbar(mesh, ax=ax, label=label, extend="max" if np.isposinf(z).any() else "neither")
        if mem.any() and min(n_n, n_p) >= 2:  # boundary E_train = F_pop, interpolated between points
            low = float(np.nanmin(excess))
            ax.contourf(psi_n, psi_p, np.ma.masked_invalid(excess), levels=[low - 1.0, 0.0], colors="none",
                        hatches=["/"])
            if not mem.all():
                ax.contour(psi_n, psi_p, np.ma.masked_invalid(excess), levels=[0.0], colors="k",
                           linewidths=1.4)
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
    handles = [Patch(facecolor="none", edgecolor="k", hatch="/", label=r"memorization $E_{\rm train}<F_{\rm pop}$"),
               Line2D([], [], color="white", ls="--", lw=1.2, label=r"$\psi_p=\psi_n$")]
    if m is not None and m != math.inf:
        if m == 1:
            handles[-1] = Line2D([], [], color="white", ls="--", lw=1.2,
                                 label=r"$\psi_p=\psi_n$ (threshold, $m=1$)")
        else:
            handles.append(Line2D([], [], color="tab:red", ls=":", lw=1.6,
                                  label=rf"threshold $\psi_p={m}\,\psi_n$"))
    leg = axes[1].legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.85)
    leg.get_frame().set_facecolor("0.8")
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
