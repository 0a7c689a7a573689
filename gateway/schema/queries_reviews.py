"""Queries about performance reviews and the review process's activity log (any key)."""

import strawberry

from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.pagination import Page, PagedList, Position, after_position
from gateway.reviews.store import ReviewFilter
from gateway.schema import fields
from gateway.schema.activity_types import ActivityEntry, activity_connection
from gateway.schema.common import fiscal_year_arg
from gateway.schema.pagination import Connection, connection
from gateway.schema.review_types import Review, ReviewState
from shared.domain import reviews as model


@strawberry.type
class ReviewQueries:
    @fields.field(description="A performance review by id (`FY2025-Q2|cybersecurity`).")
    async def review(self, info: Info, id: strawberry.ID) -> Review | None:
        reviews = info.context.runtime.reviews
        found = await reviews.store.get(id)
        return None if found is None else Review.from_model(found, reviews.public_url)

    @fields.field(
        description="Performance reviews, newest cut-off first: `qsmo` one QSMO's, "
        "`governmentWide: true` the government-wide ones (false: the QSMOs'), optionally of "
        "one fiscal year or state."
    )
    async def reviews(
        self,
        info: Info,
        qsmo: strawberry.ID | None = None,
        government_wide: bool | None = None,
        fiscal_year: int | None = None,
        state: ReviewState | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Review]:
        context = info.context
        await context.known_qsmo(qsmo)
        if qsmo is not None and government_wide:
            raise BadUserInputError(
                "governmentWide: true lists the government-wide reviews; omit qsmo or "
                "governmentWide",
                field="governmentWide",
            )
        if fiscal_year is not None:
            fiscal_year_arg(fiscal_year)
        size = context.runtime.limits.page_size(first)
        where = ReviewFilter(
            qsmo=qsmo,
            government_wide=government_wide,
            fiscal_year=fiscal_year,
            state=None if state is None else model.ReviewState(state.value),
        )
        reviews = context.runtime.reviews
        found = await reviews.store.page(where, size, after_position(PagedList.REVIEWS, after))
        page: Page[model.Review] = Page.from_overfetch(
            PagedList.REVIEWS, found, size, lambda r: Position(r.cut_off, r.id)
        )
        return connection(page, lambda r: Review.from_model(r, reviews.public_url))

    @fields.field(
        description="The review process's activity log, newest first: reviews created, made "
        "ready and held, packets rendered, actions drafted by the Adjust loop, revisions "
        "proposed and decided (`qsmo`, `subject`: only those)."
    )
    async def activity_log(
        self,
        info: Info,
        qsmo: strawberry.ID | None = None,
        subject: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActivityEntry]:
        await info.context.known_qsmo(qsmo)
        return await activity_connection(info, qsmo, subject, first, after)
