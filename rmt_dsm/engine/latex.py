r"""LaTeX export of fixed-point systems with the symbol names of docs/model.md.

Examples
--------
>>> import sympy as sp
>>> print(render(sp.Symbol("lam") + sp.Symbol("psi_n")))
\lambda + \psi_n
"""
from __future__ import annotations

import sympy as sp

__all__ = ["SYMBOL_NAMES", "render", "latex_system"]

#: symbol name -> LaTeX; extend with ``SYMBOL_NAMES[...] = ...`` or per call.
SYMBOL_NAMES: dict[str, str] = {
    "psi_n": r"\psi_n", "psi_p": r"\psi_p", "psi_D": r"\psi_D", "psi_N": r"\psi_N",
    "lam": r"\lambda", "delta": r"\Delta", "Delta": r"\Delta",
    "mu0": r"\mu_0", "mu1": r"\mu_1", "mu2": r"\mu_2", "mu_star": r"\mu_\star",
    "alpha": r"\alpha", "eta": r"\eta", "gamma": r"\Gamma", "Gamma": r"\Gamma",
    "sigma": r"\sigma", "nu": r"\nu", "tau": r"\tau", "rho": r"\rho",
    "v": "v", "s": "s", "a": "a", "t": "t", "m": "m", "z": "z", "c": "c",
}


def render(expr, symbol_names: dict | None = None) -> str:
    """``sympy.latex`` with the symbol-name map (names matched by ``Symbol.name``)."""
    names = dict(SYMBOL_NAMES)
    names.update({(k.name if isinstance(k, sp.Symbol) else k): v for k, v in (symbol_names or {}).items()})
    expr = sp.sympify(expr)
    sub = {s: names[s.name] for s in expr.free_symbols if isinstance(s, sp.Symbol) and s.name in names}
    return sp.latex(expr, symbol_names=sub)


def latex_system(system, symbol_names: dict) -> str:
    """``\\begin{align} ... \\end{align}``: ``g &= T(g)`` lines for fixed-point form, else ``F &= 0``."""
    lines = []
    if system.rhs is not None:
        for u, r in zip(system.unknowns, system.rhs):
            lines.append(f"{render(u, symbol_names)} &= {render(r, symbol_names)}")
    else:
        for e in system.equations:
            lines.append(f"{render(e, symbol_names)} &= 0")
    return "\\begin{align}\n" + " \\\\\n".join(lines) + "\n\\end{align}"
