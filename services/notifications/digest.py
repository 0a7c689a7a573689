"""Pure rules of the daily digest: which days are due, what a digest holds, its signed body.

A ``DAILY_DIGEST`` subscription gets no webhook per notification; instead, once a UTC day
``D`` is over (``now >= D + 1 day``), it gets one webhook carrying every notification raised
on ``D`` that it matches (``delivery.matches``: QSMO, dimension, measure, minimum severity),
oldest first, in their current state — also when there were none (``count`` 0), so a
receiver can tell a quiet day from a missed digest. The delivery id is
``dlv_`` + SHA-256 of ``digest|<subscription>|<day>``: one delivery per subscription and day,
whoever computes it and however often. Days before the subscription was created are not
sent; after an outage the missed days of the last ``LOOKBACK_DAYS`` are.

The body is signed like every webhook (``delivery.sign``); the GraphQL
``notificationDigest(date, qsmo)`` query lists the same notifications (``digest_of``).
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from services.notifications.delivery import matches, notification_event
from services.notifications.models import Notification, Subscription

LOOKBACK_DAYS = 7
DIGEST_TYPE = "notification.digest"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """``[day 00:00, next day 00:00)`` UTC."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start, start + timedelta(days=1)


def due_days(subscription: Subscription, now: datetime) -> list[date]:
    """Finished UTC days the subscription's digest is due for, oldest first."""
    if subscription.delivery != "DAILY_DIGEST":
        return []
    today = now.astimezone(UTC).date()
    first = max(subscription.created_at.astimezone(UTC).date(), today - timedelta(LOOKBACK_DAYS))
    return [first + timedelta(n) for n in range((today - first).days)]


def digest_delivery_id(subscription_id: str, day: date) -> str:
    digest = hashlib.sha256(f"digest|{subscription_id}|{day.isoformat()}".encode()).hexdigest()
    return f"dlv_{digest[:32]}"


def digest_of(
    notifications: Iterable[Notification], day: date, qsmo: str | None = None
) -> list[Notification]:
    """The notifications raised on ``day`` (of ``qsmo``, None = every QSMO and
    government-wide), oldest first (by raise time, id)."""
    start, end = day_bounds(day)
    return sorted(
        (
            n
            for n in notifications
            if start <= n.raised_at < end and (qsmo is None or n.qsmo == qsmo)
        ),
        key=lambda n: (n.raised_at, n.id),
    )


def subscription_digest(
    subscription: Subscription, notifications: Iterable[Notification], day: date
) -> list[Notification]:
    """What the subscription's digest of ``day`` carries."""
    return [n for n in digest_of(notifications, day) if matches(subscription, n)]


def digest_body(
    delivery: str, subscription: Subscription, day: date, notifications: Sequence[Notification]
) -> str:
    """The exact JSON text every attempt of a digest delivery sends."""
    return json.dumps(
        {
            "type": DIGEST_TYPE,
            "delivery_id": delivery,
            "subscription_id": subscription.id,
            "date": day.isoformat(),
            "qsmo": subscription.qsmo,
            "count": len(notifications),
            "notifications": [notification_event(n).model_dump(mode="json") for n in notifications],
        },
        separators=(",", ":"),
        sort_keys=True,
    )
