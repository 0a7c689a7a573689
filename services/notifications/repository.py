"""Storage adapters of the notification service: MongoDB (real) and in memory (unit tests).

Both pass ``tests/contract/test_notification_store.py``. Collections are named in
``documents.py``; every document here has one writer, this service (see there).
"""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, ReplaceOne
from pymongo.errors import BulkWriteError

from services.notifications import documents as docs
from services.notifications.models import Delivery, Notification, StakeholderList, Subscription
from services.notifications.ports import PendingDelivery
from services.notifications.restated import ClosedSnapshot
from services.notifications.rules import Condition
from services.notifications.signals import Freshness
from services.notifications.surges import SurgeWindow
from shared.events import NotificationRaised
from shared.mongo import bulk_write_chunked

DUPLICATE_KEY = 11000


def outbox_id(event: NotificationRaised) -> str:
    return f"{event.notification_id}|{event.state}"


class MongoNotificationStore:
    """The service's documents in a MongoDB (or FerretDB) database."""

    def __init__(self, database: Any) -> None:
        self._db = database

    async def create_indexes(self) -> None:
        """Indexes for newest-first pages, due deliveries and open conditions."""
        notifications = self._db[docs.NOTIFICATIONS]
        await notifications.create_index([("raised_at", DESCENDING), ("_id", DESCENDING)])
        await notifications.create_index([("qsmo", ASCENDING), ("raised_at", DESCENDING)])
        deliveries = self._db[docs.DELIVERIES]
        await deliveries.create_index([("status", ASCENDING), ("next_attempt_at", ASCENDING)])
        await deliveries.create_index([("notification_id", ASCENDING)])
        await deliveries.create_index([("created_at", DESCENDING), ("_id", DESCENDING)])
        await self._db[docs.CONDITIONS].create_index([("open", ASCENDING)])
        await self._db[docs.SUBSCRIPTIONS].create_index([("qsmo", ASCENDING)])

    async def ping(self) -> None:
        await self._db.command("ping")

    async def save_notifications(self, notifications: Sequence[Notification]) -> None:
        await self._replace(
            docs.NOTIFICATIONS, [docs.notification_document(n) for n in notifications]
        )

    async def update_notifications(self, ids: Collection[str], fields: Mapping[str, Any]) -> None:
        if ids:
            await self._db[docs.NOTIFICATIONS].update_many(
                {"_id": {"$in": sorted(ids)}}, {"$set": dict(fields)}
            )

    async def load_notifications(self, ids: Collection[str]) -> list[Notification]:
        found = await self._find(docs.NOTIFICATIONS, ids)
        return [docs.notification_from(d, None) for d in found]

    async def notifications_raised_between(
        self, start: datetime, end: datetime
    ) -> list[Notification]:
        query = {"raised_at": {"$gte": start, "$lt": end}}
        found = await self._db[docs.NOTIFICATIONS].find(query).to_list()
        return [docs.notification_from(d, None) for d in found]

    async def load_conditions(self, keys: Collection[str]) -> dict[str, Condition]:
        return _models(Condition, "key", await self._find(docs.CONDITIONS, keys))

    async def open_conditions(self) -> dict[str, Condition]:
        found = await self._db[docs.CONDITIONS].find({"open": True}).to_list()
        return _models(Condition, "key", found)

    async def save_conditions(self, conditions: Sequence[Condition]) -> None:
        await self._replace(docs.CONDITIONS, [_document(c, c.key) for c in conditions])

    async def load_freshness(self, keys: Collection[str] | None) -> dict[str, Freshness]:
        return {
            f.key: f
            for f in _models(Freshness, None, await self._find(docs.FRESHNESS, keys)).values()
        }

    async def save_freshness(self, items: Sequence[Freshness]) -> None:
        await self._replace(docs.FRESHNESS, [_document(f, f.key) for f in items])

    async def load_snapshots(self, scorecard_ids: Collection[str]) -> dict[str, ClosedSnapshot]:
        found = await self._find(docs.CLOSED_SNAPSHOTS, scorecard_ids)
        return _models(ClosedSnapshot, "scorecard_id", found)

    async def save_snapshots(self, snapshots: Sequence[ClosedSnapshot]) -> None:
        documents = [_document(s, s.scorecard_id) for s in snapshots]
        await self._replace(docs.CLOSED_SNAPSHOTS, documents)

    async def load_surge_windows(self, keys: Collection[str] | None) -> dict[str, SurgeWindow]:
        found = _models(SurgeWindow, None, await self._find(docs.SURGE_WINDOWS, keys))
        return {w.key: w for w in found.values()}

    async def save_surge_windows(self, windows: Sequence[SurgeWindow]) -> None:
        await self._replace(docs.SURGE_WINDOWS, [_document(w, w.key) for w in windows])

    async def subscriptions(self) -> list[Subscription]:
        found = await self._db[docs.SUBSCRIPTIONS].find({}, {"secret": 0}).to_list()
        return [docs.subscription_from(d) for d in found]

    async def subscription_secret(self, subscription_id: str) -> str | None:
        found = await self._db[docs.SUBSCRIPTIONS].find_one({"_id": subscription_id}, {"secret": 1})
        return None if found is None else str(found["secret"])

    async def add_outbox(self, events: Sequence[NotificationRaised]) -> None:
        documents = [{"_id": outbox_id(e), "event": e.model_dump(mode="json")} for e in events]
        await self._replace(docs.OUTBOX, documents)

    async def outbox(self, limit: int) -> list[NotificationRaised]:
        found = await self._db[docs.OUTBOX].find({}).sort("_id").limit(limit).to_list()
        events = [NotificationRaised.model_validate(d["event"]) for d in found]
        return sorted(events, key=lambda e: (e.raised_at, e.state != "raised"))

    async def remove_outbox(self, events: Sequence[NotificationRaised]) -> None:
        if events:
            await self._db[docs.OUTBOX].delete_many(
                {"_id": {"$in": [outbox_id(e) for e in events]}}
            )

    async def add_deliveries(self, deliveries: Sequence[PendingDelivery]) -> None:
        if not deliveries:
            return
        documents = [docs.delivery_document(p.delivery, p.body) for p in deliveries]
        try:
            await self._db[docs.DELIVERIES].insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if any(f["code"] != DUPLICATE_KEY for f in error.details["writeErrors"]):
                raise

    async def known_deliveries(self, ids: Collection[str]) -> set[str]:
        if not ids:
            return set()
        cursor = self._db[docs.DELIVERIES].find({"_id": {"$in": sorted(ids)}}, {"_id": 1})
        return {d["_id"] for d in await cursor.to_list()}

    async def due_deliveries(
        self, now: datetime, limit: int, exclude: Collection[str]
    ) -> list[PendingDelivery]:
        query: dict[str, Any] = {"status": "pending", "next_attempt_at": {"$lte": now}}
        if exclude:
            query["_id"] = {"$nin": sorted(exclude)}
        cursor = self._db[docs.DELIVERIES].find(query).sort("next_attempt_at", ASCENDING)
        found = await cursor.limit(limit).to_list()
        return [PendingDelivery(docs.delivery_from(d), d["body"]) for d in found]

    async def next_due_at(self, exclude: Collection[str]) -> datetime | None:
        query: dict[str, Any] = {"status": "pending"}
        if exclude:
            query["_id"] = {"$nin": sorted(exclude)}
        cursor = self._db[docs.DELIVERIES].find(query, {"next_attempt_at": 1})
        found = await cursor.sort("next_attempt_at", ASCENDING).limit(1).to_list()
        return docs.utc(found[0]["next_attempt_at"]) if found else None

    async def save_delivery(self, delivery: Delivery) -> None:
        fields = delivery.model_dump(exclude={"id"})
        await self._db[docs.DELIVERIES].update_one({"_id": delivery.id}, {"$set": fields})

    async def stakeholder_lists(self) -> list[StakeholderList]:
        found = await self._db[docs.STAKEHOLDER_LISTS].find({}).to_list()
        return [docs.stakeholder_list_from(d) for d in found]

    async def handled_review_messages(self, message_ids: Collection[str]) -> set[str]:
        found = await self._find(docs.REVIEW_MESSAGES, message_ids)
        return {d["_id"] for d in found}

    async def mark_review_messages(self, message_ids: Collection[str]) -> None:
        await self._replace(docs.REVIEW_MESSAGES, [{"_id": i} for i in sorted(message_ids)])

    async def delivery_backlog(self) -> tuple[int, int]:
        deliveries = self._db[docs.DELIVERIES]
        pending = await deliveries.count_documents({"status": "pending"})
        retrying = await deliveries.count_documents({"status": "pending", "attempts": {"$gt": 0}})
        return pending, retrying

    async def _find(self, collection: str, keys: Collection[str] | None) -> list[dict[str, Any]]:
        if keys is not None and not keys:
            return []
        query = {} if keys is None else {"_id": {"$in": sorted(keys)}}
        found: list[dict[str, Any]] = await self._db[collection].find(query).to_list()
        return found

    async def _replace(self, collection: str, documents: list[dict[str, Any]]) -> None:
        operations = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
        await bulk_write_chunked(self._db[collection], operations)


def _document(model: BaseModel, key: str) -> dict[str, Any]:
    return {"_id": key, **model.model_dump(mode="python")}


def _models(model: type[Any], key_field: str | None, found: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for document in found:
        fields = {k: v for k, v in document.items() if k != "_id"}
        if key_field is not None:
            fields[key_field] = document["_id"]
        result[document["_id"]] = model.model_validate(_aware(fields))
    return result


def _aware(value: Any) -> Any:
    if isinstance(value, datetime):
        return docs.utc(value)
    if isinstance(value, dict):
        return {k: _aware(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_aware(v) for v in value]
    return value


class InMemoryNotificationStore:
    """The same behaviour in dictionaries, for unit tests of the handlers."""

    def __init__(self) -> None:
        self.notifications: dict[str, Notification] = {}
        self.conditions: dict[str, Condition] = {}
        self.freshness: dict[str, Freshness] = {}
        self.snapshots: dict[str, ClosedSnapshot] = {}
        self.windows: dict[str, SurgeWindow] = {}
        self.subscription_list: list[tuple[Subscription, str]] = []
        self.outbox_events: dict[str, NotificationRaised] = {}
        self.deliveries: dict[str, PendingDelivery] = {}
        self.lists: dict[str, StakeholderList] = {}
        self.review_messages: set[str] = set()

    async def create_indexes(self) -> None:
        return None

    async def ping(self) -> None:
        return None

    async def save_notifications(self, notifications: Sequence[Notification]) -> None:
        self.notifications.update({n.id: n for n in notifications})

    async def update_notifications(self, ids: Collection[str], fields: Mapping[str, Any]) -> None:
        for i in ids:
            if i in self.notifications:
                self.notifications[i] = self.notifications[i].model_copy(update=dict(fields))

    async def load_notifications(self, ids: Collection[str]) -> list[Notification]:
        return [self.notifications[i] for i in sorted(ids) if i in self.notifications]

    async def notifications_raised_between(
        self, start: datetime, end: datetime
    ) -> list[Notification]:
        return [n for n in self.notifications.values() if start <= n.raised_at < end]

    async def load_conditions(self, keys: Collection[str]) -> dict[str, Condition]:
        return {k: self.conditions[k] for k in keys if k in self.conditions}

    async def open_conditions(self) -> dict[str, Condition]:
        return {k: c for k, c in self.conditions.items() if c.open}

    async def save_conditions(self, conditions: Sequence[Condition]) -> None:
        self.conditions.update({c.key: c for c in conditions})

    async def load_freshness(self, keys: Collection[str] | None) -> dict[str, Freshness]:
        return _select(self.freshness, keys)

    async def save_freshness(self, items: Sequence[Freshness]) -> None:
        self.freshness.update({f.key: f for f in items})

    async def load_snapshots(self, scorecard_ids: Collection[str]) -> dict[str, ClosedSnapshot]:
        return _select(self.snapshots, scorecard_ids)

    async def save_snapshots(self, snapshots: Sequence[ClosedSnapshot]) -> None:
        self.snapshots.update({s.scorecard_id: s for s in snapshots})

    async def load_surge_windows(self, keys: Collection[str] | None) -> dict[str, SurgeWindow]:
        return _select(self.windows, keys)

    async def save_surge_windows(self, windows: Sequence[SurgeWindow]) -> None:
        self.windows.update({w.key: w for w in windows})

    async def subscriptions(self) -> list[Subscription]:
        return [s for s, _ in self.subscription_list]

    async def subscription_secret(self, subscription_id: str) -> str | None:
        return next((x for s, x in self.subscription_list if s.id == subscription_id), None)

    async def add_outbox(self, events: Sequence[NotificationRaised]) -> None:
        self.outbox_events.update({outbox_id(e): e for e in events})

    async def outbox(self, limit: int) -> list[NotificationRaised]:
        events = [self.outbox_events[k] for k in sorted(self.outbox_events)][:limit]
        return sorted(events, key=lambda e: (e.raised_at, e.state != "raised"))

    async def remove_outbox(self, events: Sequence[NotificationRaised]) -> None:
        for event in events:
            self.outbox_events.pop(outbox_id(event), None)

    async def add_deliveries(self, deliveries: Sequence[PendingDelivery]) -> None:
        for pending in deliveries:
            self.deliveries.setdefault(pending.delivery.id, pending)

    async def known_deliveries(self, ids: Collection[str]) -> set[str]:
        return {i for i in ids if i in self.deliveries}

    async def due_deliveries(
        self, now: datetime, limit: int, exclude: Collection[str]
    ) -> list[PendingDelivery]:
        due = [
            p
            for p in self.deliveries.values()
            if p.delivery.status == "pending"
            and p.delivery.next_attempt_at is not None
            and p.delivery.next_attempt_at <= now
            and p.delivery.id not in exclude
        ]
        return sorted(due, key=lambda p: p.delivery.next_attempt_at or now)[:limit]

    async def next_due_at(self, exclude: Collection[str]) -> datetime | None:
        times = [
            p.delivery.next_attempt_at
            for p in self.deliveries.values()
            if p.delivery.status == "pending"
            and p.delivery.next_attempt_at is not None
            and p.delivery.id not in exclude
        ]
        return min(times, default=None)

    async def save_delivery(self, delivery: Delivery) -> None:
        stored = self.deliveries[delivery.id]
        self.deliveries[delivery.id] = PendingDelivery(delivery, stored.body)

    async def stakeholder_lists(self) -> list[StakeholderList]:
        return [self.lists[k] for k in sorted(self.lists)]

    async def handled_review_messages(self, message_ids: Collection[str]) -> set[str]:
        return set(message_ids) & self.review_messages

    async def mark_review_messages(self, message_ids: Collection[str]) -> None:
        self.review_messages.update(message_ids)

    async def delivery_backlog(self) -> tuple[int, int]:
        pending = [p.delivery for p in self.deliveries.values() if p.delivery.status == "pending"]
        return len(pending), sum(1 for d in pending if d.attempts > 0)


def _select(items: Mapping[str, Any], keys: Collection[str] | None) -> dict[str, Any]:
    return dict(items) if keys is None else {k: items[k] for k in keys if k in items}
