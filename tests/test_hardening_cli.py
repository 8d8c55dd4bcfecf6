"""Every failure of ``rmt-dsm`` is one line on stderr with the documented exit status, nothing on
stdout, and no file written; bad input is refused before any computation.

Most cases run the dispatcher in-process (fast); a few run the console script as a subprocess.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rmt_dsm
from rmt_dsm.cli import main

SCHEDULE = ["--t", "0.5"]
POINT = ["--psi-n", "1", "--psi-p", "2", "--m", "2", *SCHEDULE]


from test_cli_theory import _main as run_cli  # noqa: E402  (status, stdout, stderr) of one in-process call


def assert_one_line(status, out, err, expected_status, *words):
    assert status == expected_status, err
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for word in words:
        assert word in lines[0], (word, lines[0])


# bad inputs of the model (docs/model.md): (replacement arguments, a word the message must contain)
BAD_MODEL = [
    (["--psi-n", "0"], "psi-n"), (["--psi-n", "-1"], "psi-n"), (["--psi-n", "nan"], "psi-n"),
    (["--psi-p", "0"], "psi-p"), (["--psi-p", "inf"], "psi-p"),
    (["--m", "0"], "--m"), (["--m", "1.5"], "--m"), (["--m", "x"], "--m"),
    (["--t", "0"], "--t"), (["--t", "-1"], "--t"), (["--t", "nan"], "--t"),
    (["--a", "1", "--delta", "0"], "delta"), (["--a", "1", "--delta", "-1"], "delta"),
    (["--lam", "-1"], "lam"), (["--lam", "nan"], "lam"),
    (["--activation", "foo"], "--activation"), (["--activation", "sin(y)"], "--activation"),
]


def _with(base: list, change: list) -> list:
    """``base`` with the options of ``change`` replaced (or added); --a/--delta replace --t."""
    out, skip = [], set(change[::2])
    if "--a" in skip:
        skip.add("--t")
    i = 0
    while i < len(base):
        if base[i] in skip:
            i += 2
            continue
        out += base[i:i + 2]
        i += 2
    return out + change


@pytest.mark.parametrize("change, word", BAD_MODEL)
def test_errors_bad_model_input(change, word, capsys):
    assert_one_line(*run_cli(["errors", *_with(POINT, change), "--json"], capsys), 2, word)


@pytest.mark.parametrize("change, word", BAD_MODEL[::2])
def test_simulate_bad_model_input(change, word, capsys):
    assert_one_line(*run_cli(["simulate", "--d", "20", *_with(POINT, change), "--json"], capsys), 2, word)


@pytest.mark.parametrize("change, word", BAD_MODEL[1::2])
def test_spectrum_bad_model_input(change, word, tmp_path, capsys):
    argv = ["spectrum", *_with(POINT, change), "--out", str(tmp_path / "s")]
    assert_one_line(*run_cli(argv, capsys), 2, word)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("change, word", [c for c in BAD_MODEL if c[0][0] not in ("--psi-n", "--psi-p")])
def test_phase_bad_model_input(change, word, tmp_path, capsys):
    argv = ["phase", *_with(["--m", "2", *SCHEDULE], change), "--num", "2", "--jobs", "1",
            "--out", str(tmp_path / "p")]
    assert_one_line(*run_cli(argv, capsys), 2, word)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("change, word", [(["--psi-n-range", "0", "1"], "psi-n-range"),
                                          (["--psi-p-range", "-1", "1"], "psi-p-range"),
                                          (["--psi-p-range", "1", "nan"], "psi-p-range")])
def test_phase_bad_ratios(change, word, tmp_path, capsys):
    argv = ["phase", "--m", "1", *SCHEDULE, *change, "--num", "2", "--out", str(tmp_path / "p")]
    assert_one_line(*run_cli(argv, capsys), 2, word)


@pytest.mark.parametrize("change, word", BAD_MODEL[::3])
def test_curve_bad_model_input(change, word, tmp_path, capsys):
    base = ["--vary", "psi_p", "--from", "0.5", "--to", "1", "--num", "2",
            *_with(["--psi-n", "1", "--m", "2", *SCHEDULE], change)]
    assert_one_line(*run_cli(["curve", *base, "--out", str(tmp_path / "c")], capsys), 2, word)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("vary,ends,others,flag", [
    ("psi_p", ("0.1", "-1"), ["--psi-n", "1", "--m", "1", *SCHEDULE], "--to"),
    ("psi_n", ("0", "2"), ["--psi-p", "1", "--m", "1", *SCHEDULE], "--from"),
    ("lam", ("1", "-0.5"), ["--psi-n", "1", "--psi-p", "1", "--m", "1", *SCHEDULE], "--to"),
    ("t", ("-1", "1"), ["--psi-n", "1", "--psi-p", "1", "--m", "1"], "--from"),
    ("tau", ("0", "10"), ["--psi-n", "1", "--psi-p", "1", "--m", "1", *SCHEDULE], "--from"),
])
def test_curve_range_outside_the_domain_names_its_end(vary, ends, others, flag, tmp_path, capsys):
    """An end of the swept range outside the parameter's domain is named as the option that set it
    (not as a grid entry), with the domain, before any work."""
    argv = ["curve", "--vary", vary, "--from", ends[0], "--to", ends[1], "--num", "5", *others,
            "--out", str(tmp_path / "c")]
    status, out, err = run_cli(argv, capsys)
    assert_one_line(status, out, err, 2, flag)
    assert err.split("error: ", 1)[1].startswith(f"{flag} (--vary {vary}): {vary} must be")
    assert "entry" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("m", ["0", "-1", "1.5", "nan", "x"])
def test_latex_bad_m(m, capsys):
    assert_one_line(*run_cli(["latex", "--m", m], capsys), 2, "--m")


def test_latex_refuses_model_options_it_does_not_take(capsys):
    assert_one_line(*run_cli(["latex", "--psi-n", "0"], capsys), 2, "psi-n")


@pytest.mark.parametrize("dps", ["0", "-3", "101", "100000", "ten"])
def test_dps_outside_its_range_is_refused_at_once(dps, capsys):
    assert_one_line(*run_cli(["errors", *POINT, "--dps", dps], capsys), 2, "--dps", "100")


@pytest.mark.parametrize("command", [
    ["curve", "--vary", "psi_p", "--from", "0.5", "--to", "1", "--num", "2", "--psi-n", "1", "--m", "1", *SCHEDULE],
    ["phase", "--m", "1", *SCHEDULE, "--num", "2"],
    ["spectrum", *POINT],
])
@pytest.mark.parametrize("where", ["missing", "empty", "file-as-dir", "read-only"])
def test_outputs_are_checked_before_computing(command, where, tmp_path, capsys, monkeypatch):
    import rmt_dsm.api
    import rmt_dsm.dsm.spectrum
    import rmt_dsm.phase

    def boom(*args, **kwargs):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr(rmt_dsm.phase, "phase_grid", boom)
    monkeypatch.setattr(rmt_dsm.api, "learning_curve", boom)
    monkeypatch.setattr(rmt_dsm.dsm.spectrum, "spectrum", boom)
    (tmp_path / "afile").write_text("")
    out = {"missing": str(tmp_path / "no" / "such" / "dir" / "x"), "empty": "",
           "file-as-dir": str(tmp_path / "afile" / "x"), "read-only": "/proc/rmt_dsm_x"}[where]
    assert_one_line(*run_cli([*command, "--out", out], capsys), 2, "--out")


def test_simulation_beyond_the_memory_is_refused_with_the_estimate(capsys):
    status, out, err = run_cli(["simulate", "--d", "100000", *POINT], capsys)
    assert_one_line(status, out, err, 2, "--d", "GB")


def test_curve_with_simulations_beyond_the_memory_is_refused_before_the_theory(tmp_path, capsys, monkeypatch):
    import rmt_dsm.api

    monkeypatch.setattr(rmt_dsm.api, "learning_curve", lambda *a, **k: pytest.fail("theory computed first"))
    argv = ["curve", "--vary", "psi_p", "--from", "0.5", "--to", "1", "--num", "2", "--psi-n", "1", "--m", "1",
            *SCHEDULE, "--simulate-d", "200000", "--out", str(tmp_path / "c")]
    assert_one_line(*run_cli(argv, capsys), 2, "GB")


def test_num_gives_num_rows_or_says_why_not(tmp_path, capsys):
    argv = ["curve", "--vary", "m", "--from", "1", "--to", "3", "--num", "7", "--psi-n", "1", "--psi-p", "0.5",
            *SCHEDULE, "--lam", "0.1", "--json", "--out", str(tmp_path / "c")]
    status, out, err = run_cli(argv, capsys)
    assert status == 0, err
    rows = json.loads(out)["rows"]
    assert [r["m"] for r in rows] == [1, 2, 3]
    assert "3 row(s), not 7" in err
    argv = ["curve", "--vary", "psi_p", "--from", "0.5", "--to", "1", "--num", "4", "--psi-n", "1", "--m", "1",
            *SCHEDULE, "--lam", "0.1", "--json", "--out", str(tmp_path / "d")]
    status, out, err = run_cli(argv, capsys)
    assert status == 0 and len(json.loads(out)["rows"]) == 4 and "not 4" not in err


def test_errors_json_carries_the_parameters_once(capsys):
    status, out, err = run_cli(["errors", *POINT, "--lam", "0.1", "--json"], capsys)
    assert status == 0, err
    data = json.loads(out)
    assert {"train", "test", "score", "gap", "floor", "params"} <= set(data)
    assert not set(data) & set(data["params"])  # no parameter both at the top and in "params"


def test_unreachable_dask_scheduler_is_one_line(tmp_path, capsys):
    pytest.importorskip("distributed")
    argv = ["phase", "--m", "1", *SCHEDULE, "--num", "2", "--backend", "dask", "--scheduler", "tcp://127.0.0.1:9",
            "--out", str(tmp_path / "p")]
    assert_one_line(*run_cli(argv, capsys), 2, "--scheduler")


def test_unexpected_exception_is_one_line(capsys, monkeypatch):
    import rmt_dsm.api

    def broken(*args, **kwargs):
        raise KeyError("something internal\nwith a second line")

    monkeypatch.setattr(rmt_dsm.api, "errors", broken)
    assert_one_line(*run_cli(["errors", *POINT], capsys), 1, "KeyError")


def test_convergence_error_exits_3(tmp_path, capsys, monkeypatch):
    import rmt_dsm.api
    from rmt_dsm.engine import ConvergenceError

    def no_convergence(*args, **kwargs):
        raise ConvergenceError("rmt_dsm.errors", "test", {"psi_n": 1.0}, 1.0, 5, "hint")

    monkeypatch.setattr(rmt_dsm.api, "learning_curve", no_convergence)
    argv = ["curve", "--vary", "psi_p", "--from", "0.5", "--to", "1", "--num", "2", "--psi-n", "1", "--m", "1",
            *SCHEDULE, "--out", str(tmp_path / "c")]
    status, out, err = run_cli(argv, capsys)
    assert status == 3 and out == "" and len(err.strip().splitlines()) == 1


def test_help_shows_defaults_and_no_outside_reference(capsys):
    from rmt_dsm.cli import SUBCOMMANDS

    for name in SUBCOMMANDS:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        text, _ = capsys.readouterr()
        assert "SPEC" not in text
        if name in ("errors", "curve", "simulate", "phase", "spectrum"):
            assert "(default: tanh)" in text
    with pytest.raises(SystemExit):
        main(["curve", "--help"])
    text, _ = capsys.readouterr()
    assert "(default: 40)" in text and "(default: rmt_dsm_curve)" in text


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    out, _ = capsys.readouterr()
    assert exc.value.code == 0 and out.strip() == f"rmt-dsm {rmt_dsm.__version__}"


def test_version_and_a_bad_input_in_a_subprocess(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "rmt_dsm.cli", "--version"], capture_output=True, text=True,
                        timeout=60)
    assert ok.returncode == 0 and ok.stdout.strip() == f"rmt-dsm {rmt_dsm.__version__}"
    bad = subprocess.run([sys.executable, "-m", "rmt_dsm.cli", "simulate", "--d", "20", *POINT, "--lam", "-1"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stdout == "" and len(bad.stderr.strip().splitlines()) == 1
    assert "lam" in bad.stderr


# ------------------------------------------------------------------------------------ Python API

@pytest.mark.parametrize("kwargs, name", [
    (dict(psi_n="1"), "psi_n"), (dict(psi_p="2"), "psi_p"), (dict(m="2"), "m"), (dict(t="0.5"), "t"),
    (dict(lam="0"), "lam"), (dict(t=None, a="1", delta=0.5), "a"), (dict(t=None, a=1, delta="0.5"), "delta"),
    (dict(dps="30"), "dps"), (dict(dps=101), "dps"), (dict(dps=0), "dps"), (dict(activation=3), "activation"),
    (dict(psi_n={1.0}), "psi_n"), (dict(psi_n=[1.0, "x"]), "psi_n"), (dict(t=1j), "t"), (dict(psi_n=None), "psi_n"), (dict(lam=float("nan")), "lam"),
])
def test_api_refuses_non_numbers_with_value_error(kwargs, name):
    args = dict(psi_n=1.0, psi_p=2.0, m=2, t=0.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        rmt_dsm.errors(**args)


@pytest.mark.parametrize("kwargs, name", [(dict(d="20"), "d"), (dict(psi_n="1"), "psi_n"), (dict(lam="0"), "lam"),
                                          (dict(t="0.5"), "t"), (dict(seeds="2"), "seeds")])
def test_simulate_refuses_non_numbers_with_value_error(kwargs, name):
    from rmt_dsm.simulate import simulate

    args = dict(d=20, psi_n=1.0, psi_p=2.0, m=2, t=0.5)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        simulate(**args)


# ------------------------------------------------------------------------------------- scripts

def test_scripts_rewrite_tracked_files_only_with_write():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    page = root / "docs" / "performance.md"
    before = page.read_bytes()
    run = subprocess.run([sys.executable, str(root / "scripts" / "gen_performance_page.py"), "--only", "none"],
                         capture_output=True, text=True, timeout=120, cwd=root)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("# Performance") and page.read_bytes() == before
    for script in ("gen_performance_page.py", "make_phenomena_figures.py", "make_validation_report.py"):
        helped = subprocess.run([sys.executable, str(root / "scripts" / script), "--help"], capture_output=True,
                                text=True, timeout=120, cwd=root)
        assert helped.returncode == 0 and "--write" in helped.stdout, script


# (lists of numbers are arrays of points, rmt_dsm.batch: a list is garbage when an entry is)
_GARBAGE = st.one_of(st.text(max_size=8), st.none(), st.booleans(), st.lists(st.text(max_size=3), min_size=1, max_size=2),
                     st.complex_numbers(allow_nan=False).filter(lambda z: z.imag != 0),
                     st.just(float("nan")), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
_BAD = {
    "psi_n": st.one_of(_GARBAGE, st.floats(max_value=0), st.just(float("inf"))),
    "psi_p": st.one_of(_GARBAGE, st.floats(max_value=0)),
    "m": st.one_of(_GARBAGE, st.integers(max_value=0), st.floats(0.01, 50).filter(lambda v: not v.is_integer())),
    "t": st.one_of(_GARBAGE.filter(lambda v: v is not None), st.floats(max_value=0)),
    "lam": st.one_of(_GARBAGE, st.floats(max_value=-1e-300)),
    "dps": st.one_of(_GARBAGE.filter(lambda v: v is not None), st.integers(max_value=0), st.integers(min_value=101)),
    "activation": st.one_of(st.none(), st.integers(), st.text(alphabet="()[]._'\"y:;", max_size=10)),
}


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(_BAD)).flatmap(lambda name: st.tuples(st.just(name), _BAD[name])))
def test_api_bad_arguments_always_give_a_value_error_naming_them(case):
    name, value = case
    args = dict(psi_n=1.0, psi_p=2.0, m=2, t=0.5, lam=0.1)
    args[name] = value
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        rmt_dsm.errors(**args)
