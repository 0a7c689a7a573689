"""Period targets, projections and government-wide comparisons (rev. 2 rules, docs/scoring.md section 13).

Targets are **annual**. For a ``sum`` measure the target of a period is

    annual target × (days in the period ÷ days in its fiscal year) × the period's elapsed share

so a quarter of a closed year gets its share of the year, and an open year, quarter or month
is judged on track against the target expected by the reference day. ``mean`` and ``latest``
targets apply unchanged to every period. The government-wide annual target of a ``sum``
measure is the sum of the participating QSMOs' own targets; ``mean`` and ``latest`` keep the
target every QSMO has (the global override, else the catalog default), as before.

The existing ``scoring.score`` still judges every period against the annual target: the
services adopt these functions in issue #16's wiring step (docs/scoring.md section 13).
Pure: the reference time is always an argument; nothing here rounds.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from shared.domain.catalog import Aggregation, Direction, Measure
from shared.domain.fiscal import Period, fiscal_year_period, to_utc
from shared.domain.open_periods import (
    PeriodState,
    elapsed_share,
    fiscal_year_containing,
    period_state,
    share_of_fiscal_year,
)
from shared.domain.overrides import Overrides
from shared.domain.scoring import Status, attainment


def target_factor(aggregation: Aggregation, period: Period, reference: datetime) -> Fraction:
    """What share of the annual target a period is judged against, exactly.

    ``sum``: days in the period ÷ days in its fiscal year × its elapsed share (FY2027 on
    2026-11-30 → 61/365; FY2025 Q2, closed → 90/365; a period not started → 0). ``mean`` and
    ``latest``: 1. Raises ValueError as ``open_periods.period_state`` does.
    """
    if aggregation is not Aggregation.SUM:
        return Fraction(1)
    return share_of_fiscal_year(period) * elapsed_share(period, reference)


def period_target(
    annual_target: float, aggregation: Aggregation, period: Period, reference: datetime
) -> float:
    """The target ``period`` is judged against at ``reference``: ``annual × target_factor``.

    A closed fiscal year gets ``annual_target`` exactly (the old rule); a ``sum`` measure's
    period that has not started gets 0 (see ``period_attainment``).
    """
    return annual_target * float(target_factor(aggregation, period, reference))


def period_attainment(value: float, target: float, direction: Direction) -> float:
    """``scoring.attainment`` against a period target, where a target of 0 is allowed.

    A target of 0 only arises for a ``sum`` measure in a period that has not started:
    nothing was expected yet, so nothing is missed and the attainment is 1. Raises ValueError
    as ``scoring.attainment`` does for a negative or non-finite target or value.
    """
    if target == 0 and math.isfinite(value):
        return 1.0
    return attainment(value, target, direction)


def projected_value(
    value: float | None, aggregation: Aggregation, period: Period, reference: datetime
) -> float | None:
    """The period's value if it goes on at the same pace: ``value ÷ elapsed share``.

    Only for a ``sum`` measure in an open period with a value; None otherwise (a closed
    period's value is final, a mean or latest does not grow with time).
    """
    if value is None or aggregation is not Aggregation.SUM:
        return None
    if period_state(period, reference) is not PeriodState.OPEN:
        return None
    return value / elapsed_share(period, reference)


def participating_qsmos(qsmos: Mapping[str, datetime | None], fiscal_year: int) -> list[str]:
    """The QSMOs that take part in ``fiscal_year``, in the mapping's order.

    ``qsmos`` maps QSMO id → when an admin added it, or None for a catalog QSMO. A catalog
    QSMO always takes part; an added one if it was added before the fiscal year ended.
    Raises ValueError for a naive ``added`` time.
    """
    end = fiscal_year_period(fiscal_year).end
    return [qsmo for qsmo, added in qsmos.items() if added is None or to_utc(added) < end]


def annual_target(
    measure: Measure,
    qsmo: str | None,
    overrides: Overrides,
    qsmos: Mapping[str, datetime | None],
    fiscal_year: int,
) -> float:
    """A measure's annual target for one QSMO, or government-wide (``qsmo`` None).

    A QSMO: its per-QSMO target, else the global override, else the default. Government-wide
    ``sum``: Σ of that over the QSMOs participating in ``fiscal_year`` (``qsmos`` as in
    ``participating_qsmos``); government-wide ``mean``/``latest``: the global override, else
    the default. Raises ValueError when no QSMO participates in ``fiscal_year``.
    """
    if qsmo is not None or measure.aggregation is not Aggregation.SUM:
        return overrides.target_for(measure, qsmo)
    participants = participating_qsmos(qsmos, fiscal_year)
    if not participants:
        raise ValueError(
            f"no QSMO takes part in FY{fiscal_year}: the government-wide target of "
            f"{measure.id!r} needs at least one catalog QSMO or one added before the year ended"
        )
    return math.fsum(overrides.target_for(measure, q) for q in participants)


def target_for_period(
    measure: Measure,
    qsmo: str | None,
    overrides: Overrides,
    qsmos: Mapping[str, datetime | None],
    period: Period,
    reference: datetime,
) -> float:
    """``annual_target`` for the period's fiscal year, pro-rated by ``period_target``."""
    annual = annual_target(measure, qsmo, overrides, qsmos, fiscal_year_containing(period))
    return period_target(annual, measure.aggregation, period, reference)


@dataclass(frozen=True)
class QsmoStatusCounts:
    """How many QSMOs are GREEN, AMBER, RED and NO_DATA on one government-wide measure."""

    green: int = 0
    amber: int = 0
    red: int = 0
    no_data: int = 0


def qsmo_status_counts(statuses: Iterable[Status]) -> QsmoStatusCounts:
    """Count the per-QSMO statuses of one measure (pass one status per participating QSMO;
    a participant without a scorecard counts as ``Status.NO_DATA``)."""
    counted = list(statuses)
    return QsmoStatusCounts(
        green=counted.count(Status.GREEN),
        amber=counted.count(Status.AMBER),
        red=counted.count(Status.RED),
        no_data=counted.count(Status.NO_DATA),
    )


def change_from_last_year(value: float | None, last_year_value: float | None) -> float | None:
    """``value − last_year_value``; None when either is missing."""
    if value is None or last_year_value is None:
        return None
    return value - last_year_value
