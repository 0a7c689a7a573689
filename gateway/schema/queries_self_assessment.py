"""Queries of the provider best-practices self-assessment (rev. 2).

Any key reads the element catalog and the comparison (results of ACCEPTED assessments only);
``selfAssessment`` shows drafts, evidence and history to who fills in or reviews the
provider's tools; ``selfAssessmentsToReview`` lists what the caller may review.
"""

import strawberry

from gateway.auth import require_some
from gateway.context import Info
from gateway.errors import BadUserInputError
from gateway.schema import fields
from gateway.schema.common import fiscal_year_arg
from gateway.schema.self_assessment_types import (
    SelfAssessment,
    SelfAssessmentComparison,
    SelfAssessmentElements,
    categories_of,
    comparison_row,
    translated_refusals,
)
from shared.authorization import Permission


@strawberry.type
class SelfAssessmentQueries:
    @fields.field(
        description="The element catalog providers rate themselves on: five categories "
        "(financial, organizational, operational, program management, technology), each "
        "element with a one-line definition, and the 1..5 scale."
    )
    def self_assessment_elements(
        self, info: Info, version: str | None = None
    ) -> SelfAssessmentElements:
        elements = info.context.runtime.tools.assessments.elements
        if version is not None and version != elements.version:
            raise BadUserInputError(
                f"element catalog version '{version}' is not known; the current one is "
                f"'{elements.version}' (leave version out for it)",
                field="version",
            )
        return SelfAssessmentElements.from_model(elements)

    @fields.field(
        description="A provider's self-assessment for a fiscal year (null: none started)."
    )
    async def self_assessment(
        self, info: Info, provider: strawberry.ID, fiscal_year: int
    ) -> SelfAssessment | None:
        principal = info.context.principal
        tool = info.context.runtime.tools.assessments
        with translated_refusals():
            found = await tool.provider(provider)
            assessment = await tool.get(found.id, fiscal_year_arg(fiscal_year))
        if assessment is None:
            return None
        full = tool.may_see_work(principal, found)
        return SelfAssessment.from_model(tool.elements, assessment, full=full)

    @fields.field(
        description="Every provider `qsmo` offers, side by side: status, category results "
        "and overall (ACCEPTED assessments only) for the fiscal year."
    )
    async def self_assessment_comparison(
        self, info: Info, qsmo: strawberry.ID, fiscal_year: int
    ) -> SelfAssessmentComparison:
        await info.context.known_qsmo(qsmo)
        tool = info.context.runtime.tools.assessments
        rows = await tool.comparison(qsmo, fiscal_year_arg(fiscal_year))
        return SelfAssessmentComparison(
            qsmo_id=qsmo,
            fiscal_year=fiscal_year,
            categories=categories_of(tool.elements),
            rows=[comparison_row(tool.elements, p.id, a) for p, a in rows],
        )

    @fields.field(
        description="Submitted self-assessments the caller may review (admins: all; a QSMO's "
        "publisher: its marketplace's providers), oldest submission first; `qsmo` narrows "
        "them to one QSMO's providers."
    )
    async def self_assessments_to_review(
        self, info: Info, qsmo: strawberry.ID | None = None
    ) -> list[SelfAssessment]:
        principal = require_some(
            info.context.principal,
            Permission.REVIEW_PROVIDER_SUBMISSIONS,
            "review self-assessments",
        )
        await info.context.known_qsmo(qsmo)
        tool = info.context.runtime.tools.assessments
        found = await tool.to_review(principal, qsmo)
        return [SelfAssessment.from_model(tool.elements, a, full=True) for a in found]
