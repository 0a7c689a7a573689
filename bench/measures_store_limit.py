"""The measures service against its store's own limit, in the same run (issue #21).

For each workload (``bench.workload``: the sparse backfill and dense current data), a topic
of 6 partitions is filled as ingest fills it, then, each run and alternating which goes first:

- **the store's limit**: the exact writes the service makes for these events, replayed by a
  bare loop. The writes are found outside the timed part: the topic is read back in the
  service's batches (``shared.batch_consumer.poll_batch`` with the service's
  ``max_batch_records`` and ``batch_linger_ms``) and each batch runs through the service's own
  ``process_batch`` and ``MongoMeasureRepository`` over a *recording* database, which keeps
  every ``insert_many`` (raw events, new states, new sightings) and ``bulk_write`` (replaced
  states, slice index) it is asked for, in order and in the same chunks. The timed loop is
  PyMongo's ``AsyncMongoClient`` (the service's client, same options) issuing those commands
  one after the other into a fresh database with the service's indexes: no Kafka, no
  decoding, no folding, nothing published. Events/s = events / time of the writes.
- **the service**: ``python -m services.measures`` draining the same topic into a fresh
  database, timed from its readiness (``/readyz``) until every event is folded durably
  (``measure_streams.event_count``); events counted before readiness are left out.

Target: the service's events/s ≥ 0.7 × the store's limit.

Store statements per 1,000 events (documents inserted or replaced in the state collections:
``measure_periods``, ``measure_streams``, ``slice_index``, ``agencies_seen``; raw events are
one insert each either way and left out) come from the same recorded writes, against what a
per-event writer would make (the same code with batches of one event, on the first
``PER_EVENT_SAMPLE`` events) and against the batches the service took before issue #21
(``getmany`` of at most 2,000 records, no linger).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import ReplaceOne

from bench.harness import Figure, Target, private_stack, qsmo_stack, ratio_target, report
from bench.workload import (
    CATALOG,
    PARTITIONS,
    backfill_events,
    counted_events,
    current_events,
    fill_topic,
)
from services.measures.decoding import RawRecord
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import MongoMeasureRepository
from services.measures.settings import MeasuresSettings
from shared.batch_consumer import poll_batch
from shared.kafka import create_consumer
from shared.mongo import create_mongo_client

EVENTS = int(os.environ.get("QSMO_BENCH_STORE_LIMIT_EVENTS", "100000"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
PER_EVENT_SAMPLE = min(EVENTS, int(os.environ.get("QSMO_BENCH_PER_EVENT_SAMPLE", "10000")))
STATE_COLLECTIONS = {"measure_periods", "measure_streams", "slice_index", "agencies_seen"}
BEFORE_BATCH_RECORDS = 2000
"""The batches before issue #21: one ``getmany`` of at most 2,000 records, no linger."""


@dataclass
class Write:
    """One command the service sends: an ``insert_many`` or a ``bulk_write`` of a collection."""

    collection: str
    kind: str
    payload: list[Any]


class RecordedCursor:
    """The part of a PyMongo cursor ``warm`` uses: ``limit`` and ``async for``."""

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self._documents = documents

    def limit(self, count: int) -> RecordedCursor:
        return RecordedCursor(self._documents[:count])

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        for document in self._documents:
            yield document


@dataclass
class RecordingCollection:
    """The collection surface the measures repository uses, recording its writes.

    Keeps what was written by ``_id`` so that a lookup (a state evicted from a cache) finds
    what the store would hold.
    """

    name: str
    log: list[Write]
    stored: dict[Any, dict[str, Any]] = field(default_factory=dict)

    async def insert_many(self, documents: Iterable[dict[str, Any]], ordered: bool = True) -> None:
        documents = list(documents)
        self.log.append(Write(self.name, "insert", documents))
        self.stored.update((d["_id"], d) for d in documents)

    async def bulk_write(self, requests: list[Any], ordered: bool = True) -> None:
        self.log.append(Write(self.name, "bulk", list(requests)))
        for request in requests:
            if isinstance(request, ReplaceOne):
                document = request._doc
                self.stored[document["_id"]] = document

    async def find_one(self, query: dict[str, Any]) -> dict[str, Any] | None:
        return self.stored.get(query["_id"])

    def find(self, query: dict[str, Any], *_: Any) -> RecordedCursor:
        partitions = set(query.get("partition", {}).get("$in", ()))
        return RecordedCursor([d for d in self.stored.values() if d.get("partition") in partitions])

    async def create_index(self, *_: Any, **__: Any) -> None:
        return None

    async def drop_index(self, *_: Any) -> None:
        return None


class RecordingDatabase:
    """A database whose collections record what they are asked to write."""

    name = "recording"

    def __init__(self) -> None:
        self.log: list[Write] = []
        self._collections: dict[str, RecordingCollection] = {}

    def __getitem__(self, name: str) -> RecordingCollection:
        return self._collections.setdefault(name, RecordingCollection(name, self.log))


async def read_batches(
    bootstrap: str, topic: str, total: int, max_records: int, linger_ms: int
) -> list[list[RawRecord]]:
    """The topic's records in the batches a service with these settings takes from a backlog."""
    group = f"limit-{uuid.uuid4().hex[:6]}"
    consumer = create_consumer(bootstrap, topic, group_id=group, max_poll_records=max_records)
    await consumer.start()
    try:
        batches, seen = [], 0
        while seen < total:
            batch = await poll_batch(
                consumer, max_records=max_records, poll_timeout_ms=500, linger_ms=linger_ms
            )
            records = [
                RawRecord(r.topic, r.partition, r.offset, r.key, r.value)
                for rs in batch.values()
                for r in rs
            ]
            if records:
                batches.append(records)
            seen += len(records)
        return batches
    finally:
        await consumer.stop()


async def record_writes(batches: Iterable[list[RawRecord]]) -> list[Write]:
    """The commands the service's handler and repository send for these batches (fresh store)."""
    database = RecordingDatabase()
    repository = MongoMeasureRepository(database)
    await repository.warm(range(PARTITIONS))  # as on assignment: nothing stored yet
    for records in batches:
        await process_batch(
            records,
            repository=repository,
            publisher=InMemoryValuePublisher(),
            catalog=CATALOG,
            now=datetime.now(UTC),
        )
    return database.log


def statements_per_thousand(writes: list[Write], events: int) -> float:
    """Documents inserted or replaced in the state collections, per 1,000 events."""
    documents = sum(len(w.payload) for w in writes if w.collection in STATE_COLLECTIONS)
    return 1000 * documents / events


async def store_limit_rate(mongo_url: str, writes: list[Write], events: int) -> float:
    """Events/s of a bare loop sending ``writes`` to a fresh database with the service's indexes."""
    client = create_mongo_client(mongo_url)
    database = client[f"limit_{uuid.uuid4().hex[:6]}"]
    try:
        await MongoMeasureRepository(database).create_indexes()
        started = time.perf_counter()
        for write in writes:
            collection = database[write.collection]
            if write.kind == "insert":
                await collection.insert_many(write.payload, ordered=False)
            else:
                await collection.bulk_write(write.payload, ordered=False)
        return events / (time.perf_counter() - started)
    finally:
        await client.drop_database(database.name)
        await client.close()


async def service_rate(stack: qsmo_stack.Stack, topic: str, events: int, instance: str) -> float:
    """Events/s of the measures service draining ``topic`` into a fresh database."""
    database = f"svc_{uuid.uuid4().hex[:6]}"
    env = {
        "QSMO_MONGO_DB": database,
        "QSMO_MEASURES_EVENTS_TOPIC": topic,
        "QSMO_MEASURES_GROUP_ID": f"bench-{database}",
        "QSMO_MEASURES_PORT": str(qsmo_stack.free_port()),
    }
    stack.start_service("measures", extra_env=env, instance=instance)
    try:
        started = time.perf_counter()
        before = await counted_events(stack.mongo_url, database)
        while (counted := await counted_events(stack.mongo_url, database)) < events:  # noqa: ASYNC110 (polls the store)
            await asyncio.sleep(0.1)
        return (counted - before) / (time.perf_counter() - started)
    finally:
        stack.stop(f"measures{instance}")
        client = create_mongo_client(stack.mongo_url)
        await client.drop_database(database)
        await client.close()


@dataclass
class Workload:
    """One event shape's figures."""

    name: str
    service: list[float] = field(default_factory=list)
    limit: list[float] = field(default_factory=list)
    statements: float = 0.0
    per_event: float = 0.0
    before: float = 0.0


def measure(stack: qsmo_stack.Stack, workload: Workload, events_of: Any) -> None:
    settings = MeasuresSettings()
    topic = f"bench.limit.{uuid.uuid4().hex[:6]}"
    events = events_of(EVENTS, datetime.now(UTC))
    print(f"   {workload.name}: filling {topic} with {EVENTS:,} events …", flush=True)
    asyncio.run(fill_topic(stack.kafka_bootstrap, topic, events))
    bootstrap = stack.kafka_bootstrap
    batches = asyncio.run(
        read_batches(bootstrap, topic, EVENTS, settings.max_batch_records, settings.batch_linger_ms)
    )
    writes = asyncio.run(record_writes(batches))
    before = asyncio.run(
        record_writes(asyncio.run(read_batches(bootstrap, topic, EVENTS, BEFORE_BATCH_RECORDS, 0)))
    )
    sample = [r for batch in batches for r in batch]
    sample = sorted(sample, key=lambda r: (r.partition, r.offset))[:PER_EVENT_SAMPLE]
    per_event = asyncio.run(record_writes([r] for r in sample))
    workload.statements = statements_per_thousand(writes, EVENTS)
    workload.before = statements_per_thousand(before, EVENTS)
    workload.per_event = statements_per_thousand(per_event, len(sample))
    print(
        f"   {workload.name}: {len(batches):,} batches (median "
        f"{sorted(map(len, batches))[len(batches) // 2]:,} records), {len(writes):,} commands; "
        f"state statements per 1,000 events {workload.statements:,.0f} (batches of 2,000: "
        f"{workload.before:,.0f}, per event: {workload.per_event:,.0f})",
        flush=True,
    )
    for run in range(RUNS):
        order = ("limit", "service") if run % 2 == 0 else ("service", "limit")
        for kind in order:
            if kind == "limit":
                workload.limit.append(
                    asyncio.run(store_limit_rate(stack.mongo_url, writes, EVENTS))
                )
            else:
                instance = f"-limit-{workload.name.split()[0]}{run}"
                workload.service.append(asyncio.run(service_rate(stack, topic, EVENTS, instance)))
        print(
            f"   {workload.name} run {run + 1}: service {workload.service[-1]:,.0f}/s, "
            f"store limit {workload.limit[-1]:,.0f}/s",
            flush=True,
        )


def figures(workload: Workload) -> list[Figure]:
    aim = "lowered by design (coalescing, bulk writes)"
    statements = Figure(
        f"store statements per 1,000 events, {workload.name}",
        "statements",
        [workload.statements],
        "a per-event writer (3 period states and 1 stream per event)",
        [workload.per_event],
        higher_is_better=False,
    )
    statements.target = Target(aim, workload.statements < workload.per_event)
    return [
        ratio_target(
            Figure(
                f"measures service, {EVENTS:,} events, {workload.name}, to durable values",
                "events/s",
                workload.service,
                "the store's limit (bare PyMongo loop, the service's writes)",
                workload.limit,
            ),
            0.7,
            "≥ 0.7 × the store's limit",
        ),
        statements,
        Figure(
            f"store statements per 1,000 events, {workload.name}, against batches before #21",
            "statements",
            [workload.statements],
            f"batches of at most {BEFORE_BATCH_RECORDS:,} records, no linger",
            [workload.before],
            higher_is_better=False,
        ),
    ]


def main() -> None:
    workloads = [
        (Workload("sparse backfill"), backfill_events),
        (Workload("dense current data"), current_events),
    ]
    with private_stack() as stack:
        for workload, events_of in workloads:
            measure(stack, workload, events_of)
    report("measures_store_limit", [f for workload, _ in workloads for f in figures(workload)])


if __name__ == "__main__":
    main()
