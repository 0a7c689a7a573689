"""Helpers for driving the real measures service: private topics and database per test."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import qsmo_stack

from shared.codecs import encode
from shared.events import AcceptedEvent
from shared.kafka import create_producer, ensure_topics
from shared.topics import event_key


@dataclass(frozen=True)
class Lane:
    """A private events topic, values topic, DLQ, consumer group and database."""

    events: str
    values: str
    dlq: str
    group: str
    database: str

    @classmethod
    def new(cls) -> Lane:
        tag = uuid.uuid4().hex[:8]
        return cls(
            f"t.events.{tag}", f"t.values.{tag}", f"t.dlq.{tag}", f"measures-{tag}", f"m_{tag}"
        )

    def env(self, port: int) -> dict[str, str]:
        return {
            "QSMO_MONGO_DB": self.database,
            "QSMO_MEASURES_PORT": str(port),
            "QSMO_MEASURES_EVENTS_TOPIC": self.events,
            "QSMO_MEASURES_VALUES_TOPIC": self.values,
            "QSMO_MEASURES_DLQ_TOPIC": self.dlq,
            "QSMO_MEASURES_GROUP_ID": self.group,
            "QSMO_MEASURES_MAX_BATCH_RECORDS": "500",
        }

    async def create_topics(self, bootstrap: str, partitions: int = 6) -> None:
        await ensure_topics(bootstrap, partitions, names=(self.events, self.values, self.dlq))


def start_measures(stack: qsmo_stack.Stack, lane: Lane, instance: str) -> None:
    """Start one measures instance as a real subprocess (``python -m services.measures``)."""
    stack.start_service("measures", extra_env=lane.env(qsmo_stack.free_port()), instance=instance)


async def produce(
    bootstrap: str, topic: str, events: list[AcceptedEvent], raw: list[tuple[bytes, bytes]] = ()
) -> None:  # type: ignore[assignment]
    """Publish events keyed ``qsmo|measure`` (and raw key/value pairs), waiting for acks."""
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        futures = [
            await producer.send(topic, encode(e), key=event_key(e.qsmo, e.measure)) for e in events
        ]
        futures += [await producer.send(topic, value, key=key) for key, value in raw]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float, what: str) -> Any:
    """Poll ``check`` until it returns a truthy value; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout_s} s (last: {last!r})")
