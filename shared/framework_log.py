"""The framework audit log: insert-only, numbered ``seq`` 1, 2, 3 … without gaps.

Collection ``framework_changes``: ``_id = change_id``, unique ``seq`` and unique ``unique_key``
(``qsmo|<id>`` for an added QSMO, ``provider|<id>`` for an added provider and
``provider-retired|<id>`` for a retirement, so two admins cannot add the same QSMO or provider,
or retire one twice; the change id otherwise). Several writers (gateway instances) may append
at once: each takes the next number and retries on the duplicate-key error the unique index
raises, so readers see the numbers in order. Both adapters pass
``tests/contract/test_framework_log.py``.

Only the gateway appends (``gateway.framework_admin``); the scorecard and ingest services read
(``FrameworkLogReader``) and fold what they read with ``shared.domain.framework_changes``.
"""

from collections.abc import Sequence
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared.domain.framework_changes import RecordedChange
from shared.events import FrameworkChanged

CHANGES = "framework_changes"
APPEND_ATTEMPTS = 50


class DuplicateChangeError(Exception):
    """A change with the same ``unique_key`` is already in the log."""


class FrameworkLogReader(Protocol):
    """The part of the log a reader needs: the entries after those it has folded."""

    async def after(self, seq: int) -> Sequence[RecordedChange]: ...


class FrameworkLog(FrameworkLogReader, Protocol):
    """The whole log, as its one writer (the gateway's framework admin) uses it."""

    async def append(self, change: FrameworkChanged, unique_key: str) -> int: ...

    async def page(self, limit: int, before_seq: int | None = None) -> list[RecordedChange]: ...

    async def seq_of(self, change_id: str) -> int | None: ...


def with_seq(change: FrameworkChanged, seq: int) -> RecordedChange:
    """The change as recorded at ``seq`` (also noted in ``details["seq"]``)."""
    details = {**change.details, "seq": str(seq)}
    return RecordedChange(seq, change.model_copy(update={"details": details}))


def _recorded(document: dict[str, Any]) -> RecordedChange:
    return with_seq(FrameworkChanged.model_validate(document), int(document["seq"]))


class MongoFrameworkLog:
    """The audit log in a MongoDB (or FerretDB) database."""

    def __init__(self, database: Any) -> None:
        self._changes = database[CHANGES]
        self._indexed = False

    async def create_indexes(self) -> None:
        """The unique indexes the log relies on (idempotent)."""
        await self._changes.create_index([("seq", ASCENDING)], unique=True)
        await self._changes.create_index([("unique_key", ASCENDING)], unique=True)
        self._indexed = True

    async def append(self, change: FrameworkChanged, unique_key: str) -> int:
        """Store ``change`` under the next sequence number and return it."""
        if not self._indexed:
            await self.create_indexes()
        for _ in range(APPEND_ATTEMPTS):
            last = (
                await self._changes.find({}, {"seq": 1}).sort("seq", DESCENDING).limit(1).to_list()
            )
            seq = int(last[0]["seq"]) + 1 if last else 1
            document = {
                "_id": change.change_id,
                "seq": seq,
                "unique_key": unique_key,
                **change.model_dump(),
            }
            try:
                await self._changes.insert_one(document)
            except DuplicateKeyError:
                if await self._changes.find_one({"unique_key": unique_key}) is not None:
                    raise DuplicateChangeError(unique_key) from None
                continue  # another writer took this number: take the next one
            return seq
        raise RuntimeError("could not append to the framework log: too much contention")

    async def after(self, seq: int) -> list[RecordedChange]:
        """Every change numbered above ``seq``, in order."""
        found = await self._changes.find({"seq": {"$gt": seq}}).sort("seq", ASCENDING).to_list()
        return [_recorded(d) for d in found]

    async def page(self, limit: int, before_seq: int | None = None) -> list[RecordedChange]:
        """Up to ``limit`` changes numbered below ``before_seq`` (None: all), newest first."""
        query = {} if before_seq is None else {"seq": {"$lt": before_seq}}
        cursor = self._changes.find(query).sort("seq", DESCENDING).limit(limit)
        return [_recorded(d) for d in await cursor.to_list()]

    async def seq_of(self, change_id: str) -> int | None:
        """The number of the change with this id, or None."""
        found = await self._changes.find_one({"_id": change_id}, {"seq": 1})
        return None if found is None else int(found["seq"])


class InMemoryFrameworkLog:
    """The same log in a list, for unit tests."""

    def __init__(self) -> None:
        self.records: list[RecordedChange] = []
        self._keys: set[str] = set()

    async def append(self, change: FrameworkChanged, unique_key: str) -> int:
        if unique_key in self._keys:
            raise DuplicateChangeError(unique_key)
        self._keys.add(unique_key)
        self.records.append(with_seq(change, len(self.records) + 1))
        return len(self.records)

    async def after(self, seq: int) -> list[RecordedChange]:
        return [r for r in self.records if r.seq > seq]

    async def page(self, limit: int, before_seq: int | None = None) -> list[RecordedChange]:
        older = [r for r in self.records if before_seq is None or r.seq < before_seq]
        return list(reversed(older))[:limit]

    async def seq_of(self, change_id: str) -> int | None:
        return next((r.seq for r in self.records if r.change.change_id == change_id), None)
