"""Mutations of performance reviews: admin any, a QSMO's publisher its own (government-wide:
admin). Each step only asks for the packet; the packet worker renders it."""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

import strawberry
from pydantic import ValidationError

from gateway.auth import require, require_some
from gateway.context import Info
from gateway.errors import BadUserInputError, ConflictError, ForbiddenError, NotFoundError
from gateway.reviews.service import NewReview, ReviewConflictError, ReviewNotFoundError
from gateway.schema import fields
from gateway.schema.common import aware, fiscal_year_arg
from gateway.schema.review_types import Review, ReviewDecisionInput
from shared.authorization import Permission, PermissionDenied
from shared.domain.reviews import ReviewDecision, ReviewRuleBroken


@contextmanager
def review_errors() -> Iterator[None]:
    """The review steps' refusals as the gateway's coded errors."""
    try:
        yield
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message) from None
    except ReviewRuleBroken as broken:
        raise BadUserInputError(str(broken), field=broken.field) from None
    except ReviewNotFoundError as missing:
        raise NotFoundError(str(missing), field="id") from None
    except ReviewConflictError as conflict:
        raise ConflictError(str(conflict)) from None


def _decisions(given: list[ReviewDecisionInput]) -> tuple[ReviewDecision, ...]:
    decisions = []
    for index, decision in enumerate(given):
        field = f"decisions[{index}]"
        try:
            decisions.append(
                ReviewDecision(
                    text=decision.text.strip(),
                    owner=(decision.owner or "").strip() or None,
                    due_date=decision.due_date,
                )
            )
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(p) for p in problem["loc"])
            raise BadUserInputError(
                f"{field}.{where}: {problem['msg']}", field=f"{field}.{where}"
            ) from None
    return tuple(decisions)


@strawberry.type
class ReviewMutations:
    @fields.mutation(
        description="Admin, or the QSMO's publisher: create the quarter's review (`qsmo` "
        "omitted: the government-wide review, admin only) as a DRAFT with a preview packet. "
        "`cutOff` defaults to now; for a quarter in progress only now is allowed. A second "
        "review of the same scope and quarter is a CONFLICT."
    )
    async def create_review(
        self,
        info: Info,
        fiscal_year: int,
        quarter: int,
        meeting_date: datetime.date,
        participants: list[str],
        qsmo: strawberry.ID | None = None,
        title: str | None = None,
        cut_off: datetime.datetime | None = None,
        stakeholder_list_ids: list[strawberry.ID] | None = None,
    ) -> Review:
        context = info.context
        principal = require(context.principal, Permission.MANAGE_REVIEWS, qsmo, "create reviews")
        fiscal_year_arg(fiscal_year)
        await context.known_qsmo(qsmo)
        for index, list_id in enumerate(stakeholder_list_ids or ()):
            if await context.runtime.stakeholders.get(str(list_id)) is None:
                raise BadUserInputError(
                    f"no stakeholder list has id '{list_id}'; list them with "
                    "`stakeholderLists`, or omit `stakeholderListIds` to send the packet to "
                    "every list for all reviews and this QSMO's",
                    field=f"stakeholderListIds[{index}]",
                )
        asked = NewReview(
            fiscal_year=fiscal_year,
            quarter=quarter,
            qsmo=qsmo,
            meeting_date=meeting_date,
            participants=participants,
            title=title,
            cut_off=None if cut_off is None else aware(cut_off, "cutOff"),
            stakeholder_lists=[str(s) for s in stakeholder_list_ids or ()],
        )

        async def scope_name(qsmo_id: str | None) -> str | None:
            names = {q.id: q.name for q in await context.qsmos()}
            return None if qsmo_id is None else names.get(qsmo_id, qsmo_id)

        reviews = context.runtime.reviews
        with review_errors():
            created = await reviews.service.create(principal, asked, scope_name)
        return Review.from_model(created, reviews.public_url)

    @fields.mutation(
        description="Admin, or the QSMO's publisher: freeze a DRAFT review once its quarter "
        "has ended: READY at `cutOff` (default: the draft's, if after the quarter's end, else "
        "now); its packet is rendered and sent to the stakeholders."
    )
    async def make_review_ready(
        self, info: Info, id: strawberry.ID, cut_off: datetime.datetime | None = None
    ) -> Review:
        context = info.context
        at = None if cut_off is None else aware(cut_off, "cutOff")
        reviews = context.runtime.reviews
        with review_errors():
            ready = await reviews.service.make_ready(context.principal, id, at)
        return Review.from_model(ready, reviews.public_url)

    @fields.mutation(
        description="Admin, or the QSMO's publisher: record the meeting of a READY review "
        "(it becomes HELD) with its decisions and notes; on a HELD review, amend them."
    )
    async def record_review_meeting(
        self,
        info: Info,
        id: strawberry.ID,
        decisions: list[ReviewDecisionInput],
        notes: str | None = None,
    ) -> Review:
        context = info.context
        require_some(context.principal, Permission.MANAGE_REVIEWS, "record review meetings")
        reviews = context.runtime.reviews
        with review_errors():
            held = await reviews.service.record_meeting(
                context.principal, id, _decisions(decisions), notes
            )
        return Review.from_model(held, reviews.public_url)

    @fields.mutation(
        description="Admin, or the QSMO's publisher: render the packet again — a DRAFT's "
        "preview (after new data), or a packet whose rendering FAILED."
    )
    async def rerender_review_packet(self, info: Info, id: strawberry.ID) -> Review:
        context = info.context
        reviews = context.runtime.reviews
        with review_errors():
            asked = await reviews.service.rerender(context.principal, id)
        return Review.from_model(asked, reviews.public_url)
