"""Revision proposals through GraphQL: propose, decide (applied through the audited
framework operation), refusals that store nothing, and the list."""

from typing import Any

import pytest
from gateway_unit_support import NOW, Harness, error_codes

from gateway.reviews.activity_log import InMemoryActivityLog
from gateway.reviews.revision_store import InMemoryRevisionStore
from gateway.reviews.revisions import RevisionKind, RevisionProposals, RevisionStatus
from shared.catalog import load_catalog
from shared.domain.overrides import Overrides
from shared.events import FrameworkChanged

PROPOSE = """mutation($qsmo: ID, $measure: ID!, $kind: RevisionKind!, $value: Float!,
  $rationale: String!, $evidence: String, $review: ID) {
  proposeRevision(qsmo: $qsmo, measure: $measure, kind: $kind, proposedValue: $value,
    rationale: $rationale, evidence: $evidence, reviewId: $review) {
    id qsmoId measureId kind proposedValue currentValue rationale evidence reviewId status
    proposedBy measure { name } qsmo { name }
  }
}"""
DECIDE = """mutation($id: ID!, $decision: RevisionDecision!, $note: String!) {
  decideRevision(id: $id, decision: $decision, note: $note) {
    id status decidedBy decisionNote frameworkChangeId
  }
}"""
TARGET = {
    "qsmo": "cybersecurity",
    "measure": "customer-engagement",
    "kind": "TARGET",
    "value": 30,
    "rationale": "The marketplace opened a quarter late",
    "evidence": "FY2025 Q2 review minutes",
    "review": "FY2025-Q2|cybersecurity",
}


async def _propose(harness: Harness, who: str = "pub:cybersecurity", **changes: Any) -> Any:
    data = await harness.data(PROPOSE, {**TARGET, **changes}, who=who)
    return data["proposeRevision"]


def _activity(harness: Harness) -> InMemoryActivityLog:
    log = harness.runtime.revisions.activity
    assert isinstance(log, InMemoryActivityLog)
    return log


async def test_a_publisher_proposes_and_an_admin_accepts_through_the_audit_log(
    harness: Harness,
) -> None:
    proposed = await _propose(harness)
    assert proposed["status"] == "PROPOSED"
    assert (proposed["currentValue"], proposed["proposedValue"]) == (40.0, 30.0)
    assert proposed["proposedBy"] == "t-pub-cybersecurity"
    assert proposed["measure"] == {"name": "Customer Engagement"}
    assert proposed["reviewId"] == "FY2025-Q2|cybersecurity"

    decided = await harness.data(
        DECIDE, {"id": proposed["id"], "decision": "ACCEPT", "note": "agreed"}, who="admin"
    )
    accepted = decided["decideRevision"]
    assert (accepted["status"], accepted["decidedBy"]) == ("ACCEPTED", "t-admin")
    overrides = await harness.runtime.framework.overrides()
    assert overrides.qsmo_targets[("cybersecurity", "customer-engagement")] == 30.0
    audit = await harness.data("{ auditLog { nodes { id actor reason value qsmoId } } }")
    [entry] = audit["auditLog"]["nodes"]
    assert entry["id"] == accepted["frameworkChangeId"]
    assert entry["actor"] == "t-admin"
    assert entry["reason"] == f"revision {proposed['id']}: {TARGET['rationale']}"
    assert (entry["value"], entry["qsmoId"]) == (30.0, "cybersecurity")
    actions = sorted((e.id, e.action) for e in _activity(harness).entries.values())
    assert actions == [
        (f"revision.decided:{proposed['id']}", "revision.accepted"),
        (f"revision.proposed:{proposed['id']}", "revision.proposed"),
    ]


async def test_a_declined_weight_changes_nothing_and_deciding_twice_is_refused(
    harness: Harness,
) -> None:
    proposed = await _propose(harness, kind="MEASURE_WEIGHT", value=2)
    assert proposed["currentValue"] == 1.0
    variables = {"id": proposed["id"], "decision": "DECLINE", "note": "not this year"}
    declined = await harness.data(DECIDE, variables, who="admin")
    assert declined["decideRevision"]["frameworkChangeId"] is None
    assert await harness.runtime.framework.overrides() == Overrides()
    again = await harness.run(DECIDE, {**variables, "decision": "ACCEPT"}, who="admin")
    assert error_codes(again) == ["BAD_USER_INPUT"]
    assert again.errors is not None
    assert again.errors[0].extensions == {"code": "BAD_USER_INPUT", "field": "id"}
    assert "already DECLINED" in again.errors[0].message
    assert await harness.runtime.framework.overrides() == Overrides()


async def test_an_accepted_weight_is_applied(harness: Harness) -> None:
    proposed = await _propose(harness, who="admin", qsmo=None, kind="MEASURE_WEIGHT", value=2)
    await harness.data(
        DECIDE, {"id": proposed["id"], "decision": "ACCEPT", "note": "ok"}, who="admin"
    )
    overrides = await harness.runtime.framework.overrides()
    assert overrides.measure_weights == {"customer-engagement": 2.0}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"value": -5}, "proposedValue", "finite number > 0"),
        ({"value": 0}, "proposedValue", "finite number > 0"),
        ({"measure": "customer-satisfaction", "value": 7}, "proposedValue", "value range"),
        ({"rationale": "   "}, "rationale", "must not be empty"),
        ({"measure": "no-such-measure"}, "measure", "unknown measure"),
        ({"qsmo": "atlantis"}, "qsmo", "unknown QSMO"),
        ({"review": "next quarter"}, "reviewId", "is not a review id"),
    ],
)
async def test_bad_input_names_the_field_and_stores_nothing(
    harness: Harness, changes: dict[str, Any], field: str, words: str
) -> None:
    result = await harness.run(PROPOSE, {**TARGET, **changes}, who="admin")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.errors is not None
    assert result.errors[0].extensions["field"] == field  # type: ignore[index]
    assert words in result.errors[0].message
    store = harness.runtime.revisions.store
    assert isinstance(store, InMemoryRevisionStore)
    assert store.proposals == {}
    assert _activity(harness).entries == {}


async def test_only_admins_propose_a_global_target_or_decide(harness: Harness) -> None:
    glob = await harness.run(PROPOSE, {**TARGET, "qsmo": None}, who="pub:cybersecurity")
    assert error_codes(glob) == ["FORBIDDEN"]
    other = await harness.run(PROPOSE, TARGET, who="pub:grants-management")
    assert error_codes(other) == ["FORBIDDEN"]
    proposed = await _propose(harness)
    variables = {"id": proposed["id"], "decision": "ACCEPT", "note": "mine"}
    assert error_codes(await harness.run(DECIDE, variables, who="pub:cybersecurity")) == [
        "FORBIDDEN"
    ]
    missing = await harness.run(DECIDE, {**variables, "id": "rev_nope"}, who="admin")
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_the_list_filters_by_qsmo_and_status_and_pages(harness: Harness) -> None:
    ids = [(await _propose(harness, value=30 + n))["id"] for n in range(3)]
    await _propose(harness, who="pub:grants-management", qsmo="grants-management")
    await harness.data(DECIDE, {"id": ids[0], "decision": "DECLINE", "note": "no"}, who="admin")
    query = """query($qsmo: ID, $status: RevisionStatus, $after: String) {
      revisionProposals(qsmo: $qsmo, status: $status, first: 1, after: $after) {
        nodes { id } pageInfo { hasNextPage endCursor } } }"""
    first = (await harness.data(query, {"qsmo": "cybersecurity", "status": "PROPOSED"}))[
        "revisionProposals"
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await harness.data(
        query,
        {"qsmo": "cybersecurity", "status": "PROPOSED", "after": first["pageInfo"]["endCursor"]},
    )
    seen = [n["id"] for n in first["nodes"] + rest["revisionProposals"]["nodes"]]
    assert sorted(seen) == sorted(ids[1:])
    everything = await harness.data("{ revisionProposals(first: 50) { nodes { id } } }")
    assert len(everything["revisionProposals"]["nodes"]) == 4


class RefusingFramework:
    """A framework whose operations fail (the log away)."""

    framework = load_catalog().framework()

    async def overrides(self) -> Overrides:
        return Overrides()

    async def set_target(self, *args: Any, **kwargs: Any) -> FrameworkChanged:
        raise RuntimeError("framework log away")

    async def set_measure_weight(self, *args: Any, **kwargs: Any) -> FrameworkChanged:
        raise RuntimeError("framework log away")


async def test_a_change_not_applied_leaves_the_proposal_open() -> None:
    store = InMemoryRevisionStore()
    proposals = RevisionProposals(store, RefusingFramework(), InMemoryActivityLog(), lambda: NOW)
    proposal = await proposals.propose(
        qsmo="cybersecurity",
        measure=RefusingFramework.framework.measure("customer-engagement"),
        kind=RevisionKind.TARGET,
        proposed_value=30,
        rationale="late start",
        evidence=None,
        review_id=None,
        by="t-admin",
    )
    with pytest.raises(RuntimeError, match="away"):
        await proposals.decide(proposal.id, accept=True, note="ok", by="t-admin")
    reopened = await store.get(proposal.id)
    assert reopened is not None
    assert reopened.status is RevisionStatus.PROPOSED
    assert reopened.decided_by is None
