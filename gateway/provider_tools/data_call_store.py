"""Where data calls are kept: MongoDB (``provider_data_calls``), or memory for tests.

One document per provider and fiscal year (``_id`` ``<provider>|FY<fiscal year>``) holding
every version; the latest version's status is copied to ``status`` so the review queue is
one query. A change is a compare-and-set on ``revision``: the first version is an insert (a
duplicate key means someone else created it first), every later change replaces the
document only if its revision is still the one read; ``save`` answers False when it lost.
"""

from collections.abc import Collection
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.domain.data_call_versions import DataCall, DataCallStatus

COLLECTION = "provider_data_calls"


class DataCallStore(Protocol):
    """What the data-call tool needs from storage."""

    async def create_indexes(self) -> None: ...

    async def get(self, call_id: str) -> DataCall | None: ...

    async def save(self, call: DataCall, expected_revision: int | None) -> bool:
        """Store ``call`` if the stored revision is ``expected_revision`` (None: none stored
        yet); False if another change came first."""
        ...

    async def under_review(self, providers: Collection[str] | None) -> list[DataCall]:
        """Data calls whose latest version is submitted, oldest submission first
        (``providers``: only theirs; None: everyone's)."""
        ...

    async def of_fiscal_year(
        self, fiscal_year: int, providers: Collection[str] | None
    ) -> list[DataCall]:
        """The fiscal year's data calls by provider id (``providers`` as above)."""
        ...


def _document(call: DataCall) -> dict[str, Any]:
    body = call.model_dump(mode="python", exclude={"id"})
    return {"_id": call.id, **body, "status": call.status.value}


def _call(document: dict[str, Any]) -> DataCall:
    body = {k: v for k, v in document.items() if k not in ("_id", "status")}
    return DataCall.model_validate({"id": document["_id"], **body})


def _submitted_first(calls: list[DataCall]) -> list[DataCall]:
    return sorted(calls, key=lambda c: (c.latest.submitted_at, c.id))


class MongoDataCallStore:
    """Data calls in the platform's database."""

    def __init__(self, database: Any) -> None:
        self._calls = database[COLLECTION]

    async def create_indexes(self) -> None:
        await self._calls.create_index([("status", ASCENDING), ("provider", ASCENDING)])
        await self._calls.create_index([("fiscal_year", ASCENDING), ("provider", ASCENDING)])

    async def get(self, call_id: str) -> DataCall | None:
        document = await self._calls.find_one({"_id": call_id})
        return None if document is None else _call(document)

    async def save(self, call: DataCall, expected_revision: int | None) -> bool:
        if expected_revision is None:
            try:
                await self._calls.insert_one(_document(call))
            except DuplicateKeyError:
                return False
            return True
        result = await self._calls.replace_one(
            {"_id": call.id, "revision": expected_revision}, _document(call)
        )
        return bool(result.matched_count)

    async def under_review(self, providers: Collection[str] | None) -> list[DataCall]:
        query: dict[str, Any] = {"status": DataCallStatus.SUBMITTED.value}
        if providers is not None:
            query["provider"] = {"$in": sorted(providers)}
        return _submitted_first([_call(d) for d in await self._calls.find(query).to_list()])

    async def of_fiscal_year(
        self, fiscal_year: int, providers: Collection[str] | None
    ) -> list[DataCall]:
        query: dict[str, Any] = {"fiscal_year": fiscal_year}
        if providers is not None:
            query["provider"] = {"$in": sorted(providers)}
        found = await self._calls.find(query).sort("provider", ASCENDING).to_list()
        return [_call(d) for d in found]


class InMemoryDataCallStore:
    """The same behaviour in memory, for unit tests."""

    def __init__(self) -> None:
        self.calls: dict[str, DataCall] = {}

    async def create_indexes(self) -> None:
        return None

    async def get(self, call_id: str) -> DataCall | None:
        return self.calls.get(call_id)

    async def save(self, call: DataCall, expected_revision: int | None) -> bool:
        stored = self.calls.get(call.id)
        if (None if stored is None else stored.revision) != expected_revision:
            return False
        self.calls[call.id] = call
        return True

    async def under_review(self, providers: Collection[str] | None) -> list[DataCall]:
        return _submitted_first(
            [
                c
                for c in self.calls.values()
                if c.status is DataCallStatus.SUBMITTED
                and (providers is None or c.provider in providers)
            ]
        )

    async def of_fiscal_year(
        self, fiscal_year: int, providers: Collection[str] | None
    ) -> list[DataCall]:
        found = [
            c
            for c in self.calls.values()
            if c.fiscal_year == fiscal_year and (providers is None or c.provider in providers)
        ]
        return sorted(found, key=lambda c: c.provider)
