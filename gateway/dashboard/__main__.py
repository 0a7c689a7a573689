"""``python -m gateway.dashboard``: the gateway with the dashboard mounted, served by uvicorn.

The same app as ``python -m gateway`` (``gateway.bootstrap.create_app``) plus
``mount_dashboard``; the browser tests run it. Once ``gateway.app`` mounts the dashboard
itself, this stays equivalent (``mount_dashboard`` is idempotent).
"""

import logging
import sys

import uvicorn

from gateway.bootstrap import create_app
from gateway.dashboard import mount_dashboard
from gateway.settings import GatewaySettings
from shared.api_keys import ApiKeyFileError
from shared.settings import PlatformSettings
from shared.structured_logging import configure_logging


def main() -> int:
    """Build the gateway from the environment, add the dashboard, serve until SIGTERM."""
    platform = PlatformSettings()
    settings = GatewaySettings()
    configure_logging("gateway", platform.log_level)
    try:
        app = create_app(settings, platform)
    except ApiKeyFileError as error:
        logging.getLogger("gateway").error("cannot start: %s", error)
        return 1
    mount_dashboard(app)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
