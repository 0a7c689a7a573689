"""Review packets over four years of simulator history: a QSMO's and the government-wide.

A private Kafka and FerretDB; the simulator's four-year history (FY2023 to 2026-11-30, every
QSMO, as ``bench.series_latency``) goes through the real measures and scorecard services,
which are stopped once everything is counted and scored. Then, per run, the packet builder the
gateway uses (``gateway.reviews.packet_builder``, over the same read doors) builds the FY2026
Q4 packet — gathering at the cut-off (scorecard as of, diff since the previous review, 19
monthly series, commentary, actions), assembling, and rendering PDF, XLSX and CSV — of
cybersecurity and of the government-wide scope. The previous review's cut-off lies before the
history was ingested, so "what changed" lists every measure (the largest changes table).

Baseline of the same run: the same content rendered without its charts (the typesetting of
tables and text alone), so the ratio shows what the vector charts and the reads add.

Medians of ``RUNS`` runs; the aims (issue #19): QSMO packet ≤ 5 s, government-wide ≤ 10 s.
``BENCH_QUICK=1`` ingests three months of history instead (to check the benchmark runs).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.gateway_latency import produce
from bench.harness import Figure, private_stack, qsmo_stack, report
from bench.series_latency import QSMOS, wait_counted
from gateway.analysis_store import MongoAnalysisStore
from gateway.framework_admin import FrameworkAdmin
from gateway.reviews.packet_builder import ReviewPacketBuilder, build_packet_builder, render_packet
from qsmo_client.simulator.history import generate_history
from services.measures.read_model import MeasureValuesReader
from services.scorecard.read_model import ScorecardReader
from shared.catalog import load_catalog
from shared.domain.review_packet import PacketContent
from shared.domain.reviews import Review, ReviewState, review_id
from shared.events import AcceptedEvent
from shared.framework_log import MongoFrameworkLog
from shared.mongo import create_mongo_client

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 2 if QUICK else 5
AIMS_S = {"cybersecurity": 5.0, None: 10.0}
HISTORY_START = datetime(2026, 7, 1, tzinfo=UTC) if QUICK else datetime(2022, 10, 1, tzinfo=UTC)
HISTORY_END = datetime(2026, 11, 30, tzinfo=UTC)
FISCAL_YEAR, QUARTER = 2026, 4


def history() -> list[AcceptedEvent]:
    deliveries = generate_history(7, QSMOS, HISTORY_START, HISTORY_END, load_catalog().framework())
    return [
        AcceptedEvent.model_validate(
            {
                **d.event.to_document(),
                "occurred_at": datetime.fromisoformat(d.event.occurred_at),
                "ingested_at": d.arrival,
                "request_id": f"bench-packet-{n}",
            }
        )
        for n, d in enumerate(deliveries)
    ]


def review(qsmo: str | None, quarter: int, cut_off: datetime) -> Review:
    return Review(
        id=review_id(qsmo, FISCAL_YEAR, quarter),
        qsmo=qsmo,
        fiscal_year=FISCAL_YEAR,
        quarter=quarter,
        title=f"FY{FISCAL_YEAR} Q{quarter} performance review — {qsmo or 'government-wide'}",
        meeting_date=cut_off.date(),
        participants=("OSSPI", "OMB", "SSGB"),
        cut_off=cut_off,
        state=ReviewState.READY,
        created_at=cut_off,
        created_by="bench",
        updated_at=cut_off,
    )


async def settled(mongo_url: str) -> None:
    """Until no QSMO's FY2026 scorecard got a new version for 3 s (the service caught up)."""
    client = create_mongo_client(mongo_url)
    try:
        await _quiet(ScorecardReader(client["qsmo"]))
    finally:
        await client.close()


async def _quiet(reader: ScorecardReader) -> None:
    deadline, last, quiet_since = time.monotonic() + 300, None, time.monotonic()
    while time.monotonic() < deadline:
        views = [await reader.current(FISCAL_YEAR, q) for q in QSMOS]
        versions = [None if v is None else v.version for v in views]
        if versions != last:
            last, quiet_since = versions, time.monotonic()
        elif None not in versions and time.monotonic() - quiet_since >= 3:
            return
        await asyncio.sleep(0.5)
    raise RuntimeError("the FY2026 scorecards did not settle within 300 s")


def without_charts(content: PacketContent) -> PacketContent:
    sections = tuple(s.model_copy(update={"charts": ()}) for s in content.sections)
    return content.model_copy(update={"sections": sections})


async def measure(stack: qsmo_stack.Stack, before: datetime) -> list[Figure]:
    catalog = load_catalog()
    client = create_mongo_client(stack.mongo_url)
    try:
        database = client["qsmo"]
        framework = FrameworkAdmin(MongoFrameworkLog(database), None, catalog=catalog)

        async def qsmo_ids() -> list[str]:
            return [q.id for q in await framework.qsmos()]

        scorecards = ScorecardReader(database, catalog.framework(), qsmo_ids=qsmo_ids)
        builder: ReviewPacketBuilder = build_packet_builder(
            scorecards=scorecards,
            values=MeasureValuesReader(database),
            analysis=MongoAnalysisStore(database),
            framework=framework,
            catalog=catalog,
            executor=None,
        )
        cut_off = datetime.now(UTC)
        figures = []
        for qsmo, label in (
            ("cybersecurity", "QSMO packet (cybersecurity)"),
            (None, "government-wide packet"),
        ):
            this, previous = review(qsmo, QUARTER, cut_off), review(qsmo, QUARTER - 1, before)
            builds, bare = [], []
            for _ in range(RUNS):
                started = time.perf_counter()
                rendered = await builder.build(this, previous)
                builds.append((time.perf_counter() - started) * 1000)
                content = await builder.content(this, previous)
                started = time.perf_counter()
                render_packet(without_charts(content))
                bare.append((time.perf_counter() - started) * 1000)
            print(f"  {label}: {rendered.pages} pages, PDF {len(rendered.pdf):,} bytes")
            figures.append(
                Figure(
                    f"{label} FY{FISCAL_YEAR} Q{QUARTER}: gather + PDF/XLSX/CSV",
                    unit="ms",
                    runs=builds,
                    baseline_name="same content rendered without charts",
                    baseline_runs=bare,
                    higher_is_better=False,
                )
            )
        return figures
    finally:
        await client.close()


def main() -> None:
    backfill = history()
    with private_stack() as stack:
        before = datetime.now(UTC) - timedelta(seconds=1)
        stack.start_service("measures")
        stack.start_service("scorecard")
        asyncio.run(produce(stack.kafka_bootstrap, backfill))
        asyncio.run(wait_counted(stack.mongo_url, len({e.event_id for e in backfill})))
        asyncio.run(settled(stack.mongo_url))
        stack.stop("measures")
        stack.stop("scorecard")
        figures = asyncio.run(measure(stack, before))
    report("review_packets", figures)
    for figure, (scope, aim) in zip(figures, AIMS_S.items(), strict=True):
        verdict = "meets" if statistics.median(figure.runs) <= aim * 1000 else "MISSES"
        print(
            f"  {scope or 'government-wide'}: median {figure.median:,.0f} ms {verdict} the {aim:.0f} s aim"
        )


if __name__ == "__main__":
    main()
