"""Payloads of the live subscriptions (from the Kafka messages, plus fresh reads)."""

import datetime

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.enums import NotificationState, ScorecardCause, ScoreLevel, Severity, Status
from gateway.schema.framework_types import Qsmo, qsmo_by_id
from gateway.schema.notification_types import Link, links
from gateway.schema.scorecard_types import Scorecard
from shared import events


@strawberry.type(description="A status that changed in a scorecard recompute.")
class StatusTransition:
    level: ScoreLevel
    dimension_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    from_status: Status
    to_status: Status
    from_score: float | None = strawberry.field(
        description="Old score (dimension, overall: 0-100) or value (measure)."
    )
    to_score: float | None
    target: float | None


@strawberry.type(description="A scorecard got a new version.")
class ScorecardChangedEvent:
    scorecard_id: strawberry.ID
    fiscal_year: int
    qsmo_id: strawberry.ID | None = strawberry.field(description="Null: government-wide.")
    version: int
    phase: int
    computed_at: datetime.datetime
    cause: ScorecardCause
    overall_score: float | None
    overall_status: Status
    transitions: list[StatusTransition]
    stale_measures: list[strawberry.ID] = strawberry.field(
        description="Active measures without data within their reporting frequency."
    )

    @classmethod
    def from_message(cls, message: events.ScorecardChanged) -> "ScorecardChangedEvent":
        return cls(
            scorecard_id=strawberry.ID(message.scorecard_id),
            fiscal_year=message.fiscal_year,
            qsmo_id=None if message.qsmo is None else strawberry.ID(message.qsmo),
            version=message.version,
            phase=message.phase,
            computed_at=message.computed_at,
            cause=ScorecardCause(message.cause),
            overall_score=message.overall_score,
            overall_status=Status(message.overall_status),
            transitions=[
                StatusTransition(
                    level=ScoreLevel(t.level),
                    dimension_id=None if t.dimension is None else strawberry.ID(t.dimension),
                    measure_id=None if t.measure is None else strawberry.ID(t.measure),
                    from_status=Status(t.from_status),
                    to_status=Status(t.to_status),
                    from_score=t.from_score,
                    to_score=t.to_score,
                    target=t.target,
                )
                for t in message.transitions
            ],
            stale_measures=[strawberry.ID(m.measure) for m in message.measures if m.stale],
        )

    @fields.field(description="The scorecard as stored now (read when this event is sent).")
    async def scorecard(self, info: Info) -> Scorecard | None:
        view = await info.context.runtime.scorecards.current(self.fiscal_year, self.qsmo_id)
        return None if view is None else Scorecard.from_model(view)

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)


@strawberry.type(description="A notification was raised or resolved.")
class NotificationEvent:
    notification_id: strawberry.ID
    rule: str
    severity: Severity
    state: NotificationState
    qsmo_id: strawberry.ID | None
    dimension_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    fiscal_year: int | None
    message: str
    links: list[Link]
    raised_at: datetime.datetime

    @classmethod
    def from_message(cls, message: events.NotificationRaised) -> "NotificationEvent":
        return cls(
            notification_id=strawberry.ID(message.notification_id),
            rule=message.rule,
            severity=Severity(message.severity),
            state=NotificationState(message.state),
            qsmo_id=None if message.qsmo is None else strawberry.ID(message.qsmo),
            dimension_id=None if message.dimension is None else strawberry.ID(message.dimension),
            measure_id=None if message.measure is None else strawberry.ID(message.measure),
            fiscal_year=message.fiscal_year,
            message=message.message,
            links=links(message.links),
            raised_at=message.raised_at,
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)
