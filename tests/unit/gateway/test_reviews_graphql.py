"""Performance reviews through GraphQL on in-memory stores, with the packet worker's sweeps
run by hand and a fake packet builder (the clock is fixed at 2024-05-15: FY2024 Q2 ended,
Q3 in progress)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_unit_support import NOW, FakePacketBuilder, Harness, error_codes, make_view

from gateway.reviews.activity_log import InMemoryActivityLog
from gateway.reviews.publisher import InMemoryReviewPublisher
from gateway.reviews.store import InMemoryReviewStore
from services.notifications.models import StakeholderList, StakeholderMember
from shared.events import ReviewReady

OWN = "cybersecurity"
CREATE = """mutation($q: Int!, $qsmo: ID, $cutOff: DateTime, $title: String) {
  createReview(fiscalYear: 2024, quarter: $q, qsmo: $qsmo, meetingDate: "2024-05-20",
               participants: ["CFO", " CX lead "], cutOff: $cutOff, title: $title,
               stakeholderListIds: ["omb"]) {
    id title state cutOff participants stakeholderListIds previousReviewId createdBy
    packet { status version pdfUrl sha256Pdf } history { state by }
  }
}"""
READY = (
    "mutation($id: ID!) { makeReviewReady(id: $id) { id state cutOff packet { status version } } }"
)
REVIEW = """query($id: ID!) { review(id: $id) {
  id state qsmo { name } packet { status version pages error pdfUrl xlsxUrl csvUrl sha256Pdf }
  previous { id } changes { from to measures { id newStatus } }
  scorecard { overallStatus } activity { nodes { id action actor } } } }"""


@pytest.fixture(autouse=True)
def omb_list(harness: Harness) -> None:
    """The stakeholder list the reviews below name (``stakeholderListIds: ["omb"]``)."""
    harness.stakeholder_records.lists["omb"] = StakeholderList(
        id="omb",
        name="OMB RMO",
        kind="OMB",
        members=(StakeholderMember(name="Jane Doe", address="jane.doe@omb.example.gov"),),
        created_at=NOW,
        created_by="t-admin",
        updated_at=NOW,
        updated_by="t-admin",
    )


def _parts(
    harness: Harness,
) -> tuple[InMemoryReviewStore, FakePacketBuilder, InMemoryReviewPublisher]:
    reviews = harness.runtime.reviews
    assert isinstance(reviews.store, InMemoryReviewStore)
    assert isinstance(reviews.worker.builder, FakePacketBuilder)
    assert isinstance(reviews.worker.publisher, InMemoryReviewPublisher)
    return reviews.store, reviews.worker.builder, reviews.worker.publisher


async def _create(harness: Harness, who: str = "admin", **variables: Any) -> dict[str, Any]:
    data = await harness.data(CREATE, {"q": 2, "qsmo": OWN, **variables}, who=who)
    created: dict[str, Any] = data["createReview"]
    return created


async def test_a_created_review_is_a_draft_whose_preview_the_worker_renders(
    harness: Harness,
) -> None:
    created = await _create(harness, who=f"pub:{OWN}")
    assert created["id"] == "FY2024-Q2|cybersecurity"
    assert created["title"] == "FY2024 Q2 performance review — Cybersecurity Services QSMO"
    assert created["state"] == "DRAFT"
    assert created["cutOff"] == NOW.isoformat()
    assert created["participants"] == ["CFO", "CX lead"]
    assert created["stakeholderListIds"] == ["omb"]
    assert created["packet"] == {
        "status": "PENDING",
        "version": 1,
        "pdfUrl": None,
        "sha256Pdf": None,
    }
    assert created["history"] == [{"state": "DRAFT", "by": "t-pub-cybersecurity"}]
    _, builder, publisher = _parts(harness)
    assert builder.built == []  # never on the request path
    assert await harness.runtime.reviews.worker.sweep() == (1, 0)
    assert builder.built == [("FY2024-Q2|cybersecurity", "DRAFT", None)]
    review = (await harness.data(REVIEW, {"id": created["id"]}))["review"]
    packet = review["packet"]
    assert packet["status"] == "DONE"
    assert packet["pages"] == 3
    assert packet["pdfUrl"] == "/v1/reviews/FY2024-Q2%7Ccybersecurity/packet.pdf"
    assert packet["csvUrl"].endswith("/packet.csv")
    assert len(packet["sha256Pdf"]) == 64
    assert publisher.messages == []  # a DRAFT is never announced
    actions = [e["action"] for e in review["activity"]["nodes"]]
    assert sorted(actions) == ["packet.rendered", "review.created"]


async def test_a_second_review_of_the_scope_and_quarter_is_a_conflict(harness: Harness) -> None:
    await _create(harness)
    store, _, _ = _parts(harness)
    before = dict(store.reviews)
    result = await harness.run(CREATE, {"q": 2, "qsmo": OWN}, who=f"pub:{OWN}")
    assert error_codes(result) == ["CONFLICT"]
    assert "already exists" in result.errors[0].message  # type: ignore[index]
    assert store.reviews == before


async def test_an_unknown_stakeholder_list_is_bad_user_input_naming_it(harness: Harness) -> None:
    asked = CREATE.replace('stakeholderListIds: ["omb"]', 'stakeholderListIds: ["omb", "ombb"]')
    result = await harness.run(asked, {"q": 2, "qsmo": OWN}, who="admin")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    error = result.errors[0]  # type: ignore[index]
    assert error.extensions["field"] == "stakeholderListIds[1]"
    assert "no stakeholder list has id 'ombb'" in error.message
    assert harness.runtime.reviews.store.reviews == {}  # type: ignore[attr-defined]


async def test_cut_off_rules_are_bad_user_input_naming_cut_off(harness: Harness) -> None:
    cases = [
        (3, "2024-05-01T00:00:00Z", "has not ended"),  # a quarter in progress: DRAFT at now
        (2, "2024-03-31T23:59:59Z", "before FY2024 Q2 ended"),
        (2, "2024-05-16T00:00:00Z", "in the future"),
        (2, "2024-05-01T00:00:00", "UTC offset"),
    ]
    for quarter, cut_off, words in cases:
        result = await harness.run(
            CREATE, {"q": quarter, "qsmo": OWN, "cutOff": cut_off}, who="admin"
        )
        assert error_codes(result) == ["BAD_USER_INPUT"], cut_off
        error = result.errors[0]  # type: ignore[index]
        assert words in error.message
        assert error.extensions["field"] == "cutOff"
    assert harness.runtime.reviews.store.reviews == {}  # type: ignore[attr-defined]
    draft = await _create(harness, q=3)
    assert draft["state"] == "DRAFT"
    assert draft["cutOff"] == NOW.isoformat()


async def test_a_review_of_a_quarter_in_progress_cannot_be_made_ready(harness: Harness) -> None:
    draft = await _create(harness, q=3)
    result = await harness.run(READY, {"id": draft["id"]}, who="admin")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert "has not ended" in result.errors[0].message  # type: ignore[index]
    assert result.errors[0].extensions["field"] == "id"  # type: ignore[index]
    missing = await harness.run(READY, {"id": "FY2024-Q2|nowhere"}, who="admin")
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_ready_renders_the_frozen_packet_and_announces_it_once(harness: Harness) -> None:
    first = await _create(harness, q=1, cutOff="2024-01-05T00:00:00Z")
    draft = await _create(harness)
    assert draft["previousReviewId"] == first["id"]
    worker = harness.runtime.reviews.worker
    await worker.sweep()
    ready = (await harness.data(READY, {"id": draft["id"]}, who=f"pub:{OWN}"))["makeReviewReady"]
    assert ready["state"] == "READY"
    assert ready["cutOff"] == NOW.isoformat()  # the draft's (after the quarter's end)
    assert ready["packet"] == {"status": "PENDING", "version": 2}
    _, builder, publisher = _parts(harness)
    await worker.sweep()
    assert builder.built[-1] == (draft["id"], "READY", first["id"])
    await worker.sweep()
    await worker.sweep()
    assert len(publisher.messages) == 1
    message = publisher.messages[0]
    assert isinstance(message, ReviewReady)
    assert message.message_id == f"review-ready:{draft['id']}"
    assert message.summary == f"Overall GREEN: {draft['id']}"
    assert message.packet_links["pdf"] == "/v1/reviews/FY2024-Q2%7Ccybersecurity/packet.pdf"
    assert message.stakeholder_lists == ("omb",)
    assert message.ready_at == NOW
    again = await harness.run(READY, {"id": draft["id"]}, who="admin")
    assert error_codes(again) == ["BAD_USER_INPUT"]


async def test_a_failed_publish_is_retried_by_the_next_sweep(harness: Harness) -> None:
    draft = await _create(harness)
    await harness.data(READY, {"id": draft["id"]}, who="admin")
    worker = harness.runtime.reviews.worker
    _, _, publisher = _parts(harness)
    publisher.available = False
    assert await worker.sweep() == (1, 0)
    assert publisher.messages == []
    publisher.available = True
    assert await worker.sweep() == (0, 1)
    assert await worker.sweep() == (0, 0)
    assert [m.message_id for m in publisher.messages] == [f"review-ready:{draft['id']}"]


async def test_a_packet_failing_three_times_is_failed_and_can_be_asked_again(
    harness: Harness,
) -> None:
    draft = await _create(harness)
    await harness.data(READY, {"id": draft["id"]}, who="admin")
    worker = harness.runtime.reviews.worker
    _, builder, publisher = _parts(harness)
    builder.failures = 3
    for _ in range(3):
        await worker.sweep()
    review = (await harness.data(REVIEW, {"id": draft["id"]}))["review"]
    assert review["state"] == "READY"
    assert review["packet"]["status"] == "FAILED"
    assert review["packet"]["error"] == "RuntimeError: the typesetter ran out of ink"
    assert review["packet"]["pdfUrl"] is None
    assert publisher.messages == []
    registry = harness.runtime.registry
    failed = registry.get_sample_value("qsmo_gateway_review_packets_total", {"outcome": "failed"})
    assert failed == 3
    assert registry.get_sample_value("qsmo_gateway_review_packet_jobs_pending") == 0
    rerender = "mutation($id: ID!) { rerenderReviewPacket(id: $id) { packet { status version } } }"
    asked = await harness.data(rerender, {"id": draft["id"]}, who=f"pub:{OWN}")
    assert asked["rerenderReviewPacket"]["packet"] == {"status": "PENDING", "version": 3}
    await worker.sweep()
    assert len(publisher.messages) == 1
    done = registry.get_sample_value("qsmo_gateway_review_packets_total", {"outcome": "done"})
    assert done == 1
    refused = await harness.run(rerender, {"id": draft["id"]}, who="admin")  # READY and DONE
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    assert "frozen" in refused.errors[0].message  # type: ignore[index]


async def test_the_meeting_holds_a_ready_review_and_may_be_amended(harness: Harness) -> None:
    draft = await _create(harness)
    meeting = """mutation($id: ID!, $d: [ReviewDecisionInput!]!, $n: String) {
      recordReviewMeeting(id: $id, decisions: $d, notes: $n) {
        state notes decisions { text owner dueDate } history { state note } } }"""
    decisions = [{"text": "Run a second survey wave", "owner": "CX lead", "dueDate": "2024-06-30"}]
    early = await harness.run(meeting, {"id": draft["id"], "d": decisions}, who="admin")
    assert error_codes(early) == ["BAD_USER_INPUT"]
    assert "make it ready" in early.errors[0].message  # type: ignore[index]
    await harness.data(READY, {"id": draft["id"]}, who="admin")
    held = await harness.data(
        meeting, {"id": draft["id"], "d": decisions, "n": " quorum "}, who="admin"
    )
    assert held["recordReviewMeeting"]["state"] == "HELD"
    assert held["recordReviewMeeting"]["notes"] == "quorum"
    assert held["recordReviewMeeting"]["decisions"] == [
        {"text": "Run a second survey wave", "owner": "CX lead", "dueDate": "2024-06-30"}
    ]
    amended = await harness.data(meeting, {"id": draft["id"], "d": []}, who=f"pub:{OWN}")
    history = amended["recordReviewMeeting"]["history"]
    assert [h["state"] for h in history] == ["DRAFT", "READY", "HELD", "HELD"]
    assert history[-1]["note"] == "amended"
    blank = await harness.run(meeting, {"id": draft["id"], "d": [{"text": ""}]}, who="admin")
    assert error_codes(blank) == ["BAD_USER_INPUT"]
    assert blank.errors[0].extensions["field"] == "decisions[0].text"  # type: ignore[index]
    activity = harness.runtime.reviews.activity
    assert isinstance(activity, InMemoryActivityLog)
    held_entries = sorted(e for e in activity.entries if e.startswith("review.held:"))
    assert len(held_entries) == 2


async def test_the_government_wide_review_is_an_admins(harness: Harness) -> None:
    refused = await harness.run(CREATE, {"q": 2, "qsmo": None}, who=f"pub:{OWN}")
    assert error_codes(refused) == ["FORBIDDEN"]
    created = await _create(harness, qsmo=None)
    assert created["id"] == "FY2024-Q2|government"
    assert created["title"] == "FY2024 Q2 performance review — government-wide"
    titled = await _create(harness, q=1, qsmo=None, title="  Q1 with OMB  ")
    assert titled["title"] == "Q1 with OMB"


async def test_reviews_list_filter_and_page(harness: Harness) -> None:
    await _create(harness, q=1, cutOff="2024-01-05T00:00:00Z")
    await _create(harness)
    await _create(harness, qsmo=None)
    await _create(harness, qsmo="financial-management", cutOff="2024-04-02T00:00:00Z")
    query = """query($qsmo: ID, $gw: Boolean, $state: ReviewState, $after: String) {
      reviews(qsmo: $qsmo, governmentWide: $gw, state: $state, first: 2, after: $after) {
        nodes { id } pageInfo { hasNextPage endCursor } } }"""
    page = (await harness.data(query))["reviews"]
    assert [n["id"] for n in page["nodes"]] == ["FY2024-Q2|government", "FY2024-Q2|cybersecurity"]
    rest = (await harness.data(query, {"after": page["pageInfo"]["endCursor"]}))["reviews"]
    assert [n["id"] for n in rest["nodes"]] == [
        "FY2024-Q2|financial-management",
        "FY2024-Q1|cybersecurity",
    ]
    assert rest["pageInfo"]["hasNextPage"] is False
    own = (await harness.data(query, {"qsmo": OWN}))["reviews"]["nodes"]
    assert [n["id"] for n in own] == ["FY2024-Q2|cybersecurity", "FY2024-Q1|cybersecurity"]
    government = (await harness.data(query, {"gw": True}))["reviews"]["nodes"]
    assert [n["id"] for n in government] == ["FY2024-Q2|government"]
    assert (await harness.data(query, {"state": "READY"}))["reviews"]["nodes"] == []
    bad = await harness.run(query, {"qsmo": "nowhere"})
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_a_review_reads_the_scorecard_at_its_cut_off_and_the_changes(
    harness: Harness,
) -> None:
    catalog = harness.runtime.catalog
    early = datetime(2024, 1, 3, tzinfo=UTC)
    harness.scorecards.versions.append(
        make_view(catalog, 2024, OWN, {"customer-satisfaction": 4.6}, version=1, computed_at=early)
    )
    later = datetime(2024, 4, 20, tzinfo=UTC)
    harness.scorecards.versions.append(
        make_view(catalog, 2024, OWN, {"customer-satisfaction": 2.0}, version=2, computed_at=later)
    )
    first = await _create(harness, q=1, cutOff="2024-01-05T00:00:00Z")
    second = await _create(harness, cutOff="2024-04-25T00:00:00Z")
    one = (await harness.data(REVIEW, {"id": first["id"]}))["review"]
    two = (await harness.data(REVIEW, {"id": second["id"]}))["review"]
    assert one["previous"] is None
    assert one["changes"] is None
    assert two["previous"] == {"id": first["id"]}
    assert two["qsmo"] == {"name": "Cybersecurity Services QSMO"}
    assert one["scorecard"] is not None
    assert one["scorecard"] != two["scorecard"]  # each as reported at its cut-off
    assert two["changes"]["from"] == "2024-01-05T00:00:00+00:00"
    assert two["changes"]["to"] == "2024-04-25T00:00:00+00:00"
    assert {"id": "customer-satisfaction", "newStatus": "RED"} in two["changes"]["measures"]
    assert harness.scorecards.calls["diff"] == 1


async def test_the_activity_log_lists_the_steps(harness: Harness) -> None:
    draft = await _create(harness)
    await harness.runtime.reviews.worker.sweep()
    await harness.data(READY, {"id": draft["id"]}, who="admin")
    query = """query($qsmo: ID, $subject: ID) { activityLog(qsmo: $qsmo, subject: $subject) {
      nodes { id action actor subject qsmoId details { key value } } } }"""
    entries = (await harness.data(query, {"qsmo": OWN}))["activityLog"]["nodes"]
    ids = {e["id"] for e in entries}
    assert ids == {
        f"review.created:{draft['id']}",
        f"packet.rendered:{draft['id']}:v1",
        f"review.ready:{draft['id']}",
    }
    assert {e["actor"] for e in entries} == {"t-admin", "automation:packet-worker"}
    assert (await harness.data(query, {"subject": "other"}))["activityLog"]["nodes"] == []


async def test_a_review_made_ready_later_is_never_its_own_previous(harness: Harness) -> None:
    draft = await _create(harness, cutOff="2024-04-02T00:00:00Z")
    ready = """mutation($id: ID!) { makeReviewReady(id: $id, cutOff: "2024-04-10T00:00:00Z") {
      cutOff previousReviewId } }"""
    made = (await harness.data(ready, {"id": draft["id"]}, who="admin"))["makeReviewReady"]
    assert made == {"cutOff": "2024-04-10T00:00:00+00:00", "previousReviewId": None}
