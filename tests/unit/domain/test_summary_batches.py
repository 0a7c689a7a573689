"""Folding many observations at once equals folding them one by one (hypothesis).

``_expansion`` is computed with ``math.fsum`` since issue #21; ``grown_expansion`` below is
the value-by-value grow-expansion it replaced, kept here to show both give the same tuple.
"""

import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.summaries import (
    EMPTY,
    Summary,
    _expansion,
    fold,
    fold_ranked,
    observation,
    ranked,
)

PROPERTIES = settings(max_examples=300, database=None, deadline=None)
T0 = datetime(2024, 3, 1, tzinfo=UTC)

values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
    st.sampled_from([0.0, -0.0, 0.1, 0.2, 0.3, 1e16, -1e16, 5e-324, -5e-324, 2.0**53]),
)
observations = st.tuples(
    values,
    st.builds(
        lambda minutes, offset: (T0 + timedelta(minutes=minutes)).astimezone(
            timezone(timedelta(hours=offset))
        ),
        st.integers(0, 20),
        st.sampled_from([0, -5, 3]),
    ),
    st.integers(0, 10),
)


def _two_sum_grow(partials: list[float], x: float) -> list[float]:
    grown: list[float] = []
    for y in partials:
        if abs(x) < abs(y):
            x, y = y, x
        high = x + y
        if not math.isfinite(high):
            raise OverflowError("sum exceeds the float range")
        low = y - (high - x)
        if low:
            grown.append(low)
        x = high
    grown.append(x)
    return grown


def grown_expansion(numbers: Iterable[float]) -> tuple[float, ...]:
    """The greedy expansion as computed before issue #21 (Shewchuk's grow-expansion)."""
    partials: list[float] = []
    for value in numbers:
        partials = _two_sum_grow(partials, value)
    canonical: list[float] = []
    while (head := math.fsum(partials)) != 0.0:
        canonical.append(head)
        partials = _two_sum_grow(partials, -head)
    return tuple(canonical)


@PROPERTIES
@given(st.lists(values, max_size=30))
def test_fsum_expansion_equals_the_grow_expansion(numbers: list[float]) -> None:
    try:
        expected = grown_expansion(numbers)
    except OverflowError:
        with pytest.raises(OverflowError, match="float range"):
            _expansion(numbers)
        return
    assert repr(_expansion(numbers)) == repr(expected)


def test_a_total_beyond_the_float_range_raises_overflow() -> None:
    for numbers in ([1e308, 1e308], [1e308, 1e308, -1e308], [math.inf], [math.inf, -math.inf]):
        with pytest.raises(OverflowError, match="float range"):
            _expansion(numbers)


@PROPERTIES
@given(st.lists(observations, max_size=12), st.lists(observations, min_size=1, max_size=12))
def test_fold_ranked_equals_folding_one_by_one(
    before: list[tuple[float, datetime, int]], batch: list[tuple[float, datetime, int]]
) -> None:
    start = EMPTY
    for value, at, seq in before:
        start = fold(start, value, at, seq)
    expected: Summary = start
    for value, at, seq in batch:
        expected = fold(expected, value, at, seq)
    folded = fold_ranked(start, [ranked(value, at, seq) for value, at, seq in batch])
    assert folded == expected
    assert repr(folded) == repr(expected)


def test_fold_ranked_of_nothing_is_the_summary_itself() -> None:
    summary = observation(2.5, T0, 1)
    assert fold_ranked(summary, []) is summary


@pytest.mark.parametrize("bad", [True, math.nan, math.inf, "1"])
def test_ranked_refuses_what_observation_refuses(bad: object) -> None:
    with pytest.raises(ValueError, match="value must be"):
        ranked(bad, T0, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="value must be"):
        observation(bad, T0, 0)  # type: ignore[arg-type]


def test_ranked_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        ranked(1.0, datetime(2024, 3, 1), 0)
