"""The ``rmt-dsm simulate`` command line (SPEC section 5)."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _cmd():
    exe = Path(sys.executable).parent / "rmt-dsm"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("rmt-dsm")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from rmt_dsm.cli import main; sys.exit(main())"]


def _run(*args):
    return subprocess.run(_cmd() + ["simulate", *args], capture_output=True, text=True, timeout=300)


def test_documented_command_prints_json():
    out = _run("--d", "200", "--psi-n", "1", "--psi-p", "2", "--m", "2", "--t", "0.5", "--lam", "0.01",
               "--activation", "erf", "--seeds", "3", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("train", "test", "score", "gap", "floor"):
        assert math.isfinite(data[key]["mean"]) and math.isfinite(data[key]["stderr"])
    pr = data["params"]
    assert (pr["d"], pr["n"], pr["p"], pr["N"], pr["m"], pr["seeds"]) == (200, 200, 400, 400, 2, 3)
    assert pr["activation"] == "erf" and pr["model"] == "true"
    assert pr["a"] == pytest.approx(math.exp(-0.5)) and pr["delta"] == pytest.approx(1 - math.exp(-1))
    assert data["floor"]["mean"] == pytest.approx(math.exp(-1), rel=1e-14)
    # the printed numbers are those of the Python simulator at the same arguments
    from rmt_dsm.simulate import simulate

    res = simulate(d=200, psi_n=1, psi_p=2, m=2, t=0.5, lam=0.01, activation="erf", seeds=3)
    for key in ("train", "test", "score", "gap"):
        assert data[key]["mean"] == pytest.approx(getattr(res, key).mean, rel=1e-12)
        assert data[key]["stderr"] == pytest.approx(getattr(res, key).stderr, rel=1e-9)
    assert len(out.stdout.strip().splitlines()) == 1


def test_table_and_equivalent_m_inf_and_a_delta():
    out = _run("--d", "40", "--psi-n", "1", "--psi-p", "1", "--m", "inf", "--a", "1", "--delta", "0.5",
               "--model", "equivalent", "--activation", "relu")
    assert out.returncode == 0, out.stderr
    assert "train" in out.stdout and "floor" in out.stdout and "m=inf" in out.stdout
    js = _run("--d", "40", "--psi-n", "1", "--psi-p", "1", "--m", "inf", "--a", "1", "--delta", "0.5",
              "--model", "equivalent", "--activation", "relu", "--json")
    data = json.loads(js.stdout)
    assert data["params"]["m"] == "inf" and data["train"]["stderr"] is None


@pytest.mark.parametrize("args,word", [
    (["--psi-n", "0"], "psi_n"), (["--psi-p", "-2"], "psi_p"), (["--psi-n", "nan"], "psi_n"),
    (["--t", "0"], "t"), (["--t", "-1"], "t"), (["--m", "0"], "--m"), (["--lam", "-1"], "lam"),
    (["--activation", "foo("], "activation"), (["--d", "2.5"], "--d"), (["--d", "0"], "d"),
    (["--m", "inf"], "m = inf"),
])
def test_bad_input_exits_nonzero_with_one_line(args, word, capsys):
    """In process (fast): rmt_dsm.cli.main returns or exits with status 2, nothing on stdout."""
    from rmt_dsm.cli import main

    base = {"--d": "20", "--psi-n": "1", "--psi-p": "1", "--m": "1", "--t": "0.5"}
    for k, v in zip(args[::2], args[1::2]):
        base[k] = v
    argv = ["simulate"] + [x for kv in base.items() for x in kv] + ["--json"]
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse type errors
        status = exc.code
    out, err = capsys.readouterr()
    assert status != 0
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], err


@pytest.mark.parametrize("args,word", [(["--psi-n", "nan"], "psi_n"), (["--m", "0"], "--m")])
def test_bad_input_in_a_subprocess(args, word):
    out = _run("--d", "20", "--psi-p", "1", "--t", "0.5", *(["--m", "1"] if "--m" not in args else []),
               *(["--psi-n", "1"] if "--psi-n" not in args else []), *args, "--json")
    assert out.returncode != 0 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and word in out.stderr


def test_bad_delta(capsys):
    from rmt_dsm.cli import main

    status = main(["simulate", "--d", "20", "--psi-n", "1", "--psi-p", "1", "--m", "1", "--a", "1",
                   "--delta", "0", "--json"])
    out, err = capsys.readouterr()
    assert status != 0 and out == "" and "delta" in err
