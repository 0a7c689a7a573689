"""``python -m services.notifications``: run the service (consumer, sweeper, webhooks; :8004)."""

import uvicorn

from services.notifications.app import create_app
from services.notifications.bootstrap import build
from shared.structured_logging import configure_logging


def main() -> None:
    service = build()
    configure_logging("notifications", service.platform.log_level)
    uvicorn.run(
        create_app(service), host=service.settings.host, port=service.settings.port, log_config=None
    )


if __name__ == "__main__":
    main()
