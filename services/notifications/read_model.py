"""The notifications service's read door: the only module of the service the gateway reads.

``NotificationReader(database)`` pages notifications (with their acknowledgements) and
deliveries newest first with opaque cursors; the models it returns and the errors the
service raises are offered here too (``__all__``). The writes the gateway performs
(subscriptions, acknowledgements) go through ``services.notifications.write_port``. Errors:
``SubscriptionRejected(field, message)`` for invalid input, ``NotAllowedError`` (a
``SubscriptionRejected`` on ``principal``) when the caller's role forbids it,
``NotFoundError``, ``InvalidPageError``.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING

from services.notifications import documents as docs
from services.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    Page,
    Severity,
    Subscription,
)

MAX_PAGE = 100


class NotificationsError(Exception):
    """Base of the errors the read model raises; ``str()`` is safe to show to the caller."""


class SubscriptionRejected(NotificationsError):  # noqa: N818 - the name the gateway codes against
    """Input refused; ``field`` names the argument, ``message`` says why and what to do."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotAllowedError(SubscriptionRejected):
    """The caller's role or QSMO does not permit this operation."""

    def __init__(self, message: str) -> None:
        super().__init__("principal", message)


class NotFoundError(NotificationsError):
    """No notification or subscription with that id (or none the caller may see)."""


class InvalidPageError(NotificationsError, ValueError):
    """``first`` out of range or an ``after`` cursor that this API did not hand out."""


def encode_cursor(at: datetime, item_id: str) -> str:
    """An opaque cursor for the position of one item in a newest-first list."""
    raw = json.dumps([at.astimezone(UTC).isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a cursor stands for; raises ``InvalidPageError``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, item_id = json.loads(raw)
        return datetime.fromisoformat(at), str(item_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidPageError("after: not a cursor handed out by this API") from None


def _page_query(base: dict[str, Any], field: str, after: str | None) -> dict[str, Any]:
    if after is None:
        return base
    at, item_id = decode_cursor(after)
    position = {"$or": [{field: {"$lt": at}}, {field: at, "_id": {"$lt": item_id}}]}
    return {"$and": [base, position]} if base else position


def _check_first(first: int) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidPageError(f"first: must be between 1 and {MAX_PAGE}, not {first}")


async def _page(
    collection: Any,
    query: dict[str, Any],
    field: str,
    first: int,
    after: str | None,
    projection: dict[str, int] | None = None,
) -> tuple[list[dict[str, Any]], str | None, bool]:
    _check_first(first)
    cursor = collection.find(_page_query(query, field, after), projection)
    found: list[dict[str, Any]] = (
        await cursor.sort([(field, DESCENDING), ("_id", DESCENDING)]).limit(first + 1).to_list()
    )
    items = found[:first]
    end = encode_cursor(docs.utc(items[-1][field]), items[-1]["_id"]) if items else None  # type: ignore[arg-type]
    return items, end, len(found) > first


class NotificationReader:
    """Reads notifications (with acknowledgements) and deliveries."""

    def __init__(self, database: Any) -> None:
        self._db = database

    async def list(self, qsmo: str | None, first: int, after: str | None) -> Page[Notification]:
        """Newest first (by ``raised_at``); ``qsmo`` None lists every QSMO and government-wide."""
        query: dict[str, Any] = {} if qsmo is None else {"qsmo": qsmo}
        found, end, more = await _page(
            self._db[docs.NOTIFICATIONS], query, "raised_at", first, after
        )
        acks = await self._acks([d["_id"] for d in found])
        items = [docs.notification_from(d, acks.get(d["_id"])) for d in found]
        return Page[Notification](items=items, end_cursor=end, has_next_page=more)

    async def get(self, notification_id: str) -> Notification | None:
        """One notification, or None."""
        found = await self._db[docs.NOTIFICATIONS].find_one({"_id": notification_id})
        if found is None:
            return None
        return docs.notification_from(
            found, (await self._acks([notification_id])).get(notification_id)
        )

    async def deliveries(
        self,
        notification_id: str | None,
        status: DeliveryStatus | None,
        first: int,
        after: str | None,
        qsmo: str | None = None,
    ) -> Page[Delivery]:
        """Deliveries newest first (by creation), optionally of one notification/status/QSMO."""
        query: dict[str, Any] = {}
        if notification_id is not None:
            query["notification_id"] = notification_id
        if status is not None:
            query["status"] = status
        if qsmo is not None:
            query["qsmo"] = qsmo
        found, end, more = await _page(
            self._db[docs.DELIVERIES], query, "created_at", first, after, {"body": 0}
        )
        items = [docs.delivery_from(d) for d in found]
        return Page[Delivery](items=items, end_cursor=end, has_next_page=more)

    async def _acks(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        found = await self._db[docs.ACKS].find({"_id": {"$in": list(ids)}}).to_list()
        return {d["_id"]: d for d in found}


__all__ = [
    "Delivery",
    "DeliveryStatus",
    "InvalidPageError",
    "NotAllowedError",
    "NotFoundError",
    "Notification",
    "NotificationReader",
    "NotificationsError",
    "Page",
    "Severity",
    "Subscription",
    "SubscriptionRejected",
    "decode_cursor",
    "encode_cursor",
]
