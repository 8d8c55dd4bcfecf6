"""``rmt-dsm latex``: the DSM fixed-point system and the error formulas as LaTeX.

    rmt-dsm latex --m {1,inf,M,symbolic} [--document]

Prints amsmath ``align`` blocks generated from the sympy objects of the theory
(`rmt_dsm.dsm.latex`); --document wraps them into a complete ``article`` that
compiles with pdflatex.
"""
from __future__ import annotations

import argparse

from rmt_dsm.cli.options import m_type

__all__ = ["add_parser", "run"]


def _m_or_symbolic(text: str):
    """--m: an integer >= 1, inf, or "symbolic" (kappa = 1/m kept as a symbol)."""
    if text.strip().lower() == "symbolic":
        return "symbolic"
    try:
        return m_type(text)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (or 'symbolic')") from None


def add_parser(subparsers) -> None:
    """Register ``latex`` on the dispatcher's sub-parsers."""
    p = subparsers.add_parser("latex", help="LaTeX of the fixed-point system and the error formulas",
                              description=__doc__.splitlines()[0])
    p.add_argument("--m", type=_m_or_symbolic, default="symbolic",
                   help="noise draws per point: integer >= 1, inf, or symbolic (default: symbolic, kappa = 1/m)")
    p.add_argument("--document", action="store_true",
                   help="a complete \\documentclass{article} document (amsmath) instead of the align blocks")
    p.set_defaults(run=run)


def run(args) -> int:
    """Print the LaTeX."""
    from rmt_dsm.dsm.latex import dsm_latex

    print(dsm_latex(args.m, document=args.document), end="")
    return 0
