"""End to end: HTTP → durable value, against the Kafka Streams peer in the same run.

Per run, on one private stack (Kafka + FerretDB), in this order:
- the Kafka Streams peer (``bench.kstreams_peer``): a fresh application on a topic pre-filled
  with EVENTS backfill events, from JVM start to its state store counting them all,
  committed (the baseline);
- end to end: a fresh ingest and measures service (own topic, database and consumer group);
  the same EVENTS events (``bench.workload.backfill_events``, new ids) are POSTed to
  ``/v1/events`` in batches of 500 by 4 concurrent clients; the clock runs from the first POST
  until ``bench.workload.counted_events`` (events folded into durable states) reaches EVENTS;
- the measures service alone on the peer's pre-filled topic (fresh database and group), from
  its start until every event is durable: the service's own share of the end-to-end figure.

Medians of RUNS runs. The HTTP bodies are encoded before the clock starts. The peer's and
the service-alone figures include their start (process start, group join; the peer prints
its share); the end-to-end clock starts with both services up and ready.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from bench import kstreams_peer
from bench.harness import Figure, format_ratio, private_stack, qsmo_stack, ratio_target, report
from bench.workload import PARTITIONS, backfill_events, counted_events
from shared.kafka import ensure_topics

EVENTS = int(os.environ.get("QSMO_BENCH_KSTREAMS_EVENTS", "200000"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
BATCH = 500
CONCURRENCY = 4
UNLIMITED = {"QSMO_INGEST_RATE_PER_S": "1e9", "QSMO_INGEST_BURST": "1000000000"}


def _deadline(total: int) -> float:
    return time.monotonic() + max(300.0, total / 100)


async def _wait_durable(
    mongo_url: str, database: str, total: int, deadline: float, alive: Callable[[], bool]
) -> None:
    """Poll the store until ``total`` events are folded into ``database``'s states."""
    while (counted := await counted_events(mongo_url, database)) < total:
        if not alive():
            raise RuntimeError(f"a service stopped with {counted} of {total} events durable")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{counted} of {total} events durable before the deadline")
        await asyncio.sleep(0.25)


async def _post_all(url: str, api_key: str, bodies: list[bytes]) -> None:
    """POST every body to ``/v1/events``, ``CONCURRENCY`` requests in flight."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                response = await client.post(
                    "/v1/events", content=queue.get_nowait(), headers=headers
                )
                if response.status_code != 202:
                    raise RuntimeError(
                        f"ingest answered {response.status_code}: {response.text[:300]}"
                    )

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


def _bodies(total: int, run: int) -> list[bytes]:
    """The benchmark's events as ``POST /v1/events`` bodies of ``BATCH`` events, new ids."""
    events = backfill_events(total, datetime.now(UTC), prefix=f"e2e-{run}-{uuid.uuid4().hex[:6]}")
    documents = [
        e.model_dump(mode="json", exclude={"ingested_at", "request_id"}, exclude_none=True)
        for e in events
    ]
    return [
        json.dumps({"events": documents[i : i + BATCH]}).encode()
        for i in range(0, len(documents), BATCH)
    ]


def _measures_env(topic: str, database: str) -> dict[str, str]:
    return {
        "QSMO_MONGO_DB": database,
        "QSMO_MEASURES_EVENTS_TOPIC": topic,
        "QSMO_MEASURES_GROUP_ID": f"bench-{database}",
        "QSMO_MEASURES_PORT": str(qsmo_stack.free_port()),
    }


def end_to_end_rate(stack: qsmo_stack.Stack, total: int, run: int) -> tuple[float, float]:
    """Events/s from the first POST to all durable, and events/s accepted over HTTP."""
    suffix = uuid.uuid4().hex[:6]
    topic, database = f"bench.e2e.{suffix}", f"e2e_{suffix}"
    asyncio.run(ensure_topics(stack.kafka_bootstrap, PARTITIONS, names=(topic,)))
    ingest, measures = f"ingest-e2e{run}", f"measures-e2e{run}"
    port = qsmo_stack.free_port()
    stack.start_service(
        "ingest",
        extra_env={**UNLIMITED, "QSMO_INGEST_TOPIC": topic, "QSMO_INGEST_PORT": str(port)},
        instance=f"-e2e{run}",
    )
    stack.start_service("measures", extra_env=_measures_env(topic, database), instance=f"-e2e{run}")
    try:
        bodies = _bodies(total, run)
        api_key = json.loads(stack.plaintext_keys_file.read_text())["admin"]

        async def flow() -> tuple[float, float]:
            started = time.perf_counter()
            await _post_all(f"http://127.0.0.1:{port}", api_key, bodies)
            accepted = time.perf_counter() - started
            await _wait_durable(
                stack.mongo_url,
                database,
                total,
                _deadline(total),
                lambda: stack.running(ingest) and stack.running(measures),
            )
            return total / (time.perf_counter() - started), total / accepted

        return asyncio.run(flow())
    finally:
        stack.stop(ingest)
        stack.stop(measures)


def service_rate(stack: qsmo_stack.Stack, topic: str, total: int, run: int) -> float:
    """The measures service alone: events/s from its start to ``total`` events durable."""
    database = f"svc_{uuid.uuid4().hex[:6]}"
    label = f"measures-svc{run}"
    started = time.perf_counter()
    stack.start_service("measures", extra_env=_measures_env(topic, database), instance=f"-svc{run}")
    try:
        asyncio.run(
            _wait_durable(
                stack.mongo_url, database, total, _deadline(total), lambda: stack.running(label)
            )
        )
        return total / (time.perf_counter() - started)
    finally:
        stack.stop(label)


def _why(service: Figure, accepted: list[float], peer: Figure, running: Figure) -> str:
    """Why the end-to-end figure is below half the peer's, from this run's own figures."""
    http = statistics.median(accepted)
    if service.median < http:
        pace = (
            f"The measures service sets the pace: alone on a pre-filled topic it makes "
            f"{service.median:,.0f} events/s durable ({format_ratio(service.ratio)} × the peer), "
            f"while ingest accepted the same events over HTTP at {http:,.0f} events/s"
        )
    else:
        pace = (
            f"Ingest sets the pace: it accepted the events over HTTP at {http:,.0f} events/s, "
            f"while the measures service alone makes {service.median:,.0f} events/s durable"
        )
    return (
        f"{pace}; the peer folded them at {peer.median:,.0f} events/s from its start "
        f"({running.median:,.0f} events/s once running). The peer keeps its state in "
        f"local RocksDB behind a record cache and appends it to changelog topics in one Kafka "
        f"transaction per 100 ms commit; the service writes the raw events (first-wins "
        f"deduplication), one document per (QSMO, measure, period) touched and one per stream "
        f"to FerretDB on SQLite, which takes one write transaction at a time (the store's "
        f"limit: bench/measures_store_limit.py), and announces each changed fiscal-year and "
        f"quarter value on Kafka; the peer does none of these (bench/kstreams/README.md)."
    )


def main() -> None:
    with private_stack() as stack:
        topic, events = kstreams_peer.prefill(stack, EVENTS)
        peer_runs: list[kstreams_peer.PeerRun] = []
        e2e, accepted, service = [], [], []
        for run in range(RUNS):
            peer_runs.append(kstreams_peer.peer_rate(stack, topic, events, run))
            rate, http = end_to_end_rate(stack, EVENTS, run)
            e2e.append(rate)
            accepted.append(http)
            service.append(service_rate(stack, topic, EVENTS, run))
            print(
                f"   run {run + 1}: peer {peer_runs[-1].rate:,.0f}/s, end to end {e2e[-1]:,.0f}/s "
                f"(HTTP accepted {http:,.0f}/s), measures service alone {service[-1]:,.0f}/s",
                flush=True,
            )
    peer = [r.rate for r in peer_runs]
    peer_name = f"{kstreams_peer.PEER_NAME}, same events"
    peer_figure, peer_running = kstreams_peer.peer_figures(EVENTS, peer_runs)
    service_figure = Figure(
        f"measures service alone, pre-filled topic → durable values, {EVENTS:,} events",
        "events/s",
        service,
        peer_name,
        peer,
    )
    end_to_end = Figure(
        f"end to end: POST /v1/events (batches of {BATCH}, {CONCURRENCY} concurrent) → "
        f"durable values, {EVENTS:,} events",
        "events/s",
        e2e,
        peer_name,
        peer,
    )
    ratio = end_to_end.ratio
    why = (
        ""
        if ratio is not None and ratio >= 0.5
        else _why(service_figure, accepted, peer_figure, peer_running)
    )
    ratio_target(end_to_end, 0.5, "≥ 0.5 × the Kafka Streams peer", why)
    report("end_to_end", [end_to_end, peer_figure, peer_running, service_figure])


if __name__ == "__main__":
    main()
