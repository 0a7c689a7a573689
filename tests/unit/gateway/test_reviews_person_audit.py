"""Performance reviews name the person of a sign-in token: each step of a review, its creator,
the meeting's decisions, the activity log and revision proposals (an accepted one's framework
change too); the same steps taken with a key name none."""

from typing import Any

import pytest
from gateway_unit_support import NOW, Harness

from gateway.context import Caller, GatewayContext
from gateway.reviews.activity_log import InMemoryActivityLog
from services.notifications.models import StakeholderList, StakeholderMember
from shared.api_keys import Person, Principal, Role

ISSUER = "https://login.agency.example/oauth2/qsmo"
OWN = "cybersecurity"
ADA = {"sub": "00u1ada", "name": "Ada Admin", "issuer": ISSUER}
PAT = {"sub": "00u2pat", "name": "Pat Publisher", "issuer": ISSUER}
ADMIN = Principal(key_id="oidc:agency:00u1ada", role=Role.ADMIN, person=Person.model_validate(ADA))
PUBLISHER = Principal(
    key_id="oidc:agency:00u2pat",
    role=Role.PUBLISHER,
    qsmo=OWN,
    person=Person.model_validate(PAT),
)
CREATE = """mutation { createReview(fiscalYear: 2024, quarter: 2, qsmo: "cybersecurity",
  meetingDate: "2024-05-20", participants: ["CFO"], stakeholderListIds: ["omb"]) {
  id createdBy createdByPerson { sub name issuer } } }"""
READY = "mutation($id: ID!) { makeReviewReady(id: $id) { state } }"
MEETING = """mutation($id: ID!) { recordReviewMeeting(id: $id, decisions: [{text: "Act"}]) {
  history { state by person { sub } } decisions { text recordedBy recordedByPerson { name } } } }"""
ACTIVITY = "{ activityLog(first: 20) { nodes { action actor person { sub name issuer } } } }"
PROPOSE = """mutation { proposeRevision(qsmo: "cybersecurity", measure: "customer-engagement",
  kind: TARGET, proposedValue: 30, rationale: "late start") { id proposedByPerson { sub } } }"""
DECIDE = """mutation($id: ID!) { decideRevision(id: $id, decision: ACCEPT, note: "ok") {
  decidedBy decidedByPerson { sub name issuer } frameworkChangeId } }"""


@pytest.fixture(autouse=True)
def omb_list(harness: Harness) -> None:
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


async def as_token(
    harness: Harness, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = await harness.schema.execute(
        query,
        variable_values=variables,
        context_value=GatewayContext(harness.runtime, Caller(principal)),
    )
    assert result.errors is None, [e.formatted for e in result.errors or ()]
    assert result.data is not None
    return result.data


async def test_a_review_names_the_people_who_took_its_steps(harness: Harness) -> None:
    created = (await as_token(harness, PUBLISHER, CREATE))["createReview"]
    assert created["createdBy"] == "oidc:agency:00u2pat"
    assert created["createdByPerson"] == PAT
    await as_token(harness, ADMIN, READY, {"id": created["id"]})
    held = (await as_token(harness, PUBLISHER, MEETING, {"id": created["id"]}))[
        "recordReviewMeeting"
    ]
    assert [(s["state"], s["person"]) for s in held["history"]] == [
        ("DRAFT", {"sub": "00u2pat"}),
        ("READY", {"sub": "00u1ada"}),
        ("HELD", {"sub": "00u2pat"}),
    ]
    assert held["decisions"] == [
        {
            "text": "Act",
            "recordedBy": "oidc:agency:00u2pat",
            "recordedByPerson": {"name": "Pat Publisher"},
        }
    ]
    # Amended with a key: the decisions now name the key and no person.
    amended = await harness.data(MEETING, {"id": created["id"]}, who="admin")
    decision = amended["recordReviewMeeting"]["decisions"][0]
    assert (decision["recordedBy"], decision["recordedByPerson"]) == ("t-admin", None)
    activity = (await harness.data(ACTIVITY))["activityLog"]["nodes"]
    people = {(e["action"], e["actor"]): e["person"] for e in activity}
    assert people[("review.created", "oidc:agency:00u2pat")] == PAT
    assert people[("review.ready", "oidc:agency:00u1ada")] == ADA
    assert people[("review.held", "t-admin")] is None


async def test_a_revision_names_who_proposed_and_decided_it(harness: Harness) -> None:
    proposed = (await as_token(harness, PUBLISHER, PROPOSE))["proposeRevision"]
    assert proposed["proposedByPerson"] == {"sub": "00u2pat"}
    decided = (await as_token(harness, ADMIN, DECIDE, {"id": proposed["id"]}))["decideRevision"]
    assert decided["decidedByPerson"] == ADA
    audit = await harness.data("{ auditLog { nodes { id actor person { sub name issuer } } } }")
    [entry] = audit["auditLog"]["nodes"]
    assert entry == {
        "id": decided["frameworkChangeId"],
        "actor": "oidc:agency:00u1ada",
        "person": ADA,
    }
    log = harness.runtime.revisions.activity
    assert isinstance(log, InMemoryActivityLog)
    people = {e.action: e.person for e in log.entries.values()}
    assert people == {
        "revision.proposed": Person.model_validate(PAT),
        "revision.accepted": Person.model_validate(ADA),
    }
