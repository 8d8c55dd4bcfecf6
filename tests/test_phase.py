"""rmt-dsm phase: CSV layout, memorization and floor flags, threshold handling, lines drawn, byte-identical output."""
import csv
import math

import numpy as np
import pytest

from rmt_dsm.cli import main
from rmt_dsm.phase import COLUMNS, make_axis, phase_grid, plot_phase, relative_gap


def _read(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


def _run(tmp_path, name, *extra):
    prefix = str(tmp_path / name)
    argv = ["phase", "--m", "2", "--t", "0.3", "--lam", "0", "--num", "3", "--psi-n-range", "0.5", "2",
            "--psi-p-range", "0.25", "4", "--out", prefix, "--no-progress", *extra]
    assert main(argv) == 0
    return prefix


def test_csv_shape_flag_and_determinism(tmp_path, capsys):
    a = _run(tmp_path, "a", "--jobs", "1")
    b = _run(tmp_path, "b", "--jobs", "2")  # other scheduling, same files
    out = capsys.readouterr().out
    assert "a.csv" in out and "a.png" in out and "a.pdf" in out
    rows = _read(a + ".csv")
    assert list(rows[0].keys()) == list(COLUMNS)
    assert len(rows) == 9
    # psi_n major, psi_p minor, on the log grids
    assert [float(r["psi_n"]) for r in rows[::3]] == make_axis(0.5, 2, 3) == [0.5, 1.0, 2.0]
    assert [float(r["psi_p"]) for r in rows[:3]] == make_axis(0.25, 4, 3) == [0.25, 1.0, 4.0]
    for r in rows:
        assert r["memorizes"] in ("0", "1") and r["below_floor"] in ("0", "1")
        assert (r["below_floor"] == "1") == (float(r["train"]) < float(r["floor"]))
        # memorization: the train error hides at least half the test error
        assert (r["memorizes"] == "1") == (float(r["train"]) <= float(r["test"]) / 2)
        assert math.isclose(float(r["gap"]), float(r["test"]) - float(r["train"]), rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(float(r["floor"]), math.exp(-0.6), rel_tol=1e-12)  # a^2, OU schedule
    # the grid has psi_p = 2 psi_n exactly at (0.5, 1) and (2, 4): +inf there
    inf_points = {(float(r["psi_n"]), float(r["psi_p"])) for r in rows if r["score"] == "inf"}
    assert inf_points == {(0.5, 1.0), (2.0, 4.0)}
    assert all(r["train"] == "0.0" and r["memorizes"] == r["below_floor"] == "1"
               for r in rows if r["score"] == "inf")
    assert {r["memorizes"] for r in rows} == {"0", "1"}  # both phases appear
    for ext in ("csv", "png", "pdf"):
        assert open(f"{a}.{ext}", "rb").read() == open(f"{b}.{ext}", "rb").read(), ext
    assert b"CreationDate" not in open(a + ".pdf", "rb").read()


def test_figure_draws_threshold_diagonal_and_memorization_contour():
    from matplotlib.lines import Line2D

    psi = make_axis(0.5, 2.0, 3)
    rows = phase_grid(psi, psi, m=2, t=0.3, lam=0.0, jobs=1, progress=False)
    fig = plot_phase(rows, {"m": 2, "t": 0.3, "lam": 0.0, "activation": "tanh"})
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if isinstance(ln, Line2D)]
    slopes = {round(float(np.median(ln.get_ydata() / ln.get_xdata())), 6) for ln in lines}
    assert {1.0, 2.0} <= slopes  # psi_p = psi_n and psi_p = m psi_n
    assert any(type(c).__name__ in ("ContourSet", "QuadContourSet") for c in ax.collections)
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len([a for a in fig.axes if a.get_label() != "<colorbar>"]) >= 2


def test_below_the_floor_is_a_diagnostic_not_memorization():
    """E_train < F_pop is not memorization: at m = 1 a model with p = 0.05 n fits below the floor at
    small t. For ridgeless least squares with p < N the train error is (1 - p/N)^2 times the test error
    (the identity behind generalized cross-validation), so the relative gap is 1 - (1 - r)^2, about
    0.1 at r = p/N = 0.05: such a model does not memorize. Beyond the threshold it interpolates its N
    pairs (E_train = 0, relative gap 1). At m = inf and large t a large model also falls below the
    floor while its gap stays a small part of the test error (the published 'generalization at large
    t'); at small t the same model memorizes (the gap opens beyond p ~ n)."""
    (small, large) = phase_grid([1.0], [0.05, 2.0], m=1, t=0.01, lam=0.0, jobs=1, progress=False)
    assert small["below_floor"] and not small["memorizes"]
    assert math.isclose(relative_gap(small["train"], small["test"]), 1 - (1 - 0.05) ** 2, rel_tol=1e-9)
    assert large["train"] == 0.0 and large["memorizes"] and relative_gap(large["train"], large["test"]) == 1.0
    (late,) = phase_grid([1.0], [10.0], m=math.inf, t=1.0, lam=0.0, jobs=1, progress=False)
    (early,) = phase_grid([1.0], [10.0], m=math.inf, t=0.01, lam=0.0, jobs=1, progress=False)
    assert late["below_floor"] and not late["memorizes"]
    assert early["below_floor"] and early["memorizes"]


def test_infinite_m_has_no_threshold_and_linear_axes():
    psi = make_axis(0.5, 2.0, 3, log=False)
    rows = phase_grid(psi, psi, m=math.inf, t=0.3, lam=0.0, jobs=1, progress=False)
    assert all(math.isfinite(r["score"]) for r in rows)
    fig = plot_phase(rows, {"m": math.inf, "t": 0.3, "lam": 0.0}, log=False)
    assert fig.axes[0].get_xscale() == "linear"


def test_grid_point_rounded_off_the_threshold_counts_as_on_it():
    # 3.2526315789473688 is 3 x 1.0842105263157893 up to rounding (a linear grid value)
    def score(m, lam):
        (row,) = phase_grid([1.0842105263157893], [3.2526315789473688], m=m, t=0.3, lam=lam, jobs=1,
                            progress=False)
        return row["score"]

    assert score(3, 0.0) == math.inf
    assert math.isfinite(score(3, 1e-3))
    assert math.isfinite(score(math.inf, 0.0))


@pytest.mark.parametrize("argv, word", [
    (["--m", "0", "--t", "0.3"], "--m"),
    (["--m", "1", "--t", "-1"], "t"),
    (["--m", "1", "--t", "0.3", "--lam", "-1"], "lam"),
    (["--m", "1", "--t", "0.3", "--num", "0"], "num"),
    (["--m", "1", "--t", "0.3", "--psi-n-range", "0", "1"], "psi-n-range"),
    (["--m", "1", "--t", "0.3", "--backend", "dask"], "scheduler"),
])
def test_bad_input_exits_2_naming_the_argument(argv, word, capsys, tmp_path):
    with pytest.raises(SystemExit) if argv[1] == "0" else _nullcontext():
        status = main(["phase", *argv, "--out", str(tmp_path / "x"), "--no-progress"])
        assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert word in captured.err and len(captured.err.strip().splitlines()) == 1


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_memorization_onset_at_p_near_n_for_infinite_m_and_small_t():
    """The papers' crossover: at m = inf and small t the gap opens at p ~ n, whatever psi_n, while
    the floor crossing E_train = F_pop (the diagnostic) sits well below n and depends on psi_n."""
    import rmt_dsm

    ratios = np.geomspace(0.3, 3.0, 41)
    onset, crossing = {}, {}
    for psi_n in (0.5, 1.0, 2.0):
        curve = rmt_dsm.learning_curve("psi_p", list(ratios * psi_n), psi_n=psi_n, m=math.inf, t=0.005,
                                       lam=0.0)
        rel = np.array([relative_gap(e.train, e.test) for e in curve])
        below = np.array([e.train < e.floor for e in curve])
        assert np.all(np.diff(rel) > 0)
        onset[psi_n] = ratios[int(np.argmax(rel >= 0.5))]
        crossing[psi_n] = ratios[int(np.argmax(below))]
    assert all(0.8 < r < 1.1 for r in onset.values()), onset
    assert max(onset.values()) / min(onset.values()) < 1.15, onset
    assert all(crossing[k] < 0.8 * onset[k] for k in onset), (crossing, onset)
    assert crossing[0.5] > 1.5 * crossing[2.0], crossing
