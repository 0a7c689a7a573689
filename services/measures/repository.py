"""Storage adapters of the measures service: MongoDB (real) and in memory (unit tests).

The MongoDB adapter caches the states it has seen: as the single writer of its partitions'
documents it only needs the store to read a state once. The cache is bounded
(``state_cache.StateCache``: least recently used evicted past a cap); once it has evicted,
a miss is looked up in the store again. It also remembers the sightings it
has written (``slice_index``, ``agencies_seen``): those only ever grow, so a sighting written
once need not be written again, and a batch of known providers and agencies writes nothing.

Both pass ``tests/contract/test_measure_repository.py``.
"""

import contextlib
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from pymongo import ASCENDING, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, OperationFailure

from services.measures import documents as docs
from services.measures.domain import PeriodState, Sighting, StreamState
from services.measures.metrics import MeasuresMetrics
from services.measures.ports import PositionedEvent
from services.measures.state_cache import DEFAULT_MAX_STATES, StateCache
from shared.mongo import bulk_write_chunked, find_by_ids

DUPLICATE_KEY = 11000
INSERT_CHUNK = 1000
PERIOD_INDEX = [
    ("measure", ASCENDING),
    ("kind", ASCENDING),
    ("slice_kind", ASCENDING),
    ("slice_id", ASCENDING),
    ("start", ASCENDING),
]
OBSOLETE_PERIOD_INDEXES = ("measure_1_kind_1_start_1", "qsmo_1_fiscal_year_1")
"""Indexes of ``measure_periods`` created before slices; ``PERIOD_INDEX`` replaces them."""

S = TypeVar("S", PeriodState, StreamState)


class MongoMeasureRepository:
    """Raw events and states in a MongoDB (or FerretDB) database."""

    def __init__(
        self,
        database: Any,
        *,
        max_cached_states: int = DEFAULT_MAX_STATES,
        metrics: MeasuresMetrics | None = None,
    ) -> None:
        self._db = database
        # States this instance wrote or read, valid while it keeps its partitions (it is their
        # only writer). Updated only after a write succeeded, so the cache is never ahead of
        # the store; a cache behind it is harmless (a replay folds the same events again).
        self._periods: StateCache[PeriodState] = StateCache(max_cached_states)
        self._streams: StateCache[StreamState] = StateCache(max_cached_states)
        # The states the last load_* returned, stored ones all: the next save_* of the same
        # batch replaces them even if the cache has evicted some since (a batch with more
        # keys than the cap), and inserts only the keys the store was shown not to have.
        self._loaded_periods: Mapping[str, PeriodState] = {}
        self._loaded_streams: Mapping[str, StreamState] = {}
        self._metrics = metrics
        if metrics is not None:
            metrics.cached_states.labels("period").set_function(self._periods.__len__)
            metrics.cached_states.labels("stream").set_function(self._streams.__len__)
        self._sighted: set[Sighting] = set()
        self._agencies: set[str] = set()

    async def create_indexes(self) -> None:
        """Indexes for the read side: the one index of every period query that is not by ``_id``.

        ``PERIOD_INDEX`` serves the day-range scans and period lookups of QSMO-level,
        government-wide and slice reads alike (they all name ``slice_kind`` and ``slice_id``).
        Indexes no reader uses any more are dropped: on FerretDB a second secondary index
        doubled the cost of every state write (measured, docs/benchmarks.md).
        """
        periods = self._db[docs.PERIODS]
        await periods.create_index(PERIOD_INDEX)
        for name in OBSOLETE_PERIOD_INDEXES:
            with contextlib.suppress(OperationFailure):  # never created here, or dropped already
                await periods.drop_index(name)
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
        stored = await find_by_ids(self._db[docs.EVENTS], ids)
        return {(d["kafka"]["partition"], d["kafka"]["offset"]) for d in stored}

    async def warm(self, partitions: Collection[int]) -> None:
        """Load the states of these partitions (just assigned to this instance), up to the cap.

        When they all fit, the cache holds every state this instance may write, so a key
        missing from it is missing from the store: no lookup per new key (a day's first
        event). When they do not, loading stops at the cap and misses are looked up.
        """
        self.forget_cached_states()
        query = {"partition": {"$in": sorted(partitions)}}
        await self._warm(self._periods, docs.PERIODS, query, docs.period_state)
        await self._warm(self._streams, docs.STREAMS, query, docs.stream_state)

    async def _warm(
        self,
        cache: StateCache[S],
        collection: str,
        query: dict[str, Any],
        decode: Callable[[dict[str, Any]], S],
    ) -> None:
        # One document more than fits tells that the partitions hold more than the cap.
        cursor = self._db[collection].find(query).limit(cache.max_states + 1)
        async for document in cursor:
            if not cache.fill(document["_id"], decode(document)):
                return  # complete stays False: a miss must be looked up
        cache.complete = True

    async def load_periods(self, keys: Collection[str]) -> Mapping[str, PeriodState]:
        found = await self._load(self._periods, docs.PERIODS, keys, docs.period_state, "period")
        self._loaded_periods = found
        return found

    async def load_streams(self, keys: Collection[str]) -> Mapping[str, StreamState]:
        found = await self._load(self._streams, docs.STREAMS, keys, docs.stream_state, "stream")
        self._loaded_streams = found
        return found

    async def _load(
        self,
        cache: StateCache[S],
        collection: str,
        keys: Collection[str],
        decode: Callable[[dict[str, Any]], S],
        kind: str,
    ) -> dict[str, S]:
        """The stored states among ``keys``: from the cache, misses from the store.

        A miss needs no lookup while the cache is complete (warmed, nothing evicted since).
        """
        found: dict[str, S] = {}
        missing: list[str] = []
        for key in keys:
            state = cache.get(key)
            if state is not None:
                found[key] = state
            elif not cache.complete:
                missing.append(key)
        if not missing:
            return found
        read = {
            d["_id"]: decode(d) for d in await find_by_ids(self._db[collection], sorted(missing))
        }
        found.update(read)
        self._count(kind, looked_up=len(missing), evicted=cache.put(read.items()))
        return found

    async def save_periods(self, states: Collection[PeriodState]) -> None:
        documents = [docs.period_document(s) for s in states]
        stored = _known_stored(states, self._periods, self._loaded_periods)
        await self._write(docs.PERIODS, documents, stored=stored)
        self._loaded_periods = {}
        self._count("period", evicted=self._periods.put((s.key, s) for s in states))

    async def save_streams(self, states: Collection[StreamState]) -> None:
        documents = [docs.stream_document(s) for s in states]
        stored = _known_stored(states, self._streams, self._loaded_streams)
        await self._write(docs.STREAMS, documents, stored=stored)
        self._loaded_streams = {}
        self._count("stream", evicted=self._streams.put((s.key, s) for s in states))

    def _count(self, kind: str, *, looked_up: int = 0, evicted: int = 0) -> None:
        if self._metrics is None:
            return
        if looked_up:
            self._metrics.state_lookups.labels(kind).inc(looked_up)
        if evicted:
            self._metrics.state_evictions.labels(kind).inc(evicted)

    async def save_sightings(self, sightings: Collection[Sighting]) -> None:
        new = set(sightings) - self._sighted
        if not new:
            return
        updates = docs.slice_index_updates(new)
        await bulk_write_chunked(
            self._db[docs.SLICE_INDEX],
            [
                UpdateOne({"_id": k}, {"$set": paths}, upsert=True)
                for k, paths in sorted(updates.items())
            ],
        )
        agencies = {s.agency for s in new if s.agency is not None} - self._agencies
        await self._insert_new(docs.AGENCIES_SEEN, [{"_id": a} for a in sorted(agencies)])
        self._sighted |= new
        self._agencies |= agencies

    async def _write(
        self, collection: str, documents: list[dict[str, Any]], stored: Mapping[str, object]
    ) -> None:
        """Insert the documents this writer has never seen stored, replace the others.

        Every key of a batch was looked up just before (``load_*``), so a key missing from the
        cache is missing from the store too; inserting is ~20× cheaper than an upsert on
        FerretDB. Should an insert still collide, that document is replaced instead.
        """
        new = [d for d in documents if d["_id"] not in stored]
        known = [d for d in documents if d["_id"] in stored]
        collided = await self._insert_new(collection, new)
        operations = [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in known + collided]
        await bulk_write_chunked(self._db[collection], operations)

    async def _insert_new(
        self, collection: str, documents: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        collided: list[dict[str, Any]] = []
        for start in range(0, len(documents), INSERT_CHUNK):
            chunk = documents[start : start + INSERT_CHUNK]
            try:
                await self._db[collection].insert_many(chunk, ordered=False)
            except BulkWriteError as error:
                for failure in error.details["writeErrors"]:
                    if failure["code"] != DUPLICATE_KEY:
                        raise
                    collided.append(chunk[failure["index"]])
        return collided

    def forget_cached_states(self) -> None:
        """Drop the cache: on every rebalance, since another instance may have written since."""
        self._periods.clear()
        self._streams.clear()
        self._loaded_periods = {}
        self._loaded_streams = {}
        self._sighted.clear()
        self._agencies.clear()

    async def ping(self) -> None:
        await self._db.command("ping")


def _known_stored(
    states: Collection[S], cache: StateCache[S], loaded: Mapping[str, S]
) -> dict[str, S]:
    """Those of ``states`` whose key the store holds: cached, or returned by the last load.

    Every key a batch saves was loaded just before: a key neither cached nor found then is
    not stored (a complete cache vouches for its misses, an incomplete one looked them up).
    """
    return {s.key: s for s in states if s.key in cache or s.key in loaded}


class InMemoryMeasureRepository:
    """The same behaviour in dictionaries, for unit tests of the handlers."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, Any]] = {}
        self.periods: dict[str, dict[str, Any]] = {}
        self.streams: dict[str, dict[str, Any]] = {}
        self.slice_index: dict[str, dict[str, Any]] = {}
        self.agencies_seen: dict[str, dict[str, Any]] = {}

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

    async def save_sightings(self, sightings: Collection[Sighting]) -> None:
        for key, paths in docs.slice_index_updates(sightings).items():
            document = self.slice_index.setdefault(key, {"_id": key})
            for path, value in paths.items():
                *parents, name = path.split(".")
                node = document
                for parent in parents:
                    node = node.setdefault(parent, {})
                node[name] = value
        for sighting in sightings:
            if sighting.agency is not None:
                self.agencies_seen.setdefault(sighting.agency, {"_id": sighting.agency})

    async def ping(self) -> None:
        return None
