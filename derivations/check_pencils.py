#!/usr/bin/env python
"""Check every registered pencil claim in exact arithmetic; exit 1 on any failure.

For each :class:`rmt_dsm.engine.claims.PencilClaim` (registered by the modules in
``rmt_dsm.engine.claims.CLAIM_MODULES`` and by ``--module NAME`` arguments), small
random integer matrices are drawn for the Gaussian blocks, the pencil L is built
at exact rational parameter values, and the block of L^{-1} read by the engine is
compared with the intended matrix (Schur complement) in exact arithmetic.

Usage:  python derivations/check_pencils.py [--module rmt_dsm.dsm.pencils ...] [--seed K]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rmt_dsm.engine.claims import check_all  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", action="append", default=[], help="extra module registering claims")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    ok = check_all(args.module, seed=args.seed, verbose=True)
    print("all pencil claims hold" if ok else "SOME PENCIL CLAIMS FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
