"""The tiers below the QSMO on read as GraphQL types (rev. 2): a scorecard's slice, where a
target comes from, and the providers of a QSMO side by side (``providerComparison``)."""

from enum import Enum

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.enums import Status
from gateway.schema.framework_types import Measure, Qsmo, qsmo_by_id
from gateway.schema.provider_types import Agency, Provider, provider_by_id
from gateway.tiers import ComparisonRow
from shared.domain import providers as model
from shared.domain.catalog import Framework
from shared.domain.data_call import CostFigures


@strawberry.enum(
    description="Which share of the events a slice is: one provider's or one agency's."
)
class SliceKind(Enum):
    PROVIDER = "provider"
    AGENCY = "agency"


@strawberry.enum(
    description="Where the target a value is judged against comes from: the QSMO's (its own, "
    "else the global override, else the catalog default), the government-wide one (a `sum` "
    "measure's: the sum of the participating QSMOs' targets), or a provider's SLA target set "
    "by an admin (it wins for that provider's slice only)."
)
class TargetSource(Enum):
    QSMO = "QSMO"
    GOVERNMENT = "GOVERNMENT"
    SLA = "SLA"


async def agency_by_id(info: Info, agency_id: str) -> Agency:
    """The Agency type for an id: the catalog's, else one only seen in events."""
    for agency in info.context.runtime.catalog.agencies:
        if agency.id == agency_id:
            return Agency.from_model(agency, in_catalog=True)
    return Agency.from_model(model.Agency(id=agency_id, name=agency_id), in_catalog=False)


@strawberry.type(
    description="The slice a scorecard or value is restricted to: one provider's events "
    "within a QSMO, or one customer agency's (within a QSMO, or from every QSMO)."
)
class ScorecardSlice:
    kind: SliceKind
    id: strawberry.ID = strawberry.field(description="The provider's or the agency's id.")
    label: str = strawberry.field(description="`provider:<id>` or `agency:<id>`.")

    @classmethod
    def from_label(cls, label: str | None) -> "ScorecardSlice | None":
        if label is None:
            return None
        parsed = model.Slice.parse(label)
        return cls(kind=SliceKind(parsed.kind), id=strawberry.ID(parsed.id), label=label)

    @fields.field(description="The provider (kind PROVIDER), else null.")
    async def provider(self, info: Info) -> Provider | None:
        if self.kind is not SliceKind.PROVIDER:
            return None
        return await provider_by_id(info, self.id)

    @fields.field(description="The customer agency (kind AGENCY), else null.")
    async def agency(self, info: Info) -> Agency | None:
        if self.kind is not SliceKind.AGENCY:
            return None
        return await agency_by_id(info, self.id)


@strawberry.type(
    description="A provider's cost figures for the fiscal year, from its annual data call "
    "(a field is null where the data call gives no base for it, e.g. 0 transactions)."
)
class ProviderCost:
    cost_per_transaction: float | None = strawberry.field(
        description="USD per transaction processed: the budget's operating cost of the fiscal "
        "year ÷ the transactions processed (demographics), rounded to 4 decimals."
    )
    fte_per_thousand_customers: float | None = strawberry.field(
        description="Full-time equivalents per 1,000 customers served: federal + contractor "
        "FTE of every function (staffing) ÷ customers served × 1,000, rounded to 4 decimals."
    )
    total_cost: float | None = strawberry.field(
        description="USD spent on the services: the budget's operating cost of the fiscal year."
    )

    @classmethod
    def from_figures(cls, figures: CostFigures) -> "ProviderCost":
        return cls(
            cost_per_transaction=figures.cost_per_transaction,
            fte_per_thousand_customers=figures.fte_per_thousand_customers,
            total_cost=figures.total_cost,
        )


@strawberry.type(description="One measure of one provider in a providerComparison row.")
class ProviderMeasureComparison:
    measure_id: strawberry.ID
    value: float | None = strawberry.field(
        description="The provider's value for the fiscal year; null without events (never 0)."
    )
    target: float = strawberry.field(
        description="The target the status was judged against (rev. 2: a `sum` measure's "
        "annual target pro-rated to the days elapsed, now)."
    )
    annual_target: float
    target_source: TargetSource
    attainment: float | None
    status: Status
    trend: list[float | None] = strawberry.field(
        description="The fiscal year's quarter values Q1..Q4 (null where a quarter has no events)."
    )
    last_year_value: float | None
    event_count: int
    _framework: strawberry.Private[Framework]

    @fields.field(description="The measure's profile in the framework.")
    def measure(self) -> Measure:
        return Measure.from_model(self._framework, self._framework.measure(self.measure_id))


@strawberry.type(description="One provider of the QSMO, with its slice's results.")
class ProviderComparisonRow:
    provider: Provider
    customer_agencies: int = strawberry.field(
        description="Customer agencies with events through this provider in the fiscal year."
    )
    overall_score: float | None = strawberry.field(
        description="The provider slice's overall score (0-100), null without data."
    )
    overall_status: Status
    measures: list[ProviderMeasureComparison]
    cost: ProviderCost | None = strawberry.field(
        description="Cost figures from the provider's newest ACCEPTED data-call version of the "
        "fiscal year; null until one is accepted."
    )


@strawberry.type(
    description="A QSMO's providers side by side for a fiscal year: quality, and cost once a "
    "data call is accepted (the comparison an agency uses to choose a provider)."
)
class ProviderComparison:
    qsmo_id: strawberry.ID
    fiscal_year: int
    measure_ids: list[strawberry.ID]
    rows: list[ProviderComparisonRow] = strawberry.field(
        description="One per provider serving the QSMO, by provider id (a retired one only if "
        "it has events in the fiscal year)."
    )
    _framework: strawberry.Private[Framework]

    @fields.field(description="The compared measures, in the order asked.")
    def measures(self) -> list[Measure]:
        return [
            Measure.from_model(self._framework, self._framework.measure(m))
            for m in self.measure_ids
        ]

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)


def comparison_row(
    framework: Framework,
    row: ComparisonRow,
    measure_ids: list[str],
    sla: dict[str, float],
    added: bool,
    cost: CostFigures | None = None,
) -> ProviderComparisonRow:
    """The GraphQL row of a provider's slice results (``sla``: its SLA targets by measure;
    ``cost``: from its accepted data call)."""
    view = row.view
    cells = []
    for measure_id in measure_ids:
        shown = view.measure(measure_id)
        cells.append(
            ProviderMeasureComparison(
                measure_id=strawberry.ID(measure_id),
                value=shown.value,
                target=shown.target,
                annual_target=shown.annual_target,
                target_source=TargetSource.SLA if measure_id in sla else TargetSource.QSMO,
                attainment=shown.attainment,
                status=Status(shown.status),
                trend=list(row.trends.get(measure_id, (None, None, None, None))),
                last_year_value=shown.last_year_value,
                event_count=shown.quality.event_count,
                _framework=framework,
            )
        )
    return ProviderComparisonRow(
        provider=Provider.from_model(row.provider, added=added),
        customer_agencies=row.customer_agencies,
        overall_score=view.overall_score,
        overall_status=Status(view.overall_status),
        measures=cells,
        cost=None if cost is None else ProviderCost.from_figures(cost),
    )
