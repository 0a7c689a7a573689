"""The MongoDB repository's bounded state cache: evicting never changes what is stored.

A cache of a few states against batches of many: each batch evicts, so every later batch
must find the states it dropped in the store (not take a miss for a new key), replace what
is stored and insert only what is not. The end state must equal one clean run through the
in-memory repository, also after a crash in the middle of a batch and a replay.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from services.measures import documents as docs
from services.measures.decoding import RawRecord
from services.measures.domain import PeriodState, StreamState
from services.measures.handlers import process_batch
from services.measures.metrics import MeasuresMetrics
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import InMemoryMeasureRepository, MongoMeasureRepository
from shared.catalog import load_catalog
from shared.domain.fiscal import day_period
from shared.domain.summaries import fold_all
from shared.events import AcceptedEvent

CATALOG = load_catalog()
INGESTED = datetime(2025, 6, 1, tzinfo=UTC)
START = datetime(2023, 9, 20, tzinfo=UTC)


def _records(count: int, first_offset: int = 0) -> list[RawRecord]:
    """Events over many days, two streams on two partitions: many more keys than the cap."""
    records = []
    for n in range(first_offset, first_offset + count):
        measure = ("customer-engagement", "return-on-investment")[n % 2]
        event = AcceptedEvent(
            event_id=f"e{n}",
            qsmo="cybersecurity",
            measure=measure,
            value=float(n % 7),
            occurred_at=START + timedelta(days=(n * 37) % 400),
            ingested_at=INGESTED,
            request_id="r",
            provider="doj-jsoc" if n % 3 == 0 else None,
        )
        key = f"{event.qsmo}|{event.measure}".encode()
        records.append(RawRecord("t", n % 2, n, key, event.model_dump_json().encode()))
    return records


async def _process(repository: Any, records: list[RawRecord]) -> None:
    publisher = InMemoryValuePublisher()
    await process_batch(
        records, repository=repository, publisher=publisher, catalog=CATALOG, now=INGESTED
    )


async def _stored(db: Any) -> tuple[dict[str, PeriodState], dict[str, StreamState]]:
    periods = await db[docs.PERIODS].find().to_list()
    streams = await db[docs.STREAMS].find().to_list()
    return (
        {d["_id"]: docs.period_state(d) for d in periods},
        {d["_id"]: docs.stream_state(d) for d in streams},
    )


async def _clean_run(batches: list[list[RawRecord]]) -> InMemoryMeasureRepository:
    clean = InMemoryMeasureRepository()
    for batch in batches:
        await _process(clean, batch)
    return clean


def _states_of(
    repository: InMemoryMeasureRepository,
) -> tuple[dict[str, PeriodState], dict[str, StreamState]]:
    return (
        {k: docs.period_state(d) for k, d in repository.periods.items()},
        {k: docs.stream_state(d) for k, d in repository.streams.items()},
    )


def _metric(registry: CollectorRegistry, name: str, kind: str) -> float:
    value = registry.get_sample_value(name, {"kind": kind})
    assert value is not None, name
    return value


def _day_state(day: int, offset: int) -> PeriodState:
    at = START + timedelta(days=day)
    return PeriodState(
        "cybersecurity",
        "customer-engagement",
        day_period(at.date()),
        2024,
        1,
        fold_all([(1.0, at, offset)]),
        applied_offset=offset,
        partition=0,
        last_ingested_at=INGESTED,
    )


async def test_batches_through_a_tiny_cache_end_in_the_clean_run_states(mongo_db: Any) -> None:
    batches = [_records(40, start) for start in range(0, 200, 40)]
    registry = CollectorRegistry()
    metrics = MeasuresMetrics(registry)
    repository = MongoMeasureRepository(mongo_db, max_cached_states=5, metrics=metrics)
    await repository.warm([0, 1])  # empty partitions: complete, until the first eviction
    for batch in batches:
        await _process(repository, batch)
    assert await _stored(mongo_db) == _states_of(await _clean_run(batches))
    evicted = _metric(registry, "qsmo_measures_state_evictions_total", "period")
    assert evicted > 100
    assert _metric(registry, "qsmo_measures_state_lookups_total", "period") > 0
    assert _metric(registry, "qsmo_measures_cached_states", "period") == 5
    assert _metric(registry, "qsmo_measures_cached_states", "stream") == 2


async def test_a_replay_through_a_tiny_cache_changes_nothing(mongo_db: Any) -> None:
    batches = [_records(30, start) for start in range(0, 120, 30)]
    repository = MongoMeasureRepository(mongo_db, max_cached_states=3)
    for batch in batches:
        await _process(repository, batch)
    before = await _stored(mongo_db)
    await repository.warm([0, 1])  # a rebalance: more states than the cap, so incomplete
    for batch in batches:  # the same events again, from the first offset
        await _process(repository, batch)
    assert await _stored(mongo_db) == before == _states_of(await _clean_run(batches))


class _CrashingRepository(MongoMeasureRepository):
    """Writes half of one batch's period states, then fails (the store went away)."""

    crash_next_save = False

    async def save_periods(self, states: Any) -> None:
        states = list(states)
        if self.crash_next_save:
            self.crash_next_save = False
            await super().save_periods(states[: len(states) // 2])
            raise ConnectionError("simulated crash")
        await super().save_periods(states)


async def test_a_crash_mid_batch_then_a_replay_equals_the_clean_run(mongo_db: Any) -> None:
    batches = [_records(30, start) for start in range(0, 150, 30)]
    repository = _CrashingRepository(mongo_db, max_cached_states=4)
    await repository.warm([0, 1])
    for number, batch in enumerate(batches):
        repository.crash_next_save = number == 2
        try:
            await _process(repository, batch)
        except ConnectionError:
            await repository.warm([0, 1])  # what the consumer does before the retry
            await _process(repository, batch)
    assert await _stored(mongo_db) == _states_of(await _clean_run(batches))


async def test_a_miss_after_an_eviction_is_read_from_the_store(mongo_db: Any) -> None:
    """Warmed complete, then evicted: the dropped state must not pass for a new key."""
    repository = MongoMeasureRepository(mongo_db, max_cached_states=2)
    await repository.warm([0])
    states = [_day_state(day, offset=day) for day in range(3)]
    for state in states:
        await repository.save_periods([state])
    first = states[0]
    assert await repository.load_periods([first.key, "absent"]) == {first.key: first}
    newer = _day_state(0, offset=9)
    await repository.save_periods([newer])  # stored but evicted again: replaced, not duplicated
    assert (await _stored(mongo_db))[0][first.key] == newer


async def test_warming_stops_at_the_cap_and_looks_the_rest_up(mongo_db: Any) -> None:
    writer = MongoMeasureRepository(mongo_db)
    states = [_day_state(day, offset=day) for day in range(5)]
    await writer.save_periods(states)
    repository = MongoMeasureRepository(mongo_db, max_cached_states=3)
    await repository.warm([0])
    assert await repository.load_periods([s.key for s in states]) == {s.key: s for s in states}
    roomy = MongoMeasureRepository(mongo_db, max_cached_states=5)
    await roomy.warm([0])
    await mongo_db[docs.PERIODS].delete_many({})  # a complete cache no longer asks the store
    assert await roomy.load_periods([states[0].key]) == {states[0].key: states[0]}
