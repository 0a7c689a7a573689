"""Queries of the customer-satisfaction survey (rev. 2): waves, results, comments, catalog.

Every key reads waves and results; results are published once a wave is closed, by group
with disclosure control (``shared.domain.survey_disclosure``): a group of fewer than 5
respondents, or one withheld so that such a group cannot be computed from the published
figures, comes back ``withheld`` with its reason and no figures. Free text goes only to
admins and, for its own responses, the provider concerned.
"""

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.survey_types import (
    SurveyCatalog,
    SurveyComment,
    SurveyGroupBy,
    SurveyGroupResult,
    SurveyResults,
    SurveyWave,
    translated_refusals,
)
from shared.domain.survey_results import wave_results


@strawberry.type
class SurveyQueries:
    @fields.field(description="The survey catalog: respondent roles, functions, default items.")
    def survey_catalog(self, info: Info) -> SurveyCatalog:
        return SurveyCatalog.from_model(info.context.runtime.tools.surveys.survey_catalog)

    @fields.field(description="Survey waves by id (only `fiscalYear`'s when given).")
    async def survey_waves(self, info: Info, fiscal_year: int | None = None) -> list[SurveyWave]:
        waves = await info.context.runtime.tools.surveys.store.waves(fiscal_year)
        return [SurveyWave.from_model(w) for w in waves]

    @fields.field(description="One survey wave; NOT_FOUND (listing the waves) for an unknown id.")
    async def survey_wave(self, info: Info, id: strawberry.ID) -> SurveyWave:
        with translated_refusals():
            stored = await info.context.runtime.tools.surveys.stored(id)
        return SurveyWave.from_model(stored.wave)

    @fields.field(
        description="A closed wave's results: the total and, with `groupBy`, each group's "
        "respondents, response rate and item means; `provider` restricts them to that "
        "provider's responses. Withheld groups show only `withheld` and the reason."
    )
    async def survey_results(
        self,
        info: Info,
        wave: strawberry.ID,
        group_by: SurveyGroupBy | None = None,
        provider: strawberry.ID | None = None,
    ) -> SurveyResults:
        tool = info.context.runtime.tools.surveys
        with translated_refusals():
            closed = await tool.closed_wave(wave)
        results = wave_results(
            closed.wave,
            closed.responses,
            closed.disclosure,
            group_by=None if group_by is None else group_by.to_model(),
            provider=provider,
        )
        labels = await _labels(info, group_by)
        return SurveyResults(
            wave=SurveyWave.from_model(closed.wave),
            group_by=group_by,
            provider_id=provider,
            total=SurveyGroupResult.from_model(results.total, closed.wave, labels),
            groups=[SurveyGroupResult.from_model(g, closed.wave, labels) for g in results.groups],
        )

    @fields.field(
        description="Free-text comments of a wave, in text order (no respondent identity): "
        "admins read all of them or one provider's; a provider's own key reads its provider's."
    )
    async def survey_comments(
        self, info: Info, wave: strawberry.ID, provider: strawberry.ID | None = None
    ) -> list[SurveyComment]:
        known = None if provider is None else (await info.context.providers()).get(provider)
        with translated_refusals():
            responses = await info.context.runtime.tools.surveys.comments(
                info.context.principal, wave, provider, () if known is None else known.qsmos
            )
        return [
            SurveyComment(
                text=r.comment or "",
                provider_id=None if r.provider is None else strawberry.ID(r.provider),
            )
            for r in responses
        ]


async def _labels(info: Info, group_by: SurveyGroupBy | None) -> dict[str, str]:
    """Readable names of the groups' values (roles, agencies, functions or providers)."""
    runtime = info.context.runtime
    catalog = runtime.tools.surveys.survey_catalog
    if group_by is SurveyGroupBy.ROLE:
        return {r.id: r.name for r in catalog.roles}
    if group_by is SurveyGroupBy.FUNCTION:
        return {f.id: f.name for f in catalog.functions}
    if group_by is SurveyGroupBy.AGENCY:
        return {a.id: a.name for a in runtime.catalog.agencies}
    return {p.id: p.name for p in (await info.context.providers()).all()}
