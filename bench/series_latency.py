"""``measureSeries`` latency (12 monthly points, 4 years of simulator history) at a steady rate.

A private Kafka and FerretDB; the simulator's four-year history (FY2023 to 2026-11-30, every
QSMO) and the scorecard benchmark's FY2024 events go through the real measures and scorecard
services, which are stopped once everything is counted and scored. Then the real gateway
answers, per run, at ``RATE`` requests/s (open loop, as ``bench.gateway_latency``):

* ``measureSeries`` of one QSMO and government-wide (FY2026, customer-engagement, monthly,
  every point with its target and status);
* the baseline of the same run: the one-scorecard query of ``bench.gateway_latency``.

Medians of ``RUNS`` runs; the aim (issue #16) is a p99 of at most 50 ms.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.gateway_latency import (
    ONE,
    events,
    percentile,
    produce,
    steady_load,
    wait_for_scorecards,
)
from bench.harness import Figure, private_stack, qsmo_stack, report
from qsmo_client.simulator.history import generate_history
from shared.catalog import load_catalog
from shared.events import AcceptedEvent
from shared.mongo import create_mongo_client

RUNS = 3
RATE = 20
SECONDS = 10
AIM_P99_MS = 50
QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
POINTS = "points { period { label } value count target attainment status }"
SERIES_QSMO = (
    'query SeriesOne { measureSeries(measure: "customer-engagement", fiscalYear: 2026, '
    f'qsmo: "cybersecurity") {{ annualTarget {POINTS} }} }}'
)
SERIES_ALL = (
    'query SeriesAll { measureSeries(measure: "customer-engagement", fiscalYear: 2026) '
    f"{{ annualTarget {POINTS} }} }}"
)


def history() -> list[AcceptedEvent]:
    """The simulator's backfill from FY2023 to 2026-11-30 (seed 7), as ingest accepts it."""
    deliveries = generate_history(
        7,
        QSMOS,
        datetime(2022, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 30, tzinfo=UTC),
        load_catalog().framework(),
    )
    return [
        AcceptedEvent.model_validate(
            {
                **d.event.to_document(),
                "occurred_at": datetime.fromisoformat(d.event.occurred_at),
                "ingested_at": d.arrival,
                "request_id": f"bench-{uuid.uuid4().hex[:8]}",
            }
        )
        for d in deliveries
    ]


async def wait_counted(mongo_url: str, distinct: int) -> None:
    client = create_mongo_client(mongo_url)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            streams = await client["qsmo"]["measure_streams"].find({}).to_list()
            if sum(s["event_count"] for s in streams) >= distinct:
                return
            await asyncio.sleep(1)
    finally:
        await client.close()
    raise RuntimeError(f"the measures service did not count {distinct} events within 300 s")


async def measure(stack: qsmo_stack.Stack, distinct: int) -> list[Figure]:
    keys = json.loads(stack.plaintext_keys_file.read_text())
    viewer = {"Authorization": f"Bearer {keys['viewer']}"}
    url = f"http://127.0.0.1:{stack.ports['gateway']}/graphql"
    async with httpx.AsyncClient(timeout=30) as client:
        await wait_counted(stack.mongo_url, distinct)
        await wait_for_scorecards(client, url, keys["viewer"])
    stack.stop("measures")
    stack.stop("scorecard")
    queries = {"one": SERIES_QSMO, "all": SERIES_ALL, "scorecard": ONE}
    for query in queries.values():
        await steady_load(url, (query, None), viewer, 5)
    results: dict[str, list[list[float]]] = {name: [] for name in queries}
    for _ in range(RUNS):
        for name, query in queries.items():
            results[name].append(await steady_load(url, (query, None), viewer, SECONDS, rate=RATE))
    p50 = {n: [percentile(r, 0.5) for r in runs] for n, runs in results.items()}
    p99 = {n: [percentile(r, 0.99) for r in runs] for n, runs in results.items()}
    figures = []
    for name, label in (("one", "one QSMO"), ("all", "government-wide")):
        for quantile, values in (("p50", p50), ("p99", p99)):
            figures.append(
                Figure(
                    f"measureSeries ({label}, 12 months) {quantile} @{RATE} req/s",
                    unit="ms",
                    runs=values[name],
                    baseline_name=f"scorecard(fiscalYear, qsmo) {quantile}",
                    baseline_runs=values["scorecard"],
                    higher_is_better=False,
                )
            )
    return figures


def main() -> None:
    backfill = history()
    distinct = len({e.event_id for e in backfill}) + len(events())
    with private_stack() as stack:
        stack.start_service("measures")
        stack.start_service("scorecard")
        asyncio.run(produce(stack.kafka_bootstrap, backfill + events()))
        stack.start_service("gateway")
        figures = asyncio.run(measure(stack, distinct))
    report("series_latency", figures)
    worst = max(statistics.median(f.runs) for f in figures if "p99" in f.name)
    verdict = "meets" if worst <= AIM_P99_MS else "MISSES"
    print(f"  measureSeries p99 {worst:.1f} ms {verdict} the {AIM_P99_MS} ms aim")


if __name__ == "__main__":
    main()
