"""``python -m services.scorecard``: run the scorecard service (consumer + health on :8003)."""

from services.scorecard.bootstrap import build
from shared.worker import run_worker


def main() -> None:
    run_worker("scorecard", build)


if __name__ == "__main__":
    main()
