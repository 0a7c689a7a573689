"""Open and closed periods, and how much of a period has elapsed (rev. 2 rules, docs/scoring.md section 13).

A period is **open** while the reference time (now, or a scorecard's ``asOf``) lies inside
it, **closed** from its end on, and — a decision the rules leave open — **not started**
before its start. The **elapsed share** of an open period is the number of whole UTC days
from its start through the reference day, inclusive, divided by its number of days: FY2027
on 2026-11-30 is 61/365. A closed period's share is 1; a period not yet started has share 0
(nothing is expected of it yet). Shares are exact ``Fraction`` values; ``float()`` them for
display.

Rolling windows ("last 30 days") end at the reference time by definition, so they are always
closed, complete windows of their N days (share 1). A rolling window that ends after the
reference time was built from another clock: asking about it is a ValueError.

Pure: the reference time is always an argument. The services adopt these functions in issue
#16's wiring step (see docs/scoring.md section 13).
"""

from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from shared.domain.fiscal import (
    Period,
    PeriodKind,
    fiscal_year_of,
    fiscal_year_period,
    to_utc,
)

ONE_DAY = timedelta(days=1)
_LAST_INSTANT = timedelta(microseconds=1)


class PeriodState(StrEnum):
    """Where a period stands relative to a reference time."""

    NOT_STARTED = "not_started"
    OPEN = "open"
    CLOSED = "closed"


def period_state(period: Period, reference: datetime) -> PeriodState:
    """NOT_STARTED before ``period.start``, OPEN inside ``[start, end)``, CLOSED from ``end``.

    Raises ValueError for a naive ``reference``, or for a rolling window ending after
    ``reference`` (rolling windows end at the reference time; build them from it).
    """
    utc = to_utc(reference)
    if period.kind is PeriodKind.ROLLING and utc < period.end:
        raise ValueError(
            f"rolling window {period.label!r} ends at {period.end.isoformat()}, after the "
            f"reference time {utc.isoformat()}; build it with rolling_period(reference, days)"
        )
    if utc < period.start:
        return PeriodState.NOT_STARTED
    return PeriodState.OPEN if utc < period.end else PeriodState.CLOSED


def is_open(period: Period, reference: datetime) -> bool:
    """True while ``reference`` lies inside ``period`` (see ``period_state``)."""
    return period_state(period, reference) is PeriodState.OPEN


def day_count(period: Period) -> int:
    """The period's length in days: 365 or 366 for a fiscal year, N for ``last N days``.

    Raises ValueError for a period whose length is not a whole number of days (no period
    built by ``shared.domain.fiscal`` has one).
    """
    days, rest = divmod(period.end - period.start, ONE_DAY)
    if rest:
        raise ValueError(f"period {period.label!r} is not a whole number of days long")
    return days


def elapsed_days(period: Period, reference: datetime) -> int:
    """Whole UTC days from the period's start through the reference day, inclusive.

    0 before the period starts, ``day_count(period)`` once it is closed; on the period's
    first day it is 1. Raises ValueError as ``period_state`` does.
    """
    state = period_state(period, reference)
    if state is PeriodState.NOT_STARTED:
        return 0
    if state is PeriodState.CLOSED:
        return day_count(period)
    return (to_utc(reference).date() - period.start.date()).days + 1


def elapsed_share(period: Period, reference: datetime) -> Fraction:
    """``elapsed_days ÷ day_count``, exactly: 0 before the start, 1 once closed.

    FY2027 on 2026-11-30 → 61/365. Never decreases as ``reference`` moves forward and always
    lies in [0, 1]. Raises ValueError as ``period_state`` does.
    """
    return Fraction(elapsed_days(period, reference), day_count(period))


def fiscal_year_containing(period: Period) -> int:
    """The fiscal year of the period's last instant: its own for a fiscal year, quarter,
    month or day; for a rolling window, the fiscal year in which it ends."""
    return fiscal_year_of(period.end - _LAST_INSTANT)


def share_of_fiscal_year(period: Period) -> Fraction:
    """Days in ``period`` ÷ days in its fiscal year (``fiscal_year_containing``), exactly.

    FY2025 Q2 (Jan-Mar 2025) → 90/365; a fiscal year → 1; ``last 365 days`` ending in the
    leap FY2024 → 365/366.
    """
    year = fiscal_year_period(fiscal_year_containing(period))
    return Fraction(day_count(period), day_count(year))
