"""Health, readiness and Prometheus endpoints that every service mounts.

``/healthz`` answers while the process runs (liveness); ``/readyz`` runs the service's
readiness checks (broker reachable, store reachable …) and answers 503 naming the failed
ones; ``/metrics`` exposes the service's own Prometheus registry.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

ReadinessCheck = Callable[[], Awaitable[None]]
"""An async callable that returns when a dependency answers and raises when it does not."""


async def _run_check(check: ReadinessCheck, timeout_s: float) -> str | None:
    try:
        await asyncio.wait_for(check(), timeout_s)
    except Exception as error:  # a readiness probe reports every failure, whatever its kind
        return f"{type(error).__name__}: {error}"[:300]
    return None


def health_router(
    registry: CollectorRegistry,
    checks: Mapping[str, ReadinessCheck],
    timeout_s: float = 2.0,
) -> APIRouter:
    """The ``/healthz``, ``/readyz`` and ``/metrics`` routes for one service."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: every dependency answers")
    async def readyz() -> JSONResponse:
        names = list(checks)
        results = await asyncio.gather(*(_run_check(checks[name], timeout_s) for name in names))
        failures = {name: error for name, error in zip(names, results, strict=True) if error}
        status = 503 if failures else 200
        body = {"status": "unavailable" if failures else "ready", "failures": failures}
        return JSONResponse(body, status_code=status)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
