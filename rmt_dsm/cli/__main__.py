"""``python -m rmt_dsm.cli``: the same as the ``rmt-dsm`` console script."""
import sys

from rmt_dsm.cli import main

sys.exit(main())
