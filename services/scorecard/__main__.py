"""``python -m services.scorecard``: run the scorecard service (consumer + health on :8003)."""

import uvicorn

from services.scorecard.app import create_app
from services.scorecard.bootstrap import build
from shared.structured_logging import configure_logging


def main() -> None:
    service = build()
    configure_logging("scorecard", service.platform.log_level)
    uvicorn.run(
        create_app(service), host=service.settings.host, port=service.settings.port, log_config=None
    )


if __name__ == "__main__":
    main()
