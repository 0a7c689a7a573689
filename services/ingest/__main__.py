"""``python -m services.ingest``: serve the ingest API with uvicorn (what ``make up`` runs)."""

import logging
import sys

import uvicorn

from services.ingest.bootstrap import create_app
from services.ingest.settings import IngestSettings
from shared.api_keys import ApiKeyFileError
from shared.settings import PlatformSettings, UnsafeInProductionError
from shared.structured_logging import configure_logging


def main() -> int:
    """Build the app from the environment and serve it until SIGTERM/SIGINT."""
    platform = PlatformSettings()
    settings = IngestSettings()
    configure_logging("ingest", platform.log_level)
    try:
        app = create_app(settings, platform)
    except (ApiKeyFileError, UnsafeInProductionError) as error:
        logging.getLogger("services.ingest").error("cannot start: %s", error)
        return 1
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
