"""Helpers for the ingest tests that use the real broker: topics, reading back, offsets."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import ConsumerRecord, TopicPartition
from fastapi import FastAPI

PARTITIONS = 3


def event(**overrides: Any) -> dict[str, Any]:
    """A valid cybersecurity event document (override any field)."""
    return {
        "event_id": "cyber-0001",
        "qsmo": "cybersecurity",
        "measure": "customer-satisfaction",
        "value": 4.5,
        "occurred_at": "2024-05-01T14:30:00-04:00",
        **overrides,
    }


@dataclass(frozen=True)
class PlainKeys:
    """The development keys the test stack wrote to ``api-keys.json``."""

    admin: str
    viewer: str
    publishers: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> PlainKeys:
        raw = json.loads(path.read_text())
        return cls(admin=raw["admin"], viewer=raw["viewer"], publishers=raw["publishers"])

    def auth(self, qsmo: str = "cybersecurity") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.publishers[qsmo]}"}


async def create_topic(bootstrap: str, name: str, partitions: int = PARTITIONS) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


@asynccontextmanager
async def _assigned_consumer(bootstrap: str, topic: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(await _partitions(consumer, topic))]
        consumer.assign(partitions)
        yield consumer
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = consumer.partitions_for_topic(topic)
        if found:
            return set(found)
        await consumer._client.force_metadata_update()  # no public way to wait for metadata
    raise AssertionError(f"topic {topic} has no partitions")


async def end_offset_total(bootstrap: str, topic: str) -> int:
    """How many messages the topic holds (sum of its partitions' end offsets)."""
    async with _assigned_consumer(bootstrap, topic) as consumer:
        offsets = await consumer.end_offsets(list(consumer.assignment()))
        return sum(offsets.values())


async def read_topic(
    bootstrap: str, topic: str, expected: int, timeout_s: float = 30
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message of the topic, polling until ``expected`` arrived or the deadline."""
    received: list[ConsumerRecord[bytes, bytes]] = []
    async with _assigned_consumer(bootstrap, topic) as consumer:
        deadline = time.monotonic() + timeout_s
        while len(received) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                received.extend(records)
    return received


@asynccontextmanager
async def in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and talk to it over ASGI."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingest", timeout=60) as client,
    ):
        yield client
