"""Where survey waves and responses are kept: MongoDB, or memory for tests.

``survey_waves``: one document per wave (the ``SurveyWave`` fields, ``revision``,
``batches`` and, once closed, the ``pending_events`` the tool-event outbox publishes).
``survey_responses``: one document per response, ``_id`` ``<wave>|<response id>``, tagged
with the ``batch`` that wrote it.

A batch of responses (one import, one web-form answer) counts only once its id is on the
wave's ``batches``: it is written first, then **committed** by a compare-and-set on the
open wave's document (``revision`` + 1). Closing is a compare-and-set on the same
``revision``, writing the closed status and the events owed for every committed response in
one update, so a response is either in the close's events or refused ("closed meanwhile"),
never lost and never counted twice. Responses of a batch that never committed are ignored.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Protocol

import yaml
from pymongo import ReplaceOne

from gateway.provider_tools.events import (
    PENDING_EVENTS,
    InMemoryOutboxSource,
    MongoOutboxSource,
    OutboxSource,
)
from shared.domain.survey import SurveyCatalog, SurveyResponse, SurveyWave, WaveStatus
from shared.mongo import bulk_write_chunked

WAVES = "survey_waves"
RESPONSES = "survey_responses"
JsonEvent = dict[str, Any]


@cache
def load_survey_catalog() -> SurveyCatalog:
    """The shipped survey catalog ``shared/catalog/tools/survey.yaml`` (validated, cached)."""
    resource = files("shared.catalog").joinpath("tools", "survey.yaml")
    return SurveyCatalog.model_validate(yaml.safe_load(resource.read_text(encoding="utf-8")))


class WaveExistsError(Exception):
    """A wave with that id exists already."""


@dataclass(frozen=True)
class StoredWave:
    """A wave as stored: the wave, its ``revision`` and its committed ``batches``."""

    wave: SurveyWave
    revision: int
    batches: frozenset[str] = field(default_factory=frozenset)


class SurveyStore(Protocol):
    """The survey tool's storage port (``MongoSurveyStore``, ``InMemorySurveyStore``)."""

    @property
    def outbox(self) -> OutboxSource: ...

    async def create_indexes(self) -> None: ...

    async def add_wave(self, wave: SurveyWave) -> None:
        """Store a new wave (revision 0); ``WaveExistsError`` if its id is taken."""
        ...

    async def wave(self, wave_id: str) -> StoredWave | None: ...

    async def waves(self, fiscal_year: int | None = None) -> list[SurveyWave]:
        """Waves by id (only ``fiscal_year``'s when given)."""
        ...

    async def replace_wave(self, wave: SurveyWave, revision: int) -> bool:
        """Write ``wave``'s fields if the stored revision is still ``revision``."""
        ...

    async def committed_ids(self, stored: StoredWave, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are responses of a committed batch of the wave."""
        ...

    async def write_batch(
        self, wave_id: str, batch: str, responses: Sequence[SurveyResponse]
    ) -> None:
        """Write responses tagged ``batch`` (not yet counted: see ``commit_batch``)."""
        ...

    async def commit_batch(self, wave_id: str, batch: str) -> bool:
        """Add ``batch`` to the wave if it is open (revision + 1); False if closed."""
        ...

    async def responses(self, stored: StoredWave) -> list[SurveyResponse]:
        """The wave's committed responses, by id."""
        ...

    async def close(self, wave: SurveyWave, revision: int, events: Sequence[JsonEvent]) -> bool:
        """Write the closed wave and its owed events if still open at ``revision``."""
        ...


def _wave_document(wave: SurveyWave) -> dict[str, Any]:
    document = wave.model_dump(mode="json", exclude={"id"})
    return document


def _wave(document: dict[str, Any]) -> StoredWave:
    fields = {k: v for k, v in document.items() if k in SurveyWave.model_fields and k != "id"}
    return StoredWave(
        SurveyWave.model_validate({"id": document["_id"], **fields}),
        int(document.get("revision", 0)),
        frozenset(document.get("batches", ())),
    )


def _response_document(response: SurveyResponse, batch: str) -> dict[str, Any]:
    fields = response.model_dump(mode="json", exclude={"id"})
    return {
        "_id": f"{response.wave}|{response.id}",
        "response_id": response.id,
        **fields,
        "batch": batch,
    }


def _response(document: dict[str, Any]) -> SurveyResponse:
    fields = {k: v for k, v in document.items() if k in SurveyResponse.model_fields and k != "id"}
    return SurveyResponse.model_validate({"id": document["response_id"], **fields})


class MongoSurveyStore:
    """``SurveyStore`` on the platform's database."""

    def __init__(self, database: Any) -> None:
        self._waves = database[WAVES]
        self._responses = database[RESPONSES]
        self._outbox = MongoOutboxSource(self._waves)

    @property
    def outbox(self) -> OutboxSource:
        return self._outbox

    async def create_indexes(self) -> None:
        await self._responses.create_index([("wave", 1), ("batch", 1)])

    async def add_wave(self, wave: SurveyWave) -> None:
        if await self._waves.find_one({"_id": wave.id}, {"_id": 1}) is not None:
            raise WaveExistsError(wave.id)
        document = {"_id": wave.id, **_wave_document(wave), "revision": 0, "batches": []}
        try:
            await self._waves.insert_one(document)
        except Exception as error:  # a concurrent create of the same id
            if "duplicate key" in str(error).lower() or "E11000" in str(error):
                raise WaveExistsError(wave.id) from None
            raise

    async def wave(self, wave_id: str) -> StoredWave | None:
        document = await self._waves.find_one({"_id": wave_id}, {PENDING_EVENTS: 0})
        return None if document is None else _wave(document)

    async def waves(self, fiscal_year: int | None = None) -> list[SurveyWave]:
        query = {} if fiscal_year is None else {"fiscal_year": fiscal_year}
        cursor = self._waves.find(query, {PENDING_EVENTS: 0, "batches": 0}).sort("_id", 1)
        return [_wave(d).wave for d in await cursor.to_list()]

    async def replace_wave(self, wave: SurveyWave, revision: int) -> bool:
        result = await self._waves.update_one(
            {"_id": wave.id, "revision": revision},
            {"$set": _wave_document(wave), "$inc": {"revision": 1}},
        )
        return bool(result.modified_count)

    async def committed_ids(self, stored: StoredWave, ids: Sequence[str]) -> set[str]:
        keys = [f"{stored.wave.id}|{i}" for i in ids]
        query = {"_id": {"$in": keys}, "batch": {"$in": sorted(stored.batches)}}
        cursor = self._responses.find(query, {"response_id": 1})
        return {d["response_id"] for d in await cursor.to_list()}

    async def write_batch(
        self, wave_id: str, batch: str, responses: Sequence[SurveyResponse]
    ) -> None:
        documents = [_response_document(r, batch) for r in responses]
        await bulk_write_chunked(
            self._responses, [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in documents]
        )

    async def commit_batch(self, wave_id: str, batch: str) -> bool:
        result = await self._waves.update_one(
            {"_id": wave_id, "status": WaveStatus.OPEN.value},
            {"$push": {"batches": batch}, "$inc": {"revision": 1}},
        )
        return bool(result.modified_count)

    async def responses(self, stored: StoredWave) -> list[SurveyResponse]:
        query = {"wave": stored.wave.id, "batch": {"$in": sorted(stored.batches)}}
        cursor = self._responses.find(query).sort("_id", 1)
        return [_response(d) for d in await cursor.to_list()]

    async def close(self, wave: SurveyWave, revision: int, events: Sequence[JsonEvent]) -> bool:
        result = await self._waves.update_one(
            {"_id": wave.id, "revision": revision, "status": WaveStatus.OPEN.value},
            {
                "$set": {**_wave_document(wave), PENDING_EVENTS: list(events)},
                "$inc": {"revision": 1},
            },
        )
        return bool(result.modified_count)


class InMemorySurveyStore:
    """``SurveyStore`` in memory, for unit tests; held to the Mongo store by the contract suite."""

    def __init__(self) -> None:
        self.waves_by_id: dict[str, StoredWave] = {}
        self.documents: dict[str, tuple[SurveyResponse, str]] = {}
        self._outbox = InMemoryOutboxSource()

    @property
    def outbox(self) -> InMemoryOutboxSource:
        return self._outbox

    async def create_indexes(self) -> None:
        return None

    async def add_wave(self, wave: SurveyWave) -> None:
        if wave.id in self.waves_by_id:
            raise WaveExistsError(wave.id)
        self.waves_by_id[wave.id] = StoredWave(wave, 0)

    async def wave(self, wave_id: str) -> StoredWave | None:
        return self.waves_by_id.get(wave_id)

    async def waves(self, fiscal_year: int | None = None) -> list[SurveyWave]:
        return [
            s.wave
            for _, s in sorted(self.waves_by_id.items())
            if fiscal_year is None or s.wave.fiscal_year == fiscal_year
        ]

    async def replace_wave(self, wave: SurveyWave, revision: int) -> bool:
        stored = self.waves_by_id.get(wave.id)
        if stored is None or stored.revision != revision:
            return False
        self.waves_by_id[wave.id] = StoredWave(wave, revision + 1, stored.batches)
        return True

    async def committed_ids(self, stored: StoredWave, ids: Sequence[str]) -> set[str]:
        found = (self.documents.get(f"{stored.wave.id}|{i}") for i in ids)
        return {r.id for r, batch in _present(found) if batch in stored.batches}

    async def write_batch(
        self, wave_id: str, batch: str, responses: Sequence[SurveyResponse]
    ) -> None:
        for response in responses:
            self.documents[f"{wave_id}|{response.id}"] = (response, batch)

    async def commit_batch(self, wave_id: str, batch: str) -> bool:
        stored = self.waves_by_id.get(wave_id)
        if stored is None or stored.wave.status is not WaveStatus.OPEN:
            return False
        self.waves_by_id[wave_id] = StoredWave(
            stored.wave, stored.revision + 1, stored.batches | {batch}
        )
        return True

    async def responses(self, stored: StoredWave) -> list[SurveyResponse]:
        return sorted(
            (
                r
                for r, batch in self.documents.values()
                if r.wave == stored.wave.id and batch in stored.batches
            ),
            key=lambda r: r.id,
        )

    async def close(self, wave: SurveyWave, revision: int, events: Sequence[JsonEvent]) -> bool:
        stored = self.waves_by_id.get(wave.id)
        if stored is None or stored.revision != revision:
            return False
        if stored.wave.status is not WaveStatus.OPEN:
            return False
        self.waves_by_id[wave.id] = StoredWave(wave, revision + 1, stored.batches)
        self._outbox.owe(wave.id, events)
        return True


def _present(
    found: Iterable[tuple[SurveyResponse, str] | None],
) -> list[tuple[SurveyResponse, str]]:
    return [f for f in found if f is not None]
