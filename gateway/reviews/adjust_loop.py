"""The Adjust loop: the automation that moves a red measure toward an improvement action.

Every ``interval_s`` (``QSMO_GATEWAY_ADJUST_INTERVAL_S``) a sweep

1. drafts an improvement action (status ``DRAFT``, owner = the measure profile's
   ``owner_role``, due 30 days later) for each QSMO measure RED at the two latest quarter
   ends, or with a critical ``status_degraded`` raised more than 30 days ago and still open
   (``shared.domain.adjust_rules``) — unless the measure already has a non-closed action;
2. publishes ``ImprovementActionOverdue`` for each non-closed action past its due date, once
   per (action, due date).

Each step is idempotent under replays, restarts and a second gateway: a draft's id is derived
from its trigger and inserted only if absent; the activity log's ids are derived too
(``action.drafted:<id>``, ``action.overdue:<id>:<due>``); the announced due date is kept on
the action *after* the publish, so a failed publish is retried by the next sweep and a
re-publish carries the same ``message_id`` the notifications service dedups on.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from gateway.analysis import ActionStatus, ImprovementAction, StatusChange
from gateway.metrics import GatewayMetrics
from gateway.ports import Clock, MeasureValues, NotificationReads
from gateway.reviews.activity_log import AUTOMATION_ACTOR, ActivityEntry, ActivityLog
from gateway.reviews.publisher import ReviewMessageOut
from services.notifications.read_model import Notification
from shared.domain import adjust_rules as rules
from shared.domain.catalog import Framework, Measure, Qsmo
from shared.domain.fiscal import PeriodKind
from shared.domain.overrides import Overrides
from shared.domain.reviews import Review
from shared.domain.summaries import Summary
from shared.events import ImprovementActionOverdue
from shared.pagination import MAX_PAGE_SIZE, Position
from shared.tasks import cancel_and_wait, raise_if_cancelled, start_logged

log = logging.getLogger(__name__)

NextReview = Callable[[str, rules.Quarter], Awaitable[str | None]]
"""``(qsmo, trigger quarter) → review id``: the earliest DRAFT review of the QSMO for the
trigger's quarter or a later one (the review that will discuss it), or None (the next review
then picks the action up by its ``created_at``). ``next_draft_review`` builds one."""


def next_draft_review(drafts: Callable[[str], Awaitable[Sequence[Review]]]) -> NextReview:
    """A ``NextReview`` over ``drafts(qsmo)``: the QSMO's DRAFT reviews (any order), chosen
    by ``adjust_rules.review_for_draft``."""

    async def find(qsmo: str, quarter: rules.Quarter) -> str | None:
        return rules.review_for_draft(await drafts(qsmo), qsmo, quarter)

    return find


class DraftActions(Protocol):
    """What the loop needs of ``gateway.analysis_store``."""

    async def unclosed_actions(self) -> list[ImprovementAction]: ...

    async def add_action_if_absent(self, action: ImprovementAction) -> bool: ...

    async def mark_overdue_announced(self, action_id: str, due_date: date) -> None: ...


class FrameworkReads(Protocol):
    """What the loop needs of ``gateway.framework_admin.FrameworkAdmin``."""

    @property
    def framework(self) -> Framework: ...

    async def qsmos(self) -> list[Qsmo]: ...

    async def overrides(self) -> Overrides: ...


class ReviewPublisher(Protocol):
    async def publish(self, message: ReviewMessageOut) -> None: ...


@dataclass(frozen=True)
class AdjustOutcome:
    """What one sweep did: the ids of the actions drafted and announced as overdue now, and
    those whose announcement failed (retried by the next sweep)."""

    drafted: tuple[str, ...] = ()
    announced: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Draft:
    id: str
    qsmo: str
    measure: Measure
    title: str
    reason: str
    trigger: str
    quarter: rules.Quarter


class AdjustLoop:
    """Drafts actions and announces overdue ones; ``sweep(now)`` is one pass."""

    def __init__(
        self,
        *,
        values: MeasureValues,
        framework: FrameworkReads,
        analysis: DraftActions,
        notifications: NotificationReads,
        activity: ActivityLog,
        publisher: ReviewPublisher,
        clock: Clock,
        interval_s: float,
        metrics: GatewayMetrics | None = None,
        next_review: NextReview | None = None,
    ) -> None:
        self._values = values
        self._framework = framework
        self._analysis = analysis
        self._notifications = notifications
        self._activity = activity
        self._publisher = publisher
        self._clock = clock
        self._interval_s = interval_s
        self._metrics = metrics
        self._next_review = next_review
        self._task: asyncio.Task[None] | None = None

    async def sweep(self, now: datetime) -> AdjustOutcome:
        """One pass: draft what the triggers call for, then announce overdue actions."""
        unclosed = await self._analysis.unclosed_actions()
        busy = {(a.qsmo, a.measure) for a in unclosed}
        drafted: list[str] = []
        for draft in [*await self._red_drafts(now, busy), *await self._degraded_drafts(now)]:
            if (draft.qsmo, draft.measure.id) in busy:
                continue
            busy.add((draft.qsmo, draft.measure.id))
            if await self._draft(draft, now):
                drafted.append(draft.id)
        announced, failed = await self._announce_overdue(now)
        return AdjustOutcome(tuple(drafted), announced, failed)

    async def _red_drafts(self, now: datetime, busy: set[tuple[str, str]]) -> list[_Draft]:
        overrides = await self._framework.overrides()
        measures = rules.measures_to_watch(self._framework.framework, overrides, now)
        years = sorted({q[0] for q in rules.latest_ended_quarters(now)})
        drafts = []
        for qsmo in await self._framework.qsmos():
            for measure in measures:
                if (qsmo.id, measure.id) in busy:
                    continue
                by_year = await self._quarter_summaries(qsmo.id, measure, years)
                target = overrides.target_for(measure, qsmo.id)
                trigger = rules.red_trigger(qsmo.id, measure, target, by_year, now)
                if trigger is not None:
                    drafts.append(
                        _Draft(
                            trigger.action_id,
                            qsmo.id,
                            measure,
                            trigger.title,
                            trigger.reason,
                            "red_quarters",
                            trigger.quarter,
                        )
                    )
        return drafts

    async def _quarter_summaries(
        self, qsmo: str, measure: Measure, years: Sequence[int]
    ) -> dict[int, list[Summary]]:
        found = {}
        for year in years:
            readings = await self._values.series(
                qsmo, measure.id, measure.aggregation, year, PeriodKind.FISCAL_QUARTER
            )
            found[year] = [r.summary for r in readings]
        return found

    async def _degraded_drafts(self, now: datetime) -> list[_Draft]:
        """Critical ``status_degraded`` on a measure, raised > 30 days ago, still raised."""
        framework = self._framework.framework
        known = set(framework.measure_ids)
        drafts = []
        async for n in self._raised_before(now - timedelta(days=rules.DEGRADED_FOR_DAYS)):
            if n.qsmo is None or n.measure not in known:
                continue
            if not rules.degraded_too_long(
                rule=n.rule,
                severity=n.severity,
                state=n.state,
                measure=n.measure,
                raised_at=n.raised_at,
                now=now,
            ):
                continue
            measure = framework.measure(n.measure)
            drafts.append(
                _Draft(
                    rules.degraded_action_id(n.id),
                    n.qsmo,
                    measure,
                    rules.degraded_title(measure.name, n.raised_at),
                    f"critical notification {n.id} still open after "
                    f"{rules.DEGRADED_FOR_DAYS} days: {n.message}",
                    "long_degraded",
                    rules.latest_ended_quarters(now)[1],
                )
            )
        return drafts

    async def _raised_before(self, before: datetime) -> AsyncIterator[Notification]:
        """Every notification raised before ``before``, newest first, a page at a time."""
        after: Position | None = Position(before, "")  # "" sorts before every id
        while after is not None:
            page = list(await self._notifications.list(None, MAX_PAGE_SIZE, after))
            after = None
            if len(page) > MAX_PAGE_SIZE:
                page = page[:MAX_PAGE_SIZE]
                after = Position(page[-1].raised_at, page[-1].id)
            for notification in page:
                yield notification

    async def _draft(self, draft: _Draft, now: datetime) -> bool:
        review_id = None
        if self._next_review is not None:
            review_id = await self._next_review(draft.qsmo, draft.quarter)
        action = ImprovementAction(
            id=draft.id,
            qsmo=draft.qsmo,
            measure=draft.measure.id,
            title=draft.title,
            owner=draft.measure.owner_role,
            due_date=rules.draft_due_date(now),
            status=ActionStatus.DRAFT,
            created_at=now,
            created_by=AUTOMATION_ACTOR,
            updated_at=now,
            history=(
                StatusChange(
                    from_status=None, to_status=ActionStatus.DRAFT, at=now, by=AUTOMATION_ACTOR
                ),
            ),
            origin="adjust-loop",
            origin_reason=draft.reason,
            review_id=review_id,
        )
        inserted = await self._analysis.add_action_if_absent(action)
        # Recorded even when the draft was already there: a sweep that stopped between the
        # two writes completes the entry now (the derived id records it once).
        await self._activity.record(
            ActivityEntry(
                id=f"action.drafted:{action.id}",
                at=now,
                actor=AUTOMATION_ACTOR,
                action="action.drafted",
                qsmo=action.qsmo,
                subject=action.id,
                summary=action.title,
                details=_details(action, trigger=draft.trigger, reason=draft.reason),
            )
        )
        if inserted and self._metrics is not None:
            self._metrics.adjust_actions_drafted.labels(kind=draft.trigger).inc()
        return inserted

    async def _announce_overdue(self, now: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
        today = now.date()
        announced: list[str] = []
        failed: list[str] = []
        for action in await self._analysis.unclosed_actions():
            if not rules.owes_overdue_announcement(
                closed=action.status.closed,
                due_date=action.due_date,
                announced=action.overdue_announced,
                today=today,
            ):
                continue
            try:
                await self._publisher.publish(_overdue_message(action, now))
            except Exception as error:  # Kafka away: owed until a sweep publishes it
                raise_if_cancelled(error)
                log.warning(
                    "overdue action not announced yet; the next sweep retries",
                    extra={"action_id": action.id, "error": str(error)},
                )
                failed.append(action.id)
                if self._metrics is not None:
                    self._metrics.adjust_overdue_published.labels(outcome="failed").inc()
                continue
            await self._analysis.mark_overdue_announced(action.id, action.due_date)
            await self._activity.record(_overdue_entry(action, now))
            announced.append(action.id)
            if self._metrics is not None:
                self._metrics.adjust_overdue_published.labels(outcome="published").inc()
        return tuple(announced), tuple(failed)

    async def run(self) -> None:
        """Sweep every ``interval_s`` until cancelled; a failed sweep is logged and retried."""
        while True:
            try:
                await self.sweep(self._clock())
                outcome = "ok"
            except Exception as error:  # store or a read door away: the next sweep retries
                raise_if_cancelled(error)
                log.warning("adjust sweep failed", extra={"error": str(error)})
                outcome = "failed"
            if self._metrics is not None:
                self._metrics.adjust_sweeps.labels(outcome=outcome).inc()
            await asyncio.sleep(self._interval_s)

    def start(self) -> None:
        self._task = start_logged(self.run(), name="gateway-adjust-loop")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None


def _details(action: ImprovementAction, **extra: str) -> dict[str, str]:
    return {
        "measure": action.measure,
        "owner": action.owner,
        "due_date": action.due_date.isoformat(),
        "status": action.status.value,
        **extra,
    }


def _overdue_message(action: ImprovementAction, now: datetime) -> ImprovementActionOverdue:
    return ImprovementActionOverdue(
        message_id=rules.overdue_message_id(action.id, action.due_date),
        action_id=action.id,
        qsmo=action.qsmo,
        measure=action.measure,
        title=action.title,
        owner=action.owner,
        due_date=action.due_date,
        status=action.status.value,
        detected_at=now,
    )


def _overdue_entry(action: ImprovementAction, now: datetime) -> ActivityEntry:
    return ActivityEntry(
        id=f"action.overdue:{action.id}:{action.due_date.isoformat()}",
        at=now,
        actor=AUTOMATION_ACTOR,
        action="action.overdue",
        qsmo=action.qsmo,
        subject=action.id,
        summary=f"{action.title}: overdue since {action.due_date.isoformat()}",
        details=_details(action),
    )


__all__ = ["AdjustLoop", "AdjustOutcome", "NextReview", "next_draft_review"]
