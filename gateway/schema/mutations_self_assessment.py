"""Mutations of the provider best-practices self-assessment (rev. 2).

A provider's own key (or an admin) saves drafts and submits; an admin or the publisher of a
QSMO whose marketplace offers the provider accepts or returns. A refused step stores nothing
and names every problem's field and fix (``extensions.problems``). An acceptance sends one
``best-practices-self-assessment`` event through the pipeline (``gateway.provider_tools``).
"""

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.common import fiscal_year_arg
from gateway.schema.self_assessment_types import (
    SelfAssessment,
    SelfAssessmentDecision,
    SelfAssessmentRatingInput,
    translated_refusals,
)
from shared.domain.self_assessment import Decision


@strawberry.type
class SelfAssessmentMutations:
    @fields.mutation(
        description="Provider (its own key) or admin: keep the self-assessment form for "
        "`fiscalYear` as it is — any subset of elements, each rated 1..5. Not while it is under "
        "review or after it was accepted."
    )
    async def save_self_assessment_draft(
        self,
        info: Info,
        provider: strawberry.ID,
        fiscal_year: int,
        ratings: list[SelfAssessmentRatingInput],
    ) -> SelfAssessment:
        tool = info.context.runtime.tools.assessments
        with translated_refusals():
            saved = await tool.save_draft(
                info.context.principal,
                provider,
                fiscal_year_arg(fiscal_year),
                [r.to_model() for r in ratings],
            )
        return SelfAssessment.from_model(tool.elements, saved, full=True)

    @fields.mutation(
        description="Provider (its own key) or admin: submit the self-assessment for review. "
        "`ratings` (omitted: the saved draft's) must rate every element 1..5 with evidence. "
        "Refused while a submission is under review, and after acceptance."
    )
    async def submit_self_assessment(
        self,
        info: Info,
        provider: strawberry.ID,
        fiscal_year: int,
        ratings: list[SelfAssessmentRatingInput] | None = None,
    ) -> SelfAssessment:
        tool = info.context.runtime.tools.assessments
        with translated_refusals():
            submitted = await tool.submit(
                info.context.principal,
                provider,
                fiscal_year_arg(fiscal_year),
                None if ratings is None else [r.to_model() for r in ratings],
            )
        return SelfAssessment.from_model(tool.elements, submitted, full=True)

    @fields.mutation(
        description="Admin or the publisher of a QSMO offering the provider: ACCEPT a "
        "submitted self-assessment (final; its overall result enters "
        "`best-practices-self-assessment` for the provider's slice of its lead QSMO) or RETURN "
        "it with `comments` saying what to change (the provider can then resubmit)."
    )
    async def review_self_assessment(
        self,
        info: Info,
        id: strawberry.ID,
        decision: SelfAssessmentDecision,
        comments: str | None = None,
    ) -> SelfAssessment:
        tool = info.context.runtime.tools.assessments
        with translated_refusals():
            reviewed = await tool.review(
                info.context.principal, id, Decision(decision.value), comments
            )
        return SelfAssessment.from_model(tool.elements, reviewed, full=True)
