"""Measures service: events/s from a pre-filled topic to durable values, against raw consume.

Figures (each the median of RUNS runs, a fresh consumer group and database per run):
- the real service (``python -m services.measures``, one instance) draining EVENTS events
  from a 6-partition topic into FerretDB;
- baseline: a bare aiokafka consumer reading the same topic (``getmany``, no processing);
- the same handler in-process with the in-memory repository, fed by a consumer of the same
  topic, to separate the store's share: the Python share, target ≥ 30,000 events/s on one core
  (issue #21), against raw consume;
- the handler alone over records already in memory (no Kafka), against decoding alone (the
  least any Python consumer of the topic does per event), and the same at CPython's default
  collector settings (the service tunes them: ``services/measures/collector.py``);
- event-to-value latency p50/p99 at a steady 1,000 events/s (from the service's histogram).
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import time
import urllib.request
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from bench.harness import Figure, private_stack, qsmo_stack, report, value_target
from bench.workload import CATALOG, PARTITIONS, backfill_events, counted_events, fill_topic
from services.measures.collector import tune_collector
from services.measures.decoding import RawRecord
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import InMemoryMeasureRepository
from shared.codecs import decode, encode
from shared.events import AcceptedEvent
from shared.kafka import create_consumer, create_producer, ensure_topics
from shared.topics import event_key

EVENTS = int(os.environ.get("QSMO_BENCH_MEASURES_EVENTS", "200000"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
BATCH = 2000
"""Records per ``process_batch`` call (the consumer's ``getmany`` size)."""


def handler_records(count: int, now: datetime | None = None) -> list[RawRecord]:
    """``count`` backfill events as Kafka records, offsets in order per partition (no broker)."""
    offsets = [0] * PARTITIONS
    records = []
    for event in backfill_events(count, now or datetime(2026, 11, 30, 12, tzinfo=UTC)):
        key = event_key(event.qsmo, event.measure)
        partition = zlib.crc32(key) % PARTITIONS
        records.append(RawRecord("bench", partition, offsets[partition], key, encode(event)))
        offsets[partition] += 1
    return records


async def run_handler(records: Sequence[RawRecord]) -> None:
    """``process_batch`` over ``records`` in batches of ``BATCH``, in-memory adapters."""
    repository, publisher = InMemoryMeasureRepository(), InMemoryValuePublisher()
    now = datetime.now(UTC)
    for start in range(0, len(records), BATCH):
        await process_batch(
            records[start : start + BATCH],
            repository=repository,
            publisher=publisher,
            catalog=CATALOG,
            now=now,
        )


@contextmanager
def service_collector() -> Iterator[None]:
    """The collector settings of a measures process (``tune_collector``), undone afterwards."""
    previous = tune_collector()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*previous)


def _standalone_rates(total: int) -> tuple[float, float, float]:
    """Handler alone (service collector, then CPython defaults) and decoding alone, events/s."""
    records = handler_records(total)
    with service_collector():
        started = time.perf_counter()
        asyncio.run(run_handler(records))
        tuned = total / (time.perf_counter() - started)
    started = time.perf_counter()
    asyncio.run(run_handler(records))
    default = total / (time.perf_counter() - started)
    started = time.perf_counter()
    for record in records:
        decode(AcceptedEvent, record.value or b"")
    decoding = total / (time.perf_counter() - started)
    return tuned, default, decoding


async def _raw_consume_rate(bootstrap: str, topic: str, total: int) -> float:
    consumer = create_consumer(bootstrap, topic, group_id=f"raw-{uuid.uuid4().hex[:6]}")
    await consumer.start()
    try:
        seen, started = 0, time.perf_counter()
        while seen < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=2000)
            seen += sum(len(records) for records in batch.values())
        return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def _in_memory_rate(bootstrap: str, topic: str, total: int) -> float:
    """The handler with in-memory adapters, fed by a real consumer (no store).

    One core: the consumer and the handler share this process's one thread.
    """
    consumer = create_consumer(bootstrap, topic, group_id=f"mem-{uuid.uuid4().hex[:6]}")
    repository, publisher = InMemoryMeasureRepository(), InMemoryValuePublisher()
    await consumer.start()
    try:
        seen, started = 0, time.perf_counter()
        while seen < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=2000)
            records = [
                RawRecord(r.topic, r.partition, r.offset, r.key, r.value)
                for rs in batch.values()
                for r in rs
            ]
            if records:
                await process_batch(
                    records,
                    repository=repository,
                    publisher=publisher,
                    catalog=CATALOG,
                    now=datetime.now(UTC),
                )
            seen += len(records)
        return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def _service_rate(stack: qsmo_stack.Stack, topic: str, total: int, run: int) -> float:
    database = f"bench_{uuid.uuid4().hex[:6]}"
    env = {
        "QSMO_MONGO_DB": database,
        "QSMO_MEASURES_EVENTS_TOPIC": topic,
        "QSMO_MEASURES_GROUP_ID": f"bench-{database}",
        "QSMO_MEASURES_PORT": str(qsmo_stack.free_port()),
    }
    started = time.perf_counter()
    stack.start_service("measures", extra_env=env, instance=f"-bench{run}")
    try:
        while await counted_events(stack.mongo_url, database) < total:  # noqa: ASYNC110 (polls the store)
            await asyncio.sleep(0.5)
        return total / (time.perf_counter() - started)
    finally:
        stack.stop(f"measures-bench{run}")


def _quantile(buckets: list[tuple[float, float]], q: float) -> float:
    """Prometheus-style histogram_quantile over cumulative (upper bound, count) buckets."""
    total = buckets[-1][1]
    rank, lower, below = q * total, 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if upper == float("inf"):
                return lower
            return lower + (upper - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = upper, count
    return lower


async def _steady_latency(stack: qsmo_stack.Stack, seconds: float = 20) -> tuple[float, float]:
    topic = f"bench.steady.{uuid.uuid4().hex[:6]}"
    await ensure_topics(stack.kafka_bootstrap, 6, names=(topic,))
    port = qsmo_stack.free_port()
    env = {
        "QSMO_MONGO_DB": f"steady_{uuid.uuid4().hex[:6]}",
        "QSMO_MEASURES_EVENTS_TOPIC": topic,
        "QSMO_MEASURES_GROUP_ID": f"steady-{port}",
        "QSMO_MEASURES_PORT": str(port),
    }
    stack.start_service("measures", extra_env=env, instance="-steady")
    producer = create_producer(stack.kafka_bootstrap, linger_ms=1)
    await producer.start()
    try:
        rng, sent, started = random.Random(2), 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            now = datetime.now(UTC)
            for event in backfill_events(50, now):
                event = event.model_copy(update={"event_id": f"s-{sent}", "ingested_at": now})
                await producer.send(topic, encode(event), key=event_key(event.qsmo, event.measure))
                sent += 1
            await asyncio.sleep(max(0.0, started + sent / 1000 - time.perf_counter()))
        await producer.flush()
        await asyncio.sleep(3)
        text = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/metrics")
    finally:
        await producer.stop()
        stack.stop("measures-steady")
    buckets = []
    for line in text.splitlines():
        if line.startswith("qsmo_measures_event_to_value_seconds_bucket"):
            bound = line.split('le="')[1].split('"')[0]
            buckets.append((float(bound), float(line.rsplit(" ", 1)[1])))
    _ = rng
    return _quantile(buckets, 0.5) * 1000, _quantile(buckets, 0.99) * 1000


def _get(url: str) -> str:
    with urllib.request.urlopen(url) as response:
        return str(response.read().decode())


def main() -> None:
    with private_stack() as stack:
        topic = f"bench.events.{uuid.uuid4().hex[:6]}"
        print(f"   filling {topic} with {EVENTS:,} events …", flush=True)
        asyncio.run(
            fill_topic(stack.kafka_bootstrap, topic, backfill_events(EVENTS, datetime.now(UTC)))
        )
        service, raw, memory = [], [], []
        for run in range(RUNS):
            raw.append(asyncio.run(_raw_consume_rate(stack.kafka_bootstrap, topic, EVENTS)))
            service.append(asyncio.run(_service_rate(stack, topic, EVENTS, run)))
            with service_collector():
                memory.append(asyncio.run(_in_memory_rate(stack.kafka_bootstrap, topic, EVENTS)))
            print(
                f"   run {run + 1}: service {service[-1]:,.0f}/s, raw {raw[-1]:,.0f}/s, in-memory {memory[-1]:,.0f}/s",
                flush=True,
            )
        latencies = [asyncio.run(_steady_latency(stack)) for _ in range(RUNS)]
    alone = [_standalone_rates(EVENTS) for _ in range(RUNS)]
    print(
        "   handler alone: "
        + ", ".join(f"{t:,.0f}/s (defaults {d:,.0f}/s, decoding {c:,.0f}/s)" for t, d, c in alone),
        flush=True,
    )
    report(
        "measures_throughput",
        [
            Figure(
                f"measures service, {EVENTS:,} events to durable values (FerretDB)",
                "events/s",
                service,
                "raw aiokafka consume",
                raw,
            ),
            value_target(
                Figure(
                    "measures handler with the in-memory repository, fed by a consumer (one core)",
                    "events/s",
                    memory,
                    "raw aiokafka consume",
                    raw,
                ),
                30000,
                "≥ 30,000 events/s on one core",
                "per-state work bounds it (the in-memory repository converts each loaded and "
                "saved state to and from its document); see bench/profiles/README.md",
            ),
            Figure(
                f"measures handler alone, {EVENTS:,} records in memory in batches of {BATCH:,}",
                "events/s",
                [tuned for tuned, _, _ in alone],
                "decoding alone (AcceptedEvent from each record's JSON)",
                [decoding for _, _, decoding in alone],
            ),
            Figure(
                "measures handler alone at CPython's default collector settings",
                "events/s",
                [default for _, default, _ in alone],
                "the same with the service's collector settings",
                [tuned for tuned, _, _ in alone],
            ),
            Figure(
                "event-to-value latency p50 at 1,000 events/s",
                "ms",
                [p50 for p50, _ in latencies],
                higher_is_better=False,
            ),
            Figure(
                "event-to-value latency p99 at 1,000 events/s",
                "ms",
                [p99 for _, p99 in latencies],
                higher_is_better=False,
            ),
        ],
    )


if __name__ == "__main__":
    main()
