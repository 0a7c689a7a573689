"""``plan_batch`` (one fold per state and batch) gives the very plan of the event-by-event fold.

The reference is ``reference_plan.reference_plan_batch``, the fold as it was before issue #21.
Random batches: several streams sharing partitions, provider and agency slices, times on both
sides of month, quarter and fiscal-year boundaries in several UTC offsets (out of order, so
late and restating events), equal instants written in different offsets (the first one seen
must stay), and replays: the batch comes again after a crash that saved only some states.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st
from reference_plan import reference_plan_batch

from services.measures.domain import (
    BatchPlan,
    CountedEvent,
    PeriodState,
    StreamState,
    keys_of,
    plan_batch,
)

PROPERTIES = settings(max_examples=300, database=None, deadline=None)

BOUNDARIES = (
    datetime(2024, 10, 1, tzinfo=UTC),  # FY2025, Q1 and October begin
    datetime(2025, 1, 1, tzinfo=UTC),  # Q2 and a calendar year
    datetime(2025, 3, 1, tzinfo=UTC),  # a month
    datetime(2025, 4, 1, tzinfo=UTC),  # Q3
)
OFFSETS = (UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30)))
STREAMS = (("q1", "m1"), ("q1", "m2"), ("q2", "m1"))
INGESTED = datetime(2025, 6, 1, tzinfo=UTC)


@st.composite
def event_specs(draw: st.DrawFn) -> tuple[int, datetime, float, datetime, str | None, str | None]:
    stream = draw(st.integers(0, len(STREAMS) - 1))
    instant = draw(st.sampled_from(BOUNDARIES)) + timedelta(
        minutes=draw(st.sampled_from([-1, 0, 1])) * draw(st.integers(0, 3 * 1440))
    )
    occurred_at = instant.astimezone(draw(st.sampled_from(OFFSETS)))
    value = draw(
        st.one_of(
            st.sampled_from([0.0, 0.1, 0.2, 0.3, 1e16, -1e16, 1.0, 5e-324]),
            st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False),
        )
    )
    ingested_at = (INGESTED + timedelta(minutes=draw(st.integers(0, 3)))).astimezone(
        draw(st.sampled_from(OFFSETS))
    )
    provider = draw(st.sampled_from([None, None, "p1", "p2"]))
    agency = draw(st.sampled_from([None, None, "DOI", "GSA"]))
    return stream, occurred_at, value, ingested_at, provider, agency


def _events(
    specs: Sequence[tuple[int, datetime, float, datetime, str | None, str | None]],
) -> list[CountedEvent]:
    """Counted events in offset order per partition (streams 0 and 2 share partition 0)."""
    offsets = [0, 0]
    events = []
    for number, (stream, occurred_at, value, ingested_at, provider, agency) in enumerate(specs):
        qsmo, measure = STREAMS[stream]
        partition = stream % 2
        events.append(
            CountedEvent(
                f"e{number}",
                qsmo,
                measure,
                value,
                occurred_at,
                ingested_at,
                partition,
                offsets[partition],
                agency=agency,
                provider=provider,
            )
        )
        offsets[partition] += 1
    return events


def _same(plan: BatchPlan, reference: BatchPlan) -> None:
    assert plan == reference
    # Also equal in representation: -0.0 against 0.0, or an instant kept in another offset.
    for name in ("periods", "streams", "touched"):
        mine, theirs = getattr(plan, name), getattr(reference, name)
        assert sorted(mine) == sorted(theirs)
        for key in mine:
            assert repr(mine[key]) == repr(theirs[key]), (name, key)
    assert repr(plan.newly_counted) == repr(reference.newly_counted)


@PROPERTIES
@given(
    specs=st.lists(event_specs(), min_size=1, max_size=40),
    cut=st.floats(0, 1),
    replay_from=st.floats(0, 1),
    saved=st.lists(st.booleans(), min_size=64, max_size=64),
)
def test_plan_batch_equals_the_event_by_event_fold(
    specs: list[tuple[int, datetime, float, datetime, str | None, str | None]],
    cut: float,
    replay_from: float,
    saved: list[bool],
) -> None:
    events = _events(specs)
    first_end = int(len(events) * cut)
    first = events[:first_end]
    earlier = reference_plan_batch(first, {}, {})
    _same(plan_batch(first, {}, {}), earlier)

    # A crash after saving some of the first batch's states (any mix), then a batch that
    # replays part of the first one and goes on.
    periods: dict[str, PeriodState] = {
        key: state
        for number, (key, state) in enumerate(sorted(earlier.periods.items()))
        if saved[number % len(saved)]
    }
    streams: dict[str, StreamState] = {
        key: state
        for number, (key, state) in enumerate(sorted(earlier.streams.items()))
        if saved[-1 - number % len(saved)]
    }
    second = events[int(first_end * replay_from) :]
    period_keys, stream_keys = keys_of(second)
    loaded_periods = {k: v for k, v in periods.items() if k in period_keys}
    loaded_streams = {k: v for k, v in streams.items() if k in stream_keys}
    _same(
        plan_batch(second, loaded_periods, loaded_streams),
        reference_plan_batch(second, loaded_periods, loaded_streams),
    )
