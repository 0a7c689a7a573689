"""Measure values for a period, and series of them, as GraphQL types."""

import datetime

import strawberry

from gateway.context import Info
from gateway.schema.enums import PeriodKind, SeriesGranularity, Status
from gateway.schema.framework_types import Measure, Qsmo, qsmo_by_id
from services.measures.read_model import ValueReading
from shared.domain import catalog as model
from shared.domain.scoring import attainment, measure_status


@strawberry.type(description="A half-open window [start, end) of UTC time.")
class Period:
    kind: PeriodKind
    label: str = strawberry.field(description="`FY2024`, `FY2024 Q2`, `2024-03`, `last 30 days`.")
    start: datetime.datetime
    end: datetime.datetime


@strawberry.type(description="A measure's value over one period, with what it was computed from.")
class MeasureValue:
    qsmo_id: strawberry.ID | None = strawberry.field(description="Null: government-wide.")
    measure_id: strawberry.ID
    period: Period
    value: float | None = strawberry.field(description="Null when the period has no events.")
    count: int = strawberry.field(description="Events in the period.")
    sum_: float = strawberry.field(name="sum", description="Sum of the events' values.")
    min: float | None
    max: float | None
    latest_at: datetime.datetime | None = strawberry.field(
        description="`occurred_at` of the latest event."
    )
    target: float
    attainment: float | None = strawberry.field(
        description="Clamped to 0..1; null without a value."
    )
    status: Status
    restated_count: int = strawberry.field(
        description="Events that arrived after their period was first reported."
    )
    last_ingested_at: datetime.datetime | None
    qsmos_reporting: int = strawberry.field(description="QSMOs with at least one event.")
    _measure: strawberry.Private[Measure]

    @classmethod
    def from_reading(
        cls, reading: ValueReading, measure: Measure, measure_model: model.Measure, target: float
    ) -> "MeasureValue":
        reached = None
        if reading.value is not None:
            reached = attainment(reading.value, target, measure_model.direction)
        summary, period = reading.summary, reading.period
        return cls(
            qsmo_id=None if reading.qsmo is None else strawberry.ID(reading.qsmo),
            measure_id=strawberry.ID(reading.measure),
            period=Period(
                kind=PeriodKind(period.kind.value),
                label=period.label,
                start=period.start,
                end=period.end,
            ),
            value=reading.value,
            count=summary.count,
            sum_=summary.total,
            min=summary.min,
            max=summary.max,
            latest_at=None if summary.latest is None else summary.latest.occurred_at,
            target=target,
            attainment=reached,
            status=Status(measure_status(reached, measure_model.amber_ratio).value),
            restated_count=reading.restated_count,
            last_ingested_at=reading.last_ingested_at,
            qsmos_reporting=reading.qsmos_reporting,
            _measure=measure,
        )

    @strawberry.field
    def measure(self) -> Measure:
        return self._measure

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)


@strawberry.type(description="A measure's values period by period over a fiscal year.")
class MeasureSeries:
    qsmo_id: strawberry.ID | None
    measure_id: strawberry.ID
    fiscal_year: int
    granularity: SeriesGranularity
    points: list[MeasureValue]
