"""The self-assessment's element catalog and the rules a set of ratings must meet (pure).

The catalog (``shared/catalog/tools/self-assessment-<version>.yaml``) lists five categories —
financial, organizational, operational, program management, technology — and their
elements; a rating is a whole number ``MIN_RATING``..``MAX_RATING`` with evidence text.
``check_ratings`` names every problem with the argument it concerns (GraphQL spelling,
``ratings[3].rating``) and the fix; ``results`` gives the category means and their mean.
The lifecycle that uses them is ``shared.domain.self_assessment``.
"""

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.domain.measures import CatalogModel, Identifier, Text

MIN_RATING, MAX_RATING = 1, 5
MAX_EVIDENCE = 2000


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


class Rating(BaseModel):
    """One element's rating as given; ``check_ratings`` says whether it is acceptable."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    element: str
    rating: int
    evidence: str = ""


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
