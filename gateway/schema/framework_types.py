"""The framework as GraphQL types: versions, phases, dimensions, measures, QSMOs.

Each type is built ``from_model`` (the catalog's value) and reads the admin overrides in force
through the request's loader, so targets and weights are current.
"""

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.enums import (
    Aggregation,
    DimensionStatus,
    Direction,
    FrameworkStatus,
    Frequency,
)
from shared.domain import catalog as model
from shared.domain.phases import baseline_fiscal_year, is_dimension_active, measure_phase


@strawberry.type(description="A Quality Service Management Office: one marketplace.")
class Qsmo:
    id: strawberry.ID
    name: str
    lead_agency: str
    added_by_admin: bool = strawberry.field(
        description="Added at run time by an admin (not in the shipped catalog)."
    )

    @classmethod
    def from_model(cls, qsmo: model.Qsmo, added: bool = False) -> "Qsmo":
        return cls(
            id=strawberry.ID(qsmo.id),
            name=qsmo.name,
            lead_agency=qsmo.lead_agency,
            added_by_admin=added,
        )


async def qsmo_by_id(info: Info, qsmo_id: str | None) -> Qsmo | None:
    """The QSMO type for an id (None for None or an id no longer known)."""
    if qsmo_id is None:
        return None
    catalog_ids = set(info.context.runtime.catalog.qsmo_ids)
    for qsmo in await info.context.qsmos():
        if qsmo.id == qsmo_id:
            return Qsmo.from_model(qsmo, added=qsmo.id not in catalog_ids)
    return None


@strawberry.type(description="A rollout phase: its measures count from `fiscalYear` on.")
class Phase:
    number: int
    name: str
    fiscal_year: int = strawberry.field(description="The first fiscal year of the phase.")
    last_fiscal_year: int | None = strawberry.field(
        description="The last fiscal year before the next phase; null: this and every later year."
    )


@strawberry.type(description="The closed range of acceptable values (`max` null: unbounded).")
class ValueRange:
    min: float
    max: float | None


@strawberry.type(description="A per-QSMO target set by an admin.")
class QsmoTarget:
    qsmo_id: strawberry.ID
    target: float

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)


@strawberry.type(description="A measure profile: what is measured, how, and what good looks like.")
class Measure:
    id: strawberry.ID
    name: str
    description: str
    dimension_id: strawberry.ID
    phase: int | None = strawberry.field(
        description="The catalog phase; null for measures of a proposed dimension."
    )
    unit: str
    value_range: ValueRange
    aggregation: Aggregation
    direction: Direction
    default_target: float
    amber_ratio: float = strawberry.field(description="Attainment from which status is AMBER.")
    default_weight: float
    frequency: Frequency
    reporting_frequency_days: int = strawberry.field(
        description="Longest silence before the measure is stale."
    )
    owner_role: str
    data_source: str
    _framework: strawberry.Private[model.Framework]
    _model: strawberry.Private[model.Measure]

    @classmethod
    def from_model(cls, framework: model.Framework, measure: model.Measure) -> "Measure":
        return cls(
            id=strawberry.ID(measure.id),
            name=measure.name,
            description=measure.description,
            dimension_id=strawberry.ID(measure.dimension),
            phase=measure.phase,
            unit=measure.unit,
            value_range=ValueRange(min=measure.value_range.min, max=measure.value_range.max),
            aggregation=Aggregation(measure.aggregation.value),
            direction=Direction(measure.direction.value),
            default_target=measure.default_target,
            amber_ratio=measure.amber_ratio,
            default_weight=measure.weight,
            frequency=Frequency(measure.frequency.value),
            reporting_frequency_days=measure.frequency.days,
            owner_role=measure.owner_role,
            data_source=measure.data_source,
            _framework=framework,
            _model=measure,
        )

    @fields.field(description="The phase in force for this measure (with adoptions).")
    async def effective_phase(self, info: Info) -> int | None:
        state = await info.context.loaders.framework_state()
        return measure_phase(self._framework, self._model.id, state.overrides)

    @fields.field(description="The target everyone gets unless their QSMO has its own.")
    async def target(self, info: Info) -> float:
        state = await info.context.loaders.framework_state()
        return state.overrides.target_for(self._model, None)

    @fields.field(description="The target for one QSMO (null `qsmo`: government-wide).")
    async def target_for(self, info: Info, qsmo: strawberry.ID | None = None) -> float:
        state = await info.context.loaders.framework_state()
        return state.overrides.target_for(self._model, qsmo)

    @fields.field(description="Targets admins set for single QSMOs.")
    async def qsmo_targets(self, info: Info) -> list[QsmoTarget]:
        state = await info.context.loaders.framework_state()
        return [
            QsmoTarget(qsmo_id=strawberry.ID(qsmo), target=target)
            for (qsmo, measure), target in sorted(state.overrides.qsmo_targets.items())
            if measure == self._model.id
        ]

    @fields.field(description="The weight in force within its dimension.")
    async def weight(self, info: Info) -> float:
        state = await info.context.loaders.framework_state()
        return state.overrides.measure_weight(self._model)

    @fields.field(description="The fiscal year whose value is the measure's baseline.")
    async def baseline_fiscal_year(self, info: Info) -> int | None:
        state = await info.context.loaders.framework_state()
        return baseline_fiscal_year(self._model, self._framework, state.overrides)

    @strawberry.field
    def dimension(self) -> "Dimension":
        return Dimension.from_model(
            self._framework, self._framework.dimension(self._model.dimension)
        )


@strawberry.type(description="A balanced-scorecard dimension and its measures.")
class Dimension:
    id: strawberry.ID
    name: str
    description: str
    status: DimensionStatus = strawberry.field(description="The catalog status.")
    default_weight: float
    _framework: strawberry.Private[model.Framework]
    _model: strawberry.Private[model.Dimension]

    @classmethod
    def from_model(cls, framework: model.Framework, dimension: model.Dimension) -> "Dimension":
        return cls(
            id=strawberry.ID(dimension.id),
            name=dimension.name,
            description=dimension.description,
            status=DimensionStatus(dimension.status.value),
            default_weight=dimension.weight,
            _framework=framework,
            _model=dimension,
        )

    @fields.field(description="Scored: ACTIVE, or PROPOSED and adopted by an admin.")
    async def active(self, info: Info) -> bool:
        state = await info.context.loaders.framework_state()
        return is_dimension_active(self._model, state.overrides)

    @fields.field(description="The phase an admin gave this proposed dimension on adoption.")
    async def adopted_phase(self, info: Info) -> int | None:
        state = await info.context.loaders.framework_state()
        return state.overrides.adopted_dimensions.get(self._model.id)

    @fields.field(description="The weight in force in the overall score.")
    async def weight(self, info: Info) -> float:
        state = await info.context.loaders.framework_state()
        return state.overrides.dimension_weight(self._model)

    @strawberry.field
    def measures(self) -> list[Measure]:
        return [
            Measure.from_model(self._framework, m)
            for m in self._framework.measures_of(self._model.id)
        ]


@strawberry.type(description="One version of the performance framework.")
class Framework:
    version: strawberry.ID
    name: str
    description: str
    status: FrameworkStatus
    phases: list[Phase]
    _model: strawberry.Private[model.Framework]

    @classmethod
    def from_model(cls, framework: model.Framework) -> "Framework":
        ordered = sorted(framework.phases, key=lambda p: p.number)
        phases = [
            Phase(
                number=p.number,
                name=p.name,
                fiscal_year=p.fiscal_year,
                last_fiscal_year=nxt.fiscal_year - 1 if nxt else None,
            )
            for p, nxt in zip(ordered, [*ordered[1:], None], strict=True)
        ]
        return cls(
            version=strawberry.ID(framework.version),
            name=framework.name,
            description=framework.description,
            status=FrameworkStatus(framework.status.value),
            phases=phases,
            _model=framework,
        )

    @strawberry.field
    def dimensions(self, status: DimensionStatus | None = None) -> list[Dimension]:
        return [
            Dimension.from_model(self._model, d)
            for d in self._model.dimensions
            if status is None or d.status.value == status.value
        ]

    @strawberry.field
    def dimension(self, id: strawberry.ID) -> Dimension | None:
        found = [d for d in self._model.dimensions if d.id == id]
        return Dimension.from_model(self._model, found[0]) if found else None

    @fields.field(description="Every measure, or those of one dimension.")
    def measures(self, dimension: strawberry.ID | None = None) -> list[Measure]:
        return [
            Measure.from_model(self._model, m)
            for m in self._model.measures
            if dimension is None or m.dimension == dimension
        ]

    @strawberry.field
    def measure(self, id: strawberry.ID) -> Measure | None:
        found = [m for m in self._model.measures if m.id == id]
        return Measure.from_model(self._model, found[0]) if found else None
