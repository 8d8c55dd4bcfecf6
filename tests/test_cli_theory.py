"""``rmt-dsm errors`` and ``rmt-dsm curve`` (SPEC section 5) and rmt_dsm.plotting.

Most tests call :func:`rmt_dsm.cli.main` in process (the sympy system is compiled once);
one test runs the installed console script in a subprocess.
"""
from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest

from rmt_dsm.cli import main

POINT = ["--psi-n", "1", "--psi-p", "0.5", "--m", "3", "--t", "0.3", "--lam", "0.1"]
KEYS = ("train", "test", "score", "gap", "floor")


def _main(argv, capsys):
    """(status, stdout, stderr) of one in-process CLI call."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _errors_json(capsys, *args):
    status, out, err = _main(["errors", *args, "--json"], capsys)
    assert status == 0, err
    assert len(out.strip().splitlines()) == 1
    return json.loads(out)


def test_errors_json_keys_and_types(capsys):
    data = _errors_json(capsys, *POINT)
    params = {"psi_n", "psi_p", "m", "t", "lam", "a", "delta", "activation", "dps", "sigma", "tau"}
    assert set(data) == {*KEYS, "params", "solver", "accuracy"}  # the parameters once, under "params"
    assert set(data["params"]) == params
    for k in KEYS:
        assert type(data[k]) is float and math.isfinite(data[k])
    pr = data["params"]
    assert pr["m"] == 3 and pr["activation"] == "tanh" and pr["dps"] is None
    assert pr["a"] == pytest.approx(math.exp(-0.3)) and pr["delta"] == pytest.approx(-math.expm1(-0.6))
    assert pr["psi_n"] == 1.0 and pr["psi_p"] == 0.5 and pr["lam"] == 0.1 and pr["t"] == 0.3
    sv = data["solver"]
    assert sv["residual"] < 1e-10 and sv["iterations"] >= 1 and sv["chart"] == "primal"
    # the printed numbers are those of the Python API; the floor is a^2 = e^{-2t} (OU)
    import rmt_dsm

    api = rmt_dsm.errors(1.0, 0.5, 3, t=0.3, lam=0.1)
    assert all(data[k] == getattr(api, k) for k in KEYS)
    assert data["floor"] == pytest.approx(math.exp(-0.6), rel=1e-14)


def test_errors_m_inf_and_a_delta(capsys):
    data = _errors_json(capsys, "--psi-n", "1", "--psi-p", "2", "--m", "inf", "--a", "1", "--delta", "0.5",
                        "--lam", "0.01", "--activation", "erf")
    assert data["params"]["m"] == "inf" and data["params"]["t"] is None
    assert data["floor"] == pytest.approx(1 - 0.5 / 1.5)


def test_errors_dps_strings_and_precision_contract(capsys):
    """SPEC §4: D digits agree with D + 10 digits to >= D - 5 digits (D = 20)."""
    lo = _errors_json(capsys, *POINT, "--dps", "20")
    hi = _errors_json(capsys, *POINT, "--dps", "30")
    assert lo["params"]["dps"] == 20 and hi["params"]["dps"] == 30
    for k in KEYS:
        assert isinstance(lo[k], str) and isinstance(hi[k], str)
        with mpmath.workdps(40):
            a, b = mpmath.mpf(lo[k]), mpmath.mpf(hi[k])
            assert abs(a - b) <= mpmath.mpf(10) ** -15 * abs(b), (k, lo[k], hi[k])
            # really 30 digits, not a double printed with 30 digits
            assert abs(b - mpmath.mpf(float(b))) > mpmath.mpf(10) ** -25 * abs(b), (k, hi[k])
    # and double precision agrees with them to ~1e-12
    dbl = _errors_json(capsys, *POINT)
    assert dbl["test"] == pytest.approx(float(hi["test"]), rel=1e-10)


def test_errors_equal_python_api(capsys):
    """Plumbing check only: the CLI and rmt_dsm.errors() take the same route."""
    import rmt_dsm

    data = _errors_json(capsys, *POINT)
    ref = rmt_dsm.errors(1.0, 0.5, 3, t=0.3, lam=0.1)
    for k in KEYS:
        assert data[k] == getattr(ref, k)


def test_errors_threshold_prints_inf_strings(capsys):
    status, out, err = _main(["errors", "--psi-n", "1", "--psi-p", "1", "--m", "1", "--t", "0.3", "--lam", "0",
                              "--json"], capsys)
    assert status == 0
    data = json.loads(out)
    assert data["test"] == "inf" and data["score"] == "inf" and data["gap"] == "inf"
    assert data["train"] == 0.0 and data["floor"] == pytest.approx(math.exp(-0.6))
    assert data["solver"]["diverged"] is True
    assert "threshold" in err and len(err.strip().splitlines()) == 1


def test_errors_table(capsys):
    status, out, err = _main(["errors", *POINT], capsys)
    assert status == 0, err
    assert all(k in out for k in KEYS) and "chart=primal" in out


BAD = [
    (["--psi-n", "0"], "psi_n"), (["--psi-p", "-1"], "psi_p"), (["--t", "0"], "t must"),
    (["--t", None, "--a", "1", "--delta", "0"], "delta"), (["--m", "0"], "--m"), (["--lam", "-1"], "lam"),
    (["--psi-n", "nan"], "psi_n"), (["--activation", "foo"], "activation"), (["--dps", "0"], "dps"),
    (["--a", "1", "--delta", "0.5"], "not both t and (a, delta)"), (["--m", "2.5"], "--m"),
]


@pytest.mark.parametrize("change,word", BAD)
def test_errors_bad_input(change, word, capsys):
    opts = dict(zip(POINT[::2], POINT[1::2]))
    for k, v in zip(change[::2], change[1::2]):
        if v is None:
            opts.pop(k)
        else:
            opts[k] = v
    argv = ["errors", *[x for kv in opts.items() for x in kv], "--json"]
    status, out, err = _main(argv, capsys)
    assert status not in (0, None) and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], err


def test_convergence_error_exits_3(monkeypatch, capsys):
    import rmt_dsm.api as api
    from rmt_dsm.engine import ConvergenceError

    def fail(*args, **kwargs):
        raise ConvergenceError("dsm", "Newton stalled\nafter 50 steps", {"psi_n": 1.0}, residual=1.0,
                               iterations=50)

    monkeypatch.setattr(api, "errors", fail)
    status, out, err = _main(["errors", *POINT, "--json"], capsys)
    assert status == 3 and out == "" and len(err.strip().splitlines()) == 1 and "stalled" in err


def _read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_curve_writes_csv_png_pdf_json(tmp_path, capsys):
    prefix = str(tmp_path / "lc")
    status, out, err = _main(["curve", "--vary", "psi_p", "--from", "0.2", "--to", "5", "--num", "12", "--log",
                              "--psi-n", "1", "--m", "2", "--t", "0.3", "--lam", "0.01", "--out", prefix, "--json"],
                             capsys)
    assert status == 0, err
    rows = _read_csv(prefix + ".csv")
    assert len(rows) == 12 and list(rows[0]) == ["psi_p", *KEYS]
    xs = [float(r["psi_p"]) for r in rows]
    assert xs == sorted(xs) and len(set(xs)) == 12
    assert xs[0] == pytest.approx(0.2) and xs[-1] == pytest.approx(5)
    for ext in ("png", "pdf"):
        assert (tmp_path / f"lc.{ext}").stat().st_size > 5000
    assert Path(prefix + ".png").read_bytes()[:4] == b"\x89PNG" and Path(prefix + ".pdf").read_bytes()[:4] == b"%PDF"
    data = json.loads(out)
    assert json.loads(Path(prefix + ".json").read_text()) == data
    assert data["vary"] == "psi_p" and len(data["rows"]) == 12 and data["params"]["m"] == 2
    assert float(rows[3]["test"]) == data["rows"][3]["test"]
    # memorization beyond the threshold: train error below the floor
    assert float(rows[-1]["train"]) < float(rows[-1]["floor"])


def test_curve_vary_m_integer_grid(tmp_path, capsys):
    prefix = str(tmp_path / "mc")
    status, out, err = _main(["curve", "--vary", "m", "--from", "1", "--to", "40", "--num", "12", "--log",
                              "--psi-n", "1", "--psi-p", "3", "--t", "0.5", "--lam", "0.01", "--out", prefix], capsys)
    assert status == 0, err
    ms = [r["m"] for r in _read_csv(prefix + ".csv")]
    assert all(m.isdigit() for m in ms)
    ms = [int(m) for m in ms]
    assert ms[0] == 1 and ms[-1] == 40 and ms == sorted(set(ms)) and len(ms) <= 12


def test_curve_with_simulation_columns(tmp_path, capsys):
    prefix = str(tmp_path / "sc")
    status, out, err = _main(["curve", "--vary", "lam", "--from", "0.01", "--to", "1", "--num", "9", "--log",
                              "--psi-n", "1", "--psi-p", "1.5", "--m", "2", "--t", "0.5", "--activation", "erf",
                              "--simulate-d", "40", "--seeds", "2", "--simulate-points", "3", "--out", prefix],
                             capsys)
    assert status == 0, err
    rows = _read_csv(prefix + ".csv")
    simulated = [r for r in rows if r["sim_test_mean"]]
    assert len(rows) == 9 and len(simulated) == 3
    for r in simulated:  # d = 40: loose agreement only, the slow suite validates properly
        assert float(r["sim_test_mean"]) == pytest.approx(float(r["test"]), abs=0.15)
        assert float(r["sim_test_stderr"]) > 0


_GRID = ["--from", "0.5", "--to", "2", "--num", "3"]


@pytest.mark.parametrize("argv,word", [
    (["--vary", "psi_p", *_GRID, "--psi-p", "1", "--psi-n", "1", "--m", "1", "--t", "0.5"], "--psi-p"),
    (["--vary", "psi_p", *_GRID, "--m", "1", "--t", "0.5"], "--psi-n is required"),
    (["--vary", "psi_p", "--from", "0", "--to", "2", "--log", "--psi-n", "1", "--m", "1", "--t", "0.5"], "--from"),
    (["--vary", "psi_p", *_GRID, "--psi-n", "1", "--m", "1", "--t", "0.5", "--lam", "-1"], "lam"),
    (["--vary", "m", "--from", "0", "--to", "3", "--psi-n", "1", "--psi-p", "1", "--t", "0.5"], "--from"),
    (["--vary", "t", *_GRID, "--psi-n", "1", "--psi-p", "1", "--m", "1", "--t", "0.5"], "--t"),
    (["--vary", "psi_p", *_GRID, "--psi-n", "1", "--m", "1", "--t", "0.5", "--simulate-d", "0"], "--simulate-d"),
])
def test_curve_bad_input(argv, word, tmp_path, capsys):
    status, out, err = _main(["curve", *argv, "--out", str(tmp_path / "bad")], capsys)
    assert status == 2 and out == "" and word in err and len(err.strip().splitlines()) == 1, err
    assert not list(tmp_path.iterdir())


def test_plot_curve_threshold_and_markers():
    from rmt_dsm.plotting import plot_curve

    rows = [{"psi_p": x, "train": 0.5 / x, "test": 1 + x, "score": x, "floor": 1.0} for x in (0.5, 1.0, 2.0)]
    rows.append({"psi_p": 3.0, "train": 0.0, "test": math.inf, "score": math.inf, "floor": 1.0})
    sim = [{"psi_p": 1.0, "sim_train_mean": 0.5, "sim_train_stderr": 0.01, "sim_test_mean": 2.0,
            "sim_test_stderr": 0.02, "sim_score_mean": 1.0, "sim_score_stderr": 0.02}]
    fig = plot_curve(rows, "psi_p", {"psi_n": 1.0, "m": 2, "t": 0.1, "lam": 0.0, "activation": "tanh"},
                     sim_rows=sim, log=True)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("threshold" in s for s in labels) and any("simulation" in s for s in labels)
    assert ax.get_xscale() == "log" and "psi_p" in ax.get_xlabel() and "m=2" in ax.get_title()
    vlines = [ln for ln in ax.get_lines() if list(ln.get_xdata()) == [2.0, 2.0]]
    assert vlines, "threshold line at psi_p = m psi_n = 2"
    test_line = [ln for ln in ax.get_lines() if ln.get_label() == r"$E_{\rm test}$"][0]
    assert len(test_line.get_xdata()) == 3  # the +inf point is left out


def test_console_script_subprocess(tmp_path):
    exe = Path(sys.executable).parent / "rmt-dsm"
    cmd = [str(exe)] if exe.exists() else [shutil.which("rmt-dsm") or "rmt-dsm"]
    run = subprocess.run(cmd + ["errors", *POINT, "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert set(json.loads(run.stdout)) >= set(KEYS)
    bad = subprocess.run(cmd + ["errors", "--psi-n", "nan", "--psi-p", "1", "--m", "1", "--t", "1", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stdout == "" and "psi_n" in bad.stderr
