"""One suite, two self-assessment stores: in memory and MongoDB (FerretDB locally).

Compare-and-set on ``revision``, reads by provider and status, and the outbox side: owed
events written with a save are pending until published, and only those are pulled.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.provider_tools.assessment_store import (
    AssessmentConflictError,
    AssessmentStore,
    InMemoryAssessmentStore,
    MongoAssessmentStore,
    load_element_catalog,
)
from shared.domain.self_assessment import (
    Decision,
    Rating,
    SelfAssessment,
    Status,
    review,
    save_draft,
    submit,
)

ELEMENTS = load_element_catalog()
AT = datetime(2024, 5, 15, 12, tzinfo=UTC)
RATINGS = [Rating(element=e.id, rating=4, evidence="report") for e in ELEMENTS.elements]


def _entry(event_id: str) -> dict[str, Any]:
    return {"event_id": event_id, "qsmo": "financial-management", "value": 4.0}


@pytest.fixture(params=["in-memory", "mongo"])
def store(request: pytest.FixtureRequest) -> InMemoryAssessmentStore | MongoAssessmentStore:
    if request.param == "in-memory":
        return InMemoryAssessmentStore()
    return MongoAssessmentStore(request.getfixturevalue("mongo_db"))


def _draft(provider: str, fiscal_year: int = 2024) -> SelfAssessment:
    return save_draft(
        None,
        ELEMENTS,
        provider=provider,
        fiscal_year=fiscal_year,
        ratings=RATINGS[:2],
        by="p",
        at=AT,
    )


async def test_a_saved_assessment_reads_back_equal(store: AssessmentStore) -> None:
    draft = _draft("doi-ibc")
    await store.save(draft, expected_revision=0)
    assert await store.get("doi-ibc|FY2024") == draft
    sent = submit(
        draft, ELEMENTS, provider="doi-ibc", fiscal_year=2024, ratings=RATINGS, by="p", at=AT
    )
    await store.save(sent, expected_revision=1)
    assert await store.get("doi-ibc|FY2024") == sent
    assert await store.get("doi-ibc|FY2023") is None


async def test_a_stale_revision_loses_and_changes_nothing(store: AssessmentStore) -> None:
    draft = _draft("doi-ibc")
    await store.save(draft, expected_revision=0)
    with pytest.raises(AssessmentConflictError):
        await store.save(draft, expected_revision=0)  # a second first save
    sent = submit(
        draft, ELEMENTS, provider="doi-ibc", fiscal_year=2024, ratings=RATINGS, by="p", at=AT
    )
    with pytest.raises(AssessmentConflictError):
        await store.save(sent, expected_revision=5)
    assert await store.get(draft.id) == draft


async def test_reads_by_provider_and_status(
    store: InMemoryAssessmentStore | MongoAssessmentStore,
) -> None:
    await store.create_indexes()
    for provider in ("doi-ibc", "treasury-arc", "opm-hrs"):
        await store.save(_draft(provider), expected_revision=0)
    await store.save(_draft("doi-ibc", 2023), expected_revision=0)
    sent = submit(
        _draft("opm-hrs"),
        ELEMENTS,
        provider="opm-hrs",
        fiscal_year=2024,
        ratings=RATINGS,
        by="p",
        at=AT,
    )
    await store.save(sent, expected_revision=1)
    found = await store.for_providers(["doi-ibc", "opm-hrs"], 2024)
    assert [a.id for a in found] == ["doi-ibc|FY2024", "opm-hrs|FY2024"]
    assert await store.for_providers([], 2024) == []
    assert [a.id for a in await store.with_status(Status.SUBMITTED)] == ["opm-hrs|FY2024"]
    assert await store.with_status(Status.SUBMITTED, ["doi-ibc"]) == []
    assert len(await store.with_status(Status.DRAFT)) == 3


async def test_owed_events_are_pending_until_published(store: AssessmentStore) -> None:
    draft = _draft("doi-ibc")
    await store.save(draft, expected_revision=0)
    assert await store.pending() == []
    sent = submit(
        draft, ELEMENTS, provider="doi-ibc", fiscal_year=2024, ratings=RATINGS, by="p", at=AT
    )
    await store.save(sent, expected_revision=1)
    accepted = review(sent, ELEMENTS, decision=Decision.ACCEPT, comments=None, by="r", at=AT)
    await store.save(accepted, expected_revision=2, pending_events=[_entry("e1")])
    [pending] = await store.pending()
    assert (pending.doc_id, [e["event_id"] for e in pending.events]) == ("doi-ibc|FY2024", ["e1"])
    assert await store.pending("other|FY2024") == []
    assert await store.get(accepted.id) == accepted  # the outbox field is not part of it
    await store.remove_published(pending.doc_id, pending.events)
    assert await store.pending() == []
    assert (await store.get(accepted.id)) == accepted
