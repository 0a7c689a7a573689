"""``python -m services.scorecard``: run the scorecard service (consumer + health on :8003).

``python -m services.scorecard recompute``: recompute every stored scorecard under the
current scoring rules, then exit (docs/operations.md).
"""

import sys

from services.scorecard.bootstrap import build
from shared.worker import run_worker


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args == ["recompute"]:
        from services.scorecard.recompute import main as recompute

        recompute()
        return
    if args:
        raise SystemExit(f"usage: python -m services.scorecard [recompute] (got {' '.join(args)})")
    run_worker("scorecard", build)


if __name__ == "__main__":
    main()
