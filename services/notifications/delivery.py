"""Pure webhook-delivery rules: who gets what, the signed body, ids and the retry schedule.

A webhook call carries the JSON body, ``X-QSMO-Timestamp`` (Unix seconds),
``X-QSMO-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed by the secret>``
and ``X-QSMO-Delivery-Id`` (the same on every retry: receivers deduplicate on it).
"""

import hashlib
import hmac
import json

from services.notifications.models import SEVERITY_RANK, Notification, Subscription
from shared.events import NotificationRaised

SIGNATURE_HEADER = "X-QSMO-Signature"
TIMESTAMP_HEADER = "X-QSMO-Timestamp"
DELIVERY_ID_HEADER = "X-QSMO-Delivery-Id"


def delivery_id(notification_id: str, state: str, subscription_id: str) -> str:
    """The idempotency id of one notification state sent to one subscription."""
    digest = hashlib.sha256(f"{notification_id}|{state}|{subscription_id}".encode()).hexdigest()
    return f"dlv_{digest[:32]}"


def matches(subscription: Subscription, notification: Notification) -> bool:
    """A subscription without a QSMO hears every QSMO (and government-wide notifications);
    dimension and measure filters must equal the notification's; severity must reach
    ``min_severity`` (info < warning < critical)."""
    return (
        (subscription.qsmo is None or subscription.qsmo == notification.qsmo)
        and (subscription.dimension is None or subscription.dimension == notification.dimension)
        and (subscription.measure is None or subscription.measure == notification.measure)
        and SEVERITY_RANK[notification.severity] >= SEVERITY_RANK[subscription.min_severity]
    )


def notification_event(notification: Notification) -> NotificationRaised:
    """The ``qsmo.notifications.v1`` message of a notification's current state (a resolved
    one carries the resolution message)."""
    resolved = notification.state == "resolved"
    return NotificationRaised(
        notification_id=notification.id,
        rule=notification.rule,
        severity=notification.severity,
        state=notification.state,
        qsmo=notification.qsmo,
        dimension=notification.dimension,
        measure=notification.measure,
        fiscal_year=notification.fiscal_year,
        message=(notification.resolution_message or notification.message)
        if resolved
        else notification.message,
        links=notification.links,
        raised_at=notification.raised_at,
    )


def webhook_body(event: NotificationRaised, delivery: str, subscription_id: str) -> str:
    """The exact JSON text every attempt of a delivery sends."""
    return json.dumps(
        {
            "type": f"notification.{event.state}",
            "delivery_id": delivery,
            "subscription_id": subscription_id,
            "notification": event.model_dump(mode="json"),
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body`` keyed by ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver checks (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff_s(failed_attempts: int, base_s: float, max_s: float, jitter: float) -> float:
    """Seconds to wait after the ``failed_attempts``-th failure (≥ 1): exponential
    ``base · 2^(n-1)`` capped at ``max``, then scaled by a jitter factor in [0.5, 1) from
    ``jitter`` ∈ [0, 1) so receivers recovering together are not hit in lock-step."""
    exponent = min(max(failed_attempts, 1) - 1, 60)
    delay = min(max_s, base_s * 2.0**exponent)
    return delay * (0.5 + 0.5 * min(max(jitter, 0.0), 0.999999))
