"""Storage adapters of the scorecard service: MongoDB (real) and in memory (unit tests).

Both pass ``tests/contract/test_scorecard_repository.py``. Every write here is made by the
one owner of the documents concerned (see docs/scorecard.md), so plain replaces are safe.
"""

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError

from services.scorecard import documents as docs
from services.scorecard.inputs import InputState
from services.scorecard.ports import LatestVersion, StoredVersion
from services.scorecard.read_model import create_read_indexes
from shared.mongo import bulk_write_chunked, find_by_ids

DUPLICATE_KEY = 11000
INSERT_CHUNK = 500


class MongoScorecardRepository:
    """The scorecard collections in a MongoDB (or FerretDB) database."""

    def __init__(self, database: Any) -> None:
        self._db = database

    async def create_indexes(self) -> None:
        """Indexes for the owner lookups and the reads (idempotent)."""
        await self._db[docs.INPUTS].create_index([("owner", ASCENDING), ("fiscal_year", ASCENDING)])
        await create_read_indexes(self._db)

    async def load_inputs(self, owners: Collection[str]) -> list[InputState]:
        if not owners:
            return []
        found = await self._db[docs.INPUTS].find({"owner": {"$in": sorted(owners)}}).to_list()
        return [docs.input_state(d) for d in found]

    async def save_inputs(self, states: Collection[InputState]) -> None:
        await self._replace_all(docs.INPUTS, [docs.input_document(s) for s in states])

    async def scorecards_of(self, owners: Collection[str] | None) -> set[tuple[str, int]]:
        query = {} if owners is None else {"owner": {"$in": sorted(owners)}}
        cursor = self._db[docs.INPUTS].find(query, {"owner": 1, "fiscal_year": 1})
        return {(d["owner"], int(d["fiscal_year"])) async for d in cursor}

    async def load_latest(self, scorecard_ids: Collection[str]) -> Mapping[str, LatestVersion]:
        if not scorecard_ids:
            return {}
        # By _id, one lookup each: FerretDB 1.24 answers ``$in`` with a full scan, and
        # the versions collection is the whole insert-only history (docs/local-infra.md).
        current = await find_by_ids(self._db[docs.CURRENT], sorted(scorecard_ids))
        latest = {
            d["_id"]: LatestVersion(docs.stored_from(d), bool(d["published"])) for d in current
        }
        # Versions stored after the pointer (a crash between the two writes): follow them.
        probes = {
            sid: (latest[sid].stored.view.version if sid in latest else 0) + 1
            for sid in scorecard_ids
        }
        while probes:
            ids = [docs.version_id(sid, version) for sid, version in probes.items()]
            found = await find_by_ids(self._db[docs.VERSIONS], ids)
            probes = {}
            for document in found:
                stored = docs.stored_from(document)
                latest[stored.view.scorecard_id] = LatestVersion(stored, published=False)
                probes[stored.view.scorecard_id] = stored.view.version + 1
        return latest

    async def insert_versions(self, versions: Sequence[StoredVersion]) -> None:
        documents = [docs.version_document(v) for v in versions]
        for start in range(0, len(documents), INSERT_CHUNK):
            try:
                await self._db[docs.VERSIONS].insert_many(
                    documents[start : start + INSERT_CHUNK], ordered=False
                )
            except BulkWriteError as error:
                if any(f["code"] != DUPLICATE_KEY for f in error.details["writeErrors"]):
                    raise

    async def save_current(self, versions: Sequence[StoredVersion]) -> None:
        await self._replace_all(
            docs.CURRENT, [docs.current_document(v, published=False) for v in versions]
        )

    async def mark_published(self, versions: Mapping[str, int]) -> None:
        operations = [
            UpdateOne({"_id": sid, "version": version}, {"$set": {"published": True}})
            for sid, version in sorted(versions.items())
        ]
        await bulk_write_chunked(self._db[docs.CURRENT], operations)

    async def load_watermarks(self, keys: Collection[str]) -> Mapping[str, int]:
        if not keys:
            return {}
        found = await self._db[docs.PARTITIONS].find({"_id": {"$in": sorted(keys)}}).to_list()
        return {d["_id"]: int(d["framework_seq"]) for d in found}

    async def save_watermarks(self, marks: Mapping[str, int]) -> None:
        documents = [{"_id": key, "framework_seq": seq} for key, seq in sorted(marks.items())]
        await self._replace_all(docs.PARTITIONS, documents)

    async def count_by_status(self) -> Mapping[str, int]:
        cursor = self._db[docs.CURRENT].find({}, {"overall_status": 1})
        return Counter([d["overall_status"] async for d in cursor])

    async def _replace_all(self, collection: str, documents: list[dict[str, Any]]) -> None:
        operations = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
        await bulk_write_chunked(self._db[collection], operations)

    async def ping(self) -> None:
        await self._db.command("ping")

    def forget_cached(self) -> None:
        return None  # keeps nothing (the service wraps it in cache.CachedScorecardRepository)


class InMemoryScorecardRepository:
    """The same behaviour in dictionaries of documents, for unit tests of the handlers."""

    def __init__(self) -> None:
        self.inputs: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, dict[str, Any]] = {}
        self.current: dict[str, dict[str, Any]] = {}
        self.watermarks: dict[str, int] = {}

    async def load_inputs(self, owners: Collection[str]) -> list[InputState]:
        wanted = set(owners)
        return [docs.input_state(d) for d in self.inputs.values() if d["owner"] in wanted]

    async def save_inputs(self, states: Collection[InputState]) -> None:
        for state in states:
            self.inputs[state.key] = docs.input_document(state)

    async def scorecards_of(self, owners: Collection[str] | None) -> set[tuple[str, int]]:
        return {
            (d["owner"], d["fiscal_year"])
            for d in self.inputs.values()
            if owners is None or d["owner"] in owners
        }

    async def load_latest(self, scorecard_ids: Collection[str]) -> Mapping[str, LatestVersion]:
        latest: dict[str, LatestVersion] = {}
        for sid in scorecard_ids:
            version = 0
            if sid in self.current:
                document = self.current[sid]
                latest[sid] = LatestVersion(docs.stored_from(document), document["published"])
                version = document["version"]
            while docs.version_id(sid, version + 1) in self.versions:
                version += 1
                stored = docs.stored_from(self.versions[docs.version_id(sid, version)])
                latest[sid] = LatestVersion(stored, published=False)
        return latest

    async def insert_versions(self, versions: Sequence[StoredVersion]) -> None:
        for stored in versions:
            document = docs.version_document(stored)
            self.versions.setdefault(document["_id"], document)

    async def save_current(self, versions: Sequence[StoredVersion]) -> None:
        for stored in versions:
            self.current[stored.view.scorecard_id] = docs.current_document(stored, False)

    async def mark_published(self, versions: Mapping[str, int]) -> None:
        for sid, version in versions.items():
            document = self.current.get(sid)
            if document is not None and document["version"] == version:
                document["published"] = True

    async def load_watermarks(self, keys: Collection[str]) -> Mapping[str, int]:
        return {k: self.watermarks[k] for k in keys if k in self.watermarks}

    async def save_watermarks(self, marks: Mapping[str, int]) -> None:
        self.watermarks.update(marks)

    async def count_by_status(self) -> Mapping[str, int]:
        return Counter(d["overall_status"] for d in self.current.values())

    async def ping(self) -> None:
        return None

    def forget_cached(self) -> None:
        return None
