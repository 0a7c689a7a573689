"""``python -m services.notifications``: run the service (consumer, sweeper, webhooks; :8004)."""

from services.notifications.bootstrap import build
from shared.worker import run_worker


def main() -> None:
    run_worker("notifications", build)


if __name__ == "__main__":
    main()
