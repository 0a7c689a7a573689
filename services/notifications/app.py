"""The notifications service's HTTP face: health, readiness and metrics.

The work is the consumer, sweeper and dispatcher; the gateway reads and writes notifications
and subscriptions through ``read_model.py`` directly against the store.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifications.bootstrap import NotificationsService
from shared.observability import health_router


def create_app(service: NotificationsService) -> FastAPI:
    """FastAPI app whose lifespan runs the background tasks and closes the clients."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    async def tasks_running() -> None:
        service.check_running()

    app = FastAPI(title="QSMO notifications service", lifespan=lifespan)
    app.include_router(
        health_router(service.registry, {"store": service.store.ping, "workers": tasks_running})
    )
    return app
