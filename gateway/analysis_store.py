"""Where commentary and improvement actions are kept: MongoDB, or memory for tests.

``gateway_commentary`` (insert-only) and ``gateway_improvement_actions`` (one document per
action; a status change is a compare-and-set on ``revision``, so of two concurrent changes
one wins and the other is told to retry). Lists are newest first (``created_at``, ``_id``).
The Adjust loop drafts actions with derived ids (``add_action_if_absent``: a replay finds
the id taken and writes nothing) and remembers the due date it announced as overdue.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from gateway.analysis import ActionStatus, Commentary, ImprovementAction
from gateway.pagination import Position

COMMENTARY = "gateway_commentary"
ACTIONS = "gateway_improvement_actions"

CommentaryKey = tuple[str, str, int]
"""(qsmo, measure, fiscal_year)"""
ActionKey = tuple[str, str]
"""(qsmo, measure)"""
CONFIRMED = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
"""What ``open_actions`` lists (a scorecard's open actions): drafts wait for a person first."""
UNCLOSED = [ActionStatus.DRAFT.value, *(s.value for s in CONFIRMED)]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _after(position: Position | None) -> dict[str, Any]:
    if position is None:
        return {}
    at = _utc(position.at)
    return {"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": position.id}}]}


def _newest_first(position: Position | None, at: datetime, item_id: str) -> bool:
    if position is None:
        return True
    return (_utc(at), item_id) < (_utc(position.at), position.id)


class MongoAnalysisStore:
    """The gateway's own collections on the platform's database."""

    def __init__(self, database: Any) -> None:
        self._commentary = database[COMMENTARY]
        self._actions = database[ACTIONS]

    async def create_indexes(self) -> None:
        await self._commentary.create_index(
            [("qsmo", ASCENDING), ("fiscal_year", ASCENDING), ("created_at", DESCENDING)]
        )
        await self._actions.create_index([("qsmo", ASCENDING), ("created_at", DESCENDING)])

    async def add_commentary(self, commentary: Commentary) -> None:
        document = commentary.model_dump(mode="python", exclude={"id"})
        await self._commentary.insert_one({"_id": commentary.id, **document})

    async def commentary_page(
        self,
        qsmo: str,
        measure: str | None,
        fiscal_year: int | None,
        size: int,
        after: Position | None,
    ) -> list[Commentary]:
        query: dict[str, Any] = {"qsmo": qsmo, **_after(after)}
        if measure is not None:
            query["measure"] = measure
        if fiscal_year is not None:
            query["fiscal_year"] = fiscal_year
        cursor = (
            self._commentary.find(query).sort([("created_at", -1), ("_id", -1)]).limit(size + 1)
        )
        return [_commentary(d) for d in await cursor.to_list()]

    async def latest_commentary(
        self, keys: Sequence[CommentaryKey]
    ) -> dict[CommentaryKey, Commentary]:
        if not keys:
            return {}
        query = {
            "qsmo": {"$in": sorted({k[0] for k in keys})},
            "fiscal_year": {"$in": sorted({k[2] for k in keys})},
        }
        found = await self._commentary.find(query).sort([("created_at", -1), ("_id", -1)]).to_list()
        return _latest_by_key((_commentary(d) for d in found), set(keys))

    async def add_action(self, action: ImprovementAction) -> None:
        await self._actions.insert_one(_action_document(action))

    async def add_action_if_absent(self, action: ImprovementAction) -> bool:
        try:
            await self._actions.insert_one(_action_document(action))
        except DuplicateKeyError:
            return False
        return True

    async def mark_overdue_announced(self, action_id: str, due_date: date) -> None:
        await self._actions.update_one(
            {"_id": action_id}, {"$set": {"overdue_announced": due_date.isoformat()}}
        )

    async def unclosed_actions(self) -> list[ImprovementAction]:
        found = await self._actions.find({"status": {"$in": UNCLOSED}}).to_list()
        return [_action(d) for d in _sorted_documents(found)]

    async def get_action(self, action_id: str) -> ImprovementAction | None:
        document = await self._actions.find_one({"_id": action_id})
        return None if document is None else _action(document)

    async def replace_action(self, action: ImprovementAction, expected_revision: int) -> bool:
        result = await self._actions.replace_one(
            {"_id": action.id, "revision": expected_revision}, _action_document(action)
        )
        return bool(result.matched_count)

    async def actions_page(
        self,
        qsmo: str | None,
        measure: str | None,
        status: ActionStatus | None,
        size: int,
        after: Position | None,
    ) -> list[ImprovementAction]:
        query: dict[str, Any] = _after(after)
        for name, value in (("qsmo", qsmo), ("measure", measure)):
            if value is not None:
                query[name] = value
        if status is not None:
            query["status"] = status.value
        cursor = self._actions.find(query).sort([("created_at", -1), ("_id", -1)]).limit(size + 1)
        return [_action(d) for d in await cursor.to_list()]

    async def open_actions(
        self, keys: Sequence[ActionKey]
    ) -> dict[ActionKey, list[ImprovementAction]]:
        if not keys:
            return {}
        query = {
            "qsmo": {"$in": sorted({k[0] for k in keys})},
            "status": {"$in": [s.value for s in CONFIRMED]},
        }
        found = await self._actions.find(query).sort([("created_at", -1), ("_id", -1)]).to_list()
        return _group_actions((_action(d) for d in found), set(keys))


class InMemoryAnalysisStore:
    """The same behaviour in memory, for unit tests."""

    def __init__(self) -> None:
        self.commentary: list[Commentary] = []
        self.actions: dict[str, ImprovementAction] = {}

    async def create_indexes(self) -> None:
        return None

    async def add_commentary(self, commentary: Commentary) -> None:
        self.commentary.append(commentary)

    async def commentary_page(
        self,
        qsmo: str,
        measure: str | None,
        fiscal_year: int | None,
        size: int,
        after: Position | None,
    ) -> list[Commentary]:
        found = [
            c
            for c in _sorted(self.commentary)
            if c.qsmo == qsmo
            and measure in (None, c.measure)
            and fiscal_year in (None, c.fiscal_year)
            and _newest_first(after, c.created_at, c.id)
        ]
        return found[: size + 1]

    async def latest_commentary(
        self, keys: Sequence[CommentaryKey]
    ) -> dict[CommentaryKey, Commentary]:
        return _latest_by_key(_sorted(self.commentary), set(keys))

    async def add_action(self, action: ImprovementAction) -> None:
        self.actions[action.id] = action

    async def add_action_if_absent(self, action: ImprovementAction) -> bool:
        if action.id in self.actions:
            return False
        self.actions[action.id] = action
        return True

    async def mark_overdue_announced(self, action_id: str, due_date: date) -> None:
        found = self.actions.get(action_id)
        if found is not None:
            self.actions[action_id] = found.model_copy(update={"overdue_announced": due_date})

    async def unclosed_actions(self) -> list[ImprovementAction]:
        return [a for a in _sorted(self.actions.values()) if not a.status.closed]

    async def get_action(self, action_id: str) -> ImprovementAction | None:
        return self.actions.get(action_id)

    async def replace_action(self, action: ImprovementAction, expected_revision: int) -> bool:
        current = self.actions.get(action.id)
        if current is None or current.revision != expected_revision:
            return False
        self.actions[action.id] = action
        return True

    async def actions_page(
        self,
        qsmo: str | None,
        measure: str | None,
        status: ActionStatus | None,
        size: int,
        after: Position | None,
    ) -> list[ImprovementAction]:
        found = [
            a
            for a in _sorted(self.actions.values())
            if qsmo in (None, a.qsmo)
            and measure in (None, a.measure)
            and status in (None, a.status)
            and _newest_first(after, a.created_at, a.id)
        ]
        return found[: size + 1]

    async def open_actions(
        self, keys: Sequence[ActionKey]
    ) -> dict[ActionKey, list[ImprovementAction]]:
        return _group_actions(
            (a for a in _sorted(self.actions.values()) if a.status in CONFIRMED), set(keys)
        )


def _sorted(items: Iterable[Any]) -> list[Any]:
    return sorted(items, key=lambda i: (_utc(i.created_at), i.id), reverse=True)


def _sorted_documents(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(documents, key=lambda d: (_utc(d["created_at"]), d["_id"]), reverse=True)


def _latest_by_key(
    newest_first: Iterable[Commentary], keys: set[CommentaryKey]
) -> dict[CommentaryKey, Commentary]:
    latest: dict[CommentaryKey, Commentary] = {}
    for item in newest_first:
        key = (item.qsmo, item.measure, item.fiscal_year)
        if key in keys and key not in latest:
            latest[key] = item
    return latest


def _group_actions(
    newest_first: Iterable[ImprovementAction], keys: set[ActionKey]
) -> dict[ActionKey, list[ImprovementAction]]:
    grouped: dict[ActionKey, list[ImprovementAction]] = {}
    for action in newest_first:
        key = (action.qsmo, action.measure)
        if key in keys:
            grouped.setdefault(key, []).append(action)
    return grouped


def _commentary(document: dict[str, Any]) -> Commentary:
    fields = {k: v for k, v in document.items() if k != "_id"}
    fields["created_at"] = _utc(fields["created_at"])
    return Commentary(id=document["_id"], **fields)


def _action_document(action: ImprovementAction) -> dict[str, Any]:
    document = action.model_dump(mode="python", exclude={"id"})
    document["due_date"] = action.due_date.isoformat()  # BSON has no date-only type
    if action.overdue_announced is not None:
        document["overdue_announced"] = action.overdue_announced.isoformat()
    return {"_id": action.id, **document}


def _action(document: dict[str, Any]) -> ImprovementAction:
    fields = {k: v for k, v in document.items() if k != "_id"}
    for name in ("created_at", "updated_at"):
        fields[name] = _utc(fields[name])
    fields["history"] = [{**h, "at": _utc(h["at"])} for h in fields.get("history", [])]
    return ImprovementAction(id=document["_id"], **fields)
