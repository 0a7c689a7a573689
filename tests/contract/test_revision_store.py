"""One suite, two revision-proposal stores: in memory and MongoDB."""

from datetime import UTC, datetime, timedelta

import pytest

from gateway.pagination import Position
from gateway.reviews.revision_store import (
    InMemoryRevisionStore,
    MongoRevisionStore,
    open_proposals_for_packets,
)
from gateway.reviews.revisions import RevisionKind, RevisionProposal, RevisionStatus
from shared.api_keys import Person
from shared.catalog import load_catalog

AT = datetime(2026, 1, 15, 12, tzinfo=UTC)
Store = InMemoryRevisionStore | MongoRevisionStore


@pytest.fixture(params=["in-memory", "mongo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "in-memory":
        return InMemoryRevisionStore()
    return MongoRevisionStore(request.getfixturevalue("mongo_db"))


def _proposal(
    proposal_id: str, minutes: int, qsmo: str | None = "cybersecurity"
) -> RevisionProposal:
    return RevisionProposal(
        id=proposal_id,
        qsmo=qsmo,
        measure="customer-engagement",
        kind=RevisionKind.TARGET,
        proposed_value=30.0,
        current_value=40.0,
        rationale="The marketplace opened late",
        evidence="FY2025 Q2 review minutes",
        review_id="FY2025-Q2|cybersecurity",
        proposed_at=AT + timedelta(minutes=minutes),
        proposed_by="t-pub-cybersecurity",
    )


async def test_a_proposal_round_trips(store: Store) -> None:
    await store.create_indexes()
    proposal = _proposal("rev_1", 0)
    await store.insert(proposal)
    assert await store.get("rev_1") == proposal
    assert await store.get("rev_missing") is None


async def test_the_people_of_a_proposal_round_trip(store: Store) -> None:
    pat = Person(sub="00u2pat", name="Pat Publisher", issuer="https://login.agency.example")
    proposal = _proposal("rev_p", 0).model_copy(update={"proposed_by_person": pat})
    await store.insert(proposal)
    stored = await store.get("rev_p")
    assert stored == proposal
    assert stored is not None
    assert stored.proposed_by_person == pat
    assert stored.decided_by_person is None


async def test_a_decision_is_a_compare_and_set(store: Store) -> None:
    proposal = _proposal("rev_1", 0)
    await store.insert(proposal)
    accepted = proposal.model_copy(
        update={
            "status": RevisionStatus.ACCEPTED,
            "decided_at": AT + timedelta(hours=1),
            "decided_by": "t-admin",
            "decision_note": "agreed",
            "framework_change_id": "chg_1",
            "revision": 2,
        }
    )
    assert await store.replace(accepted, 1) is True
    declined = proposal.model_copy(update={"status": RevisionStatus.DECLINED, "revision": 2})
    assert await store.replace(declined, 1) is False  # the first decision won
    assert await store.get("rev_1") == accepted


async def test_pages_are_newest_first_and_filtered(store: Store) -> None:
    for index in range(4):
        await store.insert(_proposal(f"rev_{index}", index))
    await store.insert(_proposal("rev_global", 9, qsmo=None))
    await store.insert(_proposal("rev_other", 10, qsmo="grants-management"))
    first = await store.page("cybersecurity", None, 2, None)
    assert [p.id for p in first] == ["rev_3", "rev_2", "rev_1"]
    rest = await store.page("cybersecurity", None, 2, Position(first[1].proposed_at, first[1].id))
    assert [p.id for p in rest] == ["rev_1", "rev_0"]
    everything = await store.page(None, RevisionStatus.PROPOSED, 10, None)
    assert [p.id for p in everything][:2] == ["rev_other", "rev_global"]
    assert len(everything) == 6
    assert await store.page(None, RevisionStatus.ACCEPTED, 10, None) == []


async def test_packets_list_a_scopes_open_proposals_and_the_global_ones(store: Store) -> None:
    await store.insert(_proposal("rev_own", 0))
    await store.insert(_proposal("rev_global", 1, qsmo=None))
    await store.insert(_proposal("rev_other", 2, qsmo="grants-management"))
    decided = _proposal("rev_decided", 3).model_copy(update={"status": RevisionStatus.DECLINED})
    await store.insert(decided)
    open_proposals = open_proposals_for_packets(store, load_catalog())
    own = await open_proposals("cybersecurity")
    assert [(p.id, p.unit, p.proposed_value) for p in own] == [
        ("rev_global", "engagements", 30.0),
        ("rev_own", "engagements", 30.0),
    ]
    everything = await open_proposals(None)
    assert [p.id for p in everything] == ["rev_other", "rev_global", "rev_own"]
