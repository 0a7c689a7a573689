"""Mutations of the annual data call (rev. 2).

A provider's own key (or an admin) submits the six sections — here as JSON, or as the Excel
workbook (``POST /v1/data-call/{fy}/workbook``); both take the same validation, all or
nothing. An admin or the publisher of a QSMO whose marketplace offers the provider accepts
or returns the version under review.
"""

import strawberry
from strawberry.scalars import JSON

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.common import fiscal_year_arg
from gateway.schema.data_call_types import DataCall, DataCallDecision, translated_refusals
from shared.domain.data_call_versions import Decision, SubmissionSource


@strawberry.type
class DataCallMutations:
    @fields.mutation(
        description="Provider (its own key) or admin: submit the data call for `fiscalYear` "
        "— `sections` is a JSON object with the six sections (dataCallSchema gives their "
        "JSON Schemas). Every problem is reported at once (`extensions.problems`: section, "
        "row, field, message) and nothing is stored. Each submission is a new version; one "
        "after the first is a correction and needs `reason`. Refused while a version is "
        "under review."
    )
    async def submit_data_call(
        self,
        info: Info,
        provider: strawberry.ID,
        fiscal_year: int,
        sections: JSON,
        reason: str | None = None,
    ) -> DataCall:
        tool = info.context.runtime.tools.data_calls
        with translated_refusals():
            call = await tool.submit(
                info.context.principal,
                provider,
                fiscal_year_arg(fiscal_year),
                sections,
                reason=reason,
                source=SubmissionSource.GRAPHQL,
            )
        return DataCall.from_model(tool.schema, call, full=True)

    @fields.mutation(
        description="Admin or the publisher of a QSMO offering the provider: ACCEPT the "
        "version under review of data call `id` (its cost figures then show in "
        "providerComparison) or RETURN it with `comments` saying what to correct. `version` "
        "(optional) must be the version under review."
    )
    async def review_data_call(
        self,
        info: Info,
        id: strawberry.ID,
        decision: DataCallDecision,
        comments: str | None = None,
        version: int | None = None,
    ) -> DataCall:
        tool = info.context.runtime.tools.data_calls
        with translated_refusals():
            call = await tool.review(
                info.context.principal,
                id,
                Decision(decision.value.lower()),
                comments=comments,
                version=version,
            )
        return DataCall.from_model(tool.schema, call, full=True)
