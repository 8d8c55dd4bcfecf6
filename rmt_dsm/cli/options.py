"""Command-line options shared by the sub-commands (the model parameters of docs/model.md).

Parsing: ``--dps`` must lie in 1..MAX_DPS and grid options must be finite numbers
(`finite_float`).  The model parameters are checked by the public entry points (`rmt_dsm.model` through `rmt_dsm.errors` and
`rmt_dsm.simulate.simulate`), whose ``ValueError`` names the bad argument and is
turned into a one-line message (exit status 2) by the dispatcher.  Output prefixes are
checked (`check_out`) before anything is computed.
"""
from __future__ import annotations

import argparse
import math
import os
import tempfile

from rmt_dsm.model import MAX_DPS, check_dps as _check_dps, parse_m

__all__ = ["m_type", "finite_float", "dps_type", "add_model_options", "add_sigma_options", "sigma_from_args",
           "add_dps_option", "add_tau_option", "tau_type", "check_dps", "check_out", "json_m"]


def m_type(text: str):
    """argparse type of ``--m``: an integer >= 1 or ``inf``.

    >>> m_type("inf"), m_type("4")
    (inf, 4)
    """
    try:
        return parse_m(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def finite_float(text: str) -> float:
    """argparse type of a real option: a finite number (``nan`` and ``inf`` are refused).

    >>> finite_float("0.5")
    0.5
    >>> finite_float("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a finite number, got 'nan'
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def dps_type(text: str) -> int:
    """argparse type of ``--dps``: an integer from 1 to MAX_DPS (refused at once otherwise)."""
    try:
        return _check_dps(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer number of digits from 1 to {MAX_DPS}, got {text!r}") from None


def add_model_options(parser, required: bool = True, lam_default=0.0) -> None:
    """Add --psi-n, --psi-p, --m, --t, --a, --delta, --lam, --activation to ``parser``.

    ``required=False`` leaves psi_n, psi_p and m at None so that a caller (``curve``)
    can vary one of them and require the others itself.
    """
    parser.add_argument("--psi-n", type=float, required=required, default=None, help="psi_n = n/d > 0")
    parser.add_argument("--psi-p", type=float, required=required, default=None, help="psi_p = p/d > 0")
    parser.add_argument("--m", type=m_type, required=required, default=None,
                        help="noise draws per point: integer >= 1 or inf")
    add_schedule_options(parser)
    lam_help = "ridge lambda >= 0 (0: minimum norm)"
    if lam_default is None:
        lam_help += " (default: 0 unless varied)"
    parser.add_argument("--lam", type=float, default=lam_default, help=lam_help)
    add_activation_option(parser)
    add_sigma_options(parser)


def add_sigma_options(parser) -> None:
    """Add --sigma W1:L1,W2:L2,... and --psi-d X (data spectrum, docs/model.md; default Sigma = I)."""
    parser.add_argument("--sigma", default=None, metavar="W1:L1,W2:L2,...",
                        help="eigenvalue distribution of the data covariance: atoms weight:eigenvalue "
                             "(weights summing to 1, eigenvalues >= 0), or power:ALPHA[:ORDER] for "
                             "l(u) = (1 - ALPHA) u^-ALPHA (default: Sigma = I)")
    parser.add_argument("--psi-d", type=float, default=None, metavar="X",
                        help="data on a subspace: shorthand for --sigma X:1,1-X:0")


def sigma_from_args(args):
    """The data spectrum of --sigma / --psi-d (None for Sigma = I); ValueError naming the flag.

    >>> import argparse
    >>> sigma_from_args(argparse.Namespace(sigma=None, psi_d=0.5)).describe()
    '0.5:1,0.5:0'
    """
    from rmt_dsm.data_spectrum import parse_sigma, psi_d

    if args.sigma is not None and args.psi_d is not None:
        raise ValueError("--sigma and --psi-d cannot be given together (--psi-d X is --sigma X:1,1-X:0)")
    try:
        if args.psi_d is not None:
            return psi_d(args.psi_d)
        return None if args.sigma is None else parse_sigma(args.sigma)
    except ValueError as exc:
        flag = "--psi-d" if args.psi_d is not None else "--sigma"
        raise ValueError(f"{flag}: {str(exc).removeprefix('sigma: ')}") from None


def add_schedule_options(parser) -> None:
    """Add --t, or --a with --delta (docs/model.md, forward process)."""
    parser.add_argument("--t", type=float, default=None,
                        help="diffusion time t > 0, Ornstein-Uhlenbeck schedule a = e^-t, Delta = 1 - e^-2t "
                             "(or give --a and --delta)")
    parser.add_argument("--a", type=float, default=None, help="signal scale a (with --delta, instead of --t)")
    parser.add_argument("--delta", type=float, default=None, help="noise variance Delta > 0 (with --a)")


def add_activation_option(parser) -> None:
    """Add --activation (a name or a formula in x, never evaluated as code)."""
    parser.add_argument("--activation", default="tanh",
                        help="tanh, erf, relu, or a formula in x made of numbers, + - * / **, pi, E and the "
                             "functions exp, log, sqrt, sin, cos, tan, tanh, erf, erfc, atan, sinh, cosh, asinh, "
                             "abs, sign, Max, Min, Heaviside, sigmoid, relu, softplus, gelu (e.g. 'x*exp(-x**2)')")


def add_dps_option(parser) -> None:
    """Add --dps D (working precision in significant digits; default: double precision)."""
    parser.add_argument("--dps", type=dps_type, default=None,
                        help=f"compute with mpmath at D significant digits (1 to {MAX_DPS}) and print D-digit "
                             "decimal strings (default: double precision, JSON numbers)")


def tau_type(text: str) -> float:
    """argparse type of ``--tau``: a finite number or ``inf`` (its sign is checked by the API).

    >>> tau_type("inf"), tau_type("2.5")
    (inf, 2.5)
    >>> tau_type("nan")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a training time (a number > 0, or inf), got 'nan'
    """
    if text.strip().lower() in ("inf", "infinity"):
        return math.inf
    try:
        return finite_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a training time (a number > 0, or inf), got {text!r}") from None


def add_tau_option(parser) -> None:
    """Add --tau T (gradient-flow training time from C = 0; default inf: the converged readout)."""
    parser.add_argument("--tau", type=tau_type, default=None,
                        help="gradient-flow training time tau > 0 from C = 0 (default: inf, the converged "
                             "ridge / minimum-norm readout)")


def check_dps(dps):
    """``--dps`` is None or an integer from 1 to MAX_DPS.

    >>> check_dps(0)
    Traceback (most recent call last):
    ...
    ValueError: --dps must be an integer number of digits from 1 to 100, got 0
    """
    return _check_dps(dps, name="--dps")


def check_out(prefix: str, suffixes, flag: str = "--out") -> str:
    """Refuse an output prefix whose files cannot be written, before anything is computed.

    The prefix must be non-empty and not a directory; its directory must exist and be
    writable; a file PREFIX+suffix that exists must be a writable regular file.

    >>> check_out("", [".csv"])
    Traceback (most recent call last):
    ...
    ValueError: --out must be a non-empty file prefix, got ''
    >>> check_out("/nonexistent-dir/curve", [".csv"])
    Traceback (most recent call last):
    ...
    ValueError: --out: the directory '/nonexistent-dir' does not exist
    """
    if not isinstance(prefix, str) or not prefix.strip():
        raise ValueError(f"{flag} must be a non-empty file prefix, got {prefix!r}")
    if prefix.endswith(os.sep) or os.path.isdir(prefix):
        raise ValueError(f"{flag} must be a file prefix, not a directory: {prefix!r}")
    folder = os.path.dirname(prefix) or "."
    if not os.path.isdir(folder):
        raise ValueError(f"{flag}: the directory {folder!r} does not exist")
    try:  # a real write (os.access is not enough for root or a read-only file system)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".rmt_dsm_probe_")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{flag}: the directory {folder!r} is not writable ({exc.strerror})") from None
    for suffix in suffixes:
        path = prefix + suffix
        try:
            if os.path.isdir(path):
                raise IsADirectoryError(21, "is a directory")
            if os.path.exists(path):
                with open(path, "a"):  # appending nothing: the content is unchanged
                    pass
        except OSError as exc:
            raise ValueError(f"{flag}: cannot write {path!r} ({exc.strerror})") from None
    return prefix


def json_m(m):
    """m as it appears in JSON: an int, or the string "inf"."""
    return "inf" if m == math.inf else m
