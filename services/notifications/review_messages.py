"""A batch's ``qsmo.reviews.v1`` messages → what to store (the engine stores it).

Deduplication on ``message_id``: messages already handled (``notification_review_messages``)
and repeats within the batch are skipped. For the rest: ``ReviewReady`` → review deliveries
(``reviews.review_deliveries``) to the stakeholder lists the review goes to
(``stakeholders.lists_for_review``) and the subscriptions that hear it;
``ImprovementActionOverdue`` → an ``action_overdue`` notification. The engine stores the
notifications and deliveries first and marks the messages handled last, so a crash in between
replays to the same deliveries (their ids are derived).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from services.notifications.models import Notification
from services.notifications.ports import NotificationStore, PendingDelivery
from services.notifications.reviews import overdue_notification, review_deliveries
from services.notifications.signals import Names
from services.notifications.stakeholders import lists_for_review
from shared.events import ImprovementActionOverdue, ReviewMessage, ReviewReady


@dataclass
class ReviewEffects:
    deliveries: list[PendingDelivery] = field(default_factory=list)
    notices: list[Notification] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)


async def review_effects(
    store: NotificationStore,
    messages: Sequence[ReviewMessage],
    now: datetime,
    names: Names,
    max_attempts: int,
    public_url: str | None,
) -> ReviewEffects:
    """The deliveries and notices of the messages not handled before."""
    effects = ReviewEffects()
    if not messages:
        return effects
    handled = await store.handled_review_messages({m.message_id for m in messages})
    fresh: dict[str, ReviewMessage] = {}
    for message in messages:
        if message.message_id not in handled:
            fresh.setdefault(message.message_id, message)
    if not fresh:
        return effects
    ready = [m for m in fresh.values() if isinstance(m, ReviewReady)]
    if ready:
        lists = await store.stakeholder_lists()
        subscriptions = await store.subscriptions()
        for message in ready:
            chosen = lists_for_review(lists, message.qsmo, message.stakeholder_lists)
            made = review_deliveries(message, chosen, subscriptions, now, max_attempts, public_url)
            effects.deliveries += [PendingDelivery(d, body) for d, body in made]
    notices = {
        n.id: n
        for n in (
            overdue_notification(m, names)
            for m in fresh.values()
            if isinstance(m, ImprovementActionOverdue)
        )
    }
    effects.notices = list(notices.values())
    effects.message_ids = sorted(fresh)
    return effects
