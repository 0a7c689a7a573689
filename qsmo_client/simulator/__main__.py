"""``python -m qsmo_client.simulator``: the same as the ``qsmo-sim`` command."""

import sys

from qsmo_client.simulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
