"""Command-line interface ``rmt-dsm`` (conventions: docs/model.md).

Each sub-command lives in its own module of this package and exposes
``add_parser(subparsers)`` and ``run(args) -> int``.  Every failure is one line on
stderr and nothing on stdout; exit status 2 for bad input (the line names the
argument), 3 when a solver or a quadrature does not converge, 1 for anything else
(a file that cannot be written, an unexpected error); 0 only when every printed
number is a converged solution.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys
import warnings

# sub-command name -> module inside rmt_dsm.cli
SUBCOMMANDS = {
    "errors": "errors",
    "curve": "curve",
    "simulate": "simulate",
    "latex": "latex",
    "phase": "phase",
    "spectrum": "spectrum",
    "sample": "sample",
}

#: Python argument name (as in the ValueError messages of the API) -> command-line option
FLAGS = {"psi_n": "--psi-n", "psi_p": "--psi-p", "m": "--m", "t": "--t", "lam": "--lam", "a": "--a",
         "delta": "--delta", "activation": "--activation", "dps": "--dps", "d": "--d", "seeds": "--seeds",
         "seed": "--seed", "n_test": "--n-test", "scheduler": "--scheduler", "jobs": "--jobs"}


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default in its help: as given in the help text when it says "default",
    "(default: not given)" for options without a default value, else "(default: VALUE)"."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text.lower() or action.default is argparse.SUPPRESS or not action.option_strings
                or action.required):
            return text
        if action.default is None:
            return text + " (default: not given)"
        if action.default is False and action.nargs == 0:  # a flag
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2) and every default shown in --help."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, exit status 2, nothing on stdout
        sys.stderr.write(f"{self.prog}: error: {' '.join(message.split())}\n")
        raise SystemExit(2)


def _version() -> str:
    from rmt_dsm import __version__

    return f"rmt-dsm {__version__}"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every sub-command, or of ``command`` alone (the one about to run: the other
    modules are then not imported, which keeps a single call quick to start)."""
    parser = _Parser(prog="rmt-dsm", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, module in SUBCOMMANDS.items():
        if command in (None, name):
            importlib.import_module(f"rmt_dsm.cli.{module}").add_parser(sub)
    return parser


def bad_input_message(exc: ValueError) -> str:
    """The one-line message of a ``ValueError``, with the option that sets the named argument.

    >>> bad_input_message(ValueError("lam must be a finite ridge >= 0, got -1.0"))
    '--lam: lam must be a finite ridge >= 0, got -1.0'
    >>> bad_input_message(ValueError("activation: unknown name 'y'"))
    "--activation: unknown name 'y'"
    >>> bad_input_message(ValueError("--num must be positive"))
    '--num must be positive'
    """
    from rmt_dsm.cli.errors import one_line

    text = one_line(exc)
    head = re.match(r"[A-Za-z_]+", text)  # the API's messages start with the argument's name
    if head and head.group(0) in FLAGS:
        name = head.group(0)
        if text.startswith(name + ":"):  # "activation: ..." -> "--activation: ..."
            return FLAGS[name] + text[len(name):]
        return f"{FLAGS[name]}: {text}"
    return text


def _one_line_warnings(message, category, filename, lineno, file=None, line=None):
    stream = file or sys.stderr
    try:
        stream.write(f"rmt-dsm: warning: {' '.join(str(message).split())}\n")
    except (OSError, ValueError):  # pragma: no cover - stderr gone
        pass


def main(argv=None) -> int:
    """Parse, dispatch, and turn every failure into one line on stderr and an exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    prog = f"rmt-dsm {args.command}"
    from rmt_dsm.cli.errors import one_line
    from rmt_dsm.engine import ConvergenceError

    saved = warnings.showwarning
    warnings.showwarning = _one_line_warnings
    try:
        return int(args.run(args) or 0)
    except ValueError as exc:  # bad input: one line naming the argument
        sys.stderr.write(f"{prog}: error: {bad_input_message(exc)}\n")
        return 2
    except (ConvergenceError, ArithmeticError) as exc:
        if isinstance(exc, (ZeroDivisionError, OverflowError, FloatingPointError)):
            sys.stderr.write(f"{prog}: internal error: {type(exc).__name__}: {one_line(exc)}\n")
            return 1
        sys.stderr.write(f"{prog}: no convergence: {one_line(exc)}\n")
        return 3
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`): nothing to report
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):  # pragma: no cover
            pass
        return 1
    except KeyboardInterrupt:
        sys.stderr.write(f"\n{prog}: interrupted\n")
        return 130
    except MemoryError:
        sys.stderr.write(f"{prog}: error: out of memory (try smaller sizes)\n")
        return 1
    except OSError as exc:
        sys.stderr.write(f"{prog}: error: {one_line(exc)}\n")
        return 1
    except Exception as exc:  # noqa: BLE001 - the catch-all: never a traceback
        sys.stderr.write(f"{prog}: internal error: {type(exc).__name__}: {one_line(exc)}\n")
        return 1
    finally:
        warnings.showwarning = saved


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
