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
``SelfAssessmentRefused`` listing every problem with the field it concerns and the fix. No
clock is read here: ``at`` is always an argument.

Results: a category's result is the mean of its elements' ratings; the overall result is the
mean of the category results (each category weighs the same, whatever its element count).
An accepted assessment owes one ``best-practices-self-assessment`` event (``event_id``,
``event_occurred_at``): its value is the overall result rounded to 4 decimals.
"""

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.fiscal import fiscal_year_of, fiscal_year_period
from shared.domain.measures import CatalogModel, Identifier, Text

MEASURE = "best-practices-self-assessment"
"""The provider framework's measure an accepted assessment feeds."""
MIN_RATING, MAX_RATING = 1, 5
MAX_EVIDENCE = 2000
MAX_COMMENTS = 2000
FIRST_FISCAL_YEAR = 2022
"""The framework began in FY2022: earlier assessments would feed no measure."""


class Category(CatalogModel):
    id: Identifier
    name: Text


class Element(CatalogModel):
    """One best practice a provider rates itself on; ``definition`` is one line."""

    id: Identifier
    category: Identifier
    name: Text
    definition: Text


class RatingScale(CatalogModel):
    min: int = MIN_RATING
    max: int = MAX_RATING
    labels: dict[int, Text] = Field(default_factory=dict)


class ElementCatalog(CatalogModel):
    """A version of the element list, approved jointly by customers and providers."""

    version: Text
    scale: RatingScale = RatingScale()
    categories: tuple[Category, ...] = Field(min_length=1)
    elements: tuple[Element, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "ElementCatalog":
        problems = [
            f"duplicate {kind} id '{i}'"
            for kind, ids in (
                ("category", [c.id for c in self.categories]),
                ("element", [e.id for e in self.elements]),
            )
            for i in sorted({i for i in ids if ids.count(i) > 1})
        ]
        known = {c.id for c in self.categories}
        problems += [
            f"element '{e.id}' names unknown category '{e.category}'"
            for e in self.elements
            if e.category not in known
        ]
        used = {e.category for e in self.elements}
        problems += [f"category '{c}' has no elements" for c in sorted(known - used)]
        if (self.scale.min, self.scale.max) != (MIN_RATING, MAX_RATING):
            problems.append(f"the scale must be {MIN_RATING}..{MAX_RATING}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def category_of(self) -> Mapping[str, str]:
        """Element id → its category id."""
        return {e.id: e.category for e in self.elements}

    @property
    def element_ids(self) -> tuple[str, ...]:
        return tuple(e.id for e in self.elements)

    def elements_of(self, category: str) -> tuple[Element, ...]:
        return tuple(e for e in self.elements if e.category == category)


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


class Rating(BaseModel):
    """One element's rating as given; ``check_ratings`` says whether it is acceptable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    element: str
    rating: int
    evidence: str = ""


class HistoryEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    revision: int
    action: Action
    by: str
    at: datetime
    comments: str | None = None


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


@dataclass(frozen=True)
class Problem:
    """One reason a step is refused: the argument ``field`` (GraphQL spelling), a stable
    ``code`` and a ``message`` that names the fix."""

    field: str
    code: str
    message: str


class SelfAssessmentRefusedError(Exception):
    """A step was refused; ``problems`` lists every reason, ``str()`` joins them."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = tuple(problems)


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


@dataclass(frozen=True)
class Results:
    """Category results (None: no element of it rated yet) and the overall result (None
    until every category has one)."""

    categories: Mapping[str, float | None]
    overall: float | None


def results(catalog: ElementCatalog, ratings: Sequence[Rating]) -> Results:
    """Means per category and overall, from ratings that passed ``check_ratings``."""
    by_category: dict[str, list[int]] = {c.id: [] for c in catalog.categories}
    for rating in ratings:
        by_category[catalog.category_of[rating.element]].append(rating.rating)
    means = {c: (sum(r) / len(r) if r else None) for c, r in by_category.items()}
    present = [m for m in means.values() if m is not None]
    overall = sum(present) / len(present) if len(present) == len(means) else None
    return Results(means, overall)


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


def check_ratings(
    catalog: ElementCatalog, ratings: Sequence[Rating], *, complete: bool
) -> list[Problem]:
    """Every problem with ``ratings``; ``complete``: as a submission needs them (a rating
    with evidence for every element), else as a draft may hold them (any subset)."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, rating in enumerate(ratings):
        problems += _rating_problems(catalog, f"ratings[{index}]", rating, seen, complete)
        seen.add(rating.element)
    missing = [e for e in catalog.element_ids if e not in seen]
    if complete and missing:
        message = (
            f"{len(missing)} of {len(catalog.element_ids)} elements of catalog version "
            f"{catalog.version} have no rating: {', '.join(missing)}; rate every element "
            "(save a draft to keep a partial form)."
        )
        problems.append(Problem("ratings", "elements_missing", message))
    return problems


def _rating_problems(
    catalog: ElementCatalog, at: str, rating: Rating, seen: set[str], complete: bool
) -> list[Problem]:
    element = rating.element
    if element not in catalog.element_ids:
        close = difflib.get_close_matches(element, catalog.element_ids, n=1, cutoff=0.6)
        hint = f" did you mean '{close[0]}'?" if close else ""
        message = (
            f"element '{element}' is not in catalog version {catalog.version};{hint} "
            "see selfAssessmentElements for the element ids."
        )
        return [Problem(f"{at}.element", "unknown_element", message)]
    problems = []
    if element in seen:
        message = f"element '{element}' is rated twice; give each element one rating."
        problems.append(Problem(f"{at}.element", "duplicate_element", message))
    if not MIN_RATING <= rating.rating <= MAX_RATING:
        message = (
            f"rating {rating.rating} for element '{element}' is outside {MIN_RATING}..{MAX_RATING}; "
            f"give a whole number from {MIN_RATING} (not in place) to {MAX_RATING} "
            "(in place, measured and improving)."
        )
        problems.append(Problem(f"{at}.rating", "rating_out_of_range", message))
    evidence = rating.evidence.strip()
    if len(rating.evidence) > MAX_EVIDENCE:
        message = (
            f"evidence for element '{element}' is {len(rating.evidence)} characters; shorten it "
            f"to at most {MAX_EVIDENCE} (link to longer documents)."
        )
        problems.append(Problem(f"{at}.evidence", "evidence_too_long", message))
    elif complete and not evidence:
        message = (
            f"element '{element}' has no evidence; a submission says for every rating what "
            "shows it (a document, a report, a measure)."
        )
        problems.append(Problem(f"{at}.evidence", "evidence_missing", message))
    return problems


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
    **changes: object,
) -> SelfAssessment:
    revision = 1 if current is None else current.revision + 1
    entry = HistoryEntry(revision=revision, action=action, by=by, at=at, comments=comments)
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
        status=Status.ACCEPTED if accepted else Status.RETURNED,
        comments=text,
        reviewed_at=at,
        reviewed_by=by,
        review_comments=text,
    )
