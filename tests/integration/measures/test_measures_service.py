"""The measures service as a real process against the real broker and store."""

import asyncio
import base64
import json
import random
from datetime import UTC, datetime
from typing import Any

import qsmo_stack
from measures_pipeline import Lane, eventually, produce, start_measures
from measures_reference import (
    MEASURES,
    QSMOS,
    reference_months,
    reference_slice_months,
    reference_slice_values,
    reference_values,
    stream,
)

from services.measures.read_model import MeasureValuesReader
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice
from shared.events import AcceptedEvent, DeadLetter
from shared.kafka import create_consumer
from shared.mongo import create_mongo_client


async def _counted(client: Any, lane: Lane) -> int:
    streams = await client[lane.database]["measure_streams"].find({}, {"event_count": 1}).to_list()
    return sum(s["event_count"] for s in streams)


async def _mismatches(client: Any, lane: Lane, sent: list[AcceptedEvent]) -> list[str]:
    reader = MeasureValuesReader(client[lane.database])
    problems = []
    for (qsmo, measure, year), (value, count) in sorted(reference_values(sent).items(), key=str):
        reading = await reader.fiscal_value(qsmo, measure, Aggregation(MEASURES[measure]), year)
        if (reading.value, reading.summary.count) != (value, count):
            problems.append(
                f"{qsmo} {measure} FY{year}: got {reading.value}/{reading.summary.count}, want {value}/{count}"
            )
    for (qsmo, measure, year), months in sorted(reference_months(sent).items(), key=str):
        series = await reader.series(
            qsmo, measure, Aggregation(MEASURES[measure]), year, PeriodKind.MONTH, qsmos=QSMOS
        )
        got = {m.period.label: (m.value, m.summary.count) for m in series if m.summary.count}
        if got != months:
            problems.append(f"{qsmo} {measure} FY{year} months: got {got}, want {months}")
    return problems + await _slice_mismatches(reader, sent)


async def _slice_mismatches(reader: MeasureValuesReader, sent: list[AcceptedEvent]) -> list[str]:
    """The same checks for every provider and agency slice the events name."""
    problems = []
    values = reference_slice_values(sent)
    for (qsmo, label, measure, year), (value, count) in sorted(values.items(), key=str):
        aggregation = Aggregation(MEASURES[measure])
        reading = await reader.fiscal_value(
            qsmo, measure, aggregation, year, slice=Slice.parse(label), qsmos=QSMOS
        )
        if (reading.value, reading.summary.count) != (value, count):
            problems.append(
                f"{qsmo} {label} {measure} FY{year}: got {reading.value}/{reading.summary.count}, want {value}/{count}"
            )
    for (qsmo, label, measure, year), months in sorted(
        reference_slice_months(sent).items(), key=str
    ):
        series = await reader.series(
            qsmo,
            measure,
            Aggregation(MEASURES[measure]),
            year,
            PeriodKind.MONTH,
            qsmos=QSMOS,
            slice=Slice.parse(label),
        )
        got = {m.period.label: (m.value, m.summary.count) for m in series if m.summary.count}
        if got != months:
            problems.append(f"{qsmo} {label} {measure} FY{year} months: got {got}, want {months}")
    return problems


def _checked(sent: list[AcceptedEvent]) -> int:
    """How many values ``_mismatches`` compares (years and months, QSMO-level and slices)."""
    plain = len(reference_values(sent)) + sum(len(m) for m in reference_months(sent).values())
    slices = reference_slice_months(sent).values()
    return plain + len(reference_slice_values(sent)) + sum(len(m) for m in slices)


async def test_known_events_give_exact_values_for_every_aggregation_and_period(
    stack: qsmo_stack.Stack, kafka_bootstrap: str
) -> None:
    lane = Lane.new()
    await lane.create_topics(kafka_bootstrap)

    def ev(i: str, qsmo: str, measure: str, value: float, at: datetime) -> AcceptedEvent:
        return AcceptedEvent(
            event_id=i,
            qsmo=qsmo,
            measure=measure,
            value=value,
            occurred_at=at,
            ingested_at=datetime(2025, 11, 1, tzinfo=UTC),
            request_id="r",
        )

    jan, feb, nov = (
        datetime(2025, 1, 10, tzinfo=UTC),
        datetime(2025, 2, 10, tzinfo=UTC),
        datetime(2024, 11, 5, tzinfo=UTC),
    )
    events = [
        ev("a1", "cybersecurity", "customer-engagement", 10, jan),
        ev("a2", "cybersecurity", "customer-engagement", 5, nov),
        ev("a1", "cybersecurity", "customer-engagement", 99, jan),  # resend: ignored
        ev("b1", "grants-management", "customer-engagement", 7, feb),
        ev("c1", "cybersecurity", "customer-satisfaction", 4.0, jan),
        ev("c2", "cybersecurity", "customer-satisfaction", 3.0, feb),
        ev("c3", "grants-management", "customer-satisfaction", 5.0, jan),
        ev("d1", "cybersecurity", "return-on-investment", 12, feb),
        ev("d2", "cybersecurity", "return-on-investment", 20, jan),  # older: not latest
        ev("d3", "grants-management", "return-on-investment", 30, jan),
    ]
    await produce(kafka_bootstrap, lane.events, events)
    start_measures(stack, lane, "-exact")
    client = create_mongo_client(stack.mongo_url)
    try:
        await eventually(lambda: _at_least(client, lane, 9), 60, "9 counted events")
        reader = MeasureValuesReader(client[lane.database])

        async def value(qsmo: str | None, measure: str, quarter: int | None = None) -> Any:
            reading = await reader.fiscal_value(
                qsmo, measure, Aggregation(MEASURES[measure]), 2025, quarter
            )
            return reading.value, reading.summary.count

        assert await value("cybersecurity", "customer-engagement") == (15, 2)
        assert await value("cybersecurity", "customer-engagement", 1) == (5, 1)
        assert await value("cybersecurity", "customer-engagement", 2) == (10, 1)
        assert await value(None, "customer-engagement") == (22, 3)
        assert await value("cybersecurity", "customer-satisfaction") == (3.5, 2)
        assert await value(None, "customer-satisfaction") == (4.0, 3)  # pooled: (4+3+5)/3
        assert await value("cybersecurity", "return-on-investment") == (12, 2)
        assert await value(None, "return-on-investment") == (21, 3)  # mean of latest: (12+30)/2
        assert await value("human-resources", "customer-engagement") == (None, 0)  # no data, not 0
        rolling = await reader.rolling_value(
            "cybersecurity",
            "customer-engagement",
            Aggregation.SUM,
            datetime(2025, 1, 20, tzinfo=UTC),
            30,
        )
        assert (rolling.value, rolling.summary.count) == (10, 1)
        months = await reader.series(
            "cybersecurity", "customer-satisfaction", Aggregation.MEAN, 2025, PeriodKind.MONTH
        )
        assert [(m.period.label, m.value) for m in months if m.value is not None] == [
            ("2025-01", 4.0),
            ("2025-02", 3.0),
        ]
    finally:
        stack.stop("measures-exact")
        await client.close()


async def _at_least(client: Any, lane: Lane, count: int) -> bool:
    return await _counted(client, lane) >= count


async def test_sigkill_at_random_moments_loses_and_duplicates_nothing(
    stack: qsmo_stack.Stack, kafka_bootstrap: str
) -> None:
    lane = Lane.new()
    await lane.create_topics(kafka_bootstrap)
    sent = stream(20_000, seed=7)
    distinct = len({e.event_id for e in sent})
    client = create_mongo_client(stack.mongo_url)
    rng = random.Random(11)
    kills = 0
    try:
        producing = asyncio.create_task(_produce_slowly(kafka_bootstrap, lane.events, sent))
        start_measures(stack, lane, "-crash")
        thresholds = sorted(rng.sample(range(1_000, distinct - 2_000), 6))
        for threshold in thresholds:
            await eventually(
                lambda t=threshold: _raw_at_least(client, lane, t), 120, f"{threshold} raw events"
            )
            await asyncio.sleep(rng.uniform(0, 0.3))  # a random instant inside the next batch
            stack.kill("measures-crash")
            kills += 1
            start_measures(stack, lane, "-crash")
        await producing
        await eventually(
            lambda: _at_least(client, lane, distinct), 180, f"{distinct} counted events"
        )
        assert await _counted(client, lane) == distinct
        mismatches = await _mismatches(client, lane, sent)
        print(
            f"\nmeasures crash test: {kills} SIGKILLs, {len(sent)} events sent, {distinct} distinct, "
            f"{_checked(sent)} values checked (years and months, QSMOs and slices), "
            f"{len(mismatches)} mismatches"
        )
        assert kills >= 5
        assert mismatches == []
    finally:
        stack.stop("measures-crash")
        await client.close()


async def _raw_at_least(client: Any, lane: Lane, count: int) -> bool:
    return bool(await client[lane.database]["events"].count_documents({}) >= count)


async def _produce_slowly(bootstrap: str, topic: str, events: list[AcceptedEvent]) -> None:
    for start in range(0, len(events), 1000):
        await produce(bootstrap, topic, events[start : start + 1000])
        await asyncio.sleep(0.1)


async def test_two_instances_and_a_rebalance_mid_stream_give_the_exact_result(
    stack: qsmo_stack.Stack, kafka_bootstrap: str
) -> None:
    lane = Lane.new()
    await lane.create_topics(kafka_bootstrap)
    sent = stream(8_000, seed=3)
    distinct = len({e.event_id for e in sent})
    client = create_mongo_client(stack.mongo_url)
    try:
        await produce(kafka_bootstrap, lane.events, sent[:3_000])
        start_measures(stack, lane, "-one")
        await eventually(lambda: _raw_at_least(client, lane, 500), 60, "first events stored")
        start_measures(stack, lane, "-two")  # joins the group: partitions are split
        await produce(kafka_bootstrap, lane.events, sent[3_000:])
        await eventually(lambda: _raw_at_least(client, lane, 5_000), 120, "5,000 raw events")
        stack.stop("measures-one")  # leaves: the other takes every partition
        await eventually(
            lambda: _at_least(client, lane, distinct), 180, f"{distinct} counted events"
        )
        assert await _counted(client, lane) == distinct
        assert await _mismatches(client, lane, sent) == []
    finally:
        stack.stop("measures-one")
        stack.stop("measures-two")
        await client.close()


async def test_poison_messages_are_dead_lettered_and_do_not_block_the_partition(
    stack: qsmo_stack.Stack, kafka_bootstrap: str
) -> None:
    lane = Lane.new()
    await lane.create_topics(kafka_bootstrap, partitions=1)
    good = stream(20, seed=5, duplicate_share=0, late_share=0)
    bad_version = json.loads(good[0].model_dump_json()) | {"schema_version": 9, "event_id": "v9"}
    await produce(
        kafka_bootstrap,
        lane.events,
        good[:10],
        raw=[(b"k", b"{ not json"), (b"k", json.dumps(bad_version).encode())],
    )
    await produce(kafka_bootstrap, lane.events, good[10:])
    start_measures(stack, lane, "-dlq")
    client = create_mongo_client(stack.mongo_url)
    consumer = create_consumer(kafka_bootstrap, lane.dlq, group_id=None)
    await consumer.start()
    try:
        await eventually(lambda: _at_least(client, lane, 20), 60, "20 good events counted")
        letters: list[DeadLetter] = []

        async def collect() -> bool:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                letters.extend(DeadLetter.model_validate_json(r.value) for r in records)
            return len(letters) >= 2

        await eventually(collect, 30, "two dead letters")
        assert sorted(letter.code for letter in letters) == ["schema_version", "undecodable"]
        assert base64.b64decode(letters[0].payload_base64) in (
            b"{ not json",
            json.dumps(bad_version).encode(),
        )
        assert all(letter.topic == lane.events for letter in letters)
    finally:
        await consumer.stop()
        stack.stop("measures-dlq")
        await client.close()
