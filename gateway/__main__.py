"""``python -m gateway``: serve the GraphQL gateway with uvicorn (what ``make up`` runs)."""

import gc
import logging
import sys

import uvicorn

from gateway.bootstrap import create_app
from gateway.settings import GatewaySettings
from shared.api_keys import ApiKeyFileError
from shared.settings import PlatformSettings, UnsafeInProductionError
from shared.structured_logging import configure_logging


def main() -> int:
    """Build the app from the environment and serve it until SIGTERM/SIGINT."""
    platform = PlatformSettings()
    settings = GatewaySettings()
    configure_logging("gateway", platform.log_level)
    try:
        app = create_app(settings, platform)
    except (ApiKeyFileError, UnsafeInProductionError) as error:
        logging.getLogger("gateway").error("cannot start: %s", error)
        return 1
    # Startup objects (schema, catalog, modules) never die: keep them out of every future
    # collection, so the garbage collector's pauses stay short under load.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
