"""Performance reviews as GraphQL types, kept apart from the stored model (``from_model``)."""

import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.reviews.packet_http import packet_links
from gateway.schema import fields
from gateway.schema.activity_types import ActivityEntry, activity_connection
from gateway.schema.admin_types import Person
from gateway.schema.framework_types import Qsmo, qsmo_by_id
from gateway.schema.pagination import Connection
from gateway.schema.scorecard_types import Scorecard, ScorecardDiff
from shared.domain import reviews as model


@strawberry.enum(
    description="DRAFT (being prepared; packet a preview), READY (cut-off and packet frozen, "
    "sent to stakeholders), HELD (the meeting took place; decisions recorded)."
)
class ReviewState(Enum):
    DRAFT = "DRAFT"
    READY = "READY"
    HELD = "HELD"


@strawberry.enum(
    description="PENDING (asked for), RENDERING, DONE (stored: download it), FAILED (see "
    "`error`; rerenderReviewPacket asks again)."
)
class ReviewPacketStatus(Enum):
    PENDING = "PENDING"
    RENDERING = "RENDERING"
    DONE = "DONE"
    FAILED = "FAILED"


@strawberry.type(description="One step of a review's history.")
class ReviewStep:
    state: ReviewState
    at: datetime.datetime
    by: str = strawberry.field(description="The key id that took the step.")
    note: str | None
    person: Person | None = strawberry.field(
        default=None, description="Taken with a sign-in token: who (null for a key)."
    )


@strawberry.type(description="A decision recorded at the review meeting.")
class ReviewDecision:
    text: str
    owner: str | None
    due_date: datetime.date | None
    recorded_by: str | None = strawberry.field(
        default=None,
        description="The key id that recorded the meeting's decisions (its latest HELD step).",
    )
    recorded_by_person: Person | None = strawberry.field(
        default=None, description="Recorded with a sign-in token: who (null for a key)."
    )


@strawberry.input(description="A decision taken at the review meeting.")
class ReviewDecisionInput:
    text: str
    owner: str | None = None
    due_date: datetime.date | None = None


@strawberry.type(
    description="The review's packet (cover, summary, a page per dimension, RED and AMBER "
    "measures, actions, stale data): rendered off the request path as PDF, XLSX and CSV. "
    "The URLs need the same API key as this API."
)
class ReviewPacket:
    status: ReviewPacketStatus
    version: int = strawberry.field(description="Renderings asked for so far (1: the first).")
    built_at: datetime.datetime | None
    pages: int | None = strawberry.field(description="Pages of the PDF.")
    error: str | None = strawberry.field(description="Why the last rendering failed.")
    pdf_url: str | None
    xlsx_url: str | None
    csv_url: str | None
    sha256_pdf: str | None

    @classmethod
    def from_model(
        cls, review_id: str, packet: model.PacketInfo, public_url: str | None
    ) -> "ReviewPacket":
        done = packet.status is model.PacketStatus.DONE
        links = packet_links(review_id, public_url) if done else {}
        return cls(
            status=ReviewPacketStatus(packet.status.value),
            version=packet.version,
            built_at=packet.built_at,
            pages=packet.pages,
            error=packet.error,
            pdf_url=links.get("pdf"),
            xlsx_url=links.get("xlsx"),
            csv_url=links.get("csv"),
            sha256_pdf=packet.sha256.get("pdf") if done else None,
        )


@strawberry.type(
    description="A data-driven performance review of one fiscal quarter, for a QSMO or "
    "government-wide (`qsmoId` null). Its packet shows the scorecards as reported at "
    "`cutOff`, so a later restatement appears as a change in the next review."
)
class Review:
    id: strawberry.ID = strawberry.field(description="`FY2025-Q2|cybersecurity`.")
    qsmo_id: strawberry.ID | None
    fiscal_year: int
    quarter: int
    title: str
    meeting_date: datetime.date
    participants: list[str]
    cut_off: datetime.datetime = strawberry.field(
        description="The instant the packet reads the scorecards at (frozen once READY)."
    )
    state: ReviewState
    created_at: datetime.datetime
    created_by: str
    updated_at: datetime.datetime
    history: list[ReviewStep]
    decisions: list[ReviewDecision]
    notes: str | None
    stakeholder_list_ids: list[strawberry.ID]
    previous_review_id: strawberry.ID | None = strawberry.field(
        description="The same scope's review with the latest cut-off before this one's."
    )
    packet: ReviewPacket
    created_by_person: Person | None = strawberry.field(
        default=None, description="Created with a sign-in token: who (null for a key)."
    )

    @classmethod
    def from_model(cls, review: model.Review, public_url: str | None = None) -> "Review":
        held = [s for s in review.history if s.state is model.ReviewState.HELD]
        recorder = held[-1] if held else None
        return cls(
            id=strawberry.ID(review.id),
            qsmo_id=None if review.qsmo is None else strawberry.ID(review.qsmo),
            fiscal_year=review.fiscal_year,
            quarter=review.quarter,
            title=review.title,
            meeting_date=review.meeting_date,
            participants=list(review.participants),
            cut_off=review.cut_off,
            state=ReviewState(review.state.value),
            created_at=review.created_at,
            created_by=review.created_by,
            updated_at=review.updated_at,
            history=[
                ReviewStep(
                    state=ReviewState(s.state.value),
                    at=s.at,
                    by=s.by,
                    note=s.note,
                    person=Person.from_model(s.person),
                )
                for s in review.history
            ],
            decisions=[
                ReviewDecision(
                    text=d.text,
                    owner=d.owner,
                    due_date=d.due_date,
                    recorded_by=None if recorder is None else recorder.by,
                    recorded_by_person=None
                    if recorder is None
                    else Person.from_model(recorder.person),
                )
                for d in review.decisions
            ],
            notes=review.notes,
            stakeholder_list_ids=[strawberry.ID(s) for s in review.stakeholder_lists],
            previous_review_id=(
                None
                if review.previous_review_id is None
                else strawberry.ID(review.previous_review_id)
            ),
            packet=ReviewPacket.from_model(review.id, review.packet, public_url),
            created_by_person=Person.from_model(review.created_by_person),
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)

    @fields.field(description="The previous review of the same scope (null for a first one).")
    async def previous(self, info: Info) -> "Review | None":
        if self.previous_review_id is None:
            return None
        reviews = info.context.runtime.reviews
        found = await reviews.store.get(self.previous_review_id)
        return None if found is None else Review.from_model(found, reviews.public_url)

    @fields.field(description="The scorecard as reported at `cutOff` (null before any data).")
    async def scorecard(self, info: Info) -> Scorecard | None:
        view = await info.context.runtime.scorecards.as_of(
            self.fiscal_year, self.qsmo_id, self.cut_off
        )
        return None if view is None else Scorecard.from_model(view)

    @fields.field(
        description="What changed from the previous review's cut-off to this one's "
        "(restatements included); null for a first review."
    )
    async def changes(self, info: Info) -> ScorecardDiff | None:
        if self.previous_review_id is None:
            return None
        runtime = info.context.runtime
        previous = await runtime.reviews.store.get(self.previous_review_id)
        if previous is None:
            return None
        diff = await runtime.scorecards.diff(
            self.fiscal_year, self.qsmo_id, previous.cut_off, self.cut_off
        )
        return ScorecardDiff.from_model(diff)

    @fields.field(description="The review's steps in the activity log, newest first.")
    async def activity(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[ActivityEntry]:
        return await activity_connection(info, None, self.id, first, after)
