"""Command-line options shared by the sub-commands (the model parameters of SPEC section 2).

Parsing only: values are checked by the public entry points (:mod:`rmt_dsm.model` through
:func:`rmt_dsm.errors` and :func:`rmt_dsm.simulate.simulate`), whose ``ValueError`` names
the bad argument and is turned into a one-line message (exit status 2) by the dispatcher.
"""
from __future__ import annotations

import argparse
import math

from rmt_dsm.model import parse_m

__all__ = ["m_type", "add_model_options", "add_dps_option", "add_tau_option", "check_dps", "json_m"]


def m_type(text: str):
    """argparse type of ``--m``: an integer >= 1 or ``inf``.

    >>> m_type("inf"), m_type("4")
    (inf, 4)
    """
    try:
        return parse_m(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_model_options(parser, required: bool = True, lam_default=0.0) -> None:
    """Add --psi-n, --psi-p, --m, --t, --a, --delta, --lam, --activation to ``parser``.

    ``required=False`` leaves psi_n, psi_p and m at None so that a caller (``curve``)
    can vary one of them and require the others itself.
    """
    parser.add_argument("--psi-n", type=float, required=required, default=None, help="psi_n = n/d")
    parser.add_argument("--psi-p", type=float, required=required, default=None, help="psi_p = p/d")
    parser.add_argument("--m", type=m_type, required=required, default=None,
                        help="noise draws per point: integer >= 1 or inf")
    parser.add_argument("--t", type=float, default=None, help="diffusion time (Ornstein-Uhlenbeck schedule)")
    parser.add_argument("--a", type=float, default=None, help="signal scale a (with --delta, instead of --t)")
    parser.add_argument("--delta", type=float, default=None, help="noise variance Delta (with --a)")
    parser.add_argument("--lam", type=float, default=lam_default, help="ridge lambda >= 0 (0: minimum norm)")
    parser.add_argument("--activation", default="tanh", help="tanh, erf, relu or a sympy expression in x")


def add_dps_option(parser) -> None:
    """Add --dps D (working precision in significant digits; default: double precision)."""
    parser.add_argument("--dps", type=int, default=None,
                        help="compute with mpmath at D significant digits and print D-digit decimal "
                             "strings (default: double precision, JSON numbers)")


def add_tau_option(parser) -> None:
    """Add --tau T (gradient-flow training time from C = 0; default inf: the converged readout)."""
    parser.add_argument("--tau", type=float, default=None,
                        help="gradient-flow training time tau > 0 from C = 0 (default: inf, the converged "
                             "ridge / minimum-norm readout)")


def check_dps(dps):
    """``--dps`` is None or a positive integer.

    >>> check_dps(0)
    Traceback (most recent call last):
    ...
    ValueError: --dps must be a positive number of digits, got 0
    """
    if dps is not None and dps < 1:
        raise ValueError(f"--dps must be a positive number of digits, got {dps}")
    return dps


def json_m(m):
    """m as it appears in JSON: an int, or the string "inf"."""
    return "inf" if m == math.inf else m
