"""``measureSeries`` latency (12 monthly points, 4 years of simulator history) at a steady rate.

A private Kafka and FerretDB; the simulator's four-year history (FY2023 to 2026-11-30, every
QSMO) and the scorecard benchmark's FY2024 events go through the real measures and scorecard
services, which are stopped once everything is counted and scored. Then the real gateway
answers, per run, at ``RATE`` requests/s (open loop, as ``bench.gateway_latency``):

* ``measureSeries`` of one QSMO and government-wide (FY2026, customer-engagement, monthly,
  every point with its target and status);
* the dashboard's drill-down (``DashboardDetail``: one QSMO's FY2026 scorecard with every
  measure's facts, commentary and actions, and the monthly ``measureSeries`` of each of its
  measures in the same request, as the page sends it);
* the baseline of the same run: the one-scorecard query of ``bench.gateway_latency``.

Medians of ``RUNS`` runs; the aims (issue #16): ``measureSeries`` p99 at most 50 ms, the
drill-down at most 300 ms.
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
    dashboard_query,
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
AIM_DETAIL_MS = 300
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


def drill_down() -> tuple[str, dict[str, object]]:
    """The page's drill-down request for one QSMO's FY2026: its scorecard and every active
    measure's monthly series (``detailQuery`` in gateway/dashboard/static/app.js)."""
    measure_fields = dashboard_query("MEASURE")
    ids = [m.id for m in load_catalog().framework().measures if m.phase is not None]
    variables = ", ".join(f"$m{i}: ID!" for i in range(len(ids)))
    series = "\n".join(
        f"s{i}: measureSeries(measure: $m{i}, fiscalYear: $fy, qsmo: $qsmo) "
        "{ measureId points { period { label } value target status } }"
        for i in range(len(ids))
    )
    query = (
        f"query DashboardDetail($fy: Int!, $qsmo: ID, $phase: Int, {variables}) {{\n"
        "  scorecard(fiscalYear: $fy, qsmo: $qsmo, phase: $phase) {\n"
        "    phase open elapsedShare overallScore overallStatus\n"
        f"    dimensions {{ id name score status measures {{ {measure_fields} }} }} }}\n"
        f"  {series} }}"
    )
    values: dict[str, object] = {"fy": 2026, "qsmo": "cybersecurity"}
    values.update({f"m{i}": measure_id for i, measure_id in enumerate(ids)})
    return query, values


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
    requests: dict[str, tuple[str, dict[str, object] | None]] = {
        "one": (SERIES_QSMO, None),
        "all": (SERIES_ALL, None),
        "detail": drill_down(),
        "scorecard": (ONE, None),
    }
    for request in requests.values():
        await steady_load(url, request, viewer, 5)
    results: dict[str, list[list[float]]] = {name: [] for name in requests}
    for _ in range(RUNS):
        for name, request in requests.items():
            results[name].append(await steady_load(url, request, viewer, SECONDS, rate=RATE))
    p50 = {n: [percentile(r, 0.5) for r in runs] for n, runs in results.items()}
    p99 = {n: [percentile(r, 0.99) for r in runs] for n, runs in results.items()}
    figures = []
    labels = (
        ("one", "measureSeries (one QSMO, 12 months)"),
        ("all", "measureSeries (government-wide, 12 months)"),
        ("detail", "dashboard drill-down (scorecard + 13 series)"),
    )
    for name, label in labels:
        for quantile, values in (("p50", p50), ("p99", p99)):
            figures.append(
                Figure(
                    f"{label} {quantile} @{RATE} req/s",
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
    series = [f for f in figures if "p99" in f.name and f.name.startswith("measureSeries")]
    worst = max(statistics.median(f.runs) for f in series)
    verdict = "meets" if worst <= AIM_P99_MS else "MISSES"
    print(f"  measureSeries p99 {worst:.1f} ms {verdict} the {AIM_P99_MS} ms aim")
    [detail] = [f for f in figures if "p99" in f.name and "drill-down" in f.name]
    slowest = statistics.median(detail.runs)
    verdict = "meets" if slowest <= AIM_DETAIL_MS else "MISSES"
    print(f"  drill-down p99 {slowest:.1f} ms {verdict} the {AIM_DETAIL_MS} ms aim")


if __name__ == "__main__":
    main()
