"""``rmt-dsm latex``: the DSM fixed-point system and the error formulas as LaTeX.

    rmt-dsm latex --m {1,inf,M,symbolic} [--sigma symbolic|W1:L1,W2:L2,... | --psi-d X] [--document]

Prints amsmath ``align`` blocks generated from the sympy objects of the theory
(`rmt_dsm.dsm.latex`); --document wraps them into a complete ``article`` that
compiles with pdflatex.  --sigma symbolic prints the system for a data spectrum of K atoms
(w_k, l_k) (sums over k); --sigma W1:L1,... (or --psi-d X) the same with the given atoms listed.
"""
from __future__ import annotations

import argparse

from rmt_dsm.cli.options import m_type, sigma_from_args

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
    p.add_argument("--sigma", default=None, metavar="symbolic|W1:L1,...",
                   help="data spectrum: 'symbolic' (K atoms w_k, l_k) or atoms W1:L1,... (default: Sigma = I)")
    p.add_argument("--psi-d", type=float, default=None, metavar="X", help="shorthand for --sigma X:1,1-X:0")
    p.add_argument("--document", action="store_true",
                   help="a complete \\documentclass{article} document (amsmath) instead of the align blocks")
    p.set_defaults(run=run)


def run(args) -> int:
    """Print the LaTeX."""
    from rmt_dsm.dsm.latex import dsm_latex

    if args.sigma is not None and args.sigma.strip().lower() == "symbolic":
        if args.psi_d is not None:
            raise ValueError("--sigma and --psi-d cannot be given together")
        sigma = "symbolic"
    else:
        sigma = sigma_from_args(args)
    print(dsm_latex(args.m, document=args.document, sigma=sigma), end="")
    return 0
