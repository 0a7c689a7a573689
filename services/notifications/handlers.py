"""The notification engine: records or a sweep → signals (pure) → conditions → effects → store.

A batch of records judges status changes (of open and recently closed years), restatements
of long-closed years and dead letters, and turns review messages into review deliveries and
``action_overdue`` notices (``review_messages.py``, deduplicated on ``message_id``); the
periodic sweep judges stale measures (only while the ``LagProbe`` says the pipeline has
caught up), dead-letter windows and cooldowns, and sends the daily digests that are due.
``now`` is always passed in (the service's clock).

Order of writes, so that a crash at any point replays to the same end state: notifications,
outbox and deliveries first (idempotent by their deterministic ids), then the rule state
(conditions, freshness, windows), then the outbox is published. The consumer commits the
batch's offsets only after ``process`` returned. A lock makes batches and sweeps take turns:
one writer of the rule state per process.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import TypeAdapter, ValidationError

from services.notifications.delivery import delivery_id, matches, notification_event, webhook_body
from services.notifications.digest_deliveries import due_digests
from services.notifications.lag import CaughtUp, LagProbe, caught_up
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Delivery, Notification
from services.notifications.ports import (
    NotificationPublisher,
    NotificationStore,
    PendingDelivery,
    RawRecord,
)
from services.notifications.restated_notices import restatements
from services.notifications.review_messages import ReviewEffects, review_effects
from services.notifications.rules import (
    Effect,
    Raised,
    Resolved,
    Signal,
    Suppressed,
    Updated,
    settle,
    step,
)
from services.notifications.signals import (
    Freshness,
    Names,
    freshness_of,
    newer_freshness,
    scorecard_signals,
    stale_signal,
)
from services.notifications.surges import (
    SurgeWindow,
    prune,
    qsmo_of,
    record_letter,
    surge_cap,
    surge_signal,
)
from shared import topics
from shared.codecs import decode
from shared.events import DeadLetter, ReviewMessage, ScorecardChanged

log = logging.getLogger(__name__)
OUTBOX_BATCH = 500
REVIEW_MESSAGE: TypeAdapter[ReviewMessage] = TypeAdapter(ReviewMessage)


@dataclass(frozen=True)
class RuleSettings:
    """Topics to tell records apart, and the rules' knobs."""

    scorecards_topic: str
    dlq_topic: str
    cooldown: timedelta
    surge_threshold: int
    surge_window: timedelta
    max_attempts: int
    reviews_topic: str = topics.REVIEWS
    public_url: str | None = None
    """Makes the packet links of review emails absolute (None: paths under the gateway)."""


@dataclass
class Outcome:
    """What a batch or sweep did (for tests and logs)."""

    raised: list[Notification] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    """Open notifications whose message was rewritten (stale day count, restated measures)."""
    stale_judged: bool = False
    """The sweep judged stale measures (the pipeline had caught up)."""
    digests: int = 0
    suppressed: int = 0
    deliveries: int = 0
    published: int = 0
    review_messages: int = 0
    """``qsmo.reviews.v1`` messages handled (not counting those handled before)."""


def _millis(now: datetime) -> datetime:
    """BSON dates keep milliseconds: truncate so stored and in-memory values agree."""
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class NotificationEngine:
    """Applies the rules to records and sweeps and makes their effects durable."""

    def __init__(
        self,
        store: NotificationStore,
        publisher: NotificationPublisher,
        names: Names,
        settings: RuleSettings,
        metrics: NotificationsMetrics,
        probe: LagProbe | None = None,
    ) -> None:
        """``probe``: tells the sweep whether the pipeline has caught up (default: always)."""
        self._store = store
        self._probe: LagProbe = probe or CaughtUp()
        self._publisher = publisher
        self._names = names
        self._settings = settings
        self._metrics = metrics
        self._lock = asyncio.Lock()
        self.on_deliveries: list[asyncio.Event] = []
        """Events set when new deliveries were stored (the dispatcher waits on one)."""

    async def process(self, records: Sequence[RawRecord], now: datetime) -> Outcome:
        """Apply a batch of scorecard and dead-letter records (in offset order per partition)."""
        now = _millis(now)
        async with self._lock:
            scorecards, letters, reviews = self._decode(records)
            signals: list[Signal] = [
                s for m in scorecards for s in scorecard_signals(m, self._names, now)
            ]
            freshness = await self._fold_freshness(scorecards)
            restated, snapshots = await restatements(self._store, scorecards, now, self._names)
            windows = await self._fold_letters(letters, now)
            signals += [self._surge(w, now) for w in windows]
            effects = await review_effects(
                self._store,
                reviews,
                now,
                self._names,
                self._settings.max_attempts,
                self._settings.public_url,
            )
            outcome = await self._apply(
                signals, now, settle_all=False, restated=restated, fresh=effects.notices
            )
            await self._review_deliveries(effects, outcome)
            await self._store.save_freshness(freshness)
            await self._store.save_snapshots(snapshots)
            await self._store.save_surge_windows(windows)
            outcome.published = await self._flush_outbox()
            return outcome

    async def sweep(self, now: datetime) -> Outcome:
        """Judge stale measures (only when the pipeline has caught up) and dead-letter
        windows at ``now``; resolve conditions that stayed clear for the cooldown; send the
        due daily digests; publish what the outbox still holds."""
        now = _millis(now)
        async with self._lock:
            signals: list[Signal] = []
            judged, lags = await caught_up(self._probe)
            if judged:
                freshness = (await self._store.load_freshness(None)).values()
                signals += [stale_signal(f, now, self._names) for f in freshness]
            else:
                log.info("pipeline lags: stale measures are not judged", extra={"lags": lags})
            stored = (await self._store.load_surge_windows(None)).values()
            windows = [prune(w, now, self._settings.surge_window) for w in stored]
            signals += [self._surge(w, now) for w in windows]
            outcome = await self._apply(signals, now, settle_all=True)
            await self._store.save_surge_windows(
                [w for w, s in zip(windows, stored, strict=True) if w != s]
            )
            outcome.stale_judged = judged
            outcome.digests = await self._digests(now)
            outcome.published = await self._flush_outbox()
            return outcome

    def _decode(
        self, records: Sequence[RawRecord]
    ) -> tuple[list[ScorecardChanged], list[DeadLetter], list[ReviewMessage]]:
        scorecards: list[ScorecardChanged] = []
        letters: list[DeadLetter] = []
        reviews: list[ReviewMessage] = []
        for record in records:
            try:
                if record.value is None:
                    raise ValueError("empty record")
                if record.topic == self._settings.dlq_topic:
                    letters.append(decode(DeadLetter, record.value))
                    self._metrics.records.labels("dead_letter").inc()
                elif record.topic == self._settings.reviews_topic:
                    reviews.append(REVIEW_MESSAGE.validate_json(record.value))
                    self._metrics.records.labels("review").inc()
                else:
                    scorecards.append(decode(ScorecardChanged, record.value))
                    self._metrics.records.labels("scorecard").inc()
            except (ValidationError, ValueError) as error:
                self._metrics.records.labels("undecodable").inc()
                log.warning(
                    "skipped an undecodable record",
                    extra={
                        "topic": record.topic,
                        "offset": record.offset,
                        "error": str(error)[:300],
                    },
                )
        return scorecards, letters, reviews

    async def _review_deliveries(self, effects: ReviewEffects, outcome: Outcome) -> None:
        """Store a batch's review deliveries, then remember its messages as handled."""
        await self._store.add_deliveries(effects.deliveries)
        await self._store.mark_review_messages(effects.message_ids)
        outcome.deliveries += len(effects.deliveries)
        outcome.review_messages = len(effects.message_ids)
        if effects.deliveries:
            for event in self.on_deliveries:
                event.set()

    async def _fold_freshness(self, scorecards: list[ScorecardChanged]) -> list[Freshness]:
        updates = [f for m in scorecards for f in freshness_of(m)]
        merged = await self._store.load_freshness({f.key for f in updates})
        changed: dict[str, Freshness] = {}
        for update in updates:
            kept = newer_freshness(merged.get(update.key), update)
            merged[update.key] = changed[update.key] = kept
        return list(changed.values())

    async def _fold_letters(self, letters: list[DeadLetter], now: datetime) -> list[SurgeWindow]:
        if not letters:
            return []
        attributed = [(qsmo_of(letter), letter) for letter in letters]
        windows = await self._store.load_surge_windows(
            {SurgeWindow(qsmo=q).key for q, _ in attributed}
        )
        cap = surge_cap(self._settings.surge_threshold)
        touched: dict[str, SurgeWindow] = {}
        for qsmo, letter in attributed:
            key = SurgeWindow(qsmo=qsmo).key
            reason = f"{letter.code}: {letter.reason}"
            window = record_letter(windows.get(key), qsmo, letter.dead_lettered_at, reason, cap)
            windows[key] = touched[key] = window
        return [prune(w, now, self._settings.surge_window) for w in touched.values()]

    def _surge(self, window: SurgeWindow, now: datetime) -> Signal:
        s = self._settings
        return surge_signal(window, now, s.surge_threshold, s.surge_window, self._names)

    async def _apply(
        self,
        signals: list[Signal],
        now: datetime,
        *,
        settle_all: bool,
        restated: list[Notification] | None = None,
        fresh: list[Notification] | None = None,
    ) -> Outcome:
        conditions = await self._store.load_conditions({s.key for s in signals})
        if settle_all:
            conditions = {**await self._store.open_conditions(), **conditions}
        before = dict(conditions)
        effects: list[Effect] = []
        for signal in signals:
            conditions[signal.key], produced = step(
                conditions.get(signal.key), signal, now, self._settings.cooldown
            )
            effects += produced
        if settle_all:
            for key, condition in list(conditions.items()):
                conditions[key], produced = settle(condition, now, self._settings.cooldown)
                effects += produced
        outcome = await self._make_durable(effects, now, restated or [], fresh or [])
        changed = [c for k, c in conditions.items() if before.get(k) != c]
        await self._store.save_conditions(changed)
        return outcome

    async def _make_durable(
        self,
        effects: list[Effect],
        now: datetime,
        restated: list[Notification],
        fresh: list[Notification],
    ) -> Outcome:
        """``fresh``: notifications raised once, if not stored yet (``action_overdue``)."""
        outcome = Outcome()
        ids = [n.id for n in restated + fresh]
        known = {n.id for n in await self._store.load_notifications(ids)}
        raised = [e.notification for e in effects if isinstance(e, Raised)]
        raised += [n for n in restated + fresh if n.id not in known]
        extended = [n for n in restated if n.id in known]
        await self._store.save_notifications(raised + extended)
        outcome.updated = [n.id for n in extended]
        resolved_ids: list[str] = []
        for effect in effects:
            if isinstance(effect, Updated):
                await self._store.update_notifications(
                    [effect.notification_id], {"message": effect.message}
                )
                outcome.updated.append(effect.notification_id)
            if isinstance(effect, Resolved):
                await self._store.update_notifications(
                    effect.notification_ids,
                    {
                        "state": "resolved",
                        "resolved_at": effect.at,
                        "resolution_message": effect.message,
                        "suppressed_flaps": effect.suppressed_flaps,
                    },
                )
                resolved_ids += effect.notification_ids
                self._metrics.resolved.labels(effect.rule).inc()
            elif isinstance(effect, Suppressed):
                await self._store.update_notifications(
                    effect.notification_ids, {"suppressed_flaps": effect.suppressed_flaps}
                )
                self._metrics.suppressed.labels(effect.rule).inc()
                outcome.suppressed += 1
        # An extended ``restated`` notice goes out again on the topic (same id and state, the
        # new message); its deliveries keep their ids, so no second webhook — and a replay
        # after a crash still stores the ones the first run may have missed. A ``fresh``
        # notice stored before (a replay) is not saved again, for the same reason goes out.
        again = [n for n in fresh if n.id in known]
        changed = raised + extended + again + await self._store.load_notifications(resolved_ids)
        await self._store.add_outbox([notification_event(n) for n in changed])
        deliveries = await self._deliveries(changed, now)
        await self._store.add_deliveries(deliveries)
        for notification in raised:
            self._metrics.raised.labels(notification.rule, notification.severity).inc()
            log.info(
                "notification raised",
                extra={"notification_id": notification.id, "rule": notification.rule},
            )
        if deliveries:
            for event in self.on_deliveries:
                event.set()
        outcome.raised, outcome.resolved = raised, resolved_ids
        outcome.deliveries = len(deliveries)
        return outcome

    async def _deliveries(
        self, notifications: list[Notification], now: datetime
    ) -> list[PendingDelivery]:
        if not notifications:
            return []
        subscriptions = await self._store.subscriptions()
        pending: list[PendingDelivery] = []
        for notification in notifications:
            event = notification_event(notification)
            for subscription in subscriptions:
                if subscription.delivery != "IMMEDIATE" or not matches(subscription, notification):
                    continue
                identifier = delivery_id(notification.id, notification.state, subscription.id)
                delivery = Delivery(
                    id=identifier,
                    notification_id=notification.id,
                    notification_state=notification.state,
                    subscription_id=subscription.id,
                    qsmo=notification.qsmo,
                    url=subscription.url,
                    status="pending",
                    attempts=0,
                    max_attempts=self._settings.max_attempts,
                    created_at=now,
                    updated_at=now,
                    next_attempt_at=now,
                )
                pending.append(
                    PendingDelivery(delivery, webhook_body(event, identifier, subscription.id))
                )
        return pending

    async def _digests(self, now: datetime) -> int:
        """Store the due daily digests (``digest_deliveries.due_digests``); wake the
        dispatcher."""
        pending = await due_digests(self._store, now, self._settings.max_attempts)
        await self._store.add_deliveries(pending)
        if pending:
            for event in self.on_deliveries:
                event.set()
        return len(pending)

    async def _flush_outbox(self) -> int:
        published = 0
        while events := await self._store.outbox(OUTBOX_BATCH):
            await self._publisher.publish(events)
            await self._store.remove_outbox(events)
            published += len(events)
            self._metrics.published.inc(len(events))
            if len(events) < OUTBOX_BATCH:
                break
        return published
