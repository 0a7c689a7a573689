"""What provider and agency slices cost the measures service (issue #17).

The same events twice, in the same run: once without provider and agency, once with both on
every event (a provider its QSMO offers, one of the catalog's agencies). Figures:
- the real service (one instance, FerretDB) draining each topic: events/s, and the ratio
  with slices to without (each run measures both, alternating which goes first);
- store statements per 1,000 events (documents inserted or replaced in the state
  collections and the slice indexes; the 1,000 raw event inserts are the same either way
  and left out), counted by a command listener on the handler run in-process with the
  MongoDB repository, batches of the service's default size. Per-batch coalescing (one
  write per document per batch) is what keeps this below 9 per event.
"""

from __future__ import annotations

import asyncio
import os
import random
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from pymongo import monitoring

from bench.harness import Figure, private_stack, qsmo_stack, report
from bench.measures_throughput import _service_rate
from bench.workload import backfill_events as _events
from bench.workload import fill_topic as _fill
from services.measures.decoding import RawRecord
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import MongoMeasureRepository
from services.measures.settings import MeasuresSettings
from shared.catalog import load_catalog
from shared.events import AcceptedEvent
from shared.kafka import create_consumer
from shared.mongo import create_mongo_client

EVENTS = int(os.environ.get("QSMO_BENCH_SLICES_EVENTS", "50000"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
CATALOG = load_catalog()
STATE_COLLECTIONS = {"measure_periods", "measure_streams", "slice_index", "agencies_seen"}


def _sliced(events: list[AcceptedEvent]) -> list[AcceptedEvent]:
    """The same events, each naming a provider of its QSMO and an agency."""
    rng = random.Random(17)
    providers = {q: [p.id for p in CATALOG.providers if p.serves(q)] for q in CATALOG.qsmo_ids}
    agencies = [a.id for a in CATALOG.agencies]
    return [
        e.model_copy(
            update={"provider": rng.choice(providers[e.qsmo]), "agency": rng.choice(agencies)}
        )
        for e in events
    ]


class StatementCounter(monitoring.CommandListener):
    """Documents written per collection: inserted (``insert``) or updated (``update``)."""

    def __init__(self) -> None:
        self.written: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if event.command_name == "insert":
            self.written[command["insert"]] += len(command.get("documents", ()))
        elif event.command_name == "update":
            self.written[command["update"]] += len(command.get("updates", ()))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


async def _statements(stack: qsmo_stack.Stack, topic: str, total: int) -> Counter[str]:
    """Documents written per collection by the handler folding ``topic`` into a fresh database."""
    counter = StatementCounter()
    client: Any = create_mongo_client(stack.mongo_url, event_listeners=[counter])
    database = client[f"stmts_{uuid.uuid4().hex[:6]}"]
    repository = MongoMeasureRepository(database)
    group = f"stmts-{uuid.uuid4().hex[:6]}"
    consumer = create_consumer(stack.kafka_bootstrap, topic, group_id=group)
    batch_size = MeasuresSettings().max_batch_records
    await consumer.start()
    try:
        seen = 0
        while seen < total:
            batch = await consumer.getmany(timeout_ms=500, max_records=batch_size)
            records = [
                RawRecord(r.topic, r.partition, r.offset, r.key, r.value)
                for rs in batch.values()
                for r in rs
            ]
            if records:
                await process_batch(
                    records,
                    repository=repository,
                    publisher=InMemoryValuePublisher(),
                    catalog=CATALOG,
                    now=datetime.now(UTC),
                )
            seen += len(records)
        return counter.written
    finally:
        await consumer.stop()
        await client.drop_database(database.name)
        await client.close()


def _per_thousand(written: Counter[str], total: int) -> float:
    return 1000 * sum(n for c, n in written.items() if c in STATE_COLLECTIONS) / total


def main() -> None:
    with private_stack() as stack:
        plain = _events(EVENTS, datetime.now(UTC))
        topics = {
            "plain": f"bench.plain.{uuid.uuid4().hex[:6]}",
            "sliced": f"bench.sliced.{uuid.uuid4().hex[:6]}",
        }
        print(f"   filling two topics with {EVENTS:,} events each …", flush=True)
        asyncio.run(_fill(stack.kafka_bootstrap, topics["plain"], plain))
        asyncio.run(_fill(stack.kafka_bootstrap, topics["sliced"], _sliced(plain)))
        rates: dict[str, list[float]] = {"plain": [], "sliced": []}
        for run in range(RUNS):
            for kind in ("plain", "sliced") if run % 2 == 0 else ("sliced", "plain"):
                rate = asyncio.run(
                    _service_rate(stack, topics[kind], EVENTS, run * 2 + len(rates[kind]))
                )
                rates[kind].append(rate)
            print(
                f"   run {run + 1}: without slices {rates['plain'][-1]:,.0f}/s, "
                f"with provider and agency {rates['sliced'][-1]:,.0f}/s",
                flush=True,
            )
        written = {k: asyncio.run(_statements(stack, t, EVENTS)) for k, t in topics.items()}
        for kind, counts in written.items():
            print(f"   {kind}: documents written per collection {dict(sorted(counts.items()))}")
    report(
        "measures_slices",
        [
            Figure(
                f"measures service, {EVENTS:,} events, provider and agency on every event",
                "events/s",
                rates["sliced"],
                "same events without provider and agency",
                rates["plain"],
            ),
            Figure(
                "store statements per 1,000 events, provider and agency on every event",
                "statements",
                [_per_thousand(written["sliced"], EVENTS)],
                "same events without provider and agency",
                [_per_thousand(written["plain"], EVENTS)],
                higher_is_better=False,
            ),
        ],
    )


if __name__ == "__main__":
    main()
