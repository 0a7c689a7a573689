"""The measures service's HTTP face: health, readiness and metrics (the work is the consumer)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.measures.bootstrap import MeasuresService
from shared.observability import health_router


def create_app(service: MeasuresService) -> FastAPI:
    """FastAPI app whose lifespan runs the consumer task and closes the clients."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    async def consumer_running() -> None:
        service.check_running()

    app = FastAPI(title="QSMO measures service", lifespan=lifespan)
    app.include_router(
        health_router(
            service.registry, {"store": service.repository.ping, "consumer": consumer_running}
        )
    )
    return app
