"""The reviews' audit log: every step of a review, of the Adjust loop and of a revision.

The framework audit log (``framework_changes``) records changes to the framework; this log
records the review process around it, people's steps and the automation's alike:
``review.created``, ``review.ready``, ``review.held``, ``packet.rendered``,
``packet.failed``, ``action.drafted`` (by the Adjust loop), ``action.overdue``,
``revision.proposed``, ``revision.accepted``, ``revision.declined``,
``stakeholders.changed``. An accepted revision also appears in the framework audit log
(it is applied through the framework's own audited operation).

Entries are insert-only with a **derived id** (``action.drafted:<action id>``), so a step
repeated by a replay, a restart or a second gateway records once: ``record`` answers False
for an id already there. Collection ``gateway_activity_log``; newest first by (at, id).
"""

from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from gateway.pagination import Position
from shared.api_keys import Person

COLLECTION = "gateway_activity_log"
AUTOMATION_ACTOR = "automation:adjust-loop"
"""The ``actor`` of the Adjust loop's own steps."""


class ActivityEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    at: datetime
    actor: str
    """A key id, ``automation:adjust-loop``, or (with single sign-on) a person."""
    action: str
    qsmo: str | None
    subject: str
    """The review, action or revision id the step is about."""
    summary: str
    details: dict[str, str] = Field(default_factory=dict)
    person: Person | None = None
    """A step taken with a sign-in token: the person (sub, name, issuer)."""


class ActivityLog(Protocol):
    async def record(self, entry: ActivityEntry) -> bool:
        """Append ``entry``; False (and nothing written) if its id is already recorded."""

    async def page(
        self, qsmo: str | None, subject: str | None, size: int, after: Position | None
    ) -> list[ActivityEntry]:
        """Newest first, ``size + 1`` at most; ``qsmo`` None: every scope."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MongoActivityLog:
    def __init__(self, database: Any) -> None:
        self._entries = database[COLLECTION]

    async def create_indexes(self) -> None:
        await self._entries.create_index([("qsmo", ASCENDING), ("at", DESCENDING)])
        await self._entries.create_index([("subject", ASCENDING), ("at", DESCENDING)])

    async def record(self, entry: ActivityEntry) -> bool:
        document = entry.model_dump(mode="python", exclude={"id"})
        try:
            await self._entries.insert_one({"_id": entry.id, **document})
        except DuplicateKeyError:
            return False
        return True

    async def page(
        self, qsmo: str | None, subject: str | None, size: int, after: Position | None
    ) -> list[ActivityEntry]:
        query: dict[str, Any] = {}
        if qsmo is not None:
            query["qsmo"] = qsmo
        if subject is not None:
            query["subject"] = subject
        if after is not None:
            at = _utc(after.at)
            query["$or"] = [{"at": {"$lt": at}}, {"at": at, "_id": {"$lt": after.id}}]
        cursor = self._entries.find(query).sort([("at", -1), ("_id", -1)]).limit(size + 1)
        return [
            ActivityEntry.model_validate({**d, "id": d["_id"], "at": _utc(d["at"])})
            for d in await cursor.to_list()
        ]


class InMemoryActivityLog:
    def __init__(self) -> None:
        self.entries: dict[str, ActivityEntry] = {}

    async def record(self, entry: ActivityEntry) -> bool:
        if entry.id in self.entries:
            return False
        self.entries[entry.id] = entry
        return True

    async def page(
        self, qsmo: str | None, subject: str | None, size: int, after: Position | None
    ) -> list[ActivityEntry]:
        chosen = [
            e
            for e in self.entries.values()
            if (qsmo is None or e.qsmo == qsmo)
            and (subject is None or e.subject == subject)
            and (after is None or (_utc(e.at), e.id) < (_utc(after.at), after.id))
        ]
        chosen.sort(key=lambda e: (_utc(e.at), e.id), reverse=True)
        return chosen[: size + 1]
