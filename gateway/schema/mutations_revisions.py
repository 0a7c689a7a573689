"""Propose and decide target and measure-weight revisions (the Adjust step)."""

from collections.abc import Iterator
from contextlib import contextmanager

import strawberry

from gateway.auth import require
from gateway.context import Info
from gateway.errors import BadUserInputError, NotFoundError
from gateway.reviews import revisions
from gateway.schema import fields
from gateway.schema.common import catalog_measure, translated_errors
from gateway.schema.revision_types import (
    RevisionDecision,
    RevisionKind,
    RevisionProposal,
)
from shared.authorization import Permission
from shared.identity.people import as_recorded


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        with translated_errors():
            yield
    except revisions.RevisionRejected as error:
        raise BadUserInputError(str(error), field=error.field) from None
    except revisions.RevisionNotFoundError as error:
        raise NotFoundError(str(error)) from None


@strawberry.type
class RevisionMutations:
    @fields.mutation(
        description="Publisher of the QSMO or admin: propose a new target for a measure "
        "(`qsmo` omitted: the global target, admins only) or a new measure weight (the same "
        "for every QSMO; `qsmo` is the scope it is proposed in), with the rationale, "
        "evidence and the review it came from."
    )
    async def propose_revision(
        self,
        info: Info,
        measure: strawberry.ID,
        kind: RevisionKind,
        proposed_value: float,
        rationale: str,
        qsmo: strawberry.ID | None = None,
        evidence: str | None = None,
        review_id: strawberry.ID | None = None,
    ) -> RevisionProposal:
        context = info.context
        principal = require(
            context.principal, Permission.PROPOSE_REVISIONS, qsmo, "propose revisions"
        )
        await context.known_qsmo(qsmo)
        known = catalog_measure(context.runtime.catalog.framework(), measure)
        with _refusals():
            proposal = await context.runtime.revisions.propose(
                qsmo=qsmo,
                measure=known,
                kind=revisions.RevisionKind[kind.name],
                proposed_value=proposed_value,
                rationale=rationale,
                evidence=evidence,
                review_id=review_id,
                by=principal.key_id,
                by_person=as_recorded(principal.person),
            )
        return RevisionProposal.from_model(proposal)

    @fields.mutation(
        description="Admin: accept (applied through the audited framework operation, in the "
        "audit log) or decline a revision proposal, with a note. Deciding twice is refused."
    )
    async def decide_revision(
        self, info: Info, id: strawberry.ID, decision: RevisionDecision, note: str
    ) -> RevisionProposal:
        context = info.context
        principal = require(
            context.principal, Permission.DECIDE_REVISIONS, None, "decide revisions"
        )
        with _refusals():
            decided = await context.runtime.revisions.decide(
                id,
                accept=decision is RevisionDecision.ACCEPT,
                note=note,
                by=principal.key_id,
                by_person=as_recorded(principal.person),
            )
        return RevisionProposal.from_model(decided)
