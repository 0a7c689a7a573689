"""Mutations of the customer-satisfaction survey (rev. 2); admin keys (``MANAGE_SURVEYS``).

Create a wave, set its invited counts, record one web-form response, close it. Files of
responses go to ``POST /v1/surveys/{wave}/responses`` (``gateway.provider_tools.survey_http``).
A refusal stores nothing and names every problem (``extensions.problems``). Closing sends
one ``customer-satisfaction`` event per response through the pipeline.
"""

from datetime import date

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.common import fiscal_year_arg
from gateway.schema.survey_types import (
    SurveyAgencyCountInput,
    SurveyItemInput,
    SurveyResponseInput,
    SurveyResponsesAdded,
    SurveyWave,
    translated_refusals,
)


@strawberry.type
class SurveyMutations:
    @fields.mutation(
        description="Admin: open a survey wave for `fiscalYear` (`closesOn` inside it, "
        "`opensOn` not after it). `items` (omitted: the catalog's default, one overall item) "
        "are rated 1..5; exactly one is `overall`. The id is `fy<year>-<name as a slug>`."
    )
    async def create_survey_wave(
        self,
        info: Info,
        fiscal_year: int,
        name: str,
        opens_on: date,
        closes_on: date,
        items: list[SurveyItemInput] | None = None,
    ) -> SurveyWave:
        tool = info.context.runtime.tools.surveys
        with translated_refusals():
            wave = await tool.create_wave(
                info.context.principal,
                fiscal_year_arg(fiscal_year),
                name,
                opens_on,
                closes_on,
                None if items is None else [item.to_model(i) for i, item in enumerate(items)],
            )
        return SurveyWave.from_model(wave)

    @fields.mutation(
        description="Admin: how many people were invited, in total and by agency (catalog "
        "agency ids); results then show response rates. Replaces earlier counts."
    )
    async def set_survey_invitations(
        self,
        info: Info,
        wave: strawberry.ID,
        total: int,
        by_agency: list[SurveyAgencyCountInput] | None = None,
    ) -> SurveyWave:
        counts = {str(c.agency): c.invited for c in by_agency or ()}
        with translated_refusals():
            changed = await info.context.runtime.tools.surveys.set_invitations(
                info.context.principal, wave, total, counts
            )
        return SurveyWave.from_model(changed)

    @fields.mutation(
        description="Admin (a survey front-end's key): record one response from a web form "
        "into an open wave. Every item needs a rating 1..5; the provider, if given, must serve "
        "the function's QSMO."
    )
    async def record_survey_response(
        self, info: Info, wave: strawberry.ID, response: SurveyResponseInput
    ) -> SurveyResponsesAdded:
        with translated_refusals():
            added = await info.context.runtime.tools.surveys.record_response(
                info.context.principal, wave, response.cells()
            )
        return SurveyResponsesAdded.from_model(added)

    @fields.mutation(
        description="Admin: close a wave now (waves also close by themselves after "
        "`closesOn`). Each response's overall rating then enters `customer-satisfaction` once "
        "(event id `survey:<wave>:<response id>`), and results are published."
    )
    async def close_survey_wave(self, info: Info, wave: strawberry.ID) -> SurveyWave:
        with translated_refusals():
            closed = await info.context.runtime.tools.surveys.close(info.context.principal, wave)
        return SurveyWave.from_model(closed)
