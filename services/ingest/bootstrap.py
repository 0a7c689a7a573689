"""The composition root: settings, key ring, catalog, publisher and app, wired once.

``create_app()`` with no arguments builds the production app from the environment; tests
pass an ``InMemoryEventPublisher``, their own settings, keys, clock or framework log. Nothing
connects until the app's lifespan starts (the publisher connects then, or keeps trying; the
QSMO directory starts following the framework audit log).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.ingest import openapi
from services.ingest.app import CSV_PATH, EVENTS_PATH, install_error_handlers, router
from services.ingest.handlers import IngestContext
from services.ingest.metrics import IngestMetrics
from services.ingest.ports import Clock, EventPublisher, SystemClock
from services.ingest.publisher import KafkaEventPublisher
from services.ingest.qsmo_directory import (
    QsmoDirectory,
    QsmoDirectoryRefresher,
)
from services.ingest.rate_limit import RateLimiter
from services.ingest.request_context import RequestContextMiddleware
from services.ingest.runtime import IngestRuntime
from services.ingest.settings import IngestSettings
from shared.api_keys import ApiKeyRing, load_api_keys
from shared.catalog import load_catalog
from shared.domain.catalog import Catalog
from shared.framework_log import FrameworkLogReader, MongoFrameworkLog
from shared.identity.bearer import build_authenticator
from shared.identity.settings import IdentitySettings
from shared.kafka import connection_options, create_producer
from shared.mongo import create_mongo_client
from shared.observability import health_router
from shared.settings import PlatformSettings, refuse_unsafe_in_production
from shared.tasks import cancel_and_wait, start_logged

FIRST_READ_WAIT_S = 2.0
"""How long start-up waits for the first read of the framework audit log."""

DESCRIPTION = """QSMO systems push performance events here. Every request is all or nothing:
`202` means Kafka has stored every event; any other answer means none is reported accepted.
Retry 429, 503 and network errors with the same event_ids (an event_id counts once, forever).
See docs/ingest.md."""


def create_app(
    settings: IngestSettings | None = None,
    platform: PlatformSettings | None = None,
    *,
    publisher: EventPublisher | None = None,
    key_ring: ApiKeyRing | None = None,
    catalog: Catalog | None = None,
    clock: Clock | None = None,
    framework_log: FrameworkLogReader | None = None,
) -> FastAPI:
    """The ingest app; what is not given is built from ``QSMO_*`` settings and the catalog.

    Reads the API-key file now, so a broken one stops the service at start with a message
    naming the fix (``shared.api_keys.ApiKeyFileError``), as do development keys in production
    (``shared.settings.UnsafeInProductionError``). Without a ``framework_log``, the
    store's audit log is read for added QSMOs and provider changes unless ``QSMO_INGEST_QSMO_REFRESH_S`` is 0.
    """
    settings = settings or IngestSettings()
    platform = platform or PlatformSettings()
    key_ring = key_ring or load_api_keys(platform.api_keys_file)
    refuse_unsafe_in_production(platform, key_ring=key_ring)
    catalog = catalog or load_catalog()
    registry = CollectorRegistry()
    metrics = IngestMetrics(registry, catalog.qsmo_ids)
    # Sign-in tokens beside keys (#20): QSMO_OIDC_PROVIDERS; refusals counted by reason.
    authenticator = build_authenticator(
        key_ring, IdentitySettings(), metrics.identity, environment=platform.environment
    )
    publisher = publisher or kafka_publisher(settings, platform, metrics)
    directory = QsmoDirectory(
        catalog.qsmo_ids, loaded=settings.qsmo_refresh_s <= 0, providers=catalog.providers
    )

    def following_added_qsmos() -> AbstractAsyncContextManager[None]:
        return _following(directory, metrics, settings, platform, framework_log)

    runtime = IngestRuntime(
        settings=settings,
        key_ring=key_ring,
        context=IngestContext(
            catalog=catalog,
            publisher=publisher,
            limiter=RateLimiter(settings.rate_per_s, settings.burst),
            clock=clock or SystemClock(),
            retry_after_s=settings.retry_after_s,
            qsmos=directory,
        ),
        publisher=publisher,
        registry=registry,
        metrics=metrics,
        authenticator=authenticator,
    )
    return _assemble(runtime, following_added_qsmos)


def kafka_publisher(
    settings: IngestSettings, platform: PlatformSettings, metrics: IngestMetrics
) -> KafkaEventPublisher:
    """The real publisher: the platform's idempotent ``acks=all`` producer."""
    return KafkaEventPublisher(
        lambda: create_producer(
            platform.kafka_bootstrap,
            linger_ms=settings.linger_ms,
            **connection_options(platform),
        ),
        topic=settings.topic,
        timeout_s=settings.publish_timeout_s,
        reconnect_s=settings.reconnect_s,
        on_error=metrics.producer_error,
    )


@asynccontextmanager
async def _following(
    directory: QsmoDirectory,
    metrics: IngestMetrics,
    settings: IngestSettings,
    platform: PlatformSettings,
    framework_log: FrameworkLogReader | None,
) -> AsyncIterator[None]:
    """Keep ``directory`` (QSMOs and providers) up to date with the audit log while the app
    runs (if configured)."""
    if settings.qsmo_refresh_s <= 0:
        yield
        return
    store: Any = None
    if framework_log is None:
        store = create_mongo_client(platform.mongo_url)
        framework_log = MongoFrameworkLog(store[platform.mongo_db])
    refresher = QsmoDirectoryRefresher(directory, framework_log, metrics, settings.qsmo_refresh_s)
    task = start_logged(refresher.run(), "ingest-qsmo-directory")
    # Serve once the added QSMOs are known (or the store did not answer quickly): requests
    # for them right after a start are then accepted, not answered 503.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(refresher.first_attempt.wait(), FIRST_READ_WAIT_S)
    try:
        yield
    finally:
        await cancel_and_wait(task)
        if store is not None:
            await store.close()


def _assemble(
    runtime: IngestRuntime, following_added_qsmos: Callable[[], AbstractAsyncContextManager[None]]
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.publisher.start()
        try:
            async with following_added_qsmos():
                yield
        finally:
            await runtime.publisher.stop()

    app = FastAPI(
        title="QSMO ingest API",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.include_router(router)
    app.include_router(health_router(runtime.registry, {"kafka": runtime.publisher.check_ready}))
    install_error_handlers(app)
    openapi.install(app)
    app.add_middleware(
        RequestContextMiddleware,
        metrics=runtime.metrics,
        routes=frozenset({EVENTS_PATH, CSV_PATH}),
    )
    return app
