"""What the gateway reads and writes: notifications, acknowledgements, subscriptions, deliveries.

``NotificationReader(database)`` pages notifications and deliveries newest first with opaque
cursors; ``SubscriptionStore(database, allow_private=…)`` creates, lists and deletes webhook subscriptions
(publishers for their own QSMO, admins for any) and records acknowledgements. Secrets are
stored for signing but never returned or logged. Errors: ``SubscriptionRejected(field,
message)`` for invalid input, ``NotAllowedError`` (a ``SubscriptionRejected`` on ``principal``)
when the caller's role forbids it, ``NotFoundError``, ``InvalidPageError``.
"""

import base64
import binascii
import contextlib
import json
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from services.notifications import documents as docs
from services.notifications.models import (
    SEVERITY_RANK,
    Delivery,
    DeliveryStatus,
    Notification,
    Page,
    Severity,
    Subscription,
)
from services.notifications.url_guard import Resolver, UnsafeUrlError, check_destination
from services.notifications.url_guard import system_resolver as _system_resolver
from shared.api_keys import Principal
from shared.authorization import (
    Permission,
    PermissionDenied,
    allows,
    allows_some,
    qsmo_filter,
    require,
)
from shared.catalog import load_catalog

MAX_PAGE = 100
MIN_SECRET, MAX_SECRET = 16, 512
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
Clock = Callable[[], datetime]
ItemT = TypeVar("ItemT")


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


def _utc_now() -> datetime:
    return datetime.now(UTC)


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

    def __init__(self, database: Any, *, clock: Clock = _utc_now) -> None:
        self._db = database
        self._clock = clock

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

    async def acknowledge(self, principal: Principal, notification_id: str) -> Notification:
        """Same as ``SubscriptionStore.acknowledge``."""
        return await acknowledge(self._db, principal, notification_id, self._clock())

    async def _acks(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        found = await self._db[docs.ACKS].find({"_id": {"$in": list(ids)}}).to_list()
        return {d["_id"]: d for d in found}


async def acknowledge(
    database: Any, principal: Principal, notification_id: str, now: datetime
) -> Notification:
    """Record that ``principal`` saw the notification; the first acknowledgement wins.

    Admins acknowledge anything, publishers their own QSMO's notifications, viewers nothing.
    """
    reader = NotificationReader(database)
    notification = await reader.get(notification_id)
    if notification is None:
        raise NotFoundError(f"no notification with id {notification_id!r}")
    try:
        require(principal, Permission.ACKNOWLEDGE_NOTIFICATIONS, notification.qsmo)
    except PermissionDenied as denied:
        raise NotAllowedError(denied.message) from None
    if notification.acknowledged_at is None:
        with contextlib.suppress(DuplicateKeyError):  # concurrent acknowledgement: first wins
            await database[docs.ACKS].insert_one(
                {
                    "_id": notification_id,
                    "acknowledged_at": now,
                    "acknowledged_by": principal.key_id,
                }
            )
        notification = await reader.get(notification_id)
    assert notification is not None
    return notification


class SubscriptionStore:
    """Webhook subscriptions: validated, scoped by role, secrets kept write-only."""

    def __init__(
        self,
        database: Any,
        *,
        allow_private: bool,
        resolver: Resolver = _system_resolver,
        clock: Clock = _utc_now,
    ) -> None:
        """``allow_private``: accept loopback/private webhook targets (from the caller's
        settings, built once by its composition root; refused there in production)."""
        self._db = database
        self._allow_private = allow_private
        self._resolver = resolver
        self._clock = clock

    async def create(
        self,
        principal: Principal,
        qsmo: str | None,
        dimension: str | None,
        measure: str | None,
        min_severity: Severity,
        url: str,
        secret: str,
    ) -> Subscription:
        """Store a webhook subscription; raises ``SubscriptionRejected`` naming the field."""
        _check_may_manage(principal, qsmo)
        _check_filters(qsmo, dimension, measure, min_severity)
        if not MIN_SECRET <= len(secret) <= MAX_SECRET:
            raise SubscriptionRejected(
                "secret", f"must be {MIN_SECRET} to {MAX_SECRET} characters long"
            )
        try:
            await check_destination(url, allow_private=self._allow_private, resolver=self._resolver)
        except UnsafeUrlError as error:
            raise SubscriptionRejected("url", str(error)) from None
        subscription = Subscription(
            id=f"sub_{uuid.uuid4().hex}",
            qsmo=qsmo,
            dimension=dimension,
            measure=measure,
            min_severity=min_severity,
            url=url,
            created_at=self._clock(),
            created_by=principal.key_id,
        )
        await self._db[docs.SUBSCRIPTIONS].insert_one(
            docs.subscription_document(subscription, secret)
        )
        return subscription

    async def delete(self, principal: Principal, subscription_id: str) -> None:
        """Delete a subscription the caller may manage; its pending deliveries then fail."""
        found = await self._db[docs.SUBSCRIPTIONS].find_one({"_id": subscription_id}, {"secret": 0})
        # What a key may not manage it does not see: another QSMO's subscription is "not found".
        if found is None or not allows(
            principal, Permission.MANAGE_SUBSCRIPTIONS, found.get("qsmo")
        ):
            raise NotFoundError(f"no subscription with id {subscription_id!r}")
        await self._db[docs.SUBSCRIPTIONS].delete_one({"_id": subscription_id})

    async def list(self, principal: Principal) -> list[Subscription]:
        """Admins see every subscription, publishers their QSMO's; viewers are refused."""
        try:
            qsmo = qsmo_filter(principal, Permission.MANAGE_SUBSCRIPTIONS)
        except PermissionDenied as denied:
            raise NotAllowedError(denied.message) from None
        query = {} if qsmo is None else {"qsmo": qsmo}
        found = (
            await self._db[docs.SUBSCRIPTIONS]
            .find(query, {"secret": 0})
            .sort("created_at")
            .to_list()
        )
        return [docs.subscription_from(d) for d in found]

    async def acknowledge(self, principal: Principal, notification_id: str) -> Notification:
        """Acknowledge a notification (see ``read_model.acknowledge``)."""
        return await acknowledge(self._db, principal, notification_id, self._clock())


def _check_may_manage(principal: Principal, qsmo: str | None) -> None:
    """``NotAllowedError`` for a key that manages no subscriptions (a viewer's), a rejected
    ``qsmo`` for one that manages other QSMOs' subscriptions (a publisher's)."""
    try:
        require(principal, Permission.MANAGE_SUBSCRIPTIONS, qsmo)
    except PermissionDenied as denied:
        if not allows_some(principal, Permission.MANAGE_SUBSCRIPTIONS):
            raise NotAllowedError(denied.message) from None
        raise SubscriptionRejected("qsmo", denied.message) from None


def _check_filters(
    qsmo: str | None, dimension: str | None, measure: str | None, min_severity: str
) -> None:
    for field, value in (("qsmo", qsmo), ("dimension", dimension), ("measure", measure)):
        if value is not None and not _IDENTIFIER.match(value):
            raise SubscriptionRejected(
                field, "must be a catalog id (lower-case letters, digits, -)"
            )
    if min_severity not in SEVERITY_RANK:
        raise SubscriptionRejected("min_severity", "must be one of info, warning, critical")
    frameworks = load_catalog().frameworks
    dimensions = {d.id for f in frameworks for d in f.dimensions}
    measures = {m.id: m.dimension for f in frameworks for m in f.measures}
    if dimension is not None and dimension not in dimensions:
        raise SubscriptionRejected("dimension", f"unknown dimension {dimension!r}")
    if measure is not None and measure not in measures:
        raise SubscriptionRejected("measure", f"unknown measure {measure!r}")
    if measure is not None and dimension is not None and measures[measure] != dimension:
        raise SubscriptionRejected(
            "measure", f"measure {measure!r} is not in dimension {dimension!r}"
        )
