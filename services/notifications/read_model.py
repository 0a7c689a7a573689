"""The notifications service's read door: the only module of the service the gateway reads.

``NotificationReader(database)`` pages notifications (with their acknowledgements) and
deliveries newest first (``shared.pagination``: after a ``Position``, ``first + 1`` items;
the gateway makes the cursors), a review's deliveries included; ``StakeholderListReader``
reads stakeholder lists. The models it returns and the errors the service raises are
offered here too (``__all__``). The writes the gateway performs (subscriptions,
acknowledgements, stakeholder lists) go through ``services.notifications.write_port``.
Errors: ``SubscriptionRejected(field, message)`` for invalid input, ``NotAllowedError`` (a
``SubscriptionRejected`` on ``principal``) when the caller's role forbids it,
``NotFoundError``, ``InvalidPageError``.
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from pymongo import DESCENDING

from services.notifications import documents as docs
from services.notifications.digest import day_bounds, digest_of
from services.notifications.models import (
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Notification,
    Severity,
    StakeholderList,
    StakeholderListKind,
    StakeholderMember,
    Subscription,
)
from services.notifications.stakeholders import masked, may_see_addresses
from shared.pagination import InvalidPageSizeError, Position, check_page_size


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
    """``first`` out of range (``shared.pagination.MAX_PAGE_SIZE``)."""


def _page_query(base: dict[str, Any], field: str, after: Position | None) -> dict[str, Any]:
    if after is None:
        return base
    at, item_id = after.at, after.id
    position = {"$or": [{field: {"$lt": at}}, {field: at, "_id": {"$lt": item_id}}]}
    return {"$and": [base, position]} if base else position


async def _page(
    collection: Any,
    query: dict[str, Any],
    field: str,
    first: int,
    after: Position | None,
    projection: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Up to ``first + 1`` documents older than ``after``, newest first (by ``field``, ``_id``)."""
    try:
        check_page_size(first)
    except InvalidPageSizeError as error:
        raise InvalidPageError(str(error)) from None
    cursor = collection.find(_page_query(query, field, after), projection)
    found: list[dict[str, Any]] = (
        await cursor.sort([(field, DESCENDING), ("_id", DESCENDING)]).limit(first + 1).to_list()
    )
    return found


class StakeholderListReader:
    """Reads stakeholder lists (the gateway checks a review's ``stakeholderListIds``)."""

    def __init__(self, database: Any) -> None:
        self._lists = database[docs.STAKEHOLDER_LISTS]

    async def get(self, list_id: str) -> StakeholderList | None:
        found = await self._lists.find_one({"_id": list_id})
        return None if found is None else docs.stakeholder_list_from(found)

    async def unknown(self, list_ids: Sequence[str]) -> list[str]:
        """The ids among ``list_ids`` that name no stakeholder list, in the given order."""
        found = await self._lists.find({"_id": {"$in": list(list_ids)}}, {"_id": 1}).to_list()
        known = {d["_id"] for d in found}
        return [i for i in list_ids if i not in known]


class NotificationReader:
    """Reads notifications (with acknowledgements) and deliveries."""

    def __init__(self, database: Any) -> None:
        self._db = database

    async def list(
        self, qsmo: str | None, first: int, after: Position | None
    ) -> Sequence[Notification]:
        """Newest first (by ``raised_at``, id) after ``after``: up to ``first + 1``, the extra
        one saying a next page exists; ``qsmo`` None lists every QSMO and government-wide."""
        query: dict[str, Any] = {} if qsmo is None else {"qsmo": qsmo}
        found = await _page(self._db[docs.NOTIFICATIONS], query, "raised_at", first, after)
        acks = await self._acks([d["_id"] for d in found])
        return [docs.notification_from(d, acks.get(d["_id"])) for d in found]

    async def get(self, notification_id: str) -> Notification | None:
        """One notification, or None."""
        found = await self._db[docs.NOTIFICATIONS].find_one({"_id": notification_id})
        if found is None:
            return None
        return docs.notification_from(
            found, (await self._acks([notification_id])).get(notification_id)
        )

    async def digest(self, day: date, qsmo: str | None) -> Sequence[Notification]:
        """The notifications raised on UTC ``day`` (of ``qsmo``; None = all), oldest first:
        what a ``DAILY_DIGEST`` subscription on that QSMO with minimum severity ``info`` gets
        for the day (``services.notifications.digest``)."""
        start, end = day_bounds(day)
        query: dict[str, Any] = {"raised_at": {"$gte": start, "$lt": end}}
        if qsmo is not None:
            query["qsmo"] = qsmo
        found = await self._db[docs.NOTIFICATIONS].find(query).to_list()
        acks = await self._acks([d["_id"] for d in found])
        notifications = [docs.notification_from(d, acks.get(d["_id"])) for d in found]
        return digest_of(notifications, day, qsmo)

    async def deliveries(
        self,
        notification_id: str | None,
        status: DeliveryStatus | None,
        first: int,
        after: Position | None,
        qsmo: str | None = None,
    ) -> Sequence[Delivery]:
        """Deliveries newest first (by creation, id) after ``after``, up to ``first + 1`` (as
        ``list``), optionally of one notification/status/QSMO."""
        query: dict[str, Any] = {}
        if notification_id is not None:
            query["notification_id"] = notification_id
        if status is not None:
            query["status"] = status
        if qsmo is not None:
            query["qsmo"] = qsmo
        found = await _page(
            self._db[docs.DELIVERIES], query, "created_at", first, after, {"body": 0}
        )
        return [docs.delivery_from(d) for d in found]

    async def review_deliveries(
        self, review_id: str, first: int, after: Position | None, qsmo: str | None = None
    ) -> Sequence[Delivery]:
        """A review's emails and ``review.ready`` webhooks, newest first (as ``deliveries``)."""
        return await self.deliveries(f"review:{review_id}", None, first, after, qsmo)

    async def _acks(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        found = await self._db[docs.ACKS].find({"_id": {"$in": list(ids)}}).to_list()
        return {d["_id"]: d for d in found}


__all__ = [
    "Delivery",
    "DeliveryMode",
    "DeliveryStatus",
    "InvalidPageError",
    "NotAllowedError",
    "NotFoundError",
    "Notification",
    "NotificationReader",
    "NotificationsError",
    "Severity",
    "StakeholderList",
    "StakeholderListKind",
    "StakeholderListReader",
    "StakeholderMember",
    "Subscription",
    "SubscriptionRejected",
    "masked",
    "may_see_addresses",
]
