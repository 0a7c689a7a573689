"""One suite, two review stores: in memory and MongoDB (FerretDB)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.pagination import Position
from gateway.reviews.store import (
    InMemoryReviewStore,
    MongoReviewStore,
    ReviewExistsError,
    ReviewFilter,
)
from shared.api_keys import Person
from shared.domain.reviews import (
    PacketStatus,
    Review,
    ReviewDecision,
    ReviewState,
    held,
    made_ready,
    new_review,
    packet_done,
    packet_failed,
)

NOW = datetime(2025, 5, 15, 12, tzinfo=UTC)
Store = InMemoryReviewStore | MongoReviewStore


@pytest.fixture(params=["in-memory", "mongo"])
def store(request: pytest.FixtureRequest) -> Store:
    if request.param == "in-memory":
        return InMemoryReviewStore()
    return MongoReviewStore(request.getfixturevalue("mongo_db"))


async def test_the_indexes_can_be_created_twice(mongo_db: object) -> None:
    store = MongoReviewStore(mongo_db)
    await store.create_indexes()
    await store.create_indexes()


def _review(
    qsmo: str | None, fiscal_year: int, quarter: int, cut_off: datetime, *, at: datetime = NOW
) -> Review:
    return new_review(
        qsmo=qsmo,
        fiscal_year=fiscal_year,
        quarter=quarter,
        title=f"FY{fiscal_year} Q{quarter} review",
        meeting_date=date(2025, 5, 20),
        participants=("CFO", "CX lead"),
        stakeholder_lists=("omb",),
        cut_off=cut_off,
        previous_review_id=None,
        now=at,
        by="t-admin",
    )


async def test_the_people_of_a_review_round_trip(store: Store) -> None:
    pat = Person(sub="00u2pat", name="Pat Publisher", issuer="https://login.agency.example")
    ada = Person(sub="00u1ada", issuer="https://login.agency.example")
    review = new_review(
        qsmo="cybersecurity",
        fiscal_year=2025,
        quarter=1,
        title="FY2025 Q1 review",
        meeting_date=date(2025, 2, 10),
        participants=(),
        stakeholder_lists=(),
        cut_off=NOW,
        previous_review_id=None,
        now=NOW,
        by="oidc:agency:00u2pat",
        person=pat,
    )
    ready = made_ready(review, NOW, None, NOW, "oidc:agency:00u1ada", ada)
    decided = held(ready, (ReviewDecision(text="Act"),), None, NOW, "t-admin")
    await store.insert(decided)
    stored = await store.get(review.id)
    assert stored == decided
    assert stored is not None
    assert stored.created_by_person == pat
    assert [s.person for s in stored.history] == [pat, ada, None]


async def test_a_review_round_trips_and_a_second_one_is_refused(store: Store) -> None:
    review = _review("cybersecurity", 2025, 2, NOW)
    ready = made_ready(review, NOW, None, NOW, "t-admin")
    decided = held(
        ready, (ReviewDecision(text="Second wave", due_date=date(2025, 6, 30)),), "ok", NOW, "t"
    )
    await store.insert(decided)
    assert await store.get(review.id) == decided
    with pytest.raises(ReviewExistsError):
        await store.insert(review)
    assert await store.get("FY2025-Q2|nobody") is None


async def test_replace_is_a_compare_and_set_on_revision(store: Store) -> None:
    review = _review("cybersecurity", 2025, 2, NOW)
    await store.insert(review)
    ready = made_ready(review, NOW, None, NOW + timedelta(minutes=1), "t-admin")
    assert await store.replace(ready, review.revision) is True
    stale = made_ready(review, NOW, None, NOW + timedelta(minutes=2), "t-other")
    assert await store.replace(stale, review.revision) is False
    assert await store.get(review.id) == ready


async def test_pages_are_newest_cut_off_first_and_filtered(store: Store) -> None:
    reviews = [
        _review("cybersecurity", 2024, 4, NOW - timedelta(days=3)),
        _review("cybersecurity", 2025, 1, NOW - timedelta(days=2)),
        _review(None, 2025, 1, NOW - timedelta(days=1)),
        _review("financial-management", 2025, 2, NOW),
    ]
    for review in reviews:
        await store.insert(review)
    everything = await store.page(ReviewFilter(), 2, None)
    assert [r.id for r in everything] == [
        "FY2025-Q2|financial-management",
        "FY2025-Q1|government",
        "FY2025-Q1|cybersecurity",
    ]
    rest = await store.page(ReviewFilter(), 2, Position(everything[1].cut_off, everything[1].id))
    assert [r.id for r in rest] == ["FY2025-Q1|cybersecurity", "FY2024-Q4|cybersecurity"]
    government = await store.page(ReviewFilter(government_wide=True), 10, None)
    assert [r.id for r in government] == ["FY2025-Q1|government"]
    qsmos = await store.page(ReviewFilter(government_wide=False, fiscal_year=2025), 10, None)
    assert [r.id for r in qsmos] == ["FY2025-Q2|financial-management", "FY2025-Q1|cybersecurity"]
    one = await store.page(ReviewFilter(qsmo="cybersecurity", state=ReviewState.DRAFT), 10, None)
    assert [r.id for r in one] == ["FY2025-Q1|cybersecurity", "FY2024-Q4|cybersecurity"]
    assert await store.page(ReviewFilter(state=ReviewState.READY), 10, None) == []


async def test_previous_is_the_scopes_latest_cut_off_before(store: Store) -> None:
    for review in (
        _review("cybersecurity", 2024, 3, NOW - timedelta(days=90)),
        _review("cybersecurity", 2024, 4, NOW - timedelta(days=30)),
        _review(None, 2025, 1, NOW - timedelta(days=10)),
    ):
        await store.insert(review)
    found = await store.previous("cybersecurity", NOW)
    assert found is not None
    assert found.id == "FY2024-Q4|cybersecurity"
    found = await store.previous("cybersecurity", NOW - timedelta(days=30))
    assert found is not None
    assert found.id == "FY2024-Q3|cybersecurity"
    assert await store.previous("cybersecurity", NOW - timedelta(days=90)) is None
    itself = await store.previous("cybersecurity", NOW, excluding="FY2024-Q4|cybersecurity")
    assert itself is not None
    assert itself.id == "FY2024-Q3|cybersecurity"
    government = await store.previous(None, NOW)
    assert government is not None
    assert government.id == "FY2025-Q1|government"


async def test_a_packet_job_is_claimed_once_until_its_lease_ends(store: Store) -> None:
    first = _review("cybersecurity", 2025, 1, NOW, at=NOW - timedelta(minutes=2))
    second = _review("cybersecurity", 2025, 2, NOW, at=NOW - timedelta(minutes=1))
    await store.insert(second)
    await store.insert(first)
    lease = NOW + timedelta(minutes=2)
    claimed = await store.claim_packet(NOW, lease)
    assert claimed is not None
    assert claimed.id == first.id
    assert claimed.packet.status is PacketStatus.RENDERING
    assert claimed.packet.lease_until == lease
    assert claimed.revision == first.revision + 1
    other = await store.claim_packet(NOW, lease)
    assert other is not None
    assert other.id == second.id
    assert await store.claim_packet(NOW, lease) is None
    assert await store.pending_jobs() == 2
    again = await store.claim_packet(lease, lease + timedelta(minutes=2))  # lease ended
    assert again is not None
    assert again.id in {first.id, second.id}


async def test_finishing_a_packet_needs_the_version_being_rendered(store: Store) -> None:
    review = _review("cybersecurity", 2025, 2, NOW)
    await store.insert(review)
    claimed = await store.claim_packet(NOW, NOW + timedelta(minutes=2))
    assert claimed is not None
    done = packet_done(claimed.packet, 4, {"pdf": "ab"}, "Overall GREEN", NOW)
    assert await store.finish_packet(review.id, 2, done) is None  # not the version claimed
    finished = await store.finish_packet(review.id, 1, done)
    assert finished is not None
    assert finished.packet.status is PacketStatus.DONE
    assert finished.packet.pages == 4
    assert finished.packet.sha256 == {"pdf": "ab"}
    assert finished.packet.summary == "Overall GREEN"
    assert await store.finish_packet(review.id, 1, done) is None  # no longer RENDERING
    assert await store.pending_jobs() == 0


async def test_a_failed_attempt_waits_for_its_retry_time(store: Store) -> None:
    review = _review("cybersecurity", 2025, 2, NOW)
    await store.insert(review)
    claimed = await store.claim_packet(NOW, NOW + timedelta(minutes=2))
    assert claimed is not None
    failed = packet_failed(claimed.packet, "boom", NOW, timedelta(seconds=30))
    finished = await store.finish_packet(review.id, 1, failed)
    assert finished is not None
    assert finished.packet.status is PacketStatus.PENDING
    assert finished.packet.attempts == 1
    assert await store.claim_packet(NOW + timedelta(seconds=29), NOW) is None
    assert await store.claim_packet(NOW + timedelta(seconds=30), NOW) is not None


async def test_ready_reviews_with_a_done_packet_are_owed_until_announced(store: Store) -> None:
    draft = _review("cybersecurity", 2025, 1, NOW)
    ready = made_ready(_review("cybersecurity", 2025, 2, NOW), NOW, None, NOW, "t-admin")
    await store.insert(draft)
    await store.insert(ready)
    for _ in range(2):
        claimed = await store.claim_packet(NOW, NOW + timedelta(minutes=2))
        assert claimed is not None
        done = packet_done(claimed.packet, 1, {}, "s", NOW)
        await store.finish_packet(claimed.id, claimed.packet.version, done)
    assert [r.id for r in await store.unannounced(10)] == [ready.id]
    await store.mark_announced(ready.id)
    assert await store.unannounced(10) == []
    announced = await store.get(ready.id)
    assert announced is not None
    assert announced.announced
