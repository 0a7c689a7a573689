"""Revision proposals, newest first (readable by every key, like the audit log)."""

import strawberry

from gateway.context import Info
from gateway.pagination import Page, PagedList, Position, after_position
from gateway.reviews.revisions import RevisionProposal as ProposalModel
from gateway.reviews.revisions import RevisionStatus as StatusModel
from gateway.schema import fields
from gateway.schema.pagination import Connection, connection
from gateway.schema.revision_types import RevisionProposal, RevisionStatus


@strawberry.type
class RevisionQueries:
    @fields.field(
        description="Revision proposals, newest first (`qsmo` omitted: every scope, the "
        "global target and weight proposals included), optionally by status."
    )
    async def revision_proposals(
        self,
        info: Info,
        qsmo: strawberry.ID | None = None,
        status: RevisionStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RevisionProposal]:
        context = info.context
        await context.known_qsmo(qsmo)
        size = context.runtime.limits.page_size(first)
        found = await context.runtime.revisions.store.page(
            qsmo,
            None if status is None else StatusModel(status.value),
            size,
            after_position(PagedList.REVISION_PROPOSALS, after),
        )
        page: Page[ProposalModel] = Page.from_overfetch(
            PagedList.REVISION_PROPOSALS, found, size, lambda p: Position(p.proposed_at, p.id)
        )
        return connection(page, RevisionProposal.from_model)
