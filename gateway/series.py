"""The targets and statuses of a measure series' points (rev. 2, docs/scoring.md section 13).

A point of a monthly or quarterly series is judged against its own period's target
(``shared.domain.targets.period_target``): for a ``sum`` measure the annual target × the
period's share of the fiscal year × its elapsed share at the reference time, so a closed
month of a GREEN year is judged against its month's share, the open month against what was
expected by the reference day, and a month not yet started against 0. ``mean`` and
``latest`` points keep the annual target.

A year-to-date (cumulative) point runs from the fiscal year's start through the end of its
point's period; its target is the *expected-to-date* line: the annual target × the share of
the year up to that end — up to the reference day for the open period, and the plan at the
period's end for one that has not started (so the line reaches the annual target at the
year's end). Only ``sum`` measures have running totals.

No I/O and no clock: the reference time and the framework state are arguments.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from services.measures.read_model import ValueReading, year_to_date
from shared.domain import framework_changes
from shared.domain.catalog import Aggregation, Measure, Qsmo
from shared.domain.fiscal import Period, PeriodKind, fiscal_year_of, fiscal_year_period
from shared.domain.framework_changes import FrameworkState
from shared.domain.open_periods import PeriodState, period_state
from shared.domain.scoring import Status, measure_status
from shared.domain.summaries import EMPTY
from shared.domain.targets import annual_target, period_attainment, period_target


@dataclass(frozen=True)
class Judged:
    """A point's target, and its value's attainment and status against it."""

    target: float
    attainment: float | None
    status: Status


def qsmo_added_times(
    catalog_qsmos: Sequence[Qsmo], state: FrameworkState
) -> dict[str, datetime | None]:
    """QSMO id → when an admin added it (None for a catalog QSMO), as ``annual_target`` wants."""
    return framework_changes.qsmo_added_times((q.id for q in catalog_qsmos), state)


def series_annual_target(
    measure: Measure,
    qsmo: str | None,
    state: FrameworkState,
    catalog_qsmos: Sequence[Qsmo],
    fiscal_year: int,
) -> float:
    """The annual target a series' points are pro-rated from.

    A QSMO: its per-QSMO target, else the global override, else the default. Government-wide
    ``sum``: the sum of that over the QSMOs taking part in ``fiscal_year``; government-wide
    ``mean``/``latest``: the global override, else the default.
    """
    qsmos = qsmo_added_times(catalog_qsmos, state)
    return annual_target(measure, qsmo, state.overrides, qsmos, fiscal_year)


def judge(value: float | None, target: float, measure: Measure) -> Judged:
    """``value`` against ``target`` (0 allowed: nothing expected yet); NO_DATA without a value."""
    if value is None:
        return Judged(target, None, Status.NO_DATA)
    reached = period_attainment(value, target, measure.direction)
    return Judged(target, reached, measure_status(reached, measure.amber_ratio))


def point_target(
    annual: float, aggregation: Aggregation, period: Period, reference: datetime
) -> float:
    """The target of one period's point: ``period_target`` at ``reference``."""
    return period_target(annual, aggregation, period, reference)


def year_to_date_points(
    readings: Sequence[ValueReading], aggregation: Aggregation, reference: datetime
) -> list[ValueReading]:
    """Running totals of a fiscal year's points; those not started at ``reference`` are empty
    (no running total exists yet for a period still ahead)."""
    return [
        r if period_state(r.period, reference) is not PeriodState.NOT_STARTED else _empty(r)
        for r in year_to_date(readings, aggregation)
    ]


def _empty(reading: ValueReading) -> ValueReading:
    return replace(
        reading,
        value=None,
        summary=EMPTY,
        restated_count=0,
        last_ingested_at=None,
        qsmos_reporting=0,
        per_qsmo={},
    )


def year_to_date_target(annual: float, period: Period, reference: datetime) -> float:
    """The expected-to-date target of a running total through the end of ``period``.

    The window is [fiscal year start, ``period.end``): closed → its share of the year; open
    (``reference`` inside ``period``) → the share up to the reference day; ``period`` not
    started → the plan at its end. Raises ValueError for a period that is not a month or a
    fiscal quarter.
    """
    if period.kind not in (PeriodKind.MONTH, PeriodKind.FISCAL_QUARTER):
        raise ValueError(f"a year-to-date point ends with a month or a quarter, not {period.kind}")
    # Months and quarters lie inside one fiscal year: the one of their start.
    year = fiscal_year_period(fiscal_year_of(period.start))
    window = Period(
        PeriodKind.FISCAL_YEAR, f"{year.label} to {period.label}", year.start, period.end
    )
    at = period.end if period_state(period, reference) is PeriodState.NOT_STARTED else reference
    return period_target(annual, Aggregation.SUM, window, at)
