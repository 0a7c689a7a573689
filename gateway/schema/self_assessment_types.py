"""The provider best-practices self-assessment as GraphQL types (FRAMEWORK.md rev. 2).

Kept apart from the domain models (``shared.domain.self_assessment``): ``from_model`` builds
each type. Who sees what: a caller who fills in or reviews the provider's tools
(``SelfAssessments.may_see_work``) sees everything — drafts, ratings with evidence, review
comments and history; anyone else sees the status and dates, and the ratings and results of
an ACCEPTED assessment only.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.errors import BadUserInputError, ForbiddenError, NotFoundError
from gateway.provider_tools.assessment_store import AssessmentConflictError
from gateway.provider_tools.events import ToolEventInvalidError
from gateway.schema import fields
from gateway.schema.admin_types import Person
from gateway.schema.provider_types import Provider, provider_by_id
from shared.authorization import PermissionDenied
from shared.domain import self_assessment as model


@strawberry.enum(description="Where a self-assessment is in its review.")
class SelfAssessmentStatus(Enum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


@strawberry.enum(description="A reviewer's decision on a submitted self-assessment.")
class SelfAssessmentDecision(Enum):
    ACCEPT = "ACCEPT"
    RETURN = "RETURN"


@strawberry.enum(description="What a history entry records.")
class SelfAssessmentAction(Enum):
    SAVED = "SAVED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


@strawberry.type(description="One best practice a provider rates itself on.")
class SelfAssessmentElement:
    id: strawberry.ID
    category_id: strawberry.ID
    name: str
    definition: str = strawberry.field(description="What the element means, in one line.")

    @classmethod
    def from_model(cls, element: model.Element) -> "SelfAssessmentElement":
        return cls(
            id=strawberry.ID(element.id),
            category_id=strawberry.ID(element.category),
            name=element.name,
            definition=element.definition,
        )


@strawberry.type(description="One of the five categories and its elements.")
class SelfAssessmentCategory:
    id: strawberry.ID
    name: str
    elements: list[SelfAssessmentElement]


@strawberry.type(description="The meaning of one point of the 1..5 rating scale.")
class SelfAssessmentScaleLabel:
    rating: int
    label: str


@strawberry.type(
    description="A version of the element catalog: what providers rate, approved jointly by "
    "customers and providers."
)
class SelfAssessmentElements:
    version: str
    scale_min: int
    scale_max: int
    scale_labels: list[SelfAssessmentScaleLabel]
    categories: list[SelfAssessmentCategory]

    @classmethod
    def from_model(cls, catalog: model.ElementCatalog) -> "SelfAssessmentElements":
        return cls(
            version=catalog.version,
            scale_min=catalog.scale.min,
            scale_max=catalog.scale.max,
            scale_labels=[
                SelfAssessmentScaleLabel(rating=r, label=label)
                for r, label in sorted(catalog.scale.labels.items())
            ],
            categories=categories_of(catalog),
        )


def categories_of(catalog: model.ElementCatalog) -> list[SelfAssessmentCategory]:
    return [
        SelfAssessmentCategory(
            id=strawberry.ID(c.id),
            name=c.name,
            elements=[SelfAssessmentElement.from_model(e) for e in catalog.elements_of(c.id)],
        )
        for c in catalog.categories
    ]


@strawberry.input(description="One element's rating.")
class SelfAssessmentRatingInput:
    element: strawberry.ID = strawberry.field(description="An element id (selfAssessmentElements).")
    rating: int = strawberry.field(description="A whole number from 1 to 5.")
    evidence: str = strawberry.field(
        default="",
        description="What shows the rating (up to 2,000 characters); required to submit.",
    )

    def to_model(self) -> model.Rating:
        return model.Rating(element=str(self.element), rating=self.rating, evidence=self.evidence)


@strawberry.type(description="One element's rating as recorded.")
class SelfAssessmentRating:
    element_id: strawberry.ID
    category_id: strawberry.ID
    rating: int
    evidence: str | None = strawberry.field(
        description="Null for callers who neither fill in nor review this provider's tools."
    )


@strawberry.type(description="A category's result: the mean of its elements' ratings.")
class SelfAssessmentCategoryResult:
    category_id: strawberry.ID
    name: str
    result: float | None = strawberry.field(description="Null until an element of it is rated.")
    rated_elements: int


@strawberry.type(description="One step of an assessment's history: who did what, when.")
class SelfAssessmentHistoryEntry:
    revision: int
    action: SelfAssessmentAction
    by: str = strawberry.field(description="The API key id that did it.")
    at: datetime
    comments: str | None
    person: Person | None = strawberry.field(
        default=None, description="Done with a sign-in token: who (null for a key)."
    )


def category_results(
    catalog: model.ElementCatalog, ratings: Sequence[model.Rating]
) -> tuple[list[SelfAssessmentCategoryResult], float | None]:
    computed = model.results(catalog, ratings)
    counts = {c.id: 0 for c in catalog.categories}
    for rating in ratings:
        counts[catalog.category_of[rating.element]] += 1
    rows = [
        SelfAssessmentCategoryResult(
            category_id=strawberry.ID(c.id),
            name=c.name,
            result=_rounded(computed.categories[c.id]),
            rated_elements=counts[c.id],
        )
        for c in catalog.categories
    ]
    return rows, _rounded(computed.overall)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@strawberry.type(
    description="A provider's best-practices self-assessment for one fiscal year. Ratings, "
    "evidence, comments and history are shown in full to the provider's own key, its "
    "reviewers and admins; others see status and dates, and the results once ACCEPTED."
)
class SelfAssessment:
    id: strawberry.ID = strawberry.field(description="`<provider>|FY<fiscal year>`.")
    provider_id: strawberry.ID
    fiscal_year: int
    catalog_version: str = strawberry.field(description="The element catalog version rated.")
    status: SelfAssessmentStatus
    revision: int = strawberry.field(description="Bumped by every save, submission and review.")
    submitted_at: datetime | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_comments: str | None = strawberry.field(
        description="The last review's comments (why it was returned)."
    )
    ratings: list[SelfAssessmentRating]
    category_results: list[SelfAssessmentCategoryResult]
    overall: float | None = strawberry.field(
        description="The mean of the category results (4 decimals): the value an acceptance "
        "sends to `best-practices-self-assessment`."
    )
    history: list[SelfAssessmentHistoryEntry]

    @fields.field(description="The provider assessed.")
    async def provider(self, info: Info) -> Provider | None:
        return await provider_by_id(info, self.provider_id)

    @classmethod
    def from_model(
        cls, catalog: model.ElementCatalog, assessment: model.SelfAssessment, *, full: bool
    ) -> "SelfAssessment":
        shown = full or assessment.status is model.Status.ACCEPTED
        ratings = assessment.ratings if shown else ()
        results, overall = category_results(catalog, ratings)
        return cls(
            id=strawberry.ID(assessment.id),
            provider_id=strawberry.ID(assessment.provider),
            fiscal_year=assessment.fiscal_year,
            catalog_version=assessment.catalog_version,
            status=SelfAssessmentStatus(assessment.status.value),
            revision=assessment.revision,
            submitted_at=assessment.submitted_at,
            reviewed_at=assessment.reviewed_at,
            reviewed_by=assessment.reviewed_by if full else None,
            review_comments=assessment.review_comments if full else None,
            ratings=[
                SelfAssessmentRating(
                    element_id=strawberry.ID(r.element),
                    category_id=strawberry.ID(catalog.category_of.get(r.element, "")),
                    rating=r.rating,
                    evidence=r.evidence if full else None,
                )
                for r in ratings
            ],
            category_results=results,
            overall=overall,
            history=[
                SelfAssessmentHistoryEntry(
                    revision=h.revision,
                    action=SelfAssessmentAction(h.action.value),
                    by=h.by,
                    at=h.at,
                    comments=h.comments,
                    person=Person.from_model(h.person),
                )
                for h in (assessment.history if full else ())
            ],
        )


@strawberry.type(description="One provider's row in a QSMO's side-by-side comparison.")
class SelfAssessmentComparisonRow:
    provider_id: strawberry.ID
    status: SelfAssessmentStatus | None = strawberry.field(
        description="Null: no assessment started for the year."
    )
    category_results: list[SelfAssessmentCategoryResult] = strawberry.field(
        description="Filled for ACCEPTED assessments only."
    )
    overall: float | None = strawberry.field(description="ACCEPTED assessments only.")

    @fields.field(description="The provider.")
    async def provider(self, info: Info) -> Provider | None:
        return await provider_by_id(info, self.provider_id)


@strawberry.type(
    description="The self-assessment results of every provider a QSMO offers, side by side."
)
class SelfAssessmentComparison:
    qsmo_id: strawberry.ID
    fiscal_year: int
    categories: list[SelfAssessmentCategory]
    rows: list[SelfAssessmentComparisonRow]


def comparison_row(
    catalog: model.ElementCatalog, provider_id: str, assessment: model.SelfAssessment | None
) -> SelfAssessmentComparisonRow:
    accepted = assessment is not None and assessment.status is model.Status.ACCEPTED
    ratings = assessment.ratings if accepted and assessment is not None else ()
    results, overall = category_results(catalog, ratings)
    return SelfAssessmentComparisonRow(
        provider_id=strawberry.ID(provider_id),
        status=None if assessment is None else SelfAssessmentStatus(assessment.status.value),
        category_results=results if accepted else [],
        overall=overall,
    )


@contextmanager
def translated_refusals() -> Iterator[None]:
    """The tool's refusals as the gateway's coded errors, each naming the field and the fix:
    BAD_USER_INPUT (``extensions.problems`` lists every one), NOT_FOUND, FORBIDDEN."""
    try:
        yield
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message, field="provider") from None
    except model.SelfAssessmentRefusedError as refused:
        first = refused.problems[0]
        problems = [
            {"field": p.field, "code": p.code, "message": p.message} for p in refused.problems
        ]
        error = NotFoundError if first.code == "not_found" else BadUserInputError
        raise error(str(refused), field=first.field, problems=problems) from None
    except ToolEventInvalidError as invalid:  # e.g. the provider was retired meanwhile
        raise BadUserInputError(
            f"the accepted result cannot enter the pipeline ({invalid}); nothing was stored: "
            "fix the provider's registry entry or return the assessment",
            field="id",
        ) from None
    except AssessmentConflictError:
        raise BadUserInputError(
            "the assessment changed while this request was applied; read it again and retry",
            field="id",
        ) from None
