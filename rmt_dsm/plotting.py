"""Figures of learning curves (theory lines, optional finite-d simulation points).

Pure functions returning matplotlib figures; nothing is shown or saved here, so the CLI,
the docs and the validation scripts share one drawing.  The Agg backend is selected by the
callers that save files (`save_figure`), never a display.

Rows are dicts with the varied parameter's name and the keys train, test, score, floor
(values: float, mpmath number or +inf; non-finite points are left out of the lines).
Simulation rows carry ``sim_<error>_mean`` and ``sim_<error>_stderr``.
"""
from __future__ import annotations

import math

__all__ = ["plot_curve", "plot_spectrum", "threshold_location", "save_figure", "COLORS", "LABELS"]

#: one colour per error, shared by theory lines and simulation markers
COLORS = {"train": "tab:blue", "test": "tab:red", "score": "tab:green", "floor": "0.35"}
LABELS = {"train": r"$E_{\rm train}$", "test": r"$E_{\rm test}$", "score": r"$E_{\rm score}$",
          "floor": r"floor $F_{\rm pop}$"}
AXIS_LABELS = {"psi_p": r"$\psi_p = p/d$", "psi_n": r"$\psi_n = n/d$", "m": r"$m$ (noise draws per point)",
               "t": r"diffusion time $t$", "lam": r"ridge $\lambda$"}
_PARAM_TEX = {"psi_n": r"\psi_n", "psi_p": r"\psi_p", "m": "m", "t": "t", "lam": r"\lambda",
              "a": "a", "delta": r"\Delta"}
#: the threshold line is drawn only for ridges up to this value (a visible peak)
SMALL_LAM = 0.05


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def threshold_location(vary: str, params: dict):
    """Where the interpolation threshold psi_p = m psi_n lies on the varied axis, or None.

    Examples
    --------
    >>> threshold_location("psi_p", {"psi_n": 2.0, "m": 3, "lam": 0.0})
    6.0
    >>> threshold_location("psi_n", {"psi_p": 2.0, "m": 4, "lam": 1e-3})
    0.5
    >>> threshold_location("psi_p", {"psi_n": 1.0, "m": math.inf, "lam": 0.0}) is None
    True
    """
    m, lam = params.get("m"), params.get("lam", 0.0)
    if lam is None or _float(lam) > SMALL_LAM:
        return None
    if vary == "psi_p" and m not in (None, math.inf):
        return float(m) * float(params["psi_n"])
    if vary == "psi_n" and m not in (None, math.inf):
        return float(params["psi_p"]) / float(m)
    if vary == "m":
        return float(params["psi_p"]) / float(params["psi_n"])
    return None


def _format_param(name: str, v) -> str:
    if v is None:
        return ""
    if name == "m" and v == math.inf:
        return r"m=\infty"
    num = f"{_float(v):.4g}" if not isinstance(v, int) else str(v)
    return f"{_PARAM_TEX[name]}={num}"


def curve_title(vary: str, params: dict) -> str:
    """Title listing the fixed parameters (mathtext).

    Examples
    --------
    >>> curve_title("psi_p", {"psi_n": 1.0, "m": 1, "t": 0.1, "lam": 0.001, "activation": "tanh"})
    '$\\\\psi_n=1,\\\\ m=1,\\\\ t=0.1,\\\\ \\\\lambda=0.001$, tanh'
    """
    names = ["psi_n", "psi_p", "m", "t", "a", "delta", "lam"]
    if params.get("t") is not None:
        names = [n for n in names if n not in ("a", "delta")]
    parts = [_format_param(n, params.get(n)) for n in names if n != vary]
    parts = [p for p in parts if p]
    title = "$" + r",\ ".join(parts) + "$"
    if params.get("activation"):
        title += f", {params['activation']}"
    return title


def _series(rows, vary, key):
    """(x, y) of the finite points of one error."""
    xs, ys = [], []
    for r in rows:
        x, y = _float(r[vary]), _float(r.get(key))
        if math.isfinite(x) and math.isfinite(y):
            xs.append(x)
            ys.append(y)
    return xs, ys


def plot_curve(rows, vary: str, params: dict, sim_rows=None, log: bool = False, logy: bool = False,
               sim_label: str | None = None):
    """Train, test and score errors and the floor versus ``vary``.

    ``params``: the fixed parameters (psi_n, psi_p, m, t or a/delta, lam, activation); they
    make the title and locate the threshold psi_p = m psi_n, drawn as a vertical dashed
    line when it lies in the plotted range and lam <= SMALL_LAM.  ``sim_rows``: simulation
    points drawn as markers with standard-error bars in the colours of the theory lines.
    Returns a `matplotlib.figure.Figure` (not attached to any display).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    for key in ("train", "test", "score"):
        xs, ys = _series(rows, vary, key)
        ax.plot(xs, ys, color=COLORS[key], lw=1.8, label=LABELS[key])
    xs, ys = _series(rows, vary, "floor")
    ax.plot(xs, ys, color=COLORS["floor"], lw=1.2, ls=":", label=LABELS["floor"])
    if sim_rows:
        for key in ("train", "test", "score"):
            pts = [(_float(r[vary]), _float(r.get(f"sim_{key}_mean")), _float(r.get(f"sim_{key}_stderr")))
                   for r in sim_rows]
            pts = [(x, y, e if math.isfinite(e) else 0.0) for x, y, e in pts if math.isfinite(x) and math.isfinite(y)]
            if pts:
                x, y, e = zip(*pts)
                ax.errorbar(x, y, yerr=e, fmt="o", ms=4.5, mfc="none", color=COLORS[key], capsize=2.5, lw=1)
        ax.errorbar([], [], yerr=[], fmt="o", mfc="none", color="k", label=sim_label or "simulation")
    allx = [_float(r[vary]) for r in rows if math.isfinite(_float(r[vary]))]
    thr = threshold_location(vary, params)
    if thr is not None and allx and min(allx) <= thr <= max(allx):
        ax.axvline(thr, color="k", ls="--", lw=0.9, label=r"threshold $\psi_p = m\,\psi_n$")
    if log:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(AXIS_LABELS.get(vary, vary))
    ax.set_ylabel("error per dimension")
    ax.set_title(curve_title(vary, params), fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def plot_spectrum(spec, params: dict):
    """Bulk density of U with its atom drawn as a vertical bar labelled by its mass.

    ``spec``: `rmt_dsm.dsm.spectrum.Spectrum`.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(spec.energies, spec.density, color="tab:purple", label="bulk density")
    if spec.atom_mass > 0:
        top = float(max(spec.density.max(), 1e-12))
        ax.vlines([spec.atom_at], 0, top, colors="k", linestyles="--",
                  label=f"atom at {spec.atom_at:.3g}, mass {spec.atom_mass:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel(r"eigenvalue of $U$")
    ax.set_ylabel("density")
    ax.set_title(curve_title("", params))
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return fig


def save_figure(fig, prefix: str, formats=("png", "pdf"), dpi: int = 150, metadata=None) -> list[str]:
    """Write ``prefix.<fmt>`` for each format with the Agg canvas; returns the paths.

    ``metadata``: optional ``{fmt: dict}`` passed to ``savefig(metadata=...)`` per format.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    paths = []
    for fmt in formats:
        path = f"{prefix}.{fmt}"
        fig.savefig(path, dpi=dpi, metadata=(metadata or {}).get(fmt))
        paths.append(path)
    return paths
