"""Open and closed periods, elapsed share (rev. 2 rules, docs/scoring.md section 13), examples and properties."""

from datetime import UTC, date, datetime, timedelta, timezone
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain.fiscal import (
    Period,
    PeriodKind,
    day_period,
    fiscal_quarter_period,
    fiscal_year_period,
    month_period,
    months_of,
    quarters_of,
    rolling_period,
)
from shared.domain.open_periods import (
    PeriodState,
    day_count,
    elapsed_days,
    elapsed_share,
    fiscal_year_containing,
    is_open,
    period_state,
    share_of_fiscal_year,
)

# No example database: the unit suite writes nothing into the working tree.
PROPERTIES = settings(max_examples=200, database=None, deadline=None)


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


FY2027 = fiscal_year_period(2027)


@pytest.mark.parametrize(
    ("stamp", "state", "days", "share"),
    [
        ("2026-09-30T23:59:59.999999Z", PeriodState.NOT_STARTED, 0, Fraction(0)),
        ("2026-10-01T00:00:00Z", PeriodState.OPEN, 1, Fraction(1, 365)),
        ("2026-10-01T23:59:59Z", PeriodState.OPEN, 1, Fraction(1, 365)),
        ("2026-11-30T00:00:00Z", PeriodState.OPEN, 61, Fraction(61, 365)),  # the rules' own example
        ("2026-11-30T23:59:59.999999Z", PeriodState.OPEN, 61, Fraction(61, 365)),
        # 20:00 at -05:00 on 30 Nov is 1 Dec 01:00 UTC: the UTC day counts.
        ("2026-11-30T20:00:00-05:00", PeriodState.OPEN, 62, Fraction(62, 365)),
        ("2027-09-30T12:00:00Z", PeriodState.OPEN, 365, Fraction(1)),
        ("2027-10-01T00:00:00Z", PeriodState.CLOSED, 365, Fraction(1)),
        ("2031-01-01T00:00:00Z", PeriodState.CLOSED, 365, Fraction(1)),
    ],
)
def test_fiscal_year_2027(stamp: str, state: PeriodState, days: int, share: Fraction) -> None:
    assert period_state(FY2027, at(stamp)) is state
    assert is_open(FY2027, at(stamp)) is (state is PeriodState.OPEN)
    assert elapsed_days(FY2027, at(stamp)) == days
    assert elapsed_share(FY2027, at(stamp)) == share


def test_framework_example_fy2027_on_2026_11_30_is_61_of_365() -> None:
    share = elapsed_share(FY2027, at("2026-11-30T09:00:00Z"))
    assert share == Fraction(61, 365)
    assert float(share) == pytest.approx(0.167123, abs=1e-6)


@pytest.mark.parametrize(
    ("period", "stamp", "days", "share"),
    [
        (fiscal_quarter_period(2027, 1), "2026-11-30T09:00:00Z", 61, Fraction(61, 92)),
        (fiscal_quarter_period(2027, 2), "2026-11-30T09:00:00Z", 0, Fraction(0)),
        (fiscal_quarter_period(2026, 4), "2026-11-30T09:00:00Z", 92, Fraction(1)),
        (month_period(2026, 11), "2026-11-30T09:00:00Z", 30, Fraction(1)),
        (month_period(2026, 11), "2026-11-10T09:00:00Z", 10, Fraction(1, 3)),
        (month_period(2024, 2), "2024-02-15T00:00:00Z", 15, Fraction(15, 29)),
        (day_period(date(2026, 11, 30)), "2026-11-30T09:00:00Z", 1, Fraction(1)),
        (rolling_period(at("2026-11-30T09:00:00Z"), 30), "2026-11-30T09:00:00Z", 30, 1),
    ],
    ids=lambda v: v.label if isinstance(v, Period) else None,
)
def test_elapsed_share_of_quarters_months_days_and_rolling_windows(
    period: Period, stamp: str, days: int, share: Fraction
) -> None:
    assert elapsed_days(period, at(stamp)) == days
    assert elapsed_share(period, at(stamp)) == share


def test_a_month_is_open_on_its_last_day_and_closed_at_midnight() -> None:
    november = month_period(2026, 11)
    assert is_open(november, at("2026-11-30T23:59:59Z"))
    assert period_state(november, at("2026-12-01T00:00:00Z")) is PeriodState.CLOSED


def test_a_rolling_window_ending_after_the_reference_time_is_refused() -> None:
    window = rolling_period(at("2026-12-01T00:00:00Z"), 30)
    with pytest.raises(ValueError, match=r"rolling_period\(reference, days\)"):
        elapsed_share(window, at("2026-11-30T09:00:00Z"))
    assert period_state(window, at("2026-12-01T00:00:00Z")) is PeriodState.CLOSED


def test_a_naive_reference_time_is_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        elapsed_share(FY2027, datetime(2026, 11, 30))


@pytest.mark.parametrize(
    ("period", "days", "fiscal_year", "share"),
    [
        (fiscal_year_period(2024), 366, 2024, Fraction(1)),
        (fiscal_year_period(2025), 365, 2025, Fraction(1)),
        (fiscal_quarter_period(2025, 1), 92, 2025, Fraction(92, 365)),
        (fiscal_quarter_period(2025, 2), 90, 2025, Fraction(90, 365)),
        (fiscal_quarter_period(2024, 2), 91, 2024, Fraction(91, 366)),
        (month_period(2024, 10), 31, 2025, Fraction(31, 365)),
        (day_period(date(2024, 2, 29)), 1, 2024, Fraction(1, 366)),
        (rolling_period(at("2024-09-30T12:00:00Z"), 365), 365, 2024, Fraction(365, 366)),
        (rolling_period(at("2024-10-01T00:00:00Z"), 30), 30, 2024, Fraction(30, 366)),
        (rolling_period(at("2024-10-01T00:00:01Z"), 30), 30, 2025, Fraction(30, 365)),
    ],
    ids=lambda v: v.label if isinstance(v, Period) else None,
)
def test_share_of_fiscal_year(period: Period, days: int, fiscal_year: int, share: Fraction) -> None:
    assert day_count(period) == days
    assert fiscal_year_containing(period) == fiscal_year
    assert share_of_fiscal_year(period) == share


def test_a_period_of_a_fractional_day_count_is_refused() -> None:
    odd = Period(PeriodKind.ROLLING, "odd", at("2026-11-01T00:00Z"), at("2026-11-01T12:00Z"))
    with pytest.raises(ValueError, match="'odd' is not a whole number of days"):
        day_count(odd)


@pytest.mark.parametrize("fiscal_year", [2023, 2024, 2027])
def test_quarters_and_months_fill_their_fiscal_year(fiscal_year: int) -> None:
    assert sum(share_of_fiscal_year(q) for q in quarters_of(fiscal_year)) == 1
    assert sum(share_of_fiscal_year(m) for m in months_of(fiscal_year)) == 1


# --- properties --------------------------------------------------------------------------

fiscal_years = st.integers(min_value=2001, max_value=2099)
references = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]),
)


@st.composite
def calendar_periods(draw: st.DrawFn) -> Period:
    year = draw(fiscal_years)
    kind = draw(st.sampled_from(["year", "quarter", "month", "day"]))
    if kind == "year":
        return fiscal_year_period(year)
    if kind == "quarter":
        return fiscal_quarter_period(year, draw(st.integers(1, 4)))
    month = draw(st.sampled_from(months_of(year)))
    if kind == "month":
        return month
    return day_period(month.start.date() + timedelta(days=draw(st.integers(0, 27))))


@PROPERTIES
@given(calendar_periods(), references, references)
def test_elapsed_share_is_monotone_and_within_0_and_1(
    period: Period, first: datetime, second: datetime
) -> None:
    earlier, later = sorted((first, second))
    assert 0 <= elapsed_share(period, earlier) <= elapsed_share(period, later) <= 1
    assert elapsed_days(period, later) <= day_count(period)


@PROPERTIES
@given(calendar_periods(), st.timedeltas(timedelta(0), timedelta(days=40_000)))
def test_a_closed_period_never_depends_on_the_reference_time(
    period: Period, after_end: timedelta
) -> None:
    reference = period.end + after_end
    assert period_state(period, reference) is PeriodState.CLOSED
    assert elapsed_share(period, reference) == 1
    assert elapsed_days(period, reference) == elapsed_days(period, period.end)


@PROPERTIES
@given(calendar_periods(), references)
def test_open_exactly_when_the_period_contains_the_reference(
    period: Period, reference: datetime
) -> None:
    assert is_open(period, reference) is period.contains(reference)
    if is_open(period, reference):
        assert 0 < elapsed_share(period, reference) <= 1
