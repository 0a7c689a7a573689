"""Measures service as data grows: throughput from 10,000 to 1,000,000 events, memory at
1,000,000 distinct state keys with and without the state cache's cap (issue #21).

Figures:
- the handler with the in-memory repository (the Python share), records built in-process in
  batches of 2,000 (no broker), at each size of ``QSMO_BENCH_GROWTH_SIZES``; each size's
  events/s against the smallest size's, "flat" when the ratio lies within [0.8, 1.2]. The mix
  is dense current data (``bench.workload.current_events``; ``QSMO_BENCH_GROWTH_MIX=backfill``
  for the sparse 90-day one): in the sparse mix the first ~7,000 events of a run create their
  day states (cheap inserts) and later ones replace them, so 10,000 against 100,000 events
  would compare two mixes of writes rather than the cost of more data. The handler runs with
  the measures process's collector settings (``services.measures.collector``), as in the
  service: at CPython's defaults the full collections walk the growing in-memory store, and
  10,000 events ran ~1.2–1.6× faster than 100,000 for that reason alone;
- the real service (``python -m services.measures``) durable into FerretDB at each size of
  ``QSMO_BENCH_GROWTH_DURABLE_SIZES`` (10,000, 100,000 and 1,000,000: ~2 minutes a run for
  the largest at ~9,000 events/s of dense data).
  The service is started and assigned its partitions first, then the topic is filled: the
  time runs from the first event produced to the service's last commit (its own gauge), so
  start-up and polling do not weigh on the small sizes;
- the real service's resident memory (``VmRSS`` of its process) after folding events that
  create about ``QSMO_BENCH_GROWTH_KEYS`` distinct period states (``distinct_key_events``),
  with the cap ``QSMO_BENCH_GROWTH_CAP`` (default: the service's default) against the cap set
  out of reach in the same run; with the evictions and store lookups the capped run did
  (from its ``/metrics``) and both runs' events/s (what the cap costs). The uncapped run's
  ``qsmo_measures_cached_states`` is the exact number of distinct states, and names the
  figure.

``QSMO_BENCH_GROWTH_PARTS`` (default ``python,durable,memory``) runs some parts only; the
figures of a part not run are kept from the module's last results, so its section's date is
that of the newest part.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.request
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.harness import RESULTS_DIR, Figure, Target, private_stack, qsmo_stack, report
from bench.measures_throughput import service_collector
from bench.workload import CATALOG, backfill_events, current_events, fill_topic
from services.measures.decoding import RawRecord
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import InMemoryMeasureRepository
from services.measures.state_cache import DEFAULT_MAX_STATES
from shared.codecs import encode
from shared.domain.validation import EARLIEST_OCCURRED_AT
from shared.events import AcceptedEvent
from shared.kafka import ensure_topics
from shared.topics import event_key

RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
SIZES = [
    int(s) for s in os.environ.get("QSMO_BENCH_GROWTH_SIZES", "10000,100000,1000000").split(",")
]
DURABLE_SIZES = [
    int(s)
    for s in os.environ.get("QSMO_BENCH_GROWTH_DURABLE_SIZES", "10000,100000,1000000").split(",")
]
MIX = {"current": current_events, "backfill": backfill_events}[
    os.environ.get("QSMO_BENCH_GROWTH_MIX", "current")
]
KEYS = int(os.environ.get("QSMO_BENCH_GROWTH_KEYS", "1000000"))
CAP = int(os.environ.get("QSMO_BENCH_GROWTH_CAP", str(DEFAULT_MAX_STATES)))
UNCAPPED = 1_000_000_000
BATCH = 2000
PARTITIONS = 6
FLAT = (0.8, 1.2)
DRAIN_LIMIT_S = float(os.environ.get("QSMO_BENCH_GROWTH_DRAIN_LIMIT_S", "1800"))


def _flat(figure: Figure, baseline: str) -> Figure:
    ratio = figure.ratio
    met = ratio is not None and FLAT[0] <= ratio <= FLAT[1]
    figure.target = Target(f"within ±20 % of {baseline}", met)
    return figure


# --- the Python share --------------------------------------------------------------------------
def _batches(total: int, now: datetime) -> Iterator[list[RawRecord]]:
    """The mix in batches of ``BATCH`` records, offsets per partition as Kafka's."""
    offsets = [0] * PARTITIONS
    for number, start in enumerate(range(0, total, BATCH)):
        records = []
        events = MIX(min(BATCH, total - start), now, seed=number, prefix=f"g{number}")
        for event in events:
            key = event_key(event.qsmo, event.measure)
            partition = zlib.crc32(key) % PARTITIONS
            records.append(RawRecord("bench", partition, offsets[partition], key, encode(event)))
            offsets[partition] += 1
        yield records


async def _in_memory_rate(total: int) -> float:
    """Events/s of ``process_batch`` alone (building the records is not timed)."""
    repository, publisher = InMemoryMeasureRepository(), InMemoryValuePublisher()
    now, busy = datetime.now(UTC), 0.0
    for records in _batches(total, now):
        started = time.perf_counter()
        await process_batch(
            records, repository=repository, publisher=publisher, catalog=CATALOG, now=now
        )
        busy += time.perf_counter() - started
        publisher.values.clear()  # the broker would have them; keeping them is not the handler's
    return total / busy


def _python_share() -> list[Figure]:
    with service_collector():
        rates = {size: [asyncio.run(_in_memory_rate(size)) for _ in range(RUNS)] for size in SIZES}
    for size, runs in rates.items():
        print(f"   in-memory {size:,}: {', '.join(f'{r:,.0f}' for r in runs)} events/s", flush=True)
    smallest = SIZES[0]
    return [
        Figure(
            f"measures handler, in-memory repository, {smallest:,} events",
            "events/s",
            rates[smallest],
        ),
        *(
            _flat(
                Figure(
                    f"measures handler, in-memory repository, {size:,} events",
                    "events/s",
                    rates[size],
                    f"the same, {smallest:,} events",
                    rates[smallest],
                ),
                f"{smallest:,} events",
            )
            for size in SIZES[1:]
        ),
    ]


# --- the real service --------------------------------------------------------------------------
def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def _samples(port: int) -> dict[str, float]:
    """The service's metric samples by ``name{labels}`` as exported."""
    samples = {}
    for line in _get(f"http://127.0.0.1:{port}/metrics").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


class _Service:
    """One measures process on a fresh database and consumer group, stopped on exit."""

    def __init__(self, stack: qsmo_stack.Stack, topic: str, cap: int | None = None) -> None:
        self.stack, self.port = stack, qsmo_stack.free_port()
        self.label = f"-growth{self.port}"
        self.env = {
            "QSMO_MONGO_DB": f"growth_{uuid.uuid4().hex[:6]}",
            "QSMO_MEASURES_EVENTS_TOPIC": topic,
            "QSMO_MEASURES_GROUP_ID": f"growth-{self.port}",
            "QSMO_MEASURES_PORT": str(self.port),
            **({"QSMO_MEASURES_STATE_CACHE_MAX_STATES": str(cap)} if cap else {}),
        }

    def __enter__(self) -> _Service:
        self.stack.start_service("measures", extra_env=self.env, instance=self.label)
        deadline = time.monotonic() + 60
        while (
            sum(k.startswith("qsmo_measures_consumer_lag_messages{") for k in self.samples())
            < PARTITIONS
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the measures service was not assigned its partitions in 60 s")
            time.sleep(0.2)
        return self

    def __exit__(self, *_: object) -> None:
        self.stack.stop(f"measures{self.label}")

    def samples(self) -> dict[str, float]:
        return _samples(self.port)

    def counted(self) -> float:
        return self.samples().get('qsmo_measures_events_total{outcome="counted"}', 0.0)

    def rss_mb(self) -> float:
        pid = self.stack.pid(f"measures{self.label}")
        assert pid is not None, "the measures process is gone"
        status = Path(f"/proc/{pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        return kb / 1024

    async def drain(self, events: list[AcceptedEvent]) -> float:
        """Fill the topic and wait for every event to be folded; events/s to the last commit."""
        started = time.time()
        await fill_topic(self.stack.kafka_bootstrap, self.env["QSMO_MEASURES_EVENTS_TOPIC"], events)
        deadline = time.monotonic() + DRAIN_LIMIT_S
        while self.counted() < len(events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(events):,} events not folded in {DRAIN_LIMIT_S:.0f} s")
            await asyncio.sleep(0.25)
        finished = self.samples()["qsmo_measures_last_commit_timestamp_seconds"]
        return len(events) / (finished - started)


async def _durable_rate(stack: qsmo_stack.Stack, size: int, run: int) -> float:
    topic = f"bench.growth.{uuid.uuid4().hex[:6]}"
    await ensure_topics(stack.kafka_bootstrap, PARTITIONS, names=(topic,))
    events = MIX(size, datetime.now(UTC), seed=100 + run, prefix=f"d{run}")
    with _Service(stack, topic) as service:
        return await service.drain(events)


def _durable(stack: qsmo_stack.Stack) -> list[Figure]:
    rates: dict[int, list[float]] = {size: [] for size in DURABLE_SIZES}
    for run in range(RUNS):
        for size in DURABLE_SIZES:
            rates[size].append(asyncio.run(_durable_rate(stack, size, run)))
            print(f"   durable {size:,} run {run + 1}: {rates[size][-1]:,.0f} events/s", flush=True)
    smallest = DURABLE_SIZES[0]
    name = "measures service durable (FerretDB)"
    return [
        Figure(f"{name}, {smallest:,} events", "events/s", rates[smallest]),
        *(
            _flat(
                Figure(
                    f"{name}, {size:,} events",
                    "events/s",
                    rates[size],
                    f"the same, {smallest:,} events",
                    rates[smallest],
                ),
                f"{smallest:,} events",
            )
            for size in DURABLE_SIZES[1:]
        ),
    ]


def distinct_key_events(keys: int, now: datetime) -> list[AcceptedEvent]:
    """Events making about ``keys`` distinct period states, each event three new ones.

    One event per (QSMO, measure, day) from FY2022 to yesterday, stream after stream, every
    event naming a provider and an agency: its day state, its provider's and its agency's
    (plus, per stream, the three scopes' years and quarters, ~4 % more). QSMOs are synthetic
    (``growth-<n>``: the measures service checks the measure, ingest authorised the QSMO);
    one provider and one agency throughout, so the read side's slice indexes stay small.
    A batch spans few streams: few year and quarter states, almost only new day states.
    """
    measures = list(CATALOG.framework().measures)
    first = EARLIEST_OCCURRED_AT + timedelta(hours=12)
    days = (now - first).days
    wanted = -(-keys // 3)
    events: list[AcceptedEvent] = []
    qsmo = 0
    while len(events) < wanted:
        for measure in measures:
            events.extend(
                AcceptedEvent(
                    event_id=f"k{qsmo}-{measure.id}-{day}",
                    qsmo=f"growth-{qsmo}",
                    measure=measure.id,
                    value=measure.value_range.min,
                    occurred_at=first + timedelta(days=day),
                    ingested_at=now,
                    request_id="bench",
                    provider="growth-provider",
                    agency="GROWTH",
                )
                for day in range(days)
            )
        qsmo += 1
    return events[:wanted]


async def _memory_run(
    stack: qsmo_stack.Stack, events: list[AcceptedEvent], cap: int
) -> dict[str, float]:
    topic = f"bench.keys.{uuid.uuid4().hex[:6]}"
    await ensure_topics(stack.kafka_bootstrap, PARTITIONS, names=(topic,))
    with _Service(stack, topic, cap) as service:
        rate = await service.drain(events)
        samples = service.samples()
        return {
            "rss_mb": service.rss_mb(),
            "rate": rate,
            "evictions": samples.get('qsmo_measures_state_evictions_total{kind="period"}', 0.0),
            "lookups": samples.get('qsmo_measures_state_lookups_total{kind="period"}', 0.0),
            "cached": samples.get('qsmo_measures_cached_states{kind="period"}', 0.0),
        }


def _memory(stack: qsmo_stack.Stack) -> list[Figure]:
    events = distinct_key_events(KEYS, datetime.now(UTC))
    print(
        f"   {len(events):,} events, three new day states each; cap {CAP:,} vs {UNCAPPED:,}",
        flush=True,
    )
    capped = asyncio.run(_memory_run(stack, events, CAP))
    print(f"   capped: {capped}", flush=True)
    uncapped = asyncio.run(_memory_run(stack, events, UNCAPPED))
    print(f"   uncapped: {uncapped}", flush=True)
    where = f"{uncapped['cached']:,.0f} distinct period states"
    bounded = capped["cached"] <= CAP and capped["rss_mb"] < uncapped["rss_mb"]
    return [
        Figure(
            f"measures service RSS after {where}, state cache cap {CAP:,}",
            "MB",
            [capped["rss_mb"]],
            "the same, cap out of reach",
            [uncapped["rss_mb"]],
            higher_is_better=False,
            target=Target(
                f"bounded: at most {CAP:,} period states cached, less memory than uncapped",
                bounded,
            ),
        ),
        Figure(f"state evictions in the capped run ({where})", "states", [capped["evictions"]]),
        Figure(
            f"store lookups for cache misses in the capped run ({where})",
            "states",
            [capped["lookups"]],
            "the same, cap out of reach",
            [uncapped["lookups"]],
            higher_is_better=False,
        ),
        Figure(
            f"measures service durable, {where}, cap {CAP:,}",
            "events/s",
            [capped["rate"]],
            "the same, cap out of reach",
            [uncapped["rate"]],
        ),
    ]


PARTS = set(os.environ.get("QSMO_BENCH_GROWTH_PARTS", "python,durable,memory").split(","))
PART_PREFIXES = {
    "python": "measures handler, in-memory repository",
    "durable": "measures service durable (FerretDB)",
}


def _part_of(name: str) -> str:
    return next((p for p, prefix in PART_PREFIXES.items() if name.startswith(prefix)), "memory")


def _kept(part: str) -> list[Figure]:
    """The last results' figures of a part not run this time."""
    path = RESULTS_DIR / "measures_growth.json"
    if not path.exists():
        return []
    kept = []
    for saved in json.loads(path.read_text()):
        if _part_of(saved["name"]) != part:
            continue
        target = saved.pop("target", None)
        fields = {k: v for k, v in saved.items() if k not in ("median", "ratio")}
        kept.append(Figure(**fields, target=Target(**target) if target else None))
    return kept


def main() -> None:
    figures = _python_share() if "python" in PARTS else _kept("python")
    with private_stack() as stack:
        figures += _durable(stack) if "durable" in PARTS else _kept("durable")
        figures += _memory(stack) if "memory" in PARTS else _kept("memory")
    report("measures_growth", figures)


if __name__ == "__main__":
    main()
