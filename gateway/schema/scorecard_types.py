"""Scorecards, their dimensions and measures, versions and diffs as GraphQL types."""

import datetime

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.analysis_types import Commentary, ImprovementAction
from gateway.schema.enums import ScorecardCause, Status
from gateway.schema.framework_types import Measure, Qsmo, qsmo_by_id
from gateway.schema.tier_types import ScorecardSlice
from services.scorecard import read_model


@strawberry.type(description="How much data stands behind a value, and how fresh it is.")
class DataQuality:
    event_count: int = strawberry.field(description="Events counted in the fiscal year.")
    restated_count: int = strawberry.field(
        description="Events that arrived after their period was reported."
    )
    last_event_at: datetime.datetime | None
    last_ingested_at: datetime.datetime | None
    stale: bool = strawberry.field(description="No event within the measure's reporting frequency.")
    reporting_frequency_days: int


@strawberry.type(
    description="How many participating QSMOs are GREEN, AMBER, RED and NO_DATA on a measure."
)
class QsmoStatusCounts:
    green: int
    amber: int
    red: int
    no_data: int

    @classmethod
    def from_model(cls, counts: read_model.StatusCounts | None) -> "QsmoStatusCounts | None":
        if counts is None:
            return None
        return cls(green=counts.green, amber=counts.amber, red=counts.red, no_data=counts.no_data)


@strawberry.type(description="One measure on a scorecard; inactive ones enter no score.")
class ScorecardMeasure:
    id: strawberry.ID
    name: str
    unit: str
    value: float | None
    target: float = strawberry.field(
        description="The target the status was judged against: for a `sum` measure the annual "
        "target pro-rated to the days elapsed at the scorecard's `referenceTime` (the whole "
        "annual target once the year is closed); `mean` and `latest`: the annual target."
    )
    annual_target: float = strawberry.field(
        description="The whole fiscal year's target (government-wide `sum`: the sum of the "
        "participating QSMOs' targets)."
    )
    projected_value: float | None = strawberry.field(
        description="A `sum` measure in an open year: value ÷ elapsed share, the year-end "
        "value at the same pace. Null otherwise."
    )
    last_year_value: float | None = strawberry.field(
        description="The value in the previous fiscal year."
    )
    change_from_last_year: float | None = strawberry.field(
        description="value - lastYearValue (null when either is missing)."
    )
    qsmo_status_counts: QsmoStatusCounts | None = strawberry.field(
        description="Government-wide scorecards: how many participating QSMOs have each "
        "status on this measure. Null on a QSMO's scorecard."
    )
    attainment: float | None = strawberry.field(description="Clamped to 0..1.")
    status: Status
    weight: float
    active: bool
    baseline: float | None
    change: float | None = strawberry.field(description="value - baseline.")
    data_quality: DataQuality
    _qsmo: strawberry.Private[str | None]
    _fiscal_year: strawberry.Private[int]

    @classmethod
    def from_model(
        cls, measure: read_model.MeasureView, qsmo: str | None, fiscal_year: int
    ) -> "ScorecardMeasure":
        quality = measure.quality
        return cls(
            id=strawberry.ID(measure.id),
            name=measure.name,
            unit=measure.unit,
            value=measure.value,
            target=measure.target,
            annual_target=measure.annual_target,
            projected_value=measure.projected_value,
            last_year_value=measure.last_year_value,
            change_from_last_year=measure.change_from_last_year,
            qsmo_status_counts=QsmoStatusCounts.from_model(measure.qsmo_status_counts),
            attainment=measure.attainment,
            status=Status(measure.status),
            weight=measure.weight,
            active=measure.active,
            baseline=measure.baseline,
            change=measure.change,
            data_quality=DataQuality(
                event_count=quality.event_count,
                restated_count=quality.restated_count,
                last_event_at=quality.last_event_at,
                last_ingested_at=quality.last_ingested_at,
                stale=quality.stale,
                reporting_frequency_days=quality.reporting_frequency_days,
            ),
            _qsmo=qsmo,
            _fiscal_year=fiscal_year,
        )

    @fields.field(description="The measure's profile in the framework.")
    def profile(self, info: Info) -> Measure | None:
        framework = info.context.runtime.catalog.framework()
        if self.id not in framework.measure_ids:
            return None
        return Measure.from_model(framework, framework.measure(self.id))

    @fields.field(description="The newest commentary on this measure for the year.")
    async def latest_commentary(self, info: Info) -> Commentary | None:
        if self._qsmo is None:
            return None
        found = await info.context.loaders.latest_commentary.load(
            (self._qsmo, self.id, self._fiscal_year)
        )
        return None if found is None else Commentary.from_model(found)

    @fields.field(description="Improvement actions on this measure not yet done.")
    async def open_improvement_actions(self, info: Info) -> list[ImprovementAction]:
        if self._qsmo is None:
            return []
        found = await info.context.loaders.open_actions.load((self._qsmo, self.id))
        return [ImprovementAction.from_model(a) for a in found]


@strawberry.type(description="One dimension of a scorecard; score 0-100 or null.")
class ScorecardDimension:
    id: strawberry.ID
    name: str
    score: float | None
    status: Status
    weight: float
    active: bool
    measures: list[ScorecardMeasure]


@strawberry.type(description="What made a scorecard version.")
class CauseDetail:
    measures: list[strawberry.ID] = strawberry.field(description="Measures with new inputs.")
    restated_measures: list[strawberry.ID]
    framework_changes: list[strawberry.ID] = strawberry.field(
        description="Ids of the audited framework changes applied."
    )
    reason: str | None = strawberry.field(
        description="`rules-revision-2` for a recompute under the rules' revision 2, "
        "`day-YYYY-MM-DD` for a daily re-score; else null."
    )

    @classmethod
    def from_model(cls, detail: read_model.CauseDetail) -> "CauseDetail":
        return cls(
            measures=[strawberry.ID(m) for m in detail.measures],
            restated_measures=[strawberry.ID(m) for m in detail.restated_measures],
            framework_changes=[strawberry.ID(c) for c in detail.framework_changes],
            reason=detail.reason,
        )


@strawberry.type(
    description="A QSMO's (or the government-wide) scorecard for a fiscal year, or a slice of "
    "one: a provider's or a customer agency's share (computed on read)."
)
class Scorecard:
    id: strawberry.ID = strawberry.field(
        description="`FY<year>|<qsmo>` or `FY<year>|government`; a slice adds `|provider:<id>` "
        "or `|agency:<id>`."
    )
    fiscal_year: int
    qsmo_id: strawberry.ID | None = strawberry.field(description="Null: government-wide.")
    version: int
    computed_at: datetime.datetime
    cause: ScorecardCause
    cause_detail: CauseDetail
    phase: int = strawberry.field(description="The phase used to decide which measures count.")
    framework_version: str
    overall_score: float | None
    overall_status: Status
    dimensions: list[ScorecardDimension]
    open: bool = strawberry.field(
        description="Whether the fiscal year was still open at `referenceTime`."
    )
    elapsed_share: float = strawberry.field(
        description="Whole UTC days of the fiscal year elapsed through `referenceTime`'s day "
        "÷ its days (1 once closed)."
    )
    reference_time: datetime.datetime = strawberry.field(
        description="The instant the scorecard is judged at: now, or the `asOf` asked for."
    )
    slice: ScorecardSlice | None = strawberry.field(
        description="A slice scorecard's provider or customer agency (rev. 2); null for a "
        "QSMO's or the government-wide scorecard."
    )
    stored: bool = strawberry.field(
        description="True: a stored, versioned scorecard (QSMO, government-wide). False: a "
        "slice scorecard computed on read from the values stored now (version 0, no history)."
    )

    @classmethod
    def from_model(cls, view: read_model.ScorecardView) -> "Scorecard":
        return cls(
            slice=ScorecardSlice.from_label(view.slice),
            stored=view.slice is None,
            id=strawberry.ID(view.scorecard_id),
            fiscal_year=view.fiscal_year,
            qsmo_id=None if view.qsmo is None else strawberry.ID(view.qsmo),
            version=view.version,
            computed_at=view.computed_at,
            cause=ScorecardCause(view.cause),
            cause_detail=CauseDetail.from_model(view.cause_detail),
            phase=view.phase,
            framework_version=view.framework_version,
            overall_score=view.overall_score,
            overall_status=Status(view.overall_status),
            open=view.open,
            elapsed_share=view.elapsed_share,
            reference_time=view.reference_time,
            dimensions=[
                ScorecardDimension(
                    id=strawberry.ID(d.id),
                    name=d.name,
                    score=d.score,
                    status=Status(d.status),
                    weight=d.weight,
                    active=d.active,
                    measures=[
                        ScorecardMeasure.from_model(m, view.qsmo, view.fiscal_year)
                        for m in d.measures
                    ],
                )
                for d in view.dimensions
            ],
        )

    @strawberry.field
    def government_wide(self) -> bool:
        return self.qsmo_id is None

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)

    @fields.field(description="Every measure, dimension by dimension.")
    def measures(self) -> list[ScorecardMeasure]:
        return [m for d in self.dimensions for m in d.measures]

    @strawberry.field
    def measure(self, id: strawberry.ID) -> ScorecardMeasure | None:
        return next((m for d in self.dimensions for m in d.measures if m.id == id), None)

    @strawberry.field
    def dimension(self, id: strawberry.ID) -> ScorecardDimension | None:
        return next((d for d in self.dimensions if d.id == id), None)


@strawberry.type(description="A scorecard version in a history or diff.")
class ScorecardVersion:
    version: int
    computed_at: datetime.datetime
    cause: ScorecardCause
    cause_detail: CauseDetail
    overall_score: float | None
    overall_status: Status

    @classmethod
    def from_model(
        cls, version: read_model.VersionSummary | read_model.ScorecardView
    ) -> "ScorecardVersion":
        return cls(
            version=version.version,
            computed_at=version.computed_at,
            cause=ScorecardCause(version.cause),
            cause_detail=CauseDetail.from_model(version.cause_detail),
            overall_score=version.overall_score,
            overall_status=Status(version.overall_status),
        )


@strawberry.type(description="A measure that differs between the two instants.")
class MeasureChange:
    id: strawberry.ID
    dimension_id: strawberry.ID
    old_value: float | None
    new_value: float | None
    old_target: float | None
    new_target: float | None
    old_attainment: float | None
    new_attainment: float | None
    old_status: Status
    new_status: Status
    causes: list[ScorecardCause]


@strawberry.type(description="A dimension whose score or status differs between the instants.")
class DimensionChange:
    id: strawberry.ID
    old_score: float | None
    new_score: float | None
    old_status: Status
    new_status: Status


@strawberry.type(description="What changed in a scorecard between `from` and `to`.")
class ScorecardDiff:
    scorecard_id: strawberry.ID
    fiscal_year: int
    qsmo_id: strawberry.ID | None
    from_: datetime.datetime = strawberry.field(name="from")
    to: datetime.datetime
    from_version: int | None = strawberry.field(description="Null: no scorecard yet at `from`.")
    to_version: int | None
    old_overall_score: float | None
    new_overall_score: float | None
    old_overall_status: Status
    new_overall_status: Status
    measures: list[MeasureChange]
    dimensions: list[DimensionChange]
    versions: list[ScorecardVersion] = strawberry.field(
        description="Versions made after `from` up to `to`, oldest first."
    )
    causes: list[ScorecardCause]

    @classmethod
    def from_model(cls, diff: read_model.ScorecardDiff) -> "ScorecardDiff":
        return cls(
            scorecard_id=strawberry.ID(diff.scorecard_id),
            fiscal_year=diff.fiscal_year,
            qsmo_id=None if diff.qsmo is None else strawberry.ID(diff.qsmo),
            from_=diff.start,
            to=diff.end,
            from_version=diff.from_version,
            to_version=diff.to_version,
            old_overall_score=diff.old_overall_score,
            new_overall_score=diff.new_overall_score,
            old_overall_status=Status(diff.old_overall_status),
            new_overall_status=Status(diff.new_overall_status),
            measures=[
                MeasureChange(
                    id=strawberry.ID(m.id),
                    dimension_id=strawberry.ID(m.dimension),
                    old_value=m.old_value,
                    new_value=m.new_value,
                    old_target=m.old_target,
                    new_target=m.new_target,
                    old_attainment=m.old_attainment,
                    new_attainment=m.new_attainment,
                    old_status=Status(m.old_status),
                    new_status=Status(m.new_status),
                    causes=[ScorecardCause(c) for c in m.causes],
                )
                for m in diff.measures
            ],
            dimensions=[
                DimensionChange(
                    id=strawberry.ID(d.id),
                    old_score=d.old_score,
                    new_score=d.new_score,
                    old_status=Status(d.old_status),
                    new_status=Status(d.new_status),
                )
                for d in diff.dimensions
            ],
            versions=[ScorecardVersion.from_model(v) for v in diff.versions],
            causes=[ScorecardCause(c) for c in diff.causes],
        )

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)
