"""One contract, two publishers: the in-memory fake behaves like the Kafka adapter.

Publish → read back the same accepted events, in order; an empty publish is a no-op; an
unreachable broker raises ``PublishUnavailableError`` (promptly) and fails readiness.
"""

import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from ingest_kafka_support import create_topic, read_topic

from services.ingest.ports import EventPublisher, PublishUnavailableError
from services.ingest.publisher import InMemoryEventPublisher, KafkaEventPublisher
from shared.events import AcceptedEvent
from shared.kafka import create_producer


@dataclass
class Backend:
    publisher: EventPublisher
    read_back: Callable[[int], Awaitable[list[AcceptedEvent]]]
    broken: EventPublisher
    """A publisher of the same kind whose broker cannot be reached."""


def accepted(count: int, request_id: str = "req-contract") -> list[AcceptedEvent]:
    return [
        AcceptedEvent(
            event_id=f"contract-{request_id}-{i}",
            qsmo="cybersecurity",
            measure="customer-satisfaction",
            value=1 + i % 5,
            occurred_at=datetime(2024, 5, 1, 12, i % 60, tzinfo=UTC),
            attributes={"i": i, "flag": True, "label": "x"},
            ingested_at=datetime(2024, 5, 2, tzinfo=UTC),
            request_id=request_id,
        )
        for i in range(count)
    ]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _in_memory() -> AsyncIterator[Backend]:
    publisher = InMemoryEventPublisher()
    broken = InMemoryEventPublisher()
    broken.available = False

    async def read_back(expected: int) -> list[AcceptedEvent]:
        return list(publisher.published)

    yield Backend(publisher, read_back, broken)


async def _kafka(bootstrap: str, topic: str) -> AsyncIterator[Backend]:
    await create_topic(bootstrap, topic)

    def kafka(address: str) -> KafkaEventPublisher:
        return KafkaEventPublisher(lambda: create_producer(address), topic, timeout_s=10)

    async def read_back(expected: int) -> list[AcceptedEvent]:
        records = await read_topic(bootstrap, topic, expected)
        return [AcceptedEvent.model_validate_json(r.value) for r in records]

    yield Backend(kafka(bootstrap), read_back, kafka(f"127.0.0.1:{_closed_port()}"))


@pytest.fixture(params=["in-memory", "kafka"])
async def backend(
    request: pytest.FixtureRequest, kafka_bootstrap: str, unique_topic: str
) -> AsyncIterator[Backend]:
    # Both run beside the broker, so that the stack starts outside the event loop.
    is_fake = request.param == "in-memory"
    factory = _in_memory() if is_fake else _kafka(kafka_bootstrap, unique_topic)
    async for built in factory:
        await built.publisher.start()
        await built.broken.start()
        try:
            yield built
        finally:
            await built.broken.stop()
            await built.publisher.stop()


async def test_published_events_read_back_equal_and_in_order(backend: Backend) -> None:
    await backend.publisher.check_ready()
    sent = accepted(50)
    await backend.publisher.publish(sent)
    await backend.publisher.publish([])
    assert await backend.read_back(50) == sent  # one key: one partition, so one order


async def test_an_unreachable_broker_raises_promptly_and_is_not_ready(backend: Backend) -> None:
    started = time.monotonic()
    with pytest.raises(PublishUnavailableError):
        await backend.broken.publish(accepted(3, "req-broken"))
    assert time.monotonic() - started < 5
    with pytest.raises(RuntimeError):
        await backend.broken.check_ready()
