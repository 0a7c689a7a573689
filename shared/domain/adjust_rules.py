"""The Adjust loop's rules (FRAMEWORK.md's Adjust step): when the automation drafts an action.

Two triggers open a **draft improvement action** for a QSMO's measure:

1. the measure was RED at the ends of the two latest ended fiscal quarters (consecutive,
   also across fiscal years: FY2024 Q4 then FY2025 Q1), each judged **with the data known
   now**: the fiscal-year-to-date value through the quarter's end (the merge of the year's
   quarter summaries up to it) against the target expected by that day — for a ``sum``
   measure the annual target × the share of the fiscal year up to the quarter's end
   (``shared.domain.targets.period_target``), for ``mean`` and ``latest`` the annual target —
   with ``shared.domain.scoring``'s attainment and status bands;
2. a critical ``status_degraded`` notification on a measure still raised (not resolved) more
   than 30 days after it was raised.

Plus the overdue rule: a non-closed action past its due date is announced once per due date.
Pure: no I/O, no clock (``now`` is an argument); ids, titles and due dates are derived so a
replay of the same sweep drafts and announces nothing twice.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.domain.catalog import Aggregation, Framework, Measure
from shared.domain.fiscal import Period, PeriodKind, fiscal_quarter_of, fiscal_year_period, to_utc
from shared.domain.overrides import Overrides
from shared.domain.phases import active_phase, is_measure_active
from shared.domain.reviews import Review, ReviewState, previous_quarter, quarter_end
from shared.domain.scoring import Status, measure_status
from shared.domain.summaries import Summary, merge_all, value_of
from shared.domain.targets import period_attainment, period_target

DRAFT_DUE_DAYS = 30
"""A drafted action is due this many days after the sweep that drafted it."""
DEGRADED_FOR_DAYS = 30
"""A critical ``status_degraded`` raised longer ago than this (and not resolved) triggers."""

Quarter = tuple[int, int]
"""(fiscal year, quarter 1-4)"""


def latest_ended_quarters(now: datetime) -> tuple[Quarter, Quarter]:
    """The two latest fiscal quarters that have ended at ``now``, older first.

    2025-01-15 (in FY2025 Q2) → ((2024, 4), (2025, 1)): consecutive across the fiscal year.
    Raises ValueError for a naive ``now``.
    """
    latest = previous_quarter(*fiscal_quarter_of(to_utc(now)))
    return previous_quarter(*latest), latest


def quarter_label(quarter: Quarter) -> str:
    return f"FY{quarter[0]} Q{quarter[1]}"


@dataclass(frozen=True)
class QuarterEndStatus:
    """A measure at a quarter's end: its fiscal-year-to-date value, the target expected by
    that day, and the status (NO_DATA without a value)."""

    quarter: Quarter
    value: float | None
    target: float
    status: Status


def year_to_date_target(annual_target: float, aggregation: Aggregation, quarter: Quarter) -> float:
    """The target a fiscal-year-to-date value through ``quarter``'s end is judged against.

    ``sum``: annual × days from the fiscal year's start to the quarter's end ÷ days in the
    year (FY2025 Q2 → annual × 181/365; Q4 → the annual target). ``mean``/``latest``: annual.
    """
    fiscal_year, number = quarter
    year = fiscal_year_period(fiscal_year)
    end = quarter_end(fiscal_year, number)
    window = Period(PeriodKind.FISCAL_YEAR, f"{year.label} to Q{number}", year.start, end)
    return period_target(annual_target, aggregation, window, end)


def quarter_end_status(
    measure: Measure,
    annual_target: float,
    quarter_summaries: Sequence[Summary],
    quarter: Quarter,
) -> QuarterEndStatus:
    """``measure`` at ``quarter``'s end, judged with the data known now.

    ``quarter_summaries`` are the fiscal year's quarter summaries in order (Q1 first; fewer
    than four is fine); the value is ``value_of`` their merge through ``quarter`` — the sum,
    mean or latest of every observation from the year's start to the quarter's end. A target
    of 0 cannot arise (a quarter end is never before its year's start). Raises ValueError for
    a quarter outside 1-4 or an annual target that is not > 0.
    """
    number = quarter[1]
    if not 1 <= number <= 4:
        raise ValueError(f"quarter must be 1-4, got {number}")
    if not annual_target > 0:
        raise ValueError(f"annual target must be > 0, got {annual_target!r}")
    value = value_of(merge_all(quarter_summaries[:number]), measure.aggregation)
    target = year_to_date_target(annual_target, measure.aggregation, quarter)
    if value is None:
        return QuarterEndStatus(quarter, None, target, Status.NO_DATA)
    reached = period_attainment(value, target, measure.direction)
    return QuarterEndStatus(quarter, value, target, measure_status(reached, measure.amber_ratio))


@dataclass(frozen=True)
class RedTrigger:
    """A measure of a QSMO RED at two consecutive quarter ends (``statuses``, older first)."""

    qsmo: str
    measure: Measure
    statuses: tuple[QuarterEndStatus, QuarterEndStatus]

    @property
    def quarter(self) -> Quarter:
        """The later of the two quarters (the one the trigger is named after)."""
        return self.statuses[1].quarter

    @property
    def action_id(self) -> str:
        """``auto:<qsmo>:<measure>:FY<fy>Q<q>``: one draft per measure and trigger quarter."""
        fiscal_year, number = self.quarter
        return f"auto:{self.qsmo}:{self.measure.id}:FY{fiscal_year}Q{number}"

    @property
    def title(self) -> str:
        """ "Recover Incident response time: RED at FY2025 Q1 and Q2 ends" (both years named
        when the two quarters are in different fiscal years)."""
        return f"Recover {self.measure.name}: RED at {self._quarters()} ends"

    @property
    def reason(self) -> str:
        parts = [
            f"{quarter_label(s.quarter)}: year-to-date {s.value:g} against {s.target:g} expected"
            for s in self.statuses
            if s.value is not None
        ]
        return f"RED at two consecutive quarter ends ({'; '.join(parts)})"

    def _quarters(self) -> str:
        (first_year, first), (second_year, second) = (s.quarter for s in self.statuses)
        if first_year == second_year:
            return f"FY{first_year} Q{first} and Q{second}"
        return f"FY{first_year} Q{first} and FY{second_year} Q{second}"


def red_trigger(
    qsmo: str,
    measure: Measure,
    annual_target: float,
    summaries_by_year: Mapping[int, Sequence[Summary]],
    now: datetime,
) -> RedTrigger | None:
    """A ``RedTrigger`` when ``measure`` is RED at both of ``latest_ended_quarters(now)``.

    ``summaries_by_year`` maps fiscal year → its quarter summaries in order (a year missing:
    no data, so not RED). ``annual_target`` is the QSMO's target (per-QSMO override, else the
    global one, else the catalog default).
    """
    statuses = tuple(
        quarter_end_status(measure, annual_target, summaries_by_year.get(q[0], ()), q)
        for q in latest_ended_quarters(now)
    )
    if all(s.status is Status.RED for s in statuses):
        return RedTrigger(qsmo, measure, (statuses[0], statuses[1]))
    return None


def measures_to_watch(framework: Framework, overrides: Overrides, now: datetime) -> list[Measure]:
    """The measures active (counted in scores) in the fiscal year of the latest ended quarter."""
    fiscal_year = latest_ended_quarters(now)[1][0]
    phase = active_phase(fiscal_year, framework.phases)
    return [m for m in framework.measures if is_measure_active(framework, m.id, phase, overrides)]


def degraded_too_long(
    *,
    rule: str,
    severity: str,
    state: str,
    measure: str | None,
    raised_at: datetime,
    now: datetime,
) -> bool:
    """A critical ``status_degraded`` on a measure, still ``raised``, raised more than
    ``DEGRADED_FOR_DAYS`` days before ``now`` (dimension and overall ones have no measure to
    act on: False)."""
    return (
        rule == "status_degraded"
        and severity == "critical"
        and state == "raised"
        and measure is not None
        and to_utc(raised_at) < to_utc(now) - timedelta(days=DEGRADED_FOR_DAYS)
    )


def degraded_action_id(notification_id: str) -> str:
    """``auto:<notification id>``: one draft per long-degraded notification."""
    return f"auto:{notification_id}"


def degraded_title(measure_name: str, raised_at: datetime) -> str:
    """ "Recover Customer Engagement: critical since 2025-01-03" (the notification's UTC day)."""
    return f"Recover {measure_name}: critical since {to_utc(raised_at).date().isoformat()}"


def draft_due_date(now: datetime) -> date:
    """When a draft drafted at ``now`` is due: ``DRAFT_DUE_DAYS`` days later (UTC day)."""
    return to_utc(now).date() + timedelta(days=DRAFT_DUE_DAYS)


def review_for_draft(reviews: Iterable[Review], qsmo: str, quarter: Quarter) -> str | None:
    """The review a draft triggered at ``quarter`` is attached to: the earliest DRAFT review
    of ``qsmo`` for that quarter or a later one (RED at the Q1 and Q2 ends: the Q2 review,
    still to be held, discusses it; once that one is READY, the Q3 review). None when there
    is none yet: the next review picks the action up by its ``created_at``."""
    candidates = [
        r
        for r in reviews
        if r.qsmo == qsmo and r.state is ReviewState.DRAFT and (r.fiscal_year, r.quarter) >= quarter
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (r.fiscal_year, r.quarter)).id


def overdue_message_id(action_id: str, due_date: date) -> str:
    """``action-overdue:<action id>:<due date>``: the notifications service dedups on it."""
    return f"action-overdue:{action_id}:{due_date.isoformat()}"


def owes_overdue_announcement(
    *, closed: bool, due_date: date, announced: date | None, today: date
) -> bool:
    """True for an action not closed, past its due date, not yet announced for that date
    (a new due date after an announcement is announced again when it passes)."""
    return not closed and due_date < today and announced != due_date
