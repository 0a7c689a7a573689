"""One suite, two data-call stores: in memory and MongoDB (FerretDB locally).

A saved data call reads back equal (every version, its sections and review); compare-and-set
on ``revision`` lets one of two writers win; the review queue and a fiscal year's calls are
read by status and provider.
"""

from datetime import UTC, datetime, timedelta

import pytest

from gateway.provider_tools.data_call_store import (
    DataCallStore,
    InMemoryDataCallStore,
    MongoDataCallStore,
)
from shared.api_keys import Person
from shared.catalog.data_call import example_sections
from shared.domain.data_call_versions import (
    DataCall,
    Decision,
    SubmissionSource,
    review,
    submit,
)

AT = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)  # milliseconds: what BSON keeps


@pytest.fixture(params=["in-memory", "mongo"])
def backend(request: pytest.FixtureRequest) -> DataCallStore:
    if request.param == "in-memory":
        return InMemoryDataCallStore()
    return MongoDataCallStore(request.getfixturevalue("mongo_db"))


@pytest.fixture
async def store(backend: DataCallStore) -> DataCallStore:
    await backend.create_indexes()
    return backend


def _submitted(
    provider: str, fiscal_year: int = 2026, call: DataCall | None = None, minutes: int = 0
) -> DataCall:
    return submit(
        call,
        provider=provider,
        fiscal_year=fiscal_year,
        sections=example_sections(fiscal_year),
        template_version="1.0",
        by=f"t-prov-{provider}",
        at=AT + timedelta(minutes=minutes),
        reason=None if call is None else "correction",
        source=SubmissionSource.WORKBOOK,
    )


def _accepted(call: DataCall) -> DataCall:
    return review(call, decision=Decision.ACCEPT, comments="fine", by="t-admin", at=AT)


async def test_a_saved_data_call_reads_back_equal(store: DataCallStore) -> None:
    call = _accepted(_submitted("doi-ibc"))
    assert await store.save(call, None)
    found = await store.get("doi-ibc|FY2026")
    assert found == call
    assert found is not None
    assert found.latest.sections == example_sections(2026)
    assert found.latest.submitted_at == AT
    assert await store.get("doi-ibc|FY2025") is None


async def test_the_people_of_a_data_call_read_back(store: DataCallStore) -> None:
    nia = Person(sub="00u3nia", name="Nia Provider", issuer="https://login.agency.example")
    fran = Person(sub="00u4fran", issuer="https://login.agency.example")
    submitted = submit(
        None,
        provider="doi-ibc",
        fiscal_year=2026,
        sections=example_sections(2026),
        template_version="1.0",
        by="oidc:agency:00u3nia",
        at=AT,
        reason=None,
        source=SubmissionSource.WORKBOOK,
        person=nia,
    )
    call = review(
        submitted, decision=Decision.ACCEPT, comments=None, by="oidc:x:f", at=AT, person=fran
    )
    assert await store.save(call, None)
    found = await store.get("doi-ibc|FY2026")
    assert found == call
    assert found is not None
    assert found.latest.submitted_by_person == nia
    assert found.latest.review is not None
    assert found.latest.review.person == fran


async def test_only_one_of_two_first_submissions_is_stored(store: DataCallStore) -> None:
    first, second = _submitted("doi-ibc"), _submitted("doi-ibc", minutes=1)
    assert await store.save(first, None)
    assert not await store.save(second, None)
    assert await store.get(first.id) == first


async def test_a_change_is_stored_only_over_the_revision_it_was_made_from(
    store: DataCallStore,
) -> None:
    call = _submitted("doi-ibc")
    await store.save(call, None)
    accepted = _accepted(call)
    assert not await store.save(accepted, expected_revision=call.revision + 1)
    assert await store.save(accepted, expected_revision=call.revision)
    correction = _submitted("doi-ibc", call=accepted, minutes=5)
    assert not await store.save(correction, expected_revision=call.revision)  # stale
    assert await store.save(correction, expected_revision=accepted.revision)
    found = await store.get(call.id)
    assert found is not None
    assert [v.number for v in found.versions] == [1, 2]
    assert found.accepted is not None
    assert found.accepted.number == 1


async def test_the_review_queue_holds_submitted_calls_oldest_first(store: DataCallStore) -> None:
    await store.save(_submitted("treasury-arc", minutes=2), None)
    await store.save(_submitted("doi-ibc", minutes=1), None)
    await store.save(_accepted(_submitted("usda-nfc")), None)
    await store.save(_submitted("opm-hrs", fiscal_year=2025, minutes=3), None)
    queue = await store.under_review(None)
    assert [c.id for c in queue] == ["doi-ibc|FY2026", "treasury-arc|FY2026", "opm-hrs|FY2025"]
    mine = await store.under_review({"treasury-arc", "usda-nfc"})
    assert [c.id for c in mine] == ["treasury-arc|FY2026"]
    assert await store.under_review(set()) == []


async def test_a_fiscal_years_calls_by_provider(store: DataCallStore) -> None:
    for provider in ("usda-nfc", "doi-ibc", "treasury-arc"):
        await store.save(_submitted(provider), None)
    await store.save(_submitted("doi-ibc", fiscal_year=2025), None)
    found = await store.of_fiscal_year(2026, None)
    assert [c.provider for c in found] == ["doi-ibc", "treasury-arc", "usda-nfc"]
    some = await store.of_fiscal_year(2026, {"usda-nfc", "dot-esc"})
    assert [c.id for c in some] == ["usda-nfc|FY2026"]
    assert [c.id for c in await store.of_fiscal_year(2025, None)] == ["doi-ibc|FY2025"]
