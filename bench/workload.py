"""The events every measures benchmark feeds, and filling a topic with them.

Two shapes (issue #21), the same in every module so that figures compare:
- ``backfill_events``: a sparse backfill: every QSMO and measure, ``occurred_at`` spread over
  the last 90 days (few events per (QSMO, measure, day) key);
- ``current_events``: dense current data, as systems push it when things happen: the same
  mix, ``occurred_at`` within the last ``minutes`` minutes (one day key per stream).
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

from shared.catalog import load_catalog
from shared.codecs import encode
from shared.events import AcceptedEvent
from shared.kafka import create_producer, ensure_topics
from shared.mongo import create_mongo_client
from shared.topics import event_key

CATALOG = load_catalog()
PARTITIONS = 6


def backfill_events(
    count: int, now: datetime, *, days: float = 90, seed: int = 1, prefix: str = "b"
) -> list[AcceptedEvent]:
    """A realistic mix: every QSMO and measure, ``occurred_at`` over the last ``days`` days."""
    rng = random.Random(seed)
    measures = list(CATALOG.framework().measures)
    qsmos = CATALOG.qsmo_ids
    events = []
    for i in range(count):
        measure = rng.choice(measures)
        low = measure.value_range.min
        high = measure.value_range.max if measure.value_range.max is not None else 1000
        events.append(
            AcceptedEvent(
                event_id=f"{prefix}-{i}",
                qsmo=rng.choice(qsmos),
                measure=measure.id,
                value=round(rng.uniform(low, high), 2),
                occurred_at=now - timedelta(seconds=rng.uniform(0, days * 86400)),
                ingested_at=now,
                request_id="bench",
            )
        )
    return events


def current_events(
    count: int, now: datetime, *, minutes: float = 10, seed: int = 1, prefix: str = "c"
) -> list[AcceptedEvent]:
    """Dense current data: the same mix, ``occurred_at`` within the last ``minutes`` minutes.

    Falls back to just after midnight UTC when ``now`` is too early in the day, so every
    stream's events share one day key.
    """
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    window = min(timedelta(minutes=minutes), now - midnight)
    return backfill_events(
        count, now, days=window.total_seconds() / 86400, seed=seed, prefix=prefix
    )


async def fill_topic(bootstrap: str, topic: str, events: list[AcceptedEvent]) -> None:
    """Create ``topic`` (6 partitions) and produce ``events`` keyed like ingest does."""
    await ensure_topics(bootstrap, PARTITIONS, names=(topic,))
    producer = create_producer(bootstrap, linger_ms=20)
    await producer.start()
    try:
        for start in range(0, len(events), 5000):
            chunk = events[start : start + 5000]
            futures = [
                await producer.send(topic, encode(e), key=event_key(e.qsmo, e.measure))
                for e in chunk
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def counted_events(mongo_url: str, database: str) -> int:
    """How many events the measures service has folded into ``database`` (stream counts)."""
    client = create_mongo_client(mongo_url)
    try:
        streams = await client[database]["measure_streams"].find({}, {"event_count": 1}).to_list()
        return sum(s["event_count"] for s in streams)
    finally:
        await client.close()
