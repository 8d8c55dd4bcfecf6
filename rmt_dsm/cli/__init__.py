"""Command-line interface ``rmt-dsm`` (SPEC section 5).

Each sub-command lives in its own module of this package and exposes
``add_parser(subparsers)`` and ``run(args) -> int``.  Bad input exits with
status 2 and a one-line message on stderr naming the argument; nothing is
printed to stdout in that case.
"""
from __future__ import annotations

import argparse
import importlib
import sys

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


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, nothing on stdout
        sys.stderr.write(f"rmt-dsm: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rmt-dsm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, module in SUBCOMMANDS.items():
        importlib.import_module(f"rmt_dsm.cli.{module}").add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ValueError as exc:  # bad input: one line naming the argument
        sys.stderr.write(f"rmt-dsm {args.command}: error: {exc}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
