"""Fiscal calendar: FY/quarter boundaries in UTC, offsets, periods and day series."""

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.fiscal import (
    Period,
    PeriodKind,
    calendar_periods_of,
    day_of,
    day_period,
    days_in,
    fiscal_quarter_of,
    fiscal_quarter_period,
    fiscal_year_of,
    fiscal_year_period,
    month_period,
    months_of,
    quarters_of,
    rolling_period,
)

BOUNDARIES = [
    # (timestamp, fiscal year, quarter)
    ("2023-09-30T23:59:59.999999+00:00", 2023, 4),
    ("2023-09-30T23:59:59.999+00:00", 2023, 4),
    ("2023-10-01T00:00:00+00:00", 2024, 1),
    ("2023-10-01T00:00:00Z", 2024, 1),
    # 20:00 at -04:00 is midnight UTC: already FY2024.
    ("2023-09-30T20:00:00-04:00", 2024, 1),
    ("2023-09-30T19:59:59.999-04:00", 2023, 4),
    # 05:00 at +05:30 on 1 Oct is still 30 Sep in UTC.
    ("2023-10-01T05:00:00+05:30", 2023, 4),
    ("2023-10-01T05:30:00+05:30", 2024, 1),
    ("2023-12-31T23:59:59.999999+00:00", 2024, 1),
    ("2024-01-01T00:00:00+00:00", 2024, 2),
    ("2023-12-31T20:00:00-05:00", 2024, 2),
    ("2024-03-31T23:59:59+00:00", 2024, 2),
    ("2024-04-01T00:00:00+00:00", 2024, 3),
    ("2024-06-30T23:59:59+00:00", 2024, 3),
    ("2024-07-01T00:00:00+00:00", 2024, 4),
    ("2024-09-30T23:59:59.999999+00:00", 2024, 4),
    ("2024-10-01T00:00:00+00:00", 2025, 1),
    ("2021-10-01T00:00:00+00:00", 2022, 1),
    ("2024-02-29T12:00:00+00:00", 2024, 2),
]


@pytest.mark.parametrize(("stamp", "fiscal_year", "quarter"), BOUNDARIES)
def test_fiscal_year_and_quarter_boundaries(stamp: str, fiscal_year: int, quarter: int) -> None:
    ts = datetime.fromisoformat(stamp)
    assert fiscal_year_of(ts) == fiscal_year
    assert fiscal_quarter_of(ts) == (fiscal_year, quarter)
    assert fiscal_year_period(fiscal_year).contains(ts)
    assert fiscal_quarter_period(fiscal_year, quarter).contains(ts)


@pytest.mark.parametrize(
    "function", [fiscal_year_of, fiscal_quarter_of, day_of, calendar_periods_of]
)
def test_naive_timestamps_are_refused(function: object) -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        function(datetime(2024, 1, 1))  # type: ignore[operator]


def test_day_of_is_the_utc_day() -> None:
    assert day_of(datetime.fromisoformat("2024-03-01T22:00:00-04:00")) == date(2024, 3, 2)
    assert day_of(datetime.fromisoformat("2024-03-02T01:00:00+05:00")) == date(2024, 3, 1)


QUARTER = PeriodKind.FISCAL_QUARTER
JAN_1, JAN_2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)

PERIODS = [
    (fiscal_year_period(2024), PeriodKind.FISCAL_YEAR, "FY2024", "2023-10-01", "2024-10-01"),
    (fiscal_quarter_period(2024, 1), QUARTER, "FY2024 Q1", "2023-10-01", "2024-01-01"),
    (fiscal_quarter_period(2024, 2), QUARTER, "FY2024 Q2", "2024-01-01", "2024-04-01"),
    (fiscal_quarter_period(2024, 3), QUARTER, "FY2024 Q3", "2024-04-01", "2024-07-01"),
    (fiscal_quarter_period(2024, 4), QUARTER, "FY2024 Q4", "2024-07-01", "2024-10-01"),
    (month_period(2024, 3), PeriodKind.MONTH, "2024-03", "2024-03-01", "2024-04-01"),
    (month_period(2023, 12), PeriodKind.MONTH, "2023-12", "2023-12-01", "2024-01-01"),
    (day_period(date(2024, 2, 29)), PeriodKind.DAY, "2024-02-29", "2024-02-29", "2024-03-01"),
]


@pytest.mark.parametrize(("period", "kind", "label", "start", "end"), PERIODS)
def test_period_constructors(
    period: Period, kind: PeriodKind, label: str, start: str, end: str
) -> None:
    assert (period.kind, period.label) == (kind, label)
    assert period.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert period.end == datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_periods_are_half_open() -> None:
    fy = fiscal_year_period(2024)
    assert fy.contains(fy.start)
    assert not fy.contains(fy.end)
    assert fy.contains(fy.end - timedelta(microseconds=1))


def test_rolling_period_ends_at_query_time() -> None:
    now = datetime.fromisoformat("2024-03-31T10:30:00-04:00")
    window = rolling_period(now, 30)
    assert window.kind is PeriodKind.ROLLING
    assert window.label == "last 30 days"
    assert window.end == datetime(2024, 3, 31, 14, 30, tzinfo=UTC)
    assert window.start == datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
    assert not window.contains(now)
    days = days_in(window)
    assert (days[0], days[-1], len(days)) == (date(2024, 3, 1), date(2024, 3, 31), 31)


@pytest.mark.parametrize("bad", [0, -5])
def test_rolling_period_needs_a_positive_length(bad: int) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        rolling_period(datetime(2024, 1, 1, tzinfo=UTC), bad)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fiscal_quarter_period(2024, 5), "quarter must be 1..4"),
        (lambda: month_period(2024, 13), "month must be 1..12"),
        (
            lambda: Period(PeriodKind.DAY, "x", JAN_2, JAN_1),
            "must end after it starts",
        ),
    ],
)
def test_invalid_periods(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_period_normalizes_to_utc() -> None:
    minus_four = timezone(timedelta(hours=-4))
    period = Period(
        PeriodKind.DAY,
        "x",
        datetime(2024, 1, 1, 20, tzinfo=minus_four),
        datetime(2024, 1, 2, 20, tzinfo=minus_four),
    )
    assert period.start == datetime(2024, 1, 2, tzinfo=UTC)
    assert period.start.tzinfo is UTC


@pytest.mark.parametrize(("fiscal_year", "days"), [(2023, 365), (2024, 366), (2025, 365)])
def test_days_in_a_fiscal_year(fiscal_year: int, days: int) -> None:
    series = days_in(fiscal_year_period(fiscal_year))
    assert len(series) == days
    assert series[0] == date(fiscal_year - 1, 10, 1)
    assert series[-1] == date(fiscal_year, 9, 30)


def test_quarters_and_months_tile_the_fiscal_year() -> None:
    fy = fiscal_year_period(2024)
    for series, count in ((quarters_of(2024), 4), (months_of(2024), 12)):
        assert len(series) == count
        assert series[0].start == fy.start
        assert series[-1].end == fy.end
        assert all(a.end == b.start for a, b in itertools.pairwise(series))
    assert [m.label for m in months_of(2024)][:4] == ["2023-10", "2023-11", "2023-12", "2024-01"]
    assert sum(len(days_in(m)) for m in months_of(2024)) == 366


def test_calendar_periods_of() -> None:
    labels = [
        p.label for p in calendar_periods_of(datetime.fromisoformat("2023-12-31T21:00-05:00"))
    ]
    assert labels == ["FY2024", "FY2024 Q2", "2024-01", "2024-01-01"]


PROPERTIES = settings(max_examples=200, database=None, deadline=None)

aware_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 2),
    max_value=datetime(2100, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-4)), timezone(timedelta(hours=5, minutes=30))]
    ),
)


@PROPERTIES
@given(aware_datetimes)
def test_every_instant_lies_in_exactly_its_own_periods(ts: datetime) -> None:
    fiscal_year, quarter = fiscal_quarter_of(ts)
    assert fiscal_year_period(fiscal_year).contains(ts)
    assert not fiscal_year_period(fiscal_year + 1).contains(ts)
    assert not fiscal_year_period(fiscal_year - 1).contains(ts)
    containing = [q for q in quarters_of(fiscal_year) if q.contains(ts)]
    assert [q.label for q in containing] == [f"FY{fiscal_year} Q{quarter}"]
    assert sum(m.contains(ts) for m in months_of(fiscal_year)) == 1
    assert day_of(ts) in days_in(fiscal_quarter_period(fiscal_year, quarter))
    assert all(p.contains(ts) for p in calendar_periods_of(ts))
