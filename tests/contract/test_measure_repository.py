"""One suite, two adapters: the in-memory fake must behave like the MongoDB repository."""

from datetime import UTC, datetime
from typing import Any

import pytest

from services.measures.domain import PeriodState, StreamState
from services.measures.ports import PositionedEvent
from services.measures.repository import InMemoryMeasureRepository, MongoMeasureRepository
from shared.domain.fiscal import fiscal_year_period
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
