"""The reviews' activity log as GraphQL types (``gateway.reviews.activity_log``)."""

import datetime

import strawberry

from gateway.context import Info
from gateway.pagination import Page, PagedList, Position, after_position
from gateway.reviews.activity_log import ActivityEntry as ActivityEntryModel
from gateway.schema.admin_types import KeyValue, Person
from gateway.schema.pagination import Connection, connection


@strawberry.type(
    description="One step of the review process: a review created, made ready or held, a "
    "packet rendered, an improvement action drafted by the Adjust loop, a revision proposed "
    "or decided. Recorded once (derived id), people's steps and the automation's alike."
)
class ActivityEntry:
    id: strawberry.ID
    at: datetime.datetime
    actor: str = strawberry.field(
        description="The key id, or `automation:…` for the platform's own steps."
    )
    action: str = strawberry.field(description="e.g. `review.ready`, `action.drafted`.")
    qsmo_id: strawberry.ID | None
    subject: strawberry.ID = strawberry.field(
        description="The review, improvement action or revision the step is about."
    )
    summary: str
    details: list[KeyValue]
    person: Person | None = strawberry.field(
        default=None, description="A step taken with a sign-in token: who (null otherwise)."
    )

    @classmethod
    def from_model(cls, entry: ActivityEntryModel) -> "ActivityEntry":
        return cls(
            id=strawberry.ID(entry.id),
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            qsmo_id=None if entry.qsmo is None else strawberry.ID(entry.qsmo),
            subject=strawberry.ID(entry.subject),
            summary=entry.summary,
            details=[KeyValue(key=k, value=v) for k, v in sorted(entry.details.items())],
            person=Person.from_model(entry.person),
        )


async def activity_connection(
    info: Info, qsmo: str | None, subject: str | None, first: int | None, after: str | None
) -> Connection[ActivityEntry]:
    """A page of the activity log, newest first (``qsmo``/``subject`` None: any)."""
    context = info.context
    size = context.runtime.limits.page_size(first)
    position = after_position(PagedList.ACTIVITY_LOG, after)
    found = await context.runtime.reviews.activity.page(qsmo, subject, size, position)
    page: Page[ActivityEntryModel] = Page.from_overfetch(
        PagedList.ACTIVITY_LOG, found, size, lambda e: Position(e.at, e.id)
    )
    return connection(page, ActivityEntry.from_model)
