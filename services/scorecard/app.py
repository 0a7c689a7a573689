"""The scorecard service's HTTP face: health, readiness and metrics (the work is the consumer)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.scorecard.bootstrap import ScorecardService
from shared.observability import health_router


def create_app(service: ScorecardService) -> FastAPI:
    """FastAPI app whose lifespan runs the consumer task and closes the clients."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPI(title="QSMO scorecard service", lifespan=lifespan)
    app.include_router(
        health_router(
            service.registry,
            {"store": service.repository.ping, "consumer": service.check_running},
        )
    )
    return app
