r"""LaTeX of the DSM fixed-point system and of the error formulas, generated from sympy.

Every formula printed here is a sympy object of `rmt_dsm.dsm.system` or
`rmt_dsm.dsm.observables` (only the prose around the formulas is literal text):

* the fixed-point maps ``g = T(g)`` of `rmt_dsm.dsm.system.fixed_point_map`, written
  with the size-1 helper quantities A_0, A_1, S, rho as named symbols.  Their definitions
  are the expressions of `rmt_dsm.dsm.system._blocks`; the maps and the observables
  are obtained by calling the same builder functions with ``blocks=NAMED_BLOCKS`` (so
  substituting the definitions back gives ``dsm_system().rhs`` exactly -- the tests check this);
* Q and X1 of `rmt_dsm.dsm.observables.Q_expr` / ``X1_expr``;
* E_train, E_test, F_pop of `rmt_dsm.dsm.observables.error_expressions` (the formulas
  the API evaluates), with H = x Q.

kappa = 1/m is substituted (1 for m = 1, 0 for m = inf, 1/M for an integer M) or kept
symbolic; every expression is then simplified.  Helper quantities that vanish (A_1 for
m = 1) are removed, and so are unknowns that no longer enter anything (g_{u_1} for m = 1).

Examples
--------
>>> tex = dsm_latex(1)
>>> tex.count(r"\begin{align}") == tex.count(r"\end{align}") >= 3
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

from ..engine.latex import render
from . import observables, system
from .symbols import SYMBOL_NAMES, a, delta, kappa, lam, x, y

__all__ = ["kappa_value", "DsmEquations", "dsm_equations", "dsm_latex", "INTERMEDIATES"]

#: the size-1 helper quantities of the Dyson system, as named symbols
A0, A1, S, rho = sp.symbols("A_0 A_1 S rho")
INTERMEDIATES = (A0, A1, S, rho)

# symbols of the error formulas (those the formulas are written in come from observables.py)
m_sym = sp.Symbol("m", positive=True)
H, Hp, Q, X1, dQ_deps = observables.H, observables.Hp, observables.Q, observables.X1, observables.dQ_deps
dH_dlam, Gamma2, F_pop = sp.symbols("dH_dlam Gamma2 F_pop")
E_train, E_test, E_score, E_gap = sp.symbols("E_train E_test E_score E_gap")

#: LaTeX names (the symbol names of docs/model.md) of every symbol printed here
LATEX_NAMES = {
    **SYMBOL_NAMES, **system._NAMES,
    "A_0": "A_0", "A_1": "A_1", "S": "S", "rho": r"\rho", "m": "m",
    "H": "H", "H_prime": "H'", "Q": "Q", "X_1": "X_1",
    "dQ_deps": r"\frac{\partial Q}{\partial \varepsilon}", "dH_dlam": r"\frac{\partial H}{\partial \lambda}", "Gamma2": r"\Gamma^2",
    "F_pop": r"F_{\mathrm{pop}}", "E_train": r"E_{\mathrm{train}}", "E_test": r"E_{\mathrm{test}}",
    "E_score": r"E_{\mathrm{score}}", "E_gap": r"E_{\mathrm{gap}}",
}


def kappa_value(m):
    """kappa = 1/m as a sympy number, or the symbol kappa for m = "symbolic".

    Examples
    --------
    >>> kappa_value(1), kappa_value(math.inf), kappa_value(4), kappa_value("symbolic")
    (1, 0, 1/4, kappa)
    """
    if m == "symbolic":
        return kappa
    if m == math.inf:
        return sp.Integer(0)
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ValueError(f"m must be an integer >= 1, inf or 'symbolic', got {m!r}")
    return sp.Rational(1, m)


#: the helper quantities passed to the builders of system.py / observables.py as named symbols
NAMED_BLOCKS = ((A0, A1), S, rho)


def tidy(expr) -> sp.Expr:
    """The shortest of a few standard simplified forms (simplify, factor, collected in rho)."""
    expr = sp.sympify(expr)
    if expr.is_number:
        return sp.nsimplify(expr)
    collected = sp.collect(sp.expand(expr), [rho], evaluate=False)
    candidates = [expr, sp.simplify(expr), sp.factor(expr),
                  sp.Add(*(sp.factor(c) * k for k, c in collected.items()))]
    return min(candidates, key=lambda e: (sp.count_ops(e), len(str(e))))


@dataclass(frozen=True)
class DsmEquations:
    """The sympy equations of the DSM theory at one value of kappa (lists of ``sp.Eq``)."""

    kappa: sp.Expr
    fixed_point: list        # g = T(g), in terms of the helper quantities
    definitions: list        # A_k, S, rho in terms of the unknowns
    observables: list        # Q, X1
    errors: list             # H, H', E_train, E_test, Gamma^2, F_pop, E_score, E_gap
    chart: list              # lambda = -x y


def nested_definitions() -> dict:
    """A_k, S and rho of `rmt_dsm.dsm.system._blocks`, each written with the earlier ones
    (S with A_0, A_1; rho with S)."""
    (a0, a1), s_def, rho_def = system._blocks()
    s_nested = s_def.xreplace({a0: A0, a1: A1})
    rho_nested = rho_def.xreplace({s_def: S})
    return {A0: a0, A1: a1, S: s_nested, rho: rho_nested}


def _substitute(exprs, kv, zeros):
    return [tidy(sp.sympify(e).subs(kappa, kv).subs(zeros)) for e in exprs]


def dsm_equations(m) -> DsmEquations:
    """The equations at m (1, math.inf, an integer M, or "symbolic")."""
    kv = kappa_value(m)
    raw_defs = nested_definitions()
    rhs = system.fixed_point_map(blocks=NAMED_BLOCKS)
    q_expr, x1_expr = observables.Q_expr(NAMED_BLOCKS), observables.X1_expr(NAMED_BLOCKS)
    defs = {k: tidy(v.subs(kappa, kv)) for k, v in raw_defs.items()}
    zeros = {k: 0 for k, v in defs.items() if v == 0}
    defs = {k: tidy(v.subs(zeros)) for k, v in defs.items() if k not in zeros}
    rhs = _substitute(rhs, kv, zeros)
    q_expr, x1_expr = _substitute((q_expr, x1_expr), kv, zeros)
    fixed = list(zip(system.UNKNOWNS, rhs))
    used = set().union(*(e.free_symbols for e in [*rhs, *defs.values(), q_expr, x1_expr]))
    # an unknown whose equation decouples (enters nothing else) is dropped: g_{u_1} at m = 1
    fixed = [(g, r) for g, r in fixed if g in used or any(g in r2.free_symbols for g2, r2 in fixed if g2 != g)]
    ex = {k: v.subs(a**2 + delta, Gamma2) for k, v in observables.error_expressions().items()}
    errors = [
        sp.Eq(H, x * Q),
        sp.Eq(Hp, dH_dlam),
        sp.Eq(E_train, ex["train"]),
        sp.Eq(E_test, ex["test"]),
        sp.Eq(Gamma2, a**2 + delta),
        sp.Eq(F_pop, ex["floor"]),
        sp.Eq(E_score, E_test - F_pop),
        sp.Eq(E_gap, E_test - E_train),
    ]
    return DsmEquations(
        kappa=kv,
        fixed_point=[sp.Eq(g, r, evaluate=False) for g, r in fixed],
        definitions=[sp.Eq(k, v, evaluate=False) for k, v in defs.items()],
        observables=[sp.Eq(Q, q_expr, evaluate=False), sp.Eq(X1, x1_expr, evaluate=False)],
        errors=errors,
        chart=[sp.Eq(lam, -x * y)],
    )


def tex(expr) -> str:
    """LaTeX of one sympy expression with the symbol names of docs/model.md."""
    return render(expr, LATEX_NAMES)


def align(equations) -> str:
    """An amsmath ``align`` block, one ``lhs &= rhs`` line per equation."""
    lines = [f"{tex(e.lhs)} &= {tex(e.rhs)}" for e in equations]
    return "\\begin{align}\n" + " \\\\\n".join(lines) + "\n\\end{align}"


def _kappa_sentence(m, kv) -> str:
    if m == "symbolic":
        return f"Here ${tex(sp.Eq(kappa, 1 / m_sym))}$ ($m = \\infty$ is $\\kappa = 0$)."
    if m == math.inf:
        return f"Here $m = \\infty$, i.e.\\ ${tex(sp.Eq(kappa, kv))}$."
    return f"Here $m = {m}$, i.e.\\ ${tex(sp.Eq(kappa, kv))}$."


def dsm_latex(m, document: bool = False) -> str:
    """The fixed-point system, observables and errors at m as LaTeX (amsmath ``align`` blocks).

    ``document=True`` wraps it into a complete ``article`` that compiles with pdflatex.
    """
    eqs = dsm_equations(m)
    unknowns = ", ".join(f"${tex(e.lhs)}$" for e in eqs.fixed_point)
    body = [
        f"% generated by rmt_dsm.dsm.latex from the sympy objects of rmt_dsm.dsm (m = {m})",
        f"\\paragraph{{Fixed-point system.}} {_kappa_sentence(m, eqs.kappa)} "
        f"The unknowns {unknowns} solve",
        align(eqs.fixed_point),
        "with the helper quantities",
        align(eqs.definitions),
        f"The pencil's diagonal scalars $x, y$ encode the ridge through ${tex(eqs.chart[0].lhs)} = "
        f"{tex(eqs.chart[0].rhs)}$: primal chart $x = -1$, $y = \\lambda$ (below the threshold "
        "$\\psi_p < m\\psi_n$, and for $m = \\infty$), dual chart $x = \\lambda$, $y = -1$ otherwise. "
        "$\\mu_1$, $v^2$, $s^2$ are the Gaussian-equivalent coefficients and $\\varepsilon$ the probe "
        "of the observables (set to $0$ after differentiation).",
        "\\paragraph{Observables.}",
        align(eqs.observables),
        "\\paragraph{Errors.} With $H'$ the derivative along the ridge at fixed chart,",
        align(eqs.errors),
    ]
    text = "\n".join(body) + "\n"
    if document:
        text = ("\\documentclass{article}\n\\usepackage{amsmath}\n\\allowdisplaybreaks\n"
                "\\begin{document}\n" + text + "\\end{document}\n")
    return text
