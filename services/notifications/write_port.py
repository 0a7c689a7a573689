"""The notifications service's write port: the writes the gateway performs, nothing else.

``SubscriptionStore(database, allow_private=…)`` creates, lists and deletes webhook
subscriptions (publishers for their own QSMO, admins for any: ``shared.authorization``) and
records acknowledgements of notifications. Secrets are stored for signing but never returned
or logged. ``stakeholder_lists(database)`` (a ``StakeholderListStore``) keeps the lists a
ready review's packet is emailed to (admins manage them). It raises the errors of the read door
(``services.notifications.read_model``): ``SubscriptionRejected(field, message)`` for invalid
input, ``NotAllowedError`` when the caller's role forbids it, ``NotFoundError``.
"""

import contextlib
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.notifications import documents as docs
from services.notifications.models import (
    SEVERITY_RANK,
    DeliveryMode,
    Notification,
    Severity,
    Subscription,
)
from services.notifications.read_model import (
    NotAllowedError,
    NotFoundError,
    NotificationReader,
    SubscriptionRejected,
)
from services.notifications.stakeholder_store import (
    UNCHANGED,
    InMemoryStakeholderListRecords,
    MongoStakeholderListRecords,
    StakeholderListRecords,
    StakeholderListStore,
    Unchanged,
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

MIN_SECRET, MAX_SECRET = 16, 512
Clock = Callable[[], datetime]
_IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def _utc_now() -> datetime:
    return datetime.now(UTC)


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
        delivery: DeliveryMode = "IMMEDIATE",
    ) -> Subscription:
        """Store a webhook subscription; raises ``SubscriptionRejected`` naming the field.

        ``delivery``: ``IMMEDIATE`` (a webhook per notification state) or ``DAILY_DIGEST``
        (one webhook a UTC day, from the day after creation on)."""
        _check_may_manage(principal, qsmo)
        _check_filters(qsmo, dimension, measure, min_severity)
        if delivery not in ("IMMEDIATE", "DAILY_DIGEST"):
            raise SubscriptionRejected("delivery", "must be IMMEDIATE or DAILY_DIGEST")
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
            delivery=delivery,
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
        """Acknowledge a notification (see ``acknowledge``)."""
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


def stakeholder_lists(database: Any, clock: Clock = _utc_now) -> StakeholderListStore:
    """The stakeholder lists kept in ``database`` (``notification_stakeholder_lists``)."""
    return StakeholderListStore(MongoStakeholderListRecords(database), clock)


__all__ = [
    "UNCHANGED",
    "InMemoryStakeholderListRecords",
    "StakeholderListRecords",
    "StakeholderListStore",
    "SubscriptionStore",
    "Unchanged",
    "stakeholder_lists",
]
