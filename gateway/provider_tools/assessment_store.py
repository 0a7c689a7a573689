"""Where self-assessments are kept: MongoDB, or memory for tests; and the element catalog.

``provider_self_assessments``: one document per (provider, fiscal year), ``_id``
``<provider>|FY<fy>``, the ``SelfAssessment`` fields plus ``pending_events`` (the outbox's
field: the event an acceptance owes is written in the same single-document update as the
acceptance). Every write is a compare-and-set on ``revision``: of two concurrent steps one
wins and the other gets ``AssessmentConflictError`` (retry on the new state). Both stores are
also the outbox's ``OutboxSource`` for ``self-assessment``.
"""

from collections.abc import Collection, Sequence
from importlib.resources import files
from typing import Any, Protocol

import yaml
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from gateway.provider_tools.events import (
    PENDING_EVENTS,
    SWEEP_BATCH,
    InMemoryOutboxSource,
    JsonEvent,
    OutboxSource,
    PendingDocument,
)
from shared.domain.self_assessment import ElementCatalog, SelfAssessment, Status

ASSESSMENTS = "provider_self_assessments"
CURRENT_ELEMENT_VERSION = "1.0"


def load_element_catalog(version: str = CURRENT_ELEMENT_VERSION) -> ElementCatalog:
    """The shipped element catalog ``shared/catalog/tools/self-assessment-<version>.yaml``."""
    resource = files("shared.catalog").joinpath("tools", f"self-assessment-{version}.yaml")
    document = yaml.safe_load(resource.read_text(encoding="utf-8"))
    return ElementCatalog.model_validate(document)


class AssessmentConflictError(Exception):
    """Someone else changed the assessment since it was read; read it again and retry."""


class AssessmentStore(OutboxSource, Protocol):
    async def get(self, assessment_id: str) -> SelfAssessment | None: ...

    async def save(
        self,
        assessment: SelfAssessment,
        *,
        expected_revision: int,
        pending_events: Sequence[JsonEvent] = (),
    ) -> None:
        """Write ``assessment`` if the stored revision is still ``expected_revision`` (0: none
        stored yet), adding ``pending_events`` to the document's owed events."""
        ...

    async def for_providers(
        self, providers: Collection[str], fiscal_year: int
    ) -> list[SelfAssessment]: ...

    async def with_status(
        self, status: Status, providers: Collection[str] | None = None
    ) -> list[SelfAssessment]:
        """Assessments in ``status`` (of ``providers`` when given), oldest submission first."""
        ...


def _document(assessment: SelfAssessment) -> dict[str, Any]:
    return assessment.model_dump(mode="python", exclude={"id"})


def _assessment(document: dict[str, Any]) -> SelfAssessment:
    fields = {k: v for k, v in document.items() if k not in ("_id", PENDING_EVENTS)}
    return SelfAssessment.model_validate({"id": document["_id"], **fields})


def _submission_order(assessment: SelfAssessment) -> tuple[str, str]:
    return (assessment.submitted_at.isoformat() if assessment.submitted_at else "", assessment.id)


class MongoAssessmentStore:
    def __init__(self, database: Any) -> None:
        self._collection = database[ASSESSMENTS]

    async def create_indexes(self) -> None:
        await self._collection.create_index([("fiscal_year", ASCENDING), ("provider", ASCENDING)])
        await self._collection.create_index([("status", ASCENDING), ("submitted_at", ASCENDING)])

    async def get(self, assessment_id: str) -> SelfAssessment | None:
        document = await self._collection.find_one({"_id": assessment_id}, {PENDING_EVENTS: 0})
        return None if document is None else _assessment(document)

    async def save(
        self,
        assessment: SelfAssessment,
        *,
        expected_revision: int,
        pending_events: Sequence[JsonEvent] = (),
    ) -> None:
        document = _document(assessment)
        if expected_revision == 0:
            try:
                await self._collection.insert_one(
                    {"_id": assessment.id, **document, PENDING_EVENTS: list(pending_events)}
                )
            except DuplicateKeyError:
                raise AssessmentConflictError(assessment.id) from None
            return
        update: dict[str, Any] = {"$set": document}
        if pending_events:
            update["$push"] = {PENDING_EVENTS: {"$each": list(pending_events)}}
        result = await self._collection.update_one(
            {"_id": assessment.id, "revision": expected_revision}, update
        )
        if result.matched_count == 0:
            raise AssessmentConflictError(assessment.id)

    async def for_providers(
        self, providers: Collection[str], fiscal_year: int
    ) -> list[SelfAssessment]:
        if not providers:
            return []
        cursor = self._collection.find(
            {"fiscal_year": fiscal_year, "provider": {"$in": sorted(providers)}},
            {PENDING_EVENTS: 0},
        )
        return sorted((_assessment(d) for d in await cursor.to_list()), key=lambda a: a.id)

    async def with_status(
        self, status: Status, providers: Collection[str] | None = None
    ) -> list[SelfAssessment]:
        query: dict[str, Any] = {"status": status.value}
        if providers is not None:
            query["provider"] = {"$in": sorted(providers)}
        cursor = self._collection.find(query, {PENDING_EVENTS: 0})
        return sorted((_assessment(d) for d in await cursor.to_list()), key=_submission_order)

    async def pending(
        self, doc_id: str | None = None, limit: int = SWEEP_BATCH
    ) -> list[PendingDocument]:
        query: dict[str, Any] = {f"{PENDING_EVENTS}.0": {"$exists": True}}
        if doc_id is not None:
            query["_id"] = doc_id
        cursor = self._collection.find(query, {PENDING_EVENTS: 1}).sort("_id", 1).limit(limit)
        return [
            PendingDocument(str(d["_id"]), tuple(d[PENDING_EVENTS])) for d in await cursor.to_list()
        ]

    async def remove_published(self, doc_id: str, events: Sequence[JsonEvent]) -> None:
        await self._collection.update_one(
            {"_id": doc_id}, {"$pullAll": {PENDING_EVENTS: list(events)}}
        )


class InMemoryAssessmentStore:
    """The fake: the same contract as ``MongoAssessmentStore`` (tests/contract)."""

    def __init__(self) -> None:
        self.assessments: dict[str, SelfAssessment] = {}
        self._owed = InMemoryOutboxSource()

    async def create_indexes(self) -> None:
        return None

    async def get(self, assessment_id: str) -> SelfAssessment | None:
        return self.assessments.get(assessment_id)

    async def save(
        self,
        assessment: SelfAssessment,
        *,
        expected_revision: int,
        pending_events: Sequence[JsonEvent] = (),
    ) -> None:
        stored = self.assessments.get(assessment.id)
        if (0 if stored is None else stored.revision) != expected_revision:
            raise AssessmentConflictError(assessment.id)
        self.assessments[assessment.id] = assessment
        self._owed.owe(assessment.id, pending_events)

    async def for_providers(
        self, providers: Collection[str], fiscal_year: int
    ) -> list[SelfAssessment]:
        return sorted(
            (
                a
                for a in self.assessments.values()
                if a.fiscal_year == fiscal_year and a.provider in providers
            ),
            key=lambda a: a.id,
        )

    async def with_status(
        self, status: Status, providers: Collection[str] | None = None
    ) -> list[SelfAssessment]:
        found = [
            a
            for a in self.assessments.values()
            if a.status is status and (providers is None or a.provider in providers)
        ]
        return sorted(found, key=_submission_order)

    async def pending(
        self, doc_id: str | None = None, limit: int = SWEEP_BATCH
    ) -> list[PendingDocument]:
        return await self._owed.pending(doc_id, limit)

    async def remove_published(self, doc_id: str, events: Sequence[JsonEvent]) -> None:
        await self._owed.remove_published(doc_id, events)
