"""LaTeX export of the DSM system (rmt_dsm.dsm.latex, ``rmt-dsm latex``).

Structural checks always run; the pdflatex compile runs when pdflatex is installed and is
required (not skipped) when RMT_DSM_REQUIRE_LATEX is set, as in .ci/run.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import subprocess

import pytest
import sympy as sp

from rmt_dsm.dsm import latex as L
from rmt_dsm.dsm.symbols import kappa
from rmt_dsm.dsm.system import UNKNOWNS, dsm_system

MS = [1, math.inf, 3, "symbolic"]


def _balanced_braces(text: str) -> bool:
    depth = 0
    for ch in re.sub(r"\\[{}]", "", text):
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def _environments_nest(text: str) -> bool:
    stack = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]*)\}", text):
        if kind == "begin":
            stack.append(env)
        elif not stack or stack.pop() != env:
            return False
    return not stack


@pytest.mark.parametrize("m", MS)
def test_structure(m):
    tex = L.dsm_latex(m, document=True)
    assert _balanced_braces(tex) and _environments_nest(tex)
    assert tex.count(r"\begin{align}") == 4
    for python_form in ("**", "sqrt(", "exp(", "oo", "zoo", "nan"):
        assert python_form not in tex, python_form
    # raw sympy names must all be mapped to SPEC symbols
    assert not re.search(r"(?<![\\a-zA-Z])(psi_|mu1|delta|lam\b|kappa|epsilon|v2|s2|g_u0|H_prime|Gamma2)", tex)
    for sym in (r"\psi_n", r"\psi_p", r"\mu_1", r"\Delta", r"\rho", r"E_{\mathrm{test}}", r"\varepsilon"):
        assert sym in tex


def test_m1_drops_the_contrast_population_and_symbolic_keeps_kappa():
    one, sym = L.dsm_latex(1), L.dsm_latex("symbolic")
    assert "g_{u_1}" not in one and "A_1" not in one and r"\kappa" in one  # kappa = 1 sentence only
    assert "g_{u_1}" in sym and r"\kappa = \frac{1}{m}" in sym
    assert r"\frac{1}{3}" in L.dsm_latex(3)


@pytest.mark.parametrize("m", [1, math.inf, 3, "symbolic"])
def test_equations_are_the_solver_system(m):
    """Substituting the helper definitions back gives dsm_system().rhs at kappa = 1/m."""
    eqs = L.dsm_equations(m)
    defs = {e.lhs: e.rhs for e in eqs.definitions}
    zeros = {s: 0 for s in L.INTERMEDIATES if s not in defs}

    def expand(expr):
        for _ in range(len(L.INTERMEDIATES)):
            expr = expr.subs(defs).subs(zeros)
        return expr

    kv = L.kappa_value(m)
    reference = dict(zip(UNKNOWNS, dsm_system().rhs))
    for e in eqs.fixed_point:
        assert sp.simplify(expand(e.rhs) - reference[e.lhs].subs(kappa, kv)) == 0, e.lhs
    if m == "symbolic":
        assert [e.lhs for e in eqs.fixed_point] == list(UNKNOWNS)


def test_cli_prints_the_module_output(capsys):
    from rmt_dsm.cli import main

    assert main(["latex", "--m", "inf", "--document"]) == 0
    out, err = capsys.readouterr()
    assert out == L.dsm_latex(math.inf, document=True) and err == ""
    with pytest.raises(SystemExit) as exc:
        main(["latex", "--m", "0"])
    assert exc.value.code == 2 and capsys.readouterr().out == ""


def _pdflatex():
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("RMT_DSM_REQUIRE_LATEX"):
            pytest.fail("pdflatex is required (RMT_DSM_REQUIRE_LATEX is set) but not installed")
        pytest.skip("pdflatex not installed (apt-get install texlive-latex-base)")
    return exe


@pytest.mark.parametrize("m", MS)
def test_document_compiles(m, tmp_path):
    exe = _pdflatex()
    (tmp_path / "dsm.tex").write_text(L.dsm_latex(m, document=True))
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "dsm.tex"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "dsm.pdf").stat().st_size > 1000
    assert "Undefined control sequence" not in run.stdout
