"""python -m rmt_dsm.compiled [--check | --write]: check (default) or regenerate the shipped code."""
import sys

from .generate import stale, write


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--write"]:
        done = write()
        print(f"regenerated {len(done)} module(s): {', '.join(done) or 'none'}")
        return 0
    if argv in ([], ["--check"]):
        bad = stale()
        if bad:
            print(f"stale or missing: {', '.join(bad)} (run: python -m rmt_dsm.compiled --write)")
            return 1
        print("every shipped module matches the symbolic source")
        return 0
    print("usage: python -m rmt_dsm.compiled [--check | --write]", file=sys.stderr)
    return 2


sys.exit(main())
