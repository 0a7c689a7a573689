"""One suite, two adapters: the in-memory fake must behave like the MongoDB repository.

Slice states and the two slice indexes (``slice_index``, ``agencies_seen``) included.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from services.measures import documents as docs
from services.measures.domain import PeriodState, Sighting, StreamState
from services.measures.ports import PositionedEvent
from services.measures.repository import (
    PERIOD_INDEX,
    InMemoryMeasureRepository,
    MongoMeasureRepository,
)
from shared.domain.fiscal import fiscal_year_period
from shared.domain.providers import Slice
from shared.domain.summaries import fold_all
from shared.events import AcceptedEvent

AT = datetime(2024, 2, 1, tzinfo=UTC)


def _event(event_id: str, value: float = 1.0) -> AcceptedEvent:
    return AcceptedEvent(
        event_id=event_id,
        qsmo="grants-management",
        measure="cost-avoidance",
        value=value,
        occurred_at=AT,
        ingested_at=AT,
        request_id="r",
    )


@pytest.fixture(params=["in-memory", "mongo"])
def repository(request: pytest.FixtureRequest) -> Any:
    if request.param == "in-memory":
        return InMemoryMeasureRepository()
    return MongoMeasureRepository(request.getfixturevalue("mongo_db"))


async def test_new_events_count_and_an_event_id_seen_before_does_not(repository: Any) -> None:
    first = await repository.store_raw_events(
        [PositionedEvent(_event("a"), 0, 10), PositionedEvent(_event("b"), 0, 11)]
    )
    assert first == {(0, 10), (0, 11)}
    again = await repository.store_raw_events(
        [
            PositionedEvent(_event("a"), 0, 10),  # redelivery of our own write: counts
            PositionedEvent(_event("b", 9), 0, 12),  # client resend at a new offset: duplicate
            PositionedEvent(_event("c"), 0, 13),
            PositionedEvent(_event("c"), 0, 14),  # resend within the same batch: duplicate
        ]
    )
    assert again == {(0, 10), (0, 13)}


async def test_states_round_trip_and_replace(repository: Any) -> None:
    period = fiscal_year_period(2024)
    summary = fold_all([(0.1, AT, 1), (0.2, AT, 2), (1e16, AT, 3)])
    state = PeriodState(
        "grants-management", "cost-avoidance", period, 2024, None, summary, 1, 3, 2, AT
    )
    stream = StreamState("grants-management", "cost-avoidance", AT, 3, 2, 3, AT)
    await repository.save_periods([state])
    await repository.save_streams([stream])
    assert await repository.load_periods([state.key, "missing"]) == {state.key: state}
    assert await repository.load_streams([stream.key]) == {stream.key: stream}
    newer = PeriodState(
        "grants-management", "cost-avoidance", period, 2024, None, summary, 2, 9, 2, AT
    )
    await repository.save_periods([newer])
    assert (await repository.load_periods([state.key]))[state.key].applied_offset == 9


async def test_many_states_in_one_save(repository: Any) -> None:
    """More than one store command's worth (FerretDB stalls at 100 updates per command)."""
    states = [
        PeriodState(
            "cybersecurity",
            f"m{i}",
            fiscal_year_period(2024),
            2024,
            None,
            fold_all([(i, AT, i)]),
            0,
            i,
            0,
            AT,
        )
        for i in range(230)
    ]
    await repository.save_periods(states)
    await repository.save_periods(states)
    loaded = await repository.load_periods([s.key for s in states])
    assert sorted(s.applied_offset for s in loaded.values()) == list(range(230))


async def test_slice_states_round_trip_beside_their_qsmo_state(repository: Any) -> None:
    period = fiscal_year_period(2024)
    summary = fold_all([(2.0, AT, 1)])
    plain = PeriodState("cybersecurity", "cost-avoidance", period, 2024, None, summary, 0, 1, 0, AT)
    provider = replace(plain, slice=Slice("provider", "doj-jsoc"))
    agency = replace(plain, slice=Slice("agency", "DOI"), applied_offset=4)
    await repository.save_periods([plain, provider, agency])
    keys = [plain.key, provider.key, agency.key]
    assert keys[1:] == [f"{plain.key}|provider:doj-jsoc", f"{plain.key}|agency:DOI"]
    loaded = await repository.load_periods(keys)
    assert loaded == {s.key: s for s in (plain, provider, agency)}
    assert loaded[agency.key].slice == Slice("agency", "DOI")
    assert loaded[plain.key].slice is None


SIGHTINGS = [
    Sighting("cybersecurity", 2025, "doj-jsoc", "DOI"),
    Sighting("cybersecurity", 2025, "doj-jsoc", "USDA"),
    Sighting("cybersecurity", 2025, "bluepeak-soc", None),
    Sighting("cybersecurity", 2025, None, "U.S. $Odd"),
    Sighting("cybersecurity", 2024, None, "DOI"),
]


async def _indexes(repository: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if isinstance(repository, InMemoryMeasureRepository):
        index, seen = repository.slice_index.values(), repository.agencies_seen.values()
        return sorted(index, key=lambda d: d["_id"]), sorted(seen, key=lambda d: d["_id"])
    db = repository._db
    index = await db[docs.SLICE_INDEX].find().sort("_id").to_list()
    return index, await db[docs.AGENCIES_SEEN].find().sort("_id").to_list()


async def test_sightings_are_set_unions_that_a_replay_leaves_alone(repository: Any) -> None:
    await repository.save_sightings(SIGHTINGS[:2])
    await repository.save_sightings(SIGHTINGS)
    await repository.save_sightings(SIGHTINGS[1:3])  # a replay, partly
    index, seen = await _indexes(repository)
    assert [d["_id"] for d in index] == ["cybersecurity|FY2024", "cybersecurity|FY2025"]
    assert index[1] == {
        "_id": "cybersecurity|FY2025",
        "agencies": {"DOI": True, "USDA": True, "U%2ES%2E %24Odd": True},
        "providers": {
            "doj-jsoc": {"seen": True, "agencies": {"DOI": True, "USDA": True}},
            "bluepeak-soc": {"seen": True},
        },
    }
    assert docs.slice_index_of(index[1]) == (
        {"doj-jsoc": frozenset({"DOI", "USDA"}), "bluepeak-soc": frozenset()},
        frozenset({"DOI", "USDA", "U.S. $Odd"}),
    )
    assert [d["_id"] for d in seen] == ["DOI", "U.S. $Odd", "USDA"]


async def test_a_second_writer_of_the_same_index_only_adds(repository: Any) -> None:
    other = (
        InMemoryMeasureRepository()
        if isinstance(repository, InMemoryMeasureRepository)
        else MongoMeasureRepository(repository._db)
    )
    if isinstance(other, InMemoryMeasureRepository):
        other.slice_index, other.agencies_seen = repository.slice_index, repository.agencies_seen
    await repository.save_sightings([SIGHTINGS[0]])
    await other.save_sightings([SIGHTINGS[1]])
    await repository.save_sightings([SIGHTINGS[0]])  # cached as written: nothing sent
    index, _ = await _indexes(repository)
    assert docs.slice_index_of(index[0])[0] == {"doj-jsoc": frozenset({"DOI", "USDA"})}


async def test_one_period_index_serves_every_query_and_the_old_ones_are_dropped(
    mongo_db: Any,
) -> None:
    """Mongo only (the fake has no indexes): each extra index slows every FerretDB state write."""
    periods = mongo_db[docs.PERIODS]
    await periods.create_index([("qsmo", 1), ("fiscal_year", 1)])  # as created before slices
    repository = MongoMeasureRepository(mongo_db)
    await repository.create_indexes()
    await repository.create_indexes()  # a restart: nothing left to drop
    keys = [list(i["key"]) for i in (await periods.index_information()).values()]
    assert sorted(keys) == sorted([[("_id", 1)], PERIOD_INDEX])
