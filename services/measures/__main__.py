"""``python -m services.measures``: run the measures service (consumer + health on :8002)."""

import uvicorn

from services.measures.app import create_app
from services.measures.bootstrap import build
from shared.structured_logging import configure_logging


def main() -> None:
    service = build()
    configure_logging("measures", service.platform.log_level)
    uvicorn.run(
        create_app(service), host=service.settings.host, port=service.settings.port, log_config=None
    )


if __name__ == "__main__":
    main()
