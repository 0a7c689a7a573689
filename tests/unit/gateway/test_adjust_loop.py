"""The Adjust loop on in-memory fakes: drafts once, announces overdue once, retries."""

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from gateway_unit_support import Harness, error_codes, make_view
from prometheus_client import CollectorRegistry

from gateway.analysis import ActionStatus, ImprovementAction
from gateway.metrics import GatewayMetrics
from gateway.reviews.activity_log import AUTOMATION_ACTOR, InMemoryActivityLog
from gateway.reviews.adjust_loop import AdjustLoop, next_draft_review
from gateway.reviews.publisher import InMemoryReviewPublisher
from services.notifications.models import Notification
from shared.domain.reviews import Review, ReviewState, review_id
from shared.events import ImprovementActionOverdue

QSMO = "cybersecurity"
MEASURE = "customer-engagement"  # sum, higher is better, 40 a year
NOW = datetime(2025, 4, 15, 12, tzinfo=UTC)  # FY2025 Q3: Q1 and Q2 have ended
DRAFT_ID = f"auto:{QSMO}:{MEASURE}:FY2025Q2"


class Loop:
    def __init__(self, harness: Harness, interval_s: float = 60) -> None:
        self.harness = harness
        self.activity = InMemoryActivityLog()
        self.publisher = InMemoryReviewPublisher()
        self.registry = CollectorRegistry()
        self.reviews: list[Review] = [_draft_review(2025, 2), _draft_review(2025, 3)]
        self.asked: list[str] = []

        async def drafts(qsmo: str) -> list[Review]:
            self.asked.append(qsmo)
            return self.reviews

        runtime = harness.runtime
        self.loop = AdjustLoop(
            values=runtime.values,
            framework=runtime.framework,
            analysis=harness.analysis,
            notifications=runtime.notifications,
            activity=self.activity,
            publisher=self.publisher,
            clock=lambda: NOW,
            interval_s=interval_s,
            metrics=GatewayMetrics(self.registry),
            next_review=next_draft_review(drafts),
        )

    def entries(self, action: str) -> list[str]:
        return sorted(e.id for e in self.activity.entries.values() if e.action == action)


@pytest.fixture
def adjust(harness: Harness) -> Loop:
    return Loop(harness)


def _red_for_two_quarters(harness: Harness) -> None:
    # 2 by the Q1 end (10.1 expected) and 4 by the Q2 end (19.9 expected): RED twice.
    for at in ("2024-11-05", "2025-02-05"):
        harness.values.events.append((QSMO, MEASURE, 2.0, datetime.fromisoformat(at + "T00Z")))


async def test_a_measure_red_at_two_quarter_ends_gets_one_draft(adjust: Loop) -> None:
    _red_for_two_quarters(adjust.harness)
    first = await adjust.loop.sweep(NOW)
    assert first.drafted == (DRAFT_ID,)
    action = adjust.harness.analysis.actions[DRAFT_ID]
    assert action.status is ActionStatus.DRAFT
    assert action.owner == "QSMO customer engagement lead"  # the measure profile's owner_role
    assert action.title == "Recover Customer Engagement: RED at FY2025 Q1 and Q2 ends"
    assert (action.origin, action.created_by) == ("adjust-loop", AUTOMATION_ACTOR)
    assert action.due_date == date(2025, 5, 15)
    assert action.review_id == f"FY2025-Q2|{QSMO}"
    assert adjust.asked == [QSMO]
    assert "FY2025 Q2: year-to-date 4" in (action.origin_reason or "")
    assert adjust.entries("action.drafted") == [f"action.drafted:{DRAFT_ID}"]

    second = await adjust.loop.sweep(NOW + timedelta(minutes=1))
    assert second.drafted == ()
    assert list(adjust.harness.analysis.actions) == [DRAFT_ID]
    assert adjust.entries("action.drafted") == [f"action.drafted:{DRAFT_ID}"]
    drafted = adjust.registry.get_sample_value(
        "qsmo_gateway_adjust_actions_drafted_total", {"kind": "red_quarters"}
    )
    assert drafted == 1


async def test_no_draft_when_not_red_twice_or_the_measure_has_an_action(adjust: Loop) -> None:
    harness = adjust.harness
    harness.values.events.append((QSMO, MEASURE, 2.0, datetime(2024, 11, 5, tzinfo=UTC)))
    harness.values.events.append((QSMO, MEASURE, 30.0, datetime(2025, 2, 5, tzinfo=UTC)))
    assert (await adjust.loop.sweep(NOW)).drafted == ()  # RED at Q1, GREEN by the Q2 end

    harness.values.events.clear()
    _red_for_two_quarters(harness)
    harness.analysis.actions["act_person"] = _person_action(ActionStatus.IN_PROGRESS)
    assert (await adjust.loop.sweep(NOW)).drafted == ()
    assert set(harness.analysis.actions) == {"act_person"}


async def test_a_cancelled_draft_is_not_drafted_again_for_the_same_quarters(adjust: Loop) -> None:
    _red_for_two_quarters(adjust.harness)
    await adjust.loop.sweep(NOW)
    store = adjust.harness.analysis
    draft = store.actions[DRAFT_ID]
    cancelled = draft.with_status(ActionStatus.CANCELLED, NOW, "t-admin", "known cause")
    assert await store.replace_action(cancelled, draft.revision)
    assert (await adjust.loop.sweep(NOW + timedelta(hours=1))).drafted == ()
    assert store.actions[DRAFT_ID].status is ActionStatus.CANCELLED


async def test_an_overdue_action_is_announced_once_per_due_date(adjust: Loop) -> None:
    _red_for_two_quarters(adjust.harness)
    await adjust.loop.sweep(NOW)
    assert adjust.publisher.messages == []  # due in 30 days
    later = NOW + timedelta(days=31)
    first = await adjust.loop.sweep(later)
    second = await adjust.loop.sweep(later + timedelta(hours=1))
    assert (first.announced, second.announced) == ((DRAFT_ID,), ())
    [message] = adjust.publisher.messages
    assert isinstance(message, ImprovementActionOverdue)
    assert message.message_id == f"action-overdue:{DRAFT_ID}:2025-05-15"
    assert (message.owner, message.status, message.detected_at) == (
        "QSMO customer engagement lead",
        "DRAFT",
        later,
    )
    assert adjust.entries("action.overdue") == [f"action.overdue:{DRAFT_ID}:2025-05-15"]
    assert adjust.harness.analysis.actions[DRAFT_ID].overdue_announced == date(2025, 5, 15)


async def test_a_failed_announcement_is_retried_by_the_next_sweep(adjust: Loop) -> None:
    adjust.harness.analysis.actions["act_person"] = _person_action(ActionStatus.OPEN)
    adjust.publisher.available = False
    failed = await adjust.loop.sweep(NOW)
    assert (failed.announced, failed.failed) == ((), ("act_person",))
    assert adjust.entries("action.overdue") == []
    adjust.publisher.available = True
    retried = await adjust.loop.sweep(NOW + timedelta(minutes=1))
    assert retried.announced == ("act_person",)
    assert len(adjust.publisher.messages) == 1


async def test_a_critical_degradation_open_for_over_30_days_gets_a_draft(adjust: Loop) -> None:
    notifications = adjust.harness.notifications.notifications
    notifications.append(_degraded("ntf_old", NOW - timedelta(days=31)))
    notifications.append(
        _degraded("ntf_recent", NOW - timedelta(days=29), qsmo="grants-management")
    )
    notifications.append(
        _degraded(
            "ntf_resolved", NOW - timedelta(days=60), qsmo="human-resources", state="resolved"
        )
    )
    outcome = await adjust.loop.sweep(NOW)
    assert outcome.drafted == ("auto:ntf_old",)
    action = adjust.harness.analysis.actions["auto:ntf_old"]
    assert action.title == "Recover Customer Engagement: critical since 2025-03-15"
    assert action.status is ActionStatus.DRAFT
    assert (await adjust.loop.sweep(NOW)).drafted == ()


async def test_the_degraded_notification_is_found_past_the_first_page(adjust: Loop) -> None:
    notifications = adjust.harness.notifications.notifications
    notifications.append(_degraded("ntf_oldest", NOW - timedelta(days=400)))
    for index in range(150):  # newer, already-cleared notifications fill the first pages
        raised = NOW - timedelta(days=40, minutes=index)
        notifications.append(_degraded(f"ntf_{index}", raised, state="resolved"))
    assert (await adjust.loop.sweep(NOW)).drafted == ("auto:ntf_oldest",)


async def test_people_confirm_a_draft_but_never_move_an_action_back_to_draft(
    adjust: Loop,
) -> None:
    _red_for_two_quarters(adjust.harness)
    await adjust.loop.sweep(NOW)
    harness = adjust.harness
    harness.scorecards.versions.append(make_view(harness.runtime.catalog, 2025, QSMO, {}))
    card = f'{{ scorecard(fiscalYear: 2025, qsmo: "{QSMO}") {{ measure(id: "{MEASURE}") '
    card += "{ openImprovementActions { id } } } }"
    shown = await harness.data(card)  # a draft waits for a person before it shows as open
    assert shown["scorecard"]["measure"]["openImprovementActions"] == []
    query = "mutation($s: ImprovementActionStatus!) { updateImprovementAction("
    query += f'id: "{DRAFT_ID}", status: $s) {{ status origin originReason reviewId }} }}'
    confirmed = await harness.data(query, {"s": "OPEN"}, who="pub:cybersecurity")
    assert confirmed["updateImprovementAction"]["status"] == "OPEN"
    assert confirmed["updateImprovementAction"]["origin"] == "ADJUST_LOOP"
    back = await harness.run(query, {"s": "DRAFT"}, who="pub:cybersecurity")
    shown = await harness.data(card)
    assert shown["scorecard"]["measure"]["openImprovementActions"] == [{"id": DRAFT_ID}]
    assert error_codes(back) == ["BAD_USER_INPUT"]
    assert "back to DRAFT" in back.errors[0].message  # type: ignore[index]
    listed = await harness.data(
        '{ improvementActions(qsmo: "cybersecurity", status: OPEN) { nodes { id origin } } }'
    )
    assert listed["improvementActions"]["nodes"] == [{"id": DRAFT_ID, "origin": "ADJUST_LOOP"}]


def _person_action(status: ActionStatus) -> ImprovementAction:
    at = datetime(2025, 1, 2, tzinfo=UTC)
    return ImprovementAction(
        id="act_person",
        qsmo=QSMO,
        measure=MEASURE,
        title="More briefings",
        owner="Outreach",
        due_date=date(2025, 3, 31),
        status=status,
        created_at=at,
        created_by="t-admin",
        updated_at=at,
    )


def _degraded(
    notification_id: str, raised_at: datetime, qsmo: str = QSMO, state: str = "raised"
) -> Notification:
    return Notification(
        id=notification_id,
        rule="status_degraded",
        severity="critical",
        state=state,
        qsmo=qsmo,
        measure=MEASURE,
        level="measure",
        message="Customer Engagement turned RED",
        raised_at=raised_at,
    )


def _draft_review(fiscal_year: int, quarter: int) -> Review:
    return Review(
        id=review_id(QSMO, fiscal_year, quarter),
        qsmo=QSMO,
        fiscal_year=fiscal_year,
        quarter=quarter,
        title="Review",
        meeting_date=date(2025, 7, 1),
        cut_off=NOW,
        state=ReviewState.DRAFT,
        created_at=NOW,
        created_by="t-admin",
        updated_at=NOW,
    )


async def test_the_background_task_keeps_sweeping_through_failures_and_stops(
    harness: Harness,
) -> None:
    adjust = Loop(harness, interval_s=0.01)
    store = adjust.harness.analysis
    healthy = store.unclosed_actions
    calls = 0

    async def flaky() -> list[ImprovementAction]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("store away")
        return await healthy()

    store.unclosed_actions = flaky  # type: ignore[method-assign]
    adjust.loop.start()
    try:
        deadline = asyncio.get_running_loop().time() + 5
        while adjust.registry.get_sample_value(
            "qsmo_gateway_adjust_sweeps_total", {"outcome": "ok"}
        ) in (None, 0.0):
            assert asyncio.get_running_loop().time() < deadline, "no sweep succeeded"
            await asyncio.sleep(0.01)
    finally:
        await adjust.loop.stop()
    failed = adjust.registry.get_sample_value(
        "qsmo_gateway_adjust_sweeps_total", {"outcome": "failed"}
    )
    assert failed == 1
