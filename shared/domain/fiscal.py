"""The US federal fiscal calendar and reporting periods, in UTC.

Fiscal year N runs from 1 October N-1 00:00 UTC up to (not including) 1 October N 00:00 UTC;
Q1 = Oct-Dec, Q2 = Jan-Mar, Q3 = Apr-Jun, Q4 = Jul-Sep. Every period is half-open
``[start, end)``. Timestamps must carry an offset: a naive ``datetime`` is refused rather than
guessed, and aware ones are converted to UTC before any calendar arithmetic.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


class PeriodKind(StrEnum):
    """What kind of window a ``Period`` is."""

    FISCAL_YEAR = "fiscal_year"
    FISCAL_QUARTER = "fiscal_quarter"
    MONTH = "month"
    DAY = "day"
    ROLLING = "rolling"


@dataclass(frozen=True)
class Period:
    """A labelled half-open window ``[start, end)`` of UTC time.

    Labels read like ``FY2024``, ``FY2024 Q2``, ``2024-03``, ``2024-03-05``, ``last 30 days``.
    """

    kind: PeriodKind
    label: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", to_utc(self.start))
        object.__setattr__(self, "end", to_utc(self.end))
        if self.end <= self.start:
            raise ValueError(f"period {self.label!r} must end after it starts")

    def contains(self, ts: datetime) -> bool:
        """True when ``start <= ts < end``; raises ValueError for a naive ``ts``."""
        return self.start <= to_utc(ts) < self.end


def to_utc(ts: datetime) -> datetime:
    """``ts`` converted to UTC; raises ValueError if it has no UTC offset (naive)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"timestamp {ts.isoformat()} has no UTC offset; give one, e.g. 'Z'")
    return ts.astimezone(UTC)


def fiscal_year_of(ts: datetime) -> int:
    """The fiscal year containing ``ts`` (1 Oct 2023 00:00 UTC → 2024).

    ``ts`` is converted to UTC first, so 2023-09-30T21:00-04:00 (= 1 Oct 01:00 UTC) is FY2024.
    Raises ValueError for a naive datetime.
    """
    utc = to_utc(ts)
    return utc.year + 1 if utc.month >= 10 else utc.year


def fiscal_quarter_of(ts: datetime) -> tuple[int, int]:
    """``(fiscal_year, quarter)`` containing ``ts``, quarter 1..4; ValueError if naive."""
    utc = to_utc(ts)
    return fiscal_year_of(utc), (utc.month + 2) % 12 // 3 + 1


def day_of(ts: datetime) -> date:
    """The UTC calendar day of ``ts``; raises ValueError for a naive datetime."""
    return to_utc(ts).date()


def _midnight(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _first_of_next_month(year: int, month: int) -> datetime:
    return _midnight(year + 1, 1) if month == 12 else _midnight(year, month + 1)


def fiscal_year_period(fiscal_year: int) -> Period:
    """FY ``fiscal_year``: [1 Oct fiscal_year-1, 1 Oct fiscal_year) UTC, label ``FY2024``."""
    return Period(
        PeriodKind.FISCAL_YEAR,
        f"FY{fiscal_year}",
        _midnight(fiscal_year - 1, 10),
        _midnight(fiscal_year, 10),
    )


def fiscal_quarter_period(fiscal_year: int, quarter: int) -> Period:
    """Quarter 1..4 of a fiscal year (Q1 = Oct-Dec of the previous calendar year).

    Label ``FY2024 Q2``; raises ValueError for a quarter outside 1..4.
    """
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1..4, got {quarter}")
    first_month = (quarter * 3 + 6) % 12 + 1  # Q1 → 10, Q2 → 1, Q3 → 4, Q4 → 7
    year = fiscal_year - 1 if quarter == 1 else fiscal_year
    start = _midnight(year, first_month)
    end = _midnight(fiscal_year, 1) if quarter == 1 else _midnight(year, first_month + 3)
    return Period(PeriodKind.FISCAL_QUARTER, f"FY{fiscal_year} Q{quarter}", start, end)


def month_period(year: int, month: int) -> Period:
    """Calendar month ``year-month`` in UTC, label ``2024-03``; ValueError for a bad month."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return Period(
        PeriodKind.MONTH,
        f"{year:04d}-{month:02d}",
        _midnight(year, month),
        _first_of_next_month(year, month),
    )


def day_period(day: date) -> Period:
    """The UTC day ``day`` as a period, label ``2024-03-05``."""
    start = _midnight(day.year, day.month, day.day)
    return Period(PeriodKind.DAY, day.isoformat(), start, start + timedelta(days=1))


def rolling_period(end: datetime, days: int) -> Period:
    """The ``days`` days up to ``end`` (usually query time): [end - days, end), ``last N days``.

    Raises ValueError if ``days`` < 1 or ``end`` is naive.
    """
    if days < 1:
        raise ValueError(f"a rolling window needs at least 1 day, got {days}")
    utc_end = to_utc(end)
    return Period(PeriodKind.ROLLING, f"last {days} days", utc_end - timedelta(days=days), utc_end)


def days_in(period: Period) -> tuple[date, ...]:
    """Every UTC day that overlaps ``period``, in order.

    A period ending exactly at midnight excludes that day (half-open), so FY2024 yields 366
    dates and a month its calendar days; a rolling window that ends mid-day includes the
    partly covered first and last days.
    """
    first = period.start.date()
    last = (period.end - timedelta(microseconds=1)).date()
    return tuple(first + timedelta(days=n) for n in range((last - first).days + 1))


def quarters_of(fiscal_year: int) -> tuple[Period, ...]:
    """The four quarter periods of a fiscal year, Q1 first."""
    return tuple(fiscal_quarter_period(fiscal_year, q) for q in (1, 2, 3, 4))


def months_of(fiscal_year: int) -> tuple[Period, ...]:
    """The twelve month periods of a fiscal year, October of the previous year first."""
    return tuple(
        month_period(fiscal_year - 1 if m >= 10 else fiscal_year, m)
        for m in (10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)
    )


def calendar_periods_of(ts: datetime) -> tuple[Period, ...]:
    """The fiscal year, fiscal quarter, month and day periods containing ``ts`` (in UTC)."""
    utc = to_utc(ts)
    fiscal_year, quarter = fiscal_quarter_of(utc)
    return (
        fiscal_year_period(fiscal_year),
        fiscal_quarter_period(fiscal_year, quarter),
        month_period(utc.year, utc.month),
        day_period(utc.date()),
    )
