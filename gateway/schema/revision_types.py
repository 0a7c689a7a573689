"""Revision proposals (the Adjust step's target and weight changes) as GraphQL types."""

import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.reviews import revisions as model
from gateway.schema import fields
from gateway.schema.admin_types import Person
from gateway.schema.framework_types import Measure, Qsmo, qsmo_by_id


@strawberry.enum(description="What a revision proposal changes.")
class RevisionKind(Enum):
    TARGET = strawberry.enum_value(
        "TARGET", description="The measure's target: a QSMO's, or the global one (no qsmo)."
    )
    MEASURE_WEIGHT = strawberry.enum_value(
        "MEASURE_WEIGHT", description="The measure's weight in its dimension (global)."
    )


@strawberry.enum(description="Where a revision proposal stands.")
class RevisionStatus(Enum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


@strawberry.enum(description="An admin's decision on a revision proposal.")
class RevisionDecision(Enum):
    ACCEPT = "ACCEPT"
    DECLINE = "DECLINE"


@strawberry.type(
    description="A proposed target or measure-weight change with its rationale; an admin "
    "accepts it (applied through the audited framework operation) or declines it."
)
class RevisionProposal:
    id: strawberry.ID
    qsmo_id: strawberry.ID | None = strawberry.field(
        description="The QSMO whose target changes (a weight proposal: the QSMO it was "
        "proposed in; weights apply to every QSMO); null: global."
    )
    measure_id: strawberry.ID
    kind: RevisionKind
    proposed_value: float
    current_value: float = strawberry.field(description="The value in force when proposed.")
    rationale: str
    evidence: str | None
    review_id: strawberry.ID | None = strawberry.field(
        description="The review the proposal came from, if any."
    )
    status: RevisionStatus
    proposed_at: datetime.datetime
    proposed_by: str = strawberry.field(description="The id of the key that proposed it.")
    decided_at: datetime.datetime | None
    decided_by: str | None
    decision_note: str | None
    framework_change_id: strawberry.ID | None = strawberry.field(
        description="The framework audit-log entry an accepted proposal made (auditLog id)."
    )
    proposed_by_person: Person | None = strawberry.field(
        default=None, description="Proposed with a sign-in token: who (null for a key)."
    )
    decided_by_person: Person | None = strawberry.field(
        default=None, description="Decided with a sign-in token: who (null for a key)."
    )

    @classmethod
    def from_model(cls, proposal: model.RevisionProposal) -> "RevisionProposal":
        change = proposal.framework_change_id
        return cls(
            id=strawberry.ID(proposal.id),
            qsmo_id=None if proposal.qsmo is None else strawberry.ID(proposal.qsmo),
            measure_id=strawberry.ID(proposal.measure),
            kind=RevisionKind(proposal.kind.value),
            proposed_value=proposal.proposed_value,
            current_value=proposal.current_value,
            rationale=proposal.rationale,
            evidence=proposal.evidence,
            review_id=None if proposal.review_id is None else strawberry.ID(proposal.review_id),
            status=RevisionStatus(proposal.status.value),
            proposed_at=proposal.proposed_at,
            proposed_by=proposal.proposed_by,
            decided_at=proposal.decided_at,
            decided_by=proposal.decided_by,
            decision_note=proposal.decision_note,
            framework_change_id=None if change is None else strawberry.ID(change),
            proposed_by_person=Person.from_model(proposal.proposed_by_person),
            decided_by_person=Person.from_model(proposal.decided_by_person),
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)

    @fields.field(description="The measure the proposal changes.")
    def measure(self, info: Info) -> Measure:
        framework = info.context.runtime.catalog.framework()
        return Measure.from_model(framework, framework.measure(self.measure_id))
