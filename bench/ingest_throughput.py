"""Ingest throughput: events/s through ``POST /v1/events`` against a raw-producer baseline.

One real ingest server (``python -m services.ingest``, as ``make up`` runs it) on a private
Kafka. Per run: 100 batches of 500 events from 4 concurrent HTTP requests, then the same
messages (the accepted-event JSON, same keys) from a bare aiokafka producer with the
platform's settings (``acks=all``, idempotent), 4 batches of 500 in flight. Then single-event
requests: requests/s and p99 latency. Medians of 3 runs; bodies are encoded before timing.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.harness import Figure, private_stack, report
from shared import topics
from shared.events import AcceptedEvent
from shared.kafka import create_producer

RUNS = 3
BATCH = 500
BATCHES = 100
CONCURRENCY = 4
SINGLE_REQUESTS = 2000
QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
MEASURES = (
    ("customer-satisfaction", 4.2),
    ("customer-engagement", 3),
    ("cost-avoidance", 125000.0),
)


def make_events(run: str, count: int) -> list[dict[str, Any]]:
    """Realistic events spread over QSMOs and measures (so over partitions)."""
    documents = []
    for i in range(count):
        measure, value = MEASURES[i % len(MEASURES)]
        documents.append(
            {
                "event_id": f"bench-{run}-{i:07d}",
                "qsmo": QSMOS[i % len(QSMOS)],
                "measure": measure,
                "value": value,
                "occurred_at": "2024-05-01T14:30:00-04:00",
                "agency": "DOI",
                "source": "bench",
                "attributes": {"region": "east", "batch": i // BATCH},
            }
        )
    return documents


async def _in_waves(jobs: list[Any], worker: Any) -> list[float]:
    """Run ``worker(job)`` for every job with ``CONCURRENCY`` in flight; the latencies."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []

    async def loop() -> None:
        while not queue.empty():
            job = queue.get_nowait()
            started = time.perf_counter()
            await worker(job)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(loop() for _ in range(CONCURRENCY)))
    return latencies


async def ingest_run(client: httpx.AsyncClient, headers: dict[str, str]) -> float:
    documents = make_events(uuid.uuid4().hex[:8], BATCH * BATCHES)
    bodies = [
        json.dumps({"events": documents[i : i + BATCH]}).encode()
        for i in range(0, len(documents), BATCH)
    ]

    async def post(body: bytes) -> None:
        response = await client.post("/v1/events", content=body, headers=headers)
        if response.status_code != 202:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")

    started = time.perf_counter()
    await _in_waves(bodies, post)
    return len(documents) / (time.perf_counter() - started)


async def producer_run(bootstrap: str) -> float:
    stamp = {"ingested_at": datetime.now(UTC).isoformat(), "request_id": uuid.uuid4().hex}
    accepted = [
        AcceptedEvent.model_validate_json(json.dumps({**d, **stamp}))
        for d in make_events(uuid.uuid4().hex[:8], BATCH * BATCHES)
    ]
    messages = [(f"{e.qsmo}|{e.measure}".encode(), e.model_dump_json().encode()) for e in accepted]
    chunks = [messages[i : i + BATCH] for i in range(0, len(messages), BATCH)]
    producer = create_producer(bootstrap)
    await producer.start()
    try:

        async def send(chunk: list[tuple[bytes, bytes]]) -> None:
            futures = [await producer.send(topics.EVENTS, v, key=k) for k, v in chunk]
            await asyncio.gather(*futures)

        started = time.perf_counter()
        await _in_waves(chunks, send)
        return len(messages) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def single_run(client: httpx.AsyncClient, headers: dict[str, str]) -> tuple[float, float]:
    bodies = [json.dumps(d).encode() for d in make_events(uuid.uuid4().hex[:8], SINGLE_REQUESTS)]

    async def post(body: bytes) -> None:
        response = await client.post("/v1/events", content=body, headers=headers)
        if response.status_code != 202:
            raise RuntimeError(f"ingest answered {response.status_code}: {response.text[:300]}")

    started = time.perf_counter()
    latencies = await _in_waves(bodies, post)
    rate = len(bodies) / (time.perf_counter() - started)
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    return rate, p99


async def measure(url: str, bootstrap: str, admin_key: str) -> list[Figure]:
    headers = {"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    ingest, raw, singles, p99s = [], [], [], []
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        await ingest_run(client, headers)  # warm-up: connections, JIT, page cache
        for _ in range(RUNS):
            ingest.append(await ingest_run(client, headers))
            raw.append(await producer_run(bootstrap))
        for _ in range(RUNS):
            rate, p99 = await single_run(client, headers)
            singles.append(rate)
            p99s.append(p99)
    return [
        Figure(
            f"POST /v1/events, batches of {BATCH}, {CONCURRENCY} concurrent",
            "events/s",
            ingest,
            baseline_name="raw aiokafka producer, same messages",
            baseline_runs=raw,
        ),
        Figure(f"single-event requests, {CONCURRENCY} concurrent", "requests/s", singles),
        Figure("single-event request p99 latency", "ms", p99s, higher_is_better=False),
    ]


def main() -> None:
    """Run the benchmark on a private stack and print the figures."""
    with private_stack(mongo=False) as stack:
        stack.start_service(
            "ingest", extra_env={"QSMO_INGEST_RATE_PER_S": "1e9", "QSMO_INGEST_BURST": "1000000000"}
        )
        keys = json.loads(stack.plaintext_keys_file.read_text())
        url = f"http://127.0.0.1:{stack.ports['ingest']}"
        figures = asyncio.run(measure(url, stack.kafka_bootstrap, keys["admin"]))
    report("ingest_throughput", figures)


if __name__ == "__main__":
    main()
