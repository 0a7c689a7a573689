"""The daily digests that are due, as deliveries for the dispatcher (the sweep stores them).

For every ``DAILY_DIGEST`` subscription and every finished day it is due for
(``digest.due_days``) whose delivery is not stored yet: the day's matching notifications,
read from the store, in one signed body (``digest.digest_body``). The delivery id is fixed
per (subscription, day), so however often the sweep runs, a day is delivered once.
"""

from datetime import date, datetime

from services.notifications.digest import (
    day_bounds,
    digest_body,
    digest_delivery_id,
    due_days,
    subscription_digest,
)
from services.notifications.models import Delivery, Notification, Subscription
from services.notifications.ports import NotificationStore, PendingDelivery


async def due_digests(
    store: NotificationStore, now: datetime, max_attempts: int
) -> list[PendingDelivery]:
    """The digest deliveries due at ``now`` that are not stored yet."""
    subscriptions = await store.subscriptions()
    due = {
        digest_delivery_id(s.id, day): (s, day) for s in subscriptions for day in due_days(s, now)
    }
    missing = set(due) - await store.known_deliveries(set(due))
    pending: list[PendingDelivery] = []
    days: dict[date, list[Notification]] = {}
    for identifier in sorted(missing):
        subscription, day = due[identifier]
        if day not in days:
            days[day] = await store.notifications_raised_between(*day_bounds(day))
        carried = subscription_digest(subscription, days[day], day)
        pending.append(digest_delivery(identifier, subscription, day, carried, now, max_attempts))
    return pending


def digest_delivery(
    identifier: str,
    subscription: Subscription,
    day: date,
    carried: list[Notification],
    now: datetime,
    max_attempts: int,
) -> PendingDelivery:
    """A pending delivery of the day's digest (``notification_id`` = ``digest:<day>``)."""
    delivery = Delivery(
        id=identifier,
        notification_id=f"digest:{day.isoformat()}",
        notification_state="raised",
        subscription_id=subscription.id,
        qsmo=subscription.qsmo,
        url=subscription.url,
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
        kind="digest",
        digest_date=day.isoformat(),
    )
    return PendingDelivery(delivery, digest_body(identifier, subscription, day, carried))
