"""Helpers for the ingest unit tests: event factories, keys, a settable clock, the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from services.ingest.bootstrap import create_app
from services.ingest.publisher import InMemoryEventPublisher
from services.ingest.settings import IngestSettings
from shared.api_keys import ApiKeyRing, generate_development_keys
from shared.catalog import load_catalog
from shared.framework_log import FrameworkLogReader, InMemoryFrameworkLog

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def event(**overrides: Any) -> dict[str, Any]:
    """A valid event document for the cybersecurity QSMO (override any field)."""
    document: dict[str, Any] = {
        "event_id": "cyber-0001",
        "qsmo": "cybersecurity",
        "measure": "customer-satisfaction",
        "value": 4.5,
        "occurred_at": "2024-05-01T14:30:00-04:00",
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not ...}


def events(count: int, **overrides: Any) -> list[dict[str, Any]]:
    return [event(event_id=f"cyber-{i:04d}", **overrides) for i in range(count)]


@dataclass
class FakeClock:
    """Wall clock fixed at ``NOW`` and a monotonic clock at 0, both moved by ``advance``."""

    wall: datetime = NOW
    mono: float = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds


@dataclass(frozen=True)
class DevKeys:
    """Plaintext development keys and the ring that knows their hashes."""

    admin: str
    viewer: str
    publishers: dict[str, str]
    ring: ApiKeyRing = field(repr=False)

    @classmethod
    def generate(cls) -> DevKeys:
        plaintext, key_file = generate_development_keys(list(load_catalog().qsmo_ids))
        publishers = plaintext["publishers"]
        assert isinstance(publishers, dict)
        return cls(
            admin=str(plaintext["admin"]),
            viewer=str(plaintext["viewer"]),
            publishers=publishers,
            ring=ApiKeyRing(key_file),
        )

    def auth(self, qsmo: str = "cybersecurity") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.publishers[qsmo]}"}


@dataclass
class IngestHarness:
    app: FastAPI
    client: httpx.AsyncClient
    publisher: InMemoryEventPublisher
    keys: DevKeys
    clock: FakeClock

    async def post(
        self, body: Any, qsmo: str = "cybersecurity", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """POST ``body`` as JSON with the publisher key of ``qsmo``."""
        headers = self.keys.auth(qsmo) | (headers or {})
        return await self.client.post("/v1/events", json=body, headers=headers)


@asynccontextmanager
async def build_harness(
    keys: DevKeys,
    clock: FakeClock,
    settings: IngestSettings | None = None,
    framework_log: FrameworkLogReader | None = None,
) -> AsyncIterator[IngestHarness]:
    publisher = InMemoryEventPublisher()
    app = create_app(
        settings or IngestSettings(),
        publisher=publisher,
        key_ring=keys.ring,
        clock=clock,
        framework_log=framework_log or InMemoryFrameworkLog(),
    )
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingest") as client,
    ):
        yield IngestHarness(app, client, publisher, keys, clock)
