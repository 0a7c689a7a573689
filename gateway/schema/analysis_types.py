"""Commentary and improvement actions (the Analyze and Adjust steps) as GraphQL types."""

import datetime

import strawberry

from gateway import analysis as model
from gateway.context import Info
from gateway.schema import fields
from gateway.schema.admin_types import Person
from gateway.schema.enums import ImprovementActionOrigin, ImprovementActionStatus
from gateway.schema.framework_types import Qsmo, qsmo_by_id


@strawberry.type(description="A note on a measure's performance in a fiscal year.")
class Commentary:
    id: strawberry.ID
    qsmo_id: strawberry.ID
    measure_id: strawberry.ID
    fiscal_year: int
    text: str
    author: str = strawberry.field(description="The id of the API key that wrote it.")
    created_at: datetime.datetime
    person: Person | None = strawberry.field(
        default=None, description="Written with a sign-in token: the author (null for a key)."
    )

    @classmethod
    def from_model(cls, commentary: model.Commentary) -> "Commentary":
        return cls(
            id=strawberry.ID(commentary.id),
            qsmo_id=strawberry.ID(commentary.qsmo),
            measure_id=strawberry.ID(commentary.measure),
            fiscal_year=commentary.fiscal_year,
            text=commentary.text,
            author=commentary.author,
            created_at=commentary.created_at,
            person=Person.from_model(commentary.author_person),
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)


@strawberry.type(description="One status change of an improvement action.")
class ImprovementActionChange:
    from_status: ImprovementActionStatus | None
    to_status: ImprovementActionStatus
    at: datetime.datetime
    by: str
    note: str | None
    person: Person | None = strawberry.field(
        default=None, description="Changed with a sign-in token: who (null for a key)."
    )


@strawberry.type(description="A corrective action for a measure, owned by a person or team.")
class ImprovementAction:
    id: strawberry.ID
    qsmo_id: strawberry.ID
    measure_id: strawberry.ID
    title: str
    owner: str
    due_date: datetime.date
    status: ImprovementActionStatus
    created_at: datetime.datetime
    created_by: str
    updated_at: datetime.datetime
    history: list[ImprovementActionChange]
    origin: ImprovementActionOrigin = strawberry.field(
        description="PERSON, or ADJUST_LOOP for a draft the automation opened."
    )
    origin_reason: str | None = strawberry.field(
        description="Why the Adjust loop opened it (null for a person's action)."
    )
    review_id: strawberry.ID | None = strawberry.field(
        description="The review the Adjust loop attached it to (null: the next review)."
    )
    _model: strawberry.Private[model.ImprovementAction]
    created_by_person: Person | None = strawberry.field(
        default=None, description="Opened with a sign-in token: who (null for a key)."
    )

    @classmethod
    def from_model(cls, action: model.ImprovementAction) -> "ImprovementAction":
        return cls(
            id=strawberry.ID(action.id),
            qsmo_id=strawberry.ID(action.qsmo),
            measure_id=strawberry.ID(action.measure),
            title=action.title,
            owner=action.owner,
            due_date=action.due_date,
            status=ImprovementActionStatus(action.status.value),
            created_at=action.created_at,
            created_by=action.created_by,
            updated_at=action.updated_at,
            history=[
                ImprovementActionChange(
                    from_status=None
                    if c.from_status is None
                    else ImprovementActionStatus(c.from_status.value),
                    to_status=ImprovementActionStatus(c.to_status.value),
                    at=c.at,
                    by=c.by,
                    note=c.note,
                    person=Person.from_model(c.by_person),
                )
                for c in action.history
            ],
            origin=ImprovementActionOrigin(action.origin),
            origin_reason=action.origin_reason,
            review_id=None if action.review_id is None else strawberry.ID(action.review_id),
            _model=action,
            created_by_person=Person.from_model(action.created_by_person),
        )

    @fields.field(description="Still open after its due date (UTC).")
    def overdue(self, info: Info) -> bool:
        return self._model.overdue(info.context.runtime.clock().date())

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)
