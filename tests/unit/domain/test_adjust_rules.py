"""The Adjust loop's pure rules: RED at two quarter ends, long-degraded, overdue."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.catalog import load_catalog
from shared.domain.adjust_rules import (
    degraded_too_long,
    draft_due_date,
    latest_ended_quarters,
    measures_to_watch,
    overdue_message_id,
    owes_overdue_announcement,
    quarter_end_status,
    red_trigger,
    review_for_draft,
    year_to_date_target,
)
from shared.domain.catalog import Aggregation, Direction, Measure
from shared.domain.overrides import NO_OVERRIDES
from shared.domain.reviews import Review, ReviewState, review_id
from shared.domain.scoring import Status
from shared.domain.summaries import EMPTY, Summary, merge_all, observation

FRAMEWORK = load_catalog().framework()
ENGAGEMENT = FRAMEWORK.measure("customer-engagement")  # sum, higher, 40 a year
SATISFACTION = FRAMEWORK.measure("customer-satisfaction")  # mean, higher, 4.0
TORB = FRAMEWORK.measure("torb-timeliness")  # mean, lower, 30 days
AT = datetime(2025, 1, 15, tzinfo=UTC)  # in FY2025 Q2


def _quarter(*values: float, fiscal_year: int = 2025, number: int = 1) -> Summary:
    month = {1: 11, 2: 2, 3: 5, 4: 8}[number]
    year = fiscal_year - 1 if number == 1 else fiscal_year
    at = datetime(year, month, 1, tzinfo=UTC)
    return merge_all(observation(v, at + timedelta(hours=i), i) for i, v in enumerate(values))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 1, 15, tzinfo=UTC), ((2024, 4), (2025, 1))),  # across the fiscal year
        (datetime(2025, 4, 1, tzinfo=UTC), ((2025, 1), (2025, 2))),  # Q2 just ended
        (datetime(2025, 3, 31, 23, 59, tzinfo=UTC), ((2024, 4), (2025, 1))),
        (datetime(2024, 10, 1, tzinfo=UTC), ((2024, 3), (2024, 4))),
    ],
)
def test_latest_ended_quarters(now: datetime, expected: object) -> None:
    assert latest_ended_quarters(now) == expected


def test_a_sum_target_is_pro_rated_to_the_quarter_end() -> None:
    # FY2025: 365 days; Q1 ends after 92 days (Oct-Dec), Q2 after 182 (Jan-Mar 2025: 90).
    assert year_to_date_target(40.0, Aggregation.SUM, (2025, 1)) == pytest.approx(40 * 92 / 365)
    assert year_to_date_target(40.0, Aggregation.SUM, (2025, 2)) == pytest.approx(40 * 182 / 365)
    assert year_to_date_target(40.0, Aggregation.SUM, (2025, 4)) == 40.0
    assert year_to_date_target(4.0, Aggregation.MEAN, (2025, 1)) == 4.0
    assert year_to_date_target(15.0, Aggregation.LATEST, (2025, 3)) == 15.0


def test_a_sum_is_judged_year_to_date_against_the_pro_rated_target() -> None:
    # Expected by the Q2 end: 40 × 182/365 = 19.95. Q1 10 + Q2 5 = 15 → 75% → RED;
    # Q1 10 + Q2 8 = 18 → 90.2% → AMBER.
    red = quarter_end_status(ENGAGEMENT, 40.0, [_quarter(10), _quarter(5, number=2)], (2025, 2))
    assert (red.value, red.status) == (15.0, Status.RED)
    assert red.target == pytest.approx(19.945, abs=1e-3)
    amber = quarter_end_status(ENGAGEMENT, 40.0, [_quarter(10), _quarter(8, number=2)], (2025, 2))
    assert amber.status is Status.AMBER
    # The Q1 end sees only Q1: 10 against 40 × 92/365 = 10.08 → AMBER (99.2%).
    assert quarter_end_status(ENGAGEMENT, 40.0, [_quarter(10)], (2025, 1)).status is Status.AMBER


def test_a_mean_is_the_mean_of_every_observation_through_the_quarter_end() -> None:
    summaries = [_quarter(4.0, 4.0), _quarter(2.0, number=2), _quarter(5.0, 5.0, number=3)]
    at_q2 = quarter_end_status(SATISFACTION, 4.0, summaries, (2025, 2))
    assert at_q2.value == pytest.approx(10 / 3)  # Q3's fives are after the Q2 end
    assert at_q2.status is Status.RED  # 83% < 90%


def test_lower_is_better_measures() -> None:
    # TORB timeliness: 30 days target, lower is better; 36 days → 30/36 = 83% → RED.
    slow = quarter_end_status(TORB, 30.0, [_quarter(36.0)], (2025, 1))
    assert slow.status is Status.RED
    fast = quarter_end_status(TORB, 30.0, [_quarter(20.0)], (2025, 1))
    assert fast.status is Status.GREEN
    # A lower-is-better sum (made up): 12 incidents by the Q1 end against 40 × 92/365.
    incidents = Measure.model_validate({**ENGAGEMENT.model_dump(), "direction": Direction.LOWER})
    assert quarter_end_status(incidents, 40.0, [_quarter(12)], (2025, 1)).status is Status.RED
    assert quarter_end_status(incidents, 40.0, [_quarter(9)], (2025, 1)).status is Status.GREEN


def test_no_value_is_no_data_never_red() -> None:
    assert quarter_end_status(ENGAGEMENT, 40.0, [], (2025, 1)).status is Status.NO_DATA
    assert quarter_end_status(ENGAGEMENT, 40.0, [EMPTY, EMPTY], (2025, 2)).status is (
        Status.NO_DATA
    )


def test_red_at_two_quarter_ends_across_the_fiscal_year() -> None:
    years = {
        2024: [_quarter(10, fiscal_year=2024, number=n) for n in (1, 2, 3)]
        + [_quarter(1, fiscal_year=2024, number=4)],  # 31 of 40 by the FY2024 end: RED
        2025: [_quarter(3)],  # 3 of 10.08 by the FY2025 Q1 end: RED
    }
    trigger = red_trigger("cybersecurity", ENGAGEMENT, 40.0, years, AT)
    assert trigger is not None
    assert [s.quarter for s in trigger.statuses] == [(2024, 4), (2025, 1)]
    assert trigger.action_id == "auto:cybersecurity:customer-engagement:FY2025Q1"
    assert trigger.title == "Recover Customer Engagement: RED at FY2024 Q4 and FY2025 Q1 ends"
    assert "FY2024 Q4: year-to-date 31" in trigger.reason


def test_red_at_two_quarter_ends_within_a_year_and_not_when_one_is_not_red() -> None:
    now = datetime(2025, 4, 10, tzinfo=UTC)
    red = {2025: [_quarter(2), _quarter(2, number=2)]}
    trigger = red_trigger("cybersecurity", ENGAGEMENT, 40.0, red, now)
    assert trigger is not None
    assert trigger.title.endswith("RED at FY2025 Q1 and Q2 ends")
    recovered = {2025: [_quarter(2), _quarter(30, number=2)]}
    assert red_trigger("cybersecurity", ENGAGEMENT, 40.0, recovered, now) is None
    assert red_trigger("cybersecurity", ENGAGEMENT, 40.0, {}, now) is None
    # A per-QSMO target low enough turns the same data GREEN.
    assert red_trigger("cybersecurity", ENGAGEMENT, 4.0, red, now) is None


def test_measures_to_watch_are_the_active_ones() -> None:
    watched = {m.id for m in measures_to_watch(FRAMEWORK, NO_OVERRIDES, AT)}
    assert {"customer-engagement", "torb-timeliness", "return-on-investment"} <= watched
    assert "system-resiliency" not in watched  # its dimension is proposed
    early = {
        m.id for m in measures_to_watch(FRAMEWORK, NO_OVERRIDES, datetime(2022, 5, 1, tzinfo=UTC))
    }
    assert "customer-engagement" in early
    assert "solution-adoption" not in early  # phase 2


NOW = datetime(2025, 6, 1, tzinfo=UTC)
OLD = NOW - timedelta(days=31)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"raised_at": NOW - timedelta(days=30)}, False),  # exactly 30 days: not more
        ({"raised_at": NOW - timedelta(days=30, seconds=1)}, True),
        ({"severity": "warning"}, False),
        ({"state": "resolved"}, False),
        ({"rule": "measure_stale"}, False),
        ({"measure": None}, False),  # a dimension's or the overall status
    ],
)
def test_degraded_too_long(changes: dict[str, object], expected: bool) -> None:
    fields: dict[str, object] = {
        "rule": "status_degraded",
        "severity": "critical",
        "state": "raised",
        "measure": "customer-engagement",
        "raised_at": OLD,
        "now": NOW,
        **changes,
    }
    assert degraded_too_long(**fields) is expected  # type: ignore[arg-type]


def test_due_dates_and_overdue_announcements() -> None:
    assert draft_due_date(datetime(2025, 1, 15, 23, tzinfo=UTC)) == date(2025, 2, 14)
    assert overdue_message_id("auto:x", date(2025, 2, 14)) == "action-overdue:auto:x:2025-02-14"
    due = date(2025, 2, 14)
    owed = {"closed": False, "due_date": due, "announced": None, "today": date(2025, 2, 15)}
    assert owes_overdue_announcement(**owed) is True  # type: ignore[arg-type]
    assert owes_overdue_announcement(**{**owed, "today": due}) is False  # type: ignore[arg-type]
    assert owes_overdue_announcement(**{**owed, "closed": True}) is False  # type: ignore[arg-type]
    assert owes_overdue_announcement(**{**owed, "announced": due}) is False  # type: ignore[arg-type]
    moved = {**owed, "announced": date(2025, 1, 1)}  # announced for an earlier due date
    assert owes_overdue_announcement(**moved) is True  # type: ignore[arg-type]


@given(
    st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=4),
)
def test_a_quarter_end_ignores_later_quarters(values: list[float], number: int) -> None:
    summaries = [_quarter(*values, number=n) for n in range(1, 5)]
    through = quarter_end_status(ENGAGEMENT, 40.0, summaries, (2025, number))
    only = quarter_end_status(ENGAGEMENT, 40.0, summaries[:number], (2025, number))
    assert through == only
    assert through.value == pytest.approx(sum(values) * number)


def _review(qsmo: str | None, fiscal_year: int, quarter: int, state: ReviewState) -> Review:
    return Review(
        id=review_id(qsmo, fiscal_year, quarter),
        qsmo=qsmo,
        fiscal_year=fiscal_year,
        quarter=quarter,
        title="Review",
        meeting_date=date(2025, 5, 1),
        cut_off=NOW,
        state=state,
        created_at=NOW,
        created_by="t-admin",
        updated_at=NOW,
    )


def test_a_draft_is_attached_to_the_earliest_draft_review_from_its_quarter_on() -> None:
    reviews = [
        _review("cybersecurity", 2025, 1, ReviewState.DRAFT),  # before the trigger quarter
        _review("cybersecurity", 2025, 3, ReviewState.DRAFT),
        _review("cybersecurity", 2025, 2, ReviewState.DRAFT),
        _review("cybersecurity", 2024, 4, ReviewState.HELD),
        _review(None, 2025, 2, ReviewState.DRAFT),  # government-wide: not the QSMO's
        _review("grants-management", 2025, 2, ReviewState.DRAFT),
    ]
    assert review_for_draft(reviews, "cybersecurity", (2025, 2)) == "FY2025-Q2|cybersecurity"
    ready = [*reviews[1:2], _review("cybersecurity", 2025, 2, ReviewState.READY)]
    assert review_for_draft(ready, "cybersecurity", (2025, 2)) == "FY2025-Q3|cybersecurity"
    assert review_for_draft(reviews, "cybersecurity", (2025, 4)) is None
    assert review_for_draft(reviews, "human-resources", (2025, 2)) is None
