"""Queries of the annual data call (rev. 2).

Any key reads the section schemas and a QSMO's status board (status, versions, cost of the
accepted version); ``dataCall`` shows every version, its sections and review to who fills in
or reviews the provider's tools (others: the ACCEPTED versions); ``dataCallsToReview`` lists
what the caller may review.
"""

import strawberry

from gateway.auth import require_some
from gateway.context import Info
from gateway.schema import fields
from gateway.schema.common import fiscal_year_arg
from gateway.schema.data_call_types import (
    DataCall,
    DataCallSchemaType,
    DataCallStatusRow,
    cost_of,
    status_of,
    translated_refusals,
)
from gateway.schema.provider_types import Provider
from shared.authorization import Permission


@strawberry.type
class DataCallQueries:
    @fields.field(
        description="The data call's six sections (demographics, metrics, staffing, budget, "
        "systems, contracts) as JSON Schemas, in the version every submission takes now; "
        "the workbook template (GET /v1/data-call/{fiscalYear}/template.xlsx) is generated "
        "from them."
    )
    def data_call_schema(self, info: Info) -> DataCallSchemaType:
        return DataCallSchemaType.from_model(info.context.runtime.tools.data_calls.schema)

    @fields.field(
        description="A provider's data call for a fiscal year, with its versions (audit "
        "trail: who, when, why, the review, the changes since the version before); null: "
        "none submitted."
    )
    async def data_call(
        self, info: Info, provider: strawberry.ID, fiscal_year: int
    ) -> DataCall | None:
        tool = info.context.runtime.tools.data_calls
        with translated_refusals():
            found = await tool.provider(provider)
            call = await tool.get(found.id, fiscal_year_arg(fiscal_year))
        if call is None:
            return None
        full = tool.may_see_work(info.context.principal, found)
        return DataCall.from_model(tool.schema, call, full=full)

    @fields.field(
        description="Data calls whose latest version is under review and that the caller "
        "may review (admins: all; a QSMO's publisher: its marketplace's providers), oldest "
        "submission first; `qsmo` narrows them to one QSMO's providers."
    )
    async def data_calls_to_review(
        self, info: Info, qsmo: strawberry.ID | None = None
    ) -> list[DataCall]:
        principal = require_some(
            info.context.principal, Permission.REVIEW_PROVIDER_SUBMISSIONS, "review data calls"
        )
        await info.context.known_qsmo(qsmo)
        tool = info.context.runtime.tools.data_calls
        found = await tool.to_review(principal, qsmo)
        return [DataCall.from_model(tool.schema, c, full=True) for c in found]

    @fields.field(
        description="Every provider `qsmo` offers and where its data call for the fiscal "
        "year stands (NOT_SUBMITTED, SUBMITTED, ACCEPTED, RETURNED), by provider id; cost "
        "from the accepted version."
    )
    async def data_call_status(
        self, info: Info, qsmo: strawberry.ID, fiscal_year: int
    ) -> list[DataCallStatusRow]:
        context = info.context
        await context.known_qsmo(qsmo)
        tool = context.runtime.tools.data_calls
        catalog_ids = {p.id for p in context.runtime.catalog.providers}
        rows = []
        for provider, call in await tool.status(qsmo, fiscal_year_arg(fiscal_year)):
            accepted = None if call is None else call.accepted
            rows.append(
                DataCallStatusRow(
                    provider=Provider.from_model(provider, added=provider.id not in catalog_ids),
                    status=status_of(call),
                    latest_version=None if call is None else call.latest.number,
                    submitted_at=None if call is None else call.latest.submitted_at,
                    accepted_version=None if accepted is None else accepted.number,
                    cost=None if accepted is None else cost_of(accepted.sections, fiscal_year),
                )
            )
        return rows
