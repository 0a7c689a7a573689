"""Measure values for a period, and series of them, as GraphQL types."""

import datetime

import strawberry

from gateway.context import Info
from gateway.schema.enums import PeriodKind, SeriesGranularity, Status
from gateway.schema.framework_types import Measure, Qsmo, qsmo_by_id
from gateway.schema.tier_types import ScorecardSlice, TargetSource
from gateway.series import judge
from services.measures.read_model import ValueReading
from shared.domain import catalog as model


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
    target: float = strawberry.field(
        description="The target `status` is judged against. In `measureSeries`, the point's "
        "own period target (rev. 2): for a `sum` measure the annual target pro-rated to the "
        "period and, for the open period, to the reference time (0 for a period not started); "
        "for a cumulative series, the expected-to-date target. `mean` and `latest`: the annual "
        "target. In `measureValue`: the same rule for its fiscal year, quarter or rolling window "
        "(a rolling window: its days' share of the annual target)."
    )
    attainment: float | None = strawberry.field(
        description="`value` against `target`, clamped to 0..1; null without a value."
    )
    status: Status = strawberry.field(description="From `attainment`; NO_DATA without a value.")
    restated_count: int = strawberry.field(
        description="Events that arrived after their period was first reported."
    )
    last_ingested_at: datetime.datetime | None
    qsmos_reporting: int = strawberry.field(description="QSMOs with at least one event.")
    target_source: TargetSource = strawberry.field(
        description="Where `target` comes from: the QSMO's, the government-wide one, or (a "
        "provider's slice) the provider's SLA target."
    )
    slice: ScorecardSlice | None = strawberry.field(
        description="The provider or customer agency the value is restricted to (rev. 2); "
        "null for a QSMO's or the government-wide value."
    )
    _measure: strawberry.Private[Measure]

    @classmethod
    def from_reading(
        cls,
        reading: ValueReading,
        measure: Measure,
        measure_model: model.Measure,
        target: float,
        source: TargetSource | None = None,
        slice_label: str | None = None,
    ) -> "MeasureValue":
        judged = judge(reading.value, target, measure_model)
        summary, period = reading.summary, reading.period
        if source is None:
            source = TargetSource.GOVERNMENT if reading.qsmo is None else TargetSource.QSMO
        return cls(
            target_source=source,
            slice=ScorecardSlice.from_label(slice_label),
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
            attainment=judged.attainment,
            status=Status(judged.status.value),
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
    cumulative: bool = strawberry.field(
        description="True: each point is the running total from the fiscal year's start "
        "through the end of its period (`period` names that month or quarter), and its "
        "`target` is the expected-to-date target."
    )
    annual_target: float = strawberry.field(
        description="The annual target the points' targets are pro-rated from: the QSMO's "
        "(its own, else the global override, else the default); government-wide `sum`: the "
        "sum of the participating QSMOs' targets."
    )
    reference_time: datetime.datetime = strawberry.field(
        description="The time open periods are judged at (now)."
    )
    points: list[MeasureValue]
    target_source: TargetSource = strawberry.field(
        description="Where `annualTarget` comes from (a provider's slice: its SLA target if an "
        "admin set one)."
    )
    slice: ScorecardSlice | None = strawberry.field(
        description="The provider or customer agency the series is restricted to (rev. 2)."
    )
