"""Summaries: exact sums, latest-wins rules, storage round trip, and merge laws (hypothesis)."""

import itertools
import json
import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.catalog import Aggregation
from shared.domain.summaries import (
    EMPTY,
    Summary,
    fold,
    fold_all,
    government_wide_value,
    merge,
    merge_all,
    observation,
    value_of,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
# No example database: the unit suite writes nothing into the working tree.
PROPERTIES = settings(max_examples=200, database=None, deadline=None)
Event = tuple[float, datetime, int]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.mark.parametrize("aggregation", list(Aggregation))
def test_no_events_means_no_value_never_zero(aggregation: Aggregation) -> None:
    assert value_of(EMPTY, aggregation) is None
    assert value_of(Summary.from_document(EMPTY.to_document()), aggregation) is None


def test_sum_mean_latest_min_max() -> None:
    summary = fold_all([(4.0, at(2), 1), (2.0, at(1), 2), (6.0, at(0), 3)])
    assert value_of(summary, Aggregation.SUM) == 12.0
    assert value_of(summary, Aggregation.MEAN) == 4.0
    # The latest by occurred_at wins even though it was processed first.
    assert value_of(summary, Aggregation.LATEST) == 4.0
    assert (summary.count, summary.min, summary.max) == (3, 2.0, 6.0)


def test_latest_ties_go_to_the_one_processed_last() -> None:
    summary = fold_all([(1.0, at(5), 8), (2.0, at(5), 9), (3.0, at(5), 7)])
    assert value_of(summary, Aggregation.LATEST) == 2.0


def test_latest_compares_instants_not_local_times() -> None:
    minus_four = timezone(timedelta(hours=-4))
    later_local = datetime(2024, 3, 1, 1, tzinfo=minus_four)  # 05:00 UTC
    summary = fold_all([(1.0, later_local, 1), (2.0, at(3), 2)])
    assert value_of(summary, Aggregation.LATEST) == 1.0
    assert summary.latest is not None
    assert summary.latest.occurred_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("values", "total"),
    [
        ([1e16, 1.0, -1e16], 1.0),
        ([0.1] * 10, 1.0),
        ([1e100, 1.0, -1e100, 0.1], 1.1),
        ([0.1, 0.2, -0.3], float(Fraction(0.1) + Fraction(0.2) - Fraction(0.3))),
        ([-0.0], 0.0),
    ],
)
def test_sums_are_exact(values: list[float], total: float) -> None:
    summary = fold_all((v, at(i), i) for i, v in enumerate(values))
    assert value_of(summary, Aggregation.SUM) == total


def test_merge_identity_and_document_identity() -> None:
    one = observation(3.5, T0, 1)
    assert merge(EMPTY, one) == one == merge(one, EMPTY)
    assert merge_all([]) == EMPTY == Summary.empty()
    assert fold(EMPTY, 3.5, T0, 1) == one


@pytest.mark.parametrize(
    ("bad", "message"), [(True, "must be a number"), (math.nan, "finite"), (math.inf, "finite")]
)
def test_observation_refuses_non_numbers(bad: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        observation(bad, T0, 1)


def test_observation_refuses_naive_timestamps() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        observation(1.0, datetime(2024, 1, 1), 1)


def test_sums_beyond_the_float_range_raise() -> None:
    with pytest.raises(OverflowError):
        fold_all([(1.7e308, T0, 1), (1.7e308, T0, 2)])


def test_document_round_trip_through_json() -> None:
    summary = fold_all([(1e16, at(1), 1), (0.1, at(2), 2), (1.0, at(0), 3)])
    document = json.loads(json.dumps(summary.to_document()))
    assert document["sum"] == summary.total
    assert Summary.from_document(document) == summary


def test_document_accepts_bson_style_naive_utc_datetimes() -> None:
    document = observation(2.0, at(1), 4).to_document()
    document["latest"]["occurred_at"] = datetime(2024, 3, 1, 1)  # BSON hands back naive UTC
    assert Summary.from_document(document) == observation(2.0, at(1), 4)


def test_inconsistent_documents_are_refused() -> None:
    document = observation(2.0, T0, 1).to_document()
    document["count"] = 0
    with pytest.raises(ValueError, match="inconsistent"):
        Summary.from_document(document)


def test_government_wide_values() -> None:
    per_qsmo = {
        "cybersecurity": fold_all([(4.0, at(1), 1), (5.0, at(2), 2)]),
        "grants-management": fold_all([(3.0, at(9), 3)]),
        "human-resources": EMPTY,
    }
    assert government_wide_value(per_qsmo, Aggregation.SUM) == 12.0
    # Pooled: (4 + 5 + 3) / 3, not the mean of QSMO means (4.5 + 3) / 2.
    assert government_wide_value(per_qsmo, Aggregation.MEAN) == 4.0
    # Latest: the mean of each QSMO's latest value (5 and 3), skipping QSMOs without data.
    assert government_wide_value(per_qsmo, Aggregation.LATEST) == 4.0
    for aggregation in Aggregation:
        assert government_wide_value({}, aggregation) is None
        assert government_wide_value({"x": EMPTY}, aggregation) is None


# --- properties -------------------------------------------------------------------------

AWKWARD = [0.1, 0.2, 0.3, 1e16, -1e16, 1.0, -1.0, 1e-300, 5e-324, 2.0**53 + 2, 1e300, -0.0]
values = st.one_of(
    st.sampled_from(AWKWARD),
    st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False),
    st.integers(min_value=-(10**6), max_value=10**6).map(float),
)
# Few distinct instants, so that occurred_at ties (decided by seq) are common.
instants = st.integers(min_value=0, max_value=5).map(lambda h: at(h))


@st.composite
def event_streams(draw: st.DrawFn) -> list[Event]:
    drawn = draw(st.lists(st.tuples(values, instants), max_size=25))
    seqs = draw(st.permutations(range(len(drawn))))
    return [(v, ts, seq) for (v, ts), seq in zip(drawn, seqs, strict=True)]


def _assert_same(a: Summary, b: Summary) -> None:
    assert a == b
    assert a.to_document() == b.to_document()
    for aggregation in Aggregation:
        assert value_of(a, aggregation) == value_of(b, aggregation)


@PROPERTIES
@given(event_streams(), st.randoms(use_true_random=False))
def test_folding_any_permutation_gives_the_same_summary(
    events: list[Event], rnd: random.Random
) -> None:
    shuffled = list(events)
    rnd.shuffle(shuffled)
    _assert_same(fold_all(events), fold_all(shuffled))


def _split(events: Sequence[Event], cuts: list[int]) -> list[list[Event]]:
    bounds = [0, *sorted(c % (len(events) + 1) for c in cuts), len(events)]
    return [list(events[a:b]) for a, b in itertools.pairwise(bounds)]


@PROPERTIES
@given(
    event_streams(),
    st.lists(st.integers(min_value=0, max_value=100), max_size=6),
    st.randoms(use_true_random=False),
)
def test_merging_chunks_in_any_order_equals_folding_the_whole(
    events: list[Event], cuts: list[int], rnd: random.Random
) -> None:
    chunks = [fold_all(chunk) for chunk in _split(events, cuts)]
    rnd.shuffle(chunks)
    _assert_same(merge_all(chunks), fold_all(events))


@PROPERTIES
@given(event_streams())
def test_splitting_by_utc_day_and_merging_equals_folding_the_whole(events: list[Event]) -> None:
    # Spread the events over days, as the aggregator stores them per (QSMO, measure, day).
    spread = [(v, ts + timedelta(days=seq % 3), seq) for v, ts, seq in events]
    days: dict[object, list[Event]] = {}
    for event in spread:
        days.setdefault(event[1].date(), []).append(event)
    _assert_same(merge_all(fold_all(day) for day in days.values()), fold_all(spread))


@PROPERTIES
@given(event_streams(), event_streams(), event_streams())
def test_merge_is_associative_and_commutative(
    a_events: list[Event], b_events: list[Event], c_events: list[Event]
) -> None:
    a, b, c = fold_all(a_events), fold_all(b_events), fold_all(c_events)
    _assert_same(merge(merge(a, b), c), merge(a, merge(b, c)))
    _assert_same(merge(a, b), merge(b, a))
    _assert_same(merge(a, EMPTY), a)


@PROPERTIES
@given(event_streams())
def test_the_sum_is_exact_and_correctly_rounded(events: list[Event]) -> None:
    summary = fold_all(events)
    exact = sum((Fraction(v) for v, _, _ in events), Fraction(0))
    assert sum((Fraction(p) for p in summary.partials), Fraction(0)) == exact
    assert summary.total == float(exact)
    if events:
        assert value_of(summary, Aggregation.MEAN) == float(exact) / len(events)
        winner = max(events, key=lambda e: (e[1], e[2]))
        assert value_of(summary, Aggregation.LATEST) == winner[0] + 0.0


@PROPERTIES
@given(event_streams())
def test_documents_round_trip_through_json(events: list[Event]) -> None:
    summary = fold_all(events)
    assert Summary.from_document(json.loads(json.dumps(summary.to_document()))) == summary
