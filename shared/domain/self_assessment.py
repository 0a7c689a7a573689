"""The provider best-practices self-assessment (FRAMEWORK.md rev. 2; seed 004), pure.

Once per fiscal year a provider rates itself on every element of the element catalog
(``shared/catalog/tools/self-assessment-<version>.yaml``: five categories — financial,
organizational, operational, program management, technology), each rating a whole number
1..5 with evidence text. Lifecycle per (provider, fiscal year), document id
``<provider>|FY<fy>``::

    (none) ─save→ DRAFT ─submit→ SUBMITTED ─review ACCEPT→ ACCEPTED (final)
                     ↑              └──review RETURN→ RETURNED ─save/submit→ DRAFT/SUBMITTED

Every step is a function ``(state, input, who, when) -> new state`` that either returns the
next state (``revision`` + 1, one more ``history`` entry) or raises
``SelfAssessmentRefusedError`` listing every problem with the field it concerns and the fix. No
clock is read here: ``at`` is always an argument.

Results: a category's result is the mean of its elements' ratings; the overall result is the
mean of the category results (each category weighs the same, whatever its element count).
An accepted assessment owes one ``best-practices-self-assessment`` event (``event_id``,
``event_occurred_at``): its value is the overall result rounded to 4 decimals.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from shared.api_keys import Person
from shared.domain.fiscal import fiscal_year_of, fiscal_year_period
from shared.domain.self_assessment_elements import (
    MAX_RATING,
    MIN_RATING,
    Category,
    Element,
    ElementCatalog,
    Problem,
    Rating,
    RatingScale,
    Results,
    SelfAssessmentRefusedError,
    check_ratings,
    results,
)

__all__ = [
    "MAX_RATING",
    "MEASURE",
    "MIN_RATING",
    "Action",
    "Category",
    "Decision",
    "Element",
    "ElementCatalog",
    "HistoryEntry",
    "Problem",
    "Rating",
    "RatingScale",
    "Results",
    "SelfAssessment",
    "SelfAssessmentRefusedError",
    "Status",
    "assessment_id",
    "check_fiscal_year",
    "check_ratings",
    "event_id",
    "event_occurred_at",
    "event_value",
    "results",
    "review",
    "save_draft",
    "submit",
]

MEASURE = "best-practices-self-assessment"
"""The provider framework's measure an accepted assessment feeds."""
MAX_COMMENTS = 2000
FIRST_FISCAL_YEAR = 2022
"""The framework began in FY2022: earlier assessments would feed no measure."""


class Status(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


class Decision(StrEnum):
    ACCEPT = "ACCEPT"
    RETURN = "RETURN"


class Action(StrEnum):
    """What a history entry records."""

    SAVED = "SAVED"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    RETURNED = "RETURNED"


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    revision: int
    action: Action
    by: str
    at: datetime
    comments: str | None = None
    person: Person | None = None
    """A step taken with a sign-in token: the person (sub, name, issuer)."""


class SelfAssessment(BaseModel):
    """One provider's assessment for one fiscal year, with its whole history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    provider: str
    fiscal_year: int
    catalog_version: str
    status: Status
    ratings: tuple[Rating, ...]
    revision: int
    history: tuple[HistoryEntry, ...]
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    review_comments: str | None = None


def assessment_id(provider: str, fiscal_year: int) -> str:
    return f"{provider}|FY{fiscal_year}"


def event_id(provider: str, fiscal_year: int) -> str:
    """The id of the one event an accepted assessment owes: a retry counts once."""
    return f"self-assessment:{provider}:FY{fiscal_year}"


def event_occurred_at(fiscal_year: int, accepted_at: datetime) -> datetime:
    """When the owed event happened: the acceptance if it falls inside the fiscal year, else
    the fiscal year's last day at 12:00 UTC (an assessment accepted after the year ends still
    counts for that year)."""
    period = fiscal_year_period(fiscal_year)
    if period.contains(accepted_at):
        return accepted_at.astimezone(UTC)
    return period.end - timedelta(hours=12)


def event_value(overall: float) -> float:
    return round(overall, 4)


def check_fiscal_year(fiscal_year: int, now: datetime) -> list[Problem]:
    """A fiscal year from FY2022 to the current one (an assessment looks back on a year)."""
    current = fiscal_year_of(now)
    if FIRST_FISCAL_YEAR <= fiscal_year <= current:
        return []
    message = (
        f"fiscal year {fiscal_year} cannot be assessed; give one from {FIRST_FISCAL_YEAR} to "
        f"the current FY{current}."
    )
    return [Problem("fiscalYear", "fiscal_year_out_of_range", message)]


def _refuse_unless_editable(current: SelfAssessment | None, doing: str) -> None:
    if current is None or current.status in (Status.DRAFT, Status.RETURNED):
        return
    if current.status is Status.SUBMITTED:
        since = current.submitted_at.isoformat() if current.submitted_at else "its submission"
        message = (
            f"the FY{current.fiscal_year} assessment of provider '{current.provider}' is under "
            f"review since {since}; wait for the review, or ask the reviewer to return it, "
            f"before you {doing}."
        )
        raise SelfAssessmentRefusedError([Problem("provider", "under_review", message)])
    message = (
        f"the FY{current.fiscal_year} assessment of provider '{current.provider}' was accepted "
        f"on {current.reviewed_at.isoformat() if current.reviewed_at else '?'} and is final; "
        "the next one is for the next fiscal year."
    )
    raise SelfAssessmentRefusedError([Problem("fiscalYear", "already_accepted", message)])


def _next(
    current: SelfAssessment | None,
    catalog: ElementCatalog,
    *,
    provider: str,
    fiscal_year: int,
    action: Action,
    by: str,
    at: datetime,
    comments: str | None = None,
    person: Person | None = None,
    **changes: object,
) -> SelfAssessment:
    revision = 1 if current is None else current.revision + 1
    entry = HistoryEntry(
        revision=revision, action=action, by=by, at=at, comments=comments, person=person
    )
    base = current or SelfAssessment(
        id=assessment_id(provider, fiscal_year),
        provider=provider,
        fiscal_year=fiscal_year,
        catalog_version=catalog.version,
        status=Status.DRAFT,
        ratings=(),
        revision=0,
        history=(),
    )
    return base.model_copy(
        update={"revision": revision, "history": (*base.history, entry), **changes}
    )


def save_draft(
    current: SelfAssessment | None,
    catalog: ElementCatalog,
    *,
    provider: str,
    fiscal_year: int,
    ratings: Sequence[Rating],
    by: str,
    at: datetime,
    person: Person | None = None,
) -> SelfAssessment:
    """Keep the form as it is (any subset of elements); refused while under review or after
    acceptance, or when a rating is out of range or names an unknown element."""
    problems = check_fiscal_year(fiscal_year, at) + check_ratings(catalog, ratings, complete=False)
    if problems:
        raise SelfAssessmentRefusedError(problems)
    _refuse_unless_editable(current, "change it")
    return _next(
        current,
        catalog,
        provider=provider,
        fiscal_year=fiscal_year,
        action=Action.SAVED,
        by=by,
        at=at,
        person=person,
        status=Status.DRAFT,
        ratings=tuple(ratings),
        catalog_version=catalog.version,
    )


def submit(
    current: SelfAssessment | None,
    catalog: ElementCatalog,
    *,
    provider: str,
    fiscal_year: int,
    ratings: Sequence[Rating] | None,
    by: str,
    at: datetime,
    person: Person | None = None,
) -> SelfAssessment:
    """Hand the assessment to the QSMO for review: ``ratings`` (None: the saved draft's)
    must rate every element with evidence."""
    _refuse_unless_editable(current, "submit again")
    chosen = tuple(ratings) if ratings is not None else (current.ratings if current else ())
    problems = check_fiscal_year(fiscal_year, at) + check_ratings(catalog, chosen, complete=True)
    if problems:
        raise SelfAssessmentRefusedError(problems)
    return _next(
        current,
        catalog,
        provider=provider,
        fiscal_year=fiscal_year,
        action=Action.SUBMITTED,
        by=by,
        at=at,
        person=person,
        status=Status.SUBMITTED,
        ratings=chosen,
        catalog_version=catalog.version,
        submitted_at=at,
    )


def review(
    current: SelfAssessment,
    catalog: ElementCatalog,
    *,
    decision: Decision,
    comments: str | None,
    by: str,
    at: datetime,
    person: Person | None = None,
) -> SelfAssessment:
    """Accept (final; owes the event) or return (needs comments saying what to change) a
    submitted assessment."""
    text = (comments or "").strip() or None
    problems: list[Problem] = []
    if current.status is not Status.SUBMITTED:
        message = (
            f"the FY{current.fiscal_year} assessment of provider '{current.provider}' is "
            f"{current.status.value}, not SUBMITTED; only a submitted assessment is reviewed."
        )
        problems.append(Problem("id", "not_under_review", message))
    if decision is Decision.RETURN and text is None:
        message = "returning an assessment needs comments: say what the provider should change."
        problems.append(Problem("comments", "comments_required", message))
    if text is not None and len(text) > MAX_COMMENTS:
        message = f"comments are {len(text)} characters; shorten them to at most {MAX_COMMENTS}."
        problems.append(Problem("comments", "comments_too_long", message))
    if problems:
        raise SelfAssessmentRefusedError(problems)
    accepted = decision is Decision.ACCEPT
    return _next(
        current,
        catalog,
        provider=current.provider,
        fiscal_year=current.fiscal_year,
        action=Action.ACCEPTED if accepted else Action.RETURNED,
        by=by,
        at=at,
        person=person,
        status=Status.ACCEPTED if accepted else Status.RETURNED,
        comments=text,
        reviewed_at=at,
        reviewed_by=by,
        review_comments=text,
    )
