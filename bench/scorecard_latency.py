"""Event → scorecard latency at a steady 1,000 events/s, against event → value in the same run.

Per run: fresh topics and a fresh database; the measures and scorecard services started on
them (one instance each); ``WARMUP_S`` seconds of steady traffic not counted (group joins,
the first versions), then ``SECONDS`` seconds counted. Events are dense current data
(``bench.workload.current_events``), each with ``ingested_at`` = the moment it is sent (when
ingest would have accepted it), produced keyed like ingest does.

What "a scorecard that includes the event" means here, observed from the topics alone:
- every ``ScorecardChanged`` carries, per measure, ``event_count``: the events of that
  (QSMO, measure, fiscal year) the version is computed from. One partition holds every
  event of a (QSMO, measure) stream, in send order, so the stream's k-th event is in the first
  version of its QSMO's scorecard whose count for the measure reaches k;
- that version is durable before it is announced (the service stores it, then publishes), so
  its record's timestamp (set by the service's producer when it sends) is when the event
  reached a durable, announced scorecard;
- the baseline is the same walk over ``MeasureValueChanged`` (QSMO scope, fiscal-year period,
  ``count``): when the event reached a durable, announced value. The ratio is then the share
  the scorecard stage adds to the measures stage.
The government-wide scorecard is left out: it sums a measure over QSMOs whose events travel
on different partitions, so "the k-th event" has no order to follow.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.harness import Figure, private_stack, qsmo_stack, report, value_target
from bench.workload import PARTITIONS, current_events
from shared.codecs import encode
from shared.kafka import create_consumer, create_producer, ensure_topics
from shared.topics import event_key

RATE = int(os.environ.get("QSMO_BENCH_SCORECARD_RATE", "1000"))
SECONDS = float(os.environ.get("QSMO_BENCH_SCORECARD_SECONDS", "25"))
WARMUP_S = float(os.environ.get("QSMO_BENCH_SCORECARD_WARMUP_S", "5"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
TICK = 50
"""Events sent together, every ``TICK / RATE`` seconds (50 ms at 1,000 events/s)."""
DRAIN_S = 60.0
"""Longest wait, after the last send, for every event to reach its scorecard."""

Stream = tuple[str, str]
"""``(qsmo, measure)``: one partition, so one order."""


@dataclass
class Sent:
    """What was produced: per stream, each event's send time and whether it is counted."""

    at: dict[Stream, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))
    started: float = 0.0
    counted_seconds: float = 0.0

    @property
    def counted(self) -> int:
        return sum(flag for events in self.at.values() for _, flag in events)


@dataclass
class Heard:
    """Records read back from the values and scorecards topics: (timestamp s, payload)."""

    values: list[tuple[float, bytes]] = field(default_factory=list)
    scorecards: list[tuple[float, bytes]] = field(default_factory=list)
    included: dict[Stream, int] = field(default_factory=dict)
    """Highest ``event_count`` a scorecard has announced per stream (to know when to stop)."""


async def _produce(bootstrap: str, topic: str, run: int) -> Sent:
    producer = create_producer(bootstrap)
    await producer.start()
    sent, tick = Sent(), 0
    try:
        sent.started = time.perf_counter()
        deadline = sent.started + WARMUP_S + SECONDS
        while time.perf_counter() < deadline:
            now = datetime.now(UTC)
            counted = time.perf_counter() - sent.started >= WARMUP_S
            for event in current_events(TICK, now, seed=tick, prefix=f"r{run}t{tick}"):
                await producer.send(topic, encode(event), key=event_key(event.qsmo, event.measure))
                sent.at[(event.qsmo, event.measure)].append((now.timestamp(), counted))
            tick += 1
            await asyncio.sleep(max(0.0, sent.started + tick * TICK / RATE - time.perf_counter()))
        sent.counted_seconds = time.perf_counter() - sent.started - WARMUP_S
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _listen(bootstrap: str, values: str, scorecards: str, heard: Heard) -> None:
    """Keep every values and scorecards record until cancelled."""
    consumer = create_consumer(bootstrap, values, scorecards, group_id=None)
    await consumer.start()
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=200, max_records=5000)
            for tp, records in batch.items():
                for record in records:
                    item = (record.timestamp / 1000, record.value or b"")
                    if tp.topic == values:
                        heard.values.append(item)
                        continue
                    heard.scorecards.append(item)
                    for stream, count in _scorecard_counts(item[1]).items():
                        heard.included[stream] = max(heard.included.get(stream, 0), count)
    finally:
        await consumer.stop()


def _scorecard_counts(payload: bytes) -> dict[Stream, int]:
    """``event_count`` per (QSMO, measure) of a QSMO's ``ScorecardChanged`` (none for others)."""
    message = json.loads(payload)
    if message["qsmo"] is None:
        return {}
    return {(message["qsmo"], m["measure"]): m["event_count"] for m in message["measures"]}


def _value_counts(payload: bytes) -> dict[Stream, int]:
    """``count`` of a QSMO-scope fiscal-year ``MeasureValueChanged`` (none for the others)."""
    message = json.loads(payload)
    if message["scope"] != "qsmo" or message["period"]["kind"] != "fiscal_year":
        return {}
    return {(message["qsmo"], message["measure"]): message["count"]}


def latencies(
    sent: Mapping[Stream, list[tuple[float, bool]]],
    announced: Iterable[tuple[float, Mapping[Stream, int]]],
) -> dict[tuple[Stream, int], float]:
    """Seconds from each counted event's send to the first announcement that includes it.

    ``announced``: (timestamp, count per stream) in topic order; the k-th event of a stream
    (key ``(stream, k)``, from 0) is included once the stream's count exceeds k. Events never
    included are left out (the caller checks the total).
    """
    reached: dict[Stream, int] = defaultdict(int)
    found: dict[tuple[Stream, int], float] = {}
    for at, counts in announced:
        for stream, count in counts.items():
            events = sent.get(stream, [])
            for k in range(reached[stream], min(count, len(events))):
                sent_at, counted = events[k]
                if counted:
                    found[(stream, k)] = max(0.0, at - sent_at)
            reached[stream] = max(reached[stream], count)
    return found


def quantile(samples: list[float], q: float) -> float:
    """Nearest-rank quantile of ``samples`` (q in [0, 1])."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def _drain(sent: Sent, heard: Heard) -> None:
    totals = {stream: len(events) for stream, events in sent.at.items()}
    deadline = time.monotonic() + DRAIN_S
    while any(heard.included.get(s, 0) < n for s, n in totals.items()):
        if time.monotonic() > deadline:
            missing = sum(n - heard.included.get(s, 0) for s, n in totals.items())
            raise RuntimeError(f"{missing} events not in a scorecard {DRAIN_S:.0f} s after sending")
        await asyncio.sleep(0.2)


@dataclass
class Measured:
    """One run's latencies in seconds, per counted event, and the rate achieved."""

    scorecard: list[float]
    value: list[float]
    stage: list[float]
    """Value announced → scorecard announced: the scorecard service's own share."""
    rate: float

    def quantiles(self) -> list[float]:
        """ms: scorecard p50, p99; value p50, p99; stage p50, p99."""
        return [
            quantile(samples, q) * 1000
            for samples in (self.scorecard, self.value, self.stage)
            for q in (0.5, 0.99)
        ]


async def _run(stack: qsmo_stack.Stack, run: int) -> Measured:
    suffix = uuid.uuid4().hex[:6]
    names = {kind: f"bench.{kind}.{suffix}" for kind in ("events", "dlq", "values", "framework")}
    names["scorecards"] = f"bench.scorecards.{suffix}"
    await ensure_topics(stack.kafka_bootstrap, PARTITIONS, names=tuple(names.values()))
    database = f"scorecard_{suffix}"
    measures = {
        "QSMO_MONGO_DB": database,
        "QSMO_MEASURES_EVENTS_TOPIC": names["events"],
        "QSMO_MEASURES_DLQ_TOPIC": names["dlq"],
        "QSMO_MEASURES_VALUES_TOPIC": names["values"],
        "QSMO_MEASURES_GROUP_ID": f"measures-{suffix}",
        "QSMO_MEASURES_PORT": str(qsmo_stack.free_port()),
    }
    scorecard = {
        "QSMO_MONGO_DB": database,
        "QSMO_SCORECARD_VALUES_TOPIC": names["values"],
        "QSMO_SCORECARD_FRAMEWORK_TOPIC": names["framework"],
        "QSMO_SCORECARD_SCORECARDS_TOPIC": names["scorecards"],
        "QSMO_SCORECARD_GROUP_ID": f"scorecard-{suffix}",
        "QSMO_SCORECARD_PORT": str(qsmo_stack.free_port()),
    }
    stack.start_service("measures", extra_env=measures, instance=f"-latency{run}")
    stack.start_service("scorecard", extra_env=scorecard, instance=f"-latency{run}")
    heard = Heard()
    listener = asyncio.create_task(
        _listen(stack.kafka_bootstrap, names["values"], names["scorecards"], heard)
    )
    try:
        sent = await _produce(stack.kafka_bootstrap, names["events"], run)
        await _drain(sent, heard)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        stack.stop(f"scorecard-latency{run}")
        stack.stop(f"measures-latency{run}")
    scorecards = latencies(sent.at, ((at, _scorecard_counts(p)) for at, p in heard.scorecards))
    values = latencies(sent.at, ((at, _value_counts(p)) for at, p in heard.values))
    if len(scorecards) != sent.counted or scorecards.keys() != values.keys():
        raise RuntimeError(
            f"{sent.counted} events counted, {len(scorecards)} found in scorecards and "
            f"{len(values)} in values: a stream's order or count did not hold"
        )
    return Measured(
        list(scorecards.values()),
        list(values.values()),
        [scorecards[key] - values[key] for key in scorecards],
        sent.counted / sent.counted_seconds,
    )


def main() -> None:
    runs = []
    with private_stack() as stack:
        for run in range(RUNS):
            measured = asyncio.run(_run(stack, run))
            runs.append(measured.quantiles())
            p50, p99, v50, v99, s50, s99 = runs[-1]
            print(
                f"   run {run + 1}: {len(measured.scorecard):,} events at {measured.rate:,.0f}/s; "
                f"scorecard p50 {p50:,.0f} ms p99 {p99:,.0f} ms; value p50 {v50:,.0f} ms "
                f"p99 {v99:,.0f} ms; scorecard stage p50 {s50:,.0f} ms p99 {s99:,.0f} ms",
                flush=True,
            )
    at = f"at {RATE:,} events/s"
    tail = Figure(
        f"event → scorecard latency p99 {at}",
        "ms",
        [r[1] for r in runs],
        "event → value p99 (measures, same run)",
        [r[3] for r in runs],
        higher_is_better=False,
    )
    stage = statistics.median(r[5] for r in runs)
    why = (
        f"event → value alone has a p99 of {tail.baseline_median or 0:,.0f} ms in the same runs "
        f"(the measures service); the scorecard stage adds {stage:,.0f} ms at p99"
    )
    report(
        "scorecard_latency",
        [
            Figure(
                f"event → scorecard latency p50 {at}",
                "ms",
                [r[0] for r in runs],
                "event → value p50 (measures, same run)",
                [r[2] for r in runs],
                higher_is_better=False,
            ),
            value_target(tail, 1000, "p99 ≤ 1 s at 1,000 events/s", why),
            Figure(
                f"scorecard stage alone (value announced → scorecard announced) p99 {at}",
                "ms",
                [r[5] for r in runs],
                higher_is_better=False,
            ),
        ],
    )


if __name__ == "__main__":
    main()
