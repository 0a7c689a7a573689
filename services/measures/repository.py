"""Storage adapters of the measures service: MongoDB (real) and in memory (unit tests).

Both pass ``tests/contract/test_measure_repository.py``.
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pymongo import ASCENDING, ReplaceOne
from pymongo.errors import BulkWriteError

from services.measures import documents as docs
from services.measures.domain import PeriodState, StreamState
from services.measures.ports import PositionedEvent
from shared.mongo import bulk_write_chunked

DUPLICATE_KEY = 11000
INSERT_CHUNK = 1000


class MongoMeasureRepository:
    """Raw events and states in a MongoDB (or FerretDB) database."""

    def __init__(self, database: Any) -> None:
        self._db = database

    async def create_indexes(self) -> None:
        """Indexes for the read side: period lookups and day-range scans."""
        periods = self._db[docs.PERIODS]
        await periods.create_index(
            [("measure", ASCENDING), ("kind", ASCENDING), ("start", ASCENDING)]
        )
        await periods.create_index([("qsmo", ASCENDING), ("fiscal_year", ASCENDING)])
        await self._db[docs.EVENTS].create_index([("qsmo", ASCENDING), ("measure", ASCENDING)])

    async def store_raw_events(self, events: Sequence[PositionedEvent]) -> set[tuple[int, int]]:
        documents = [docs.raw_event_document(i.event, i.partition, i.offset) for i in events]
        rejected: list[PositionedEvent] = []
        for start in range(0, len(documents), INSERT_CHUNK):
            try:
                await self._db[docs.EVENTS].insert_many(
                    documents[start : start + INSERT_CHUNK], ordered=False
                )
            except BulkWriteError as error:
                for failure in error.details["writeErrors"]:
                    if failure["code"] != DUPLICATE_KEY:
                        raise
                    rejected.append(events[start + failure["index"]])
        rejected_positions = {(i.partition, i.offset) for i in rejected}
        counted = {(i.partition, i.offset) for i in events} - rejected_positions
        if rejected:
            counted |= await self._stored_positions(rejected) & rejected_positions
        return counted

    async def _stored_positions(self, events: Sequence[PositionedEvent]) -> set[tuple[int, int]]:
        ids = sorted({item.event.event_id for item in events})
        cursor = self._db[docs.EVENTS].find({"_id": {"$in": ids}}, {"kafka": 1})
        return {(d["kafka"]["partition"], d["kafka"]["offset"]) async for d in cursor}

    async def load_periods(self, keys: Collection[str]) -> Mapping[str, PeriodState]:
        found = await self._find(docs.PERIODS, keys)
        return {d["_id"]: docs.period_state(d) for d in found}

    async def load_streams(self, keys: Collection[str]) -> Mapping[str, StreamState]:
        found = await self._find(docs.STREAMS, keys)
        return {d["_id"]: docs.stream_state(d) for d in found}

    async def _find(self, collection: str, keys: Collection[str]) -> list[dict[str, Any]]:
        if not keys:
            return []
        found: list[dict[str, Any]] = (
            await self._db[collection].find({"_id": {"$in": sorted(keys)}}).to_list()
        )
        return found

    async def save_periods(self, states: Collection[PeriodState]) -> None:
        await self._replace_all(docs.PERIODS, [docs.period_document(s) for s in states])

    async def save_streams(self, states: Collection[StreamState]) -> None:
        await self._replace_all(docs.STREAMS, [docs.stream_document(s) for s in states])

    async def _replace_all(self, collection: str, documents: list[dict[str, Any]]) -> None:
        operations = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
        await bulk_write_chunked(self._db[collection], operations)

    async def ping(self) -> None:
        await self._db.command("ping")


class InMemoryMeasureRepository:
    """The same behaviour in dictionaries, for unit tests of the handlers."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.periods: dict[str, dict[str, Any]] = {}
        self.streams: dict[str, dict[str, Any]] = {}

    async def store_raw_events(self, events: Sequence[PositionedEvent]) -> set[tuple[int, int]]:
        counted: set[tuple[int, int]] = set()
        for item in events:
            stored = self.events.setdefault(
                item.event.event_id,
                docs.raw_event_document(item.event, item.partition, item.offset),
            )
            if stored["kafka"] == {"partition": item.partition, "offset": item.offset}:
                counted.add((item.partition, item.offset))
        return counted

    async def load_periods(self, keys: Collection[str]) -> Mapping[str, PeriodState]:
        return {k: docs.period_state(self.periods[k]) for k in keys if k in self.periods}

    async def load_streams(self, keys: Collection[str]) -> Mapping[str, StreamState]:
        return {k: docs.stream_state(self.streams[k]) for k in keys if k in self.streams}

    async def save_periods(self, states: Collection[PeriodState]) -> None:
        for state in states:
            self.periods[state.key] = docs.period_document(state)

    async def save_streams(self, states: Collection[StreamState]) -> None:
        for state in states:
            self.streams[state.key] = docs.stream_document(state)

    async def ping(self) -> None:
        return None
