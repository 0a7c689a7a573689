"""Queries about the tiers below the QSMO (rev. 2): customer agencies, and a QSMO's
providers side by side. Slice scorecards and values are arguments of ``scorecard``,
``measureValue`` and ``measureSeries``."""

import strawberry

from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.schema import fields
from gateway.schema.common import catalog_measure, fiscal_year_arg
from gateway.schema.provider_types import Agency
from gateway.schema.tier_types import ProviderComparison, comparison_row
from gateway.tiers import provider_comparison
from services.scorecard.read_model import sla_targets_of
from shared.domain.providers import agencies_by_id

MAX_COMPARED_MEASURES = 50


@strawberry.type
class TierQueries:
    @fields.field(
        description="Every customer agency: the catalog's CFO Act agencies and any other agency "
        "named by an event, by id."
    )
    async def agencies(self, info: Info) -> list[Agency]:
        runtime = info.context.runtime
        catalog_ids = {a.id for a in runtime.catalog.agencies}
        known = agencies_by_id(runtime.catalog.agencies, await runtime.values.agencies_seen())
        return [Agency.from_model(a, in_catalog=a.id in catalog_ids) for a in known.values()]

    @fields.field(description="A customer agency by id (DOI, USDA, …); null if unknown.")
    async def agency(self, info: Info, id: strawberry.ID) -> Agency | None:
        runtime = info.context.runtime
        for agency in runtime.catalog.agencies:
            if agency.id == id:
                return Agency.from_model(agency, in_catalog=True)
        if id in await runtime.values.agencies_seen():
            known = agencies_by_id((), [id])
            return Agency.from_model(known[id], in_catalog=False)
        return None

    @fields.field(
        description="A QSMO's providers side by side for a fiscal year (rev. 2): each "
        "provider's slice value, target (the QSMO's, or its SLA target), status and quarterly "
        "trend per measure, its overall score and its number of customer agencies; `cost` "
        "comes from its accepted annual data call (null before). `measures` omitted: every "
        "measure."
    )
    async def provider_comparison(
        self,
        info: Info,
        qsmo: strawberry.ID,
        fiscal_year: int,
        measures: list[strawberry.ID] | None = None,
    ) -> ProviderComparison:
        context = info.context
        await context.known_qsmo(qsmo)
        fiscal_year_arg(fiscal_year)
        framework = context.runtime.catalog.framework()
        wanted = [str(m) for m in (framework.measure_ids if measures is None else measures)]
        wanted = list(dict.fromkeys(wanted))
        if not wanted or len(wanted) > MAX_COMPARED_MEASURES:
            raise BadUserInputError(
                f"measures: give 1 to {MAX_COMPARED_MEASURES} measure ids, or omit it for all",
                field="measures",
            )
        chosen = [catalog_measure(framework, m, field="measures") for m in wanted]
        rows = await provider_comparison(context, qsmo, fiscal_year, chosen)
        costs = await context.runtime.tools.data_calls.accepted_costs(
            fiscal_year, [r.provider.id for r in rows]
        )
        state = await context.loaders.framework_state()
        catalog_ids = {p.id for p in context.runtime.catalog.providers}
        return ProviderComparison(
            qsmo_id=qsmo,
            fiscal_year=fiscal_year,
            measure_ids=[strawberry.ID(m) for m in wanted],
            rows=[
                comparison_row(
                    framework,
                    row,
                    wanted,
                    dict(sla_targets_of(state.overrides, row.provider.id)),
                    added=row.provider.id not in catalog_ids,
                    cost=costs.get(row.provider.id),
                )
                for row in sorted(rows, key=lambda r: r.provider.id)
            ],
            _framework=framework,
        )
