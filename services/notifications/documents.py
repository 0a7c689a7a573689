"""How the service's values look as stored documents (shared by the store and read model).

Collections, each with one writer:

* ``notifications`` (``_id`` = notification id) — the service;
* ``notification_acks`` (``_id`` = notification id) — the gateway, insert-once (first wins);
* ``notification_subscriptions`` (``_id`` = subscription id, holds the secret) — the gateway;
* ``notification_deliveries`` (``_id`` = delivery id) — the service's dispatcher;
* ``notification_stakeholder_lists`` (``_id`` = list id) — the gateway (write port);
* ``notification_review_messages`` (``_id`` = a ``qsmo.reviews.v1`` ``message_id``) — the
  service: messages already handled (deduplication);
* ``notification_conditions``, ``notification_outbox``, ``notification_measure_freshness``,
  ``notification_dead_letter_windows``, ``notification_closed_scorecards`` — the service's
  rule state.

Acknowledgements live apart from notifications because FerretDB can lose one of two
concurrent updates of the same document (docs/notifications.md, README.md): one writer per
document.
"""

from datetime import UTC, datetime
from typing import Any

from services.notifications.models import Delivery, Notification, StakeholderList, Subscription

NOTIFICATIONS = "notifications"
ACKS = "notification_acks"
SUBSCRIPTIONS = "notification_subscriptions"
DELIVERIES = "notification_deliveries"
CONDITIONS = "notification_conditions"
OUTBOX = "notification_outbox"
FRESHNESS = "notification_measure_freshness"
SURGE_WINDOWS = "notification_dead_letter_windows"
CLOSED_SNAPSHOTS = "notification_closed_scorecards"
STAKEHOLDER_LISTS = "notification_stakeholder_lists"
REVIEW_MESSAGES = "notification_review_messages"

_ACK_FIELDS = {"acknowledged_at", "acknowledged_by"}
DELIVERY_PRIVATE_FIELDS = ("body",)


def utc(value: datetime | None) -> datetime | None:
    """A stored date as an aware UTC datetime (drivers may hand back naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _dates_to_utc(document: dict[str, Any]) -> dict[str, Any]:
    return {k: utc(v) if isinstance(v, datetime) else v for k, v in document.items()}


def notification_document(notification: Notification) -> dict[str, Any]:
    """The stored form; acknowledgement fields live in ``notification_acks``."""
    document = notification.model_dump(exclude=_ACK_FIELDS | {"id"})
    return {"_id": notification.id, **document}


def notification_from(document: dict[str, Any], ack: dict[str, Any] | None) -> Notification:
    """The model from a stored document and its acknowledgement (if any)."""
    fields = _dates_to_utc({k: v for k, v in document.items() if k != "_id"})
    if ack is not None:
        fields["acknowledged_at"] = utc(ack["acknowledged_at"])
        fields["acknowledged_by"] = ack["acknowledged_by"]
    return Notification(id=document["_id"], **fields)


def subscription_document(subscription: Subscription, secret: str) -> dict[str, Any]:
    """The stored form, with the secret (never returned by the read model)."""
    return {"_id": subscription.id, **subscription.model_dump(exclude={"id"}), "secret": secret}


def subscription_from(document: dict[str, Any]) -> Subscription:
    """The public model: the secret is dropped."""
    fields = _dates_to_utc({k: v for k, v in document.items() if k not in ("_id", "secret")})
    return Subscription(id=document["_id"], **fields)


def delivery_document(delivery: Delivery, body: str) -> dict[str, Any]:
    """The stored form, with the exact body every attempt sends."""
    return {"_id": delivery.id, **delivery.model_dump(exclude={"id"}), "body": body}


def delivery_from(document: dict[str, Any]) -> Delivery:
    """The public model (without the body)."""
    fields = _dates_to_utc(
        {k: v for k, v in document.items() if k != "_id" and k not in DELIVERY_PRIVATE_FIELDS}
    )
    return Delivery(id=document["_id"], **fields)


def stakeholder_list_document(stakeholders: StakeholderList) -> dict[str, Any]:
    """The stored form of a stakeholder list."""
    return {"_id": stakeholders.id, **stakeholders.model_dump(mode="python", exclude={"id"})}


def stakeholder_list_from(document: dict[str, Any]) -> StakeholderList:
    fields = _dates_to_utc({k: v for k, v in document.items() if k != "_id"})
    return StakeholderList(id=document["_id"], **fields)
