"""The customer-satisfaction survey (pure): waves, items, responses and what a closed wave owes.

FRAMEWORK.md rev. 2, "Tiers below the QSMO": an admin opens a **wave** (a fiscal year, open and
close dates, items rated 1–5, exactly one of them the overall-satisfaction item). A
**response** carries the respondent's role, agency, function, the provider if any, a rating
for every item and an optional comment — never who answered. Responses arrive as rows (a
survey tool's export) or from a web form: ``shared.domain.survey_responses``.

At close each response's overall rating is owed to the pipeline as one
``customer-satisfaction`` observation (``satisfaction_events``): event id
``survey:<wave>:<response id>``, dated at the wave's close. Results by group, with
disclosure control, are ``shared.domain.survey_results``. No clock reads: time is an argument.
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.domain.measures import CatalogModel, Identifier, Text

MEASURE = "customer-satisfaction"
TOOL = "survey"
"""The tool's name: the events' ``source`` and the outbox source's name."""
RATINGS = range(1, 6)
MAX_ITEMS = 40
FIXED_COLUMNS = ("role", "agency", "function", "provider", "comment", "response_id")
REQUIRED_COLUMNS = ("role", "agency", "function")

ItemId = Annotated[
    str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_-]*$")
]


class SurveyRole(CatalogModel):
    id: Identifier
    name: Text


class SurveyFunction(CatalogModel):
    """A function a respondent is served in; ``qsmo``: whose measure its responses feed."""

    id: Identifier
    name: Text
    qsmo: Identifier


class SurveyItem(CatalogModel):
    """One question rated 1–5; ``overall``: the overall-satisfaction item (one per wave)."""

    id: ItemId
    text: Text
    overall: bool = False


class SurveyCatalog(CatalogModel):
    """``shared/catalog/tools/survey.yaml``: roles, functions and the default item set."""

    version: Text
    roles: tuple[SurveyRole, ...] = Field(min_length=1)
    functions: tuple[SurveyFunction, ...] = Field(min_length=1)
    default_items: tuple[SurveyItem, ...] = Field(min_length=1)

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.roles)

    @property
    def function_ids(self) -> tuple[str, ...]:
        return tuple(f.id for f in self.functions)

    def function(self, function_id: str) -> SurveyFunction:
        """The function ``function_id``; KeyError for an unknown one."""
        for function in self.functions:
            if function.id == function_id:
                return function
        raise KeyError(function_id)


class SurveyRejected(Exception):  # noqa: N818 - a refusal, not a fault
    """Input breaks a survey rule; ``problems`` name each place (field, row, column)."""

    def __init__(self, problems: Sequence["Problem"]) -> None:
        super().__init__("; ".join(p.describe() for p in problems))
        self.problems = tuple(problems)


WHOLE_ROW = "row"
"""``Problem.field`` of a problem with a whole row of a file (not one cell)."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: ``field`` (an argument or a column), the file ``row`` if any."""

    field: str
    message: str
    row: int | None = None

    def describe(self) -> str:
        if self.row is None:
            where = self.field
        elif self.field == WHOLE_ROW:
            where = f"row {self.row}"
        else:
            where = f"row {self.row}, column '{self.field}'"
        return f"{where}: {self.message}"


class WaveStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Invitations(CatalogModel):
    """How many people an admin invited: in total and, optionally, per agency."""

    total: int = Field(ge=1)
    by_agency: dict[str, int] = Field(default_factory=dict)


class SurveyWave(CatalogModel):
    """One survey wave. ``closed_at``: when it closed (by an admin or past ``closes_on``)."""

    id: str
    fiscal_year: int
    name: Text
    opens_on: date
    closes_on: date
    items: tuple[SurveyItem, ...]
    status: WaveStatus = WaveStatus.OPEN
    created_at: datetime
    closed_at: datetime | None = None
    invitations: Invitations | None = None

    @property
    def overall_item(self) -> SurveyItem:
        return next(i for i in self.items if i.overall)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def due_to_close(self, now: datetime) -> bool:
        """True when the wave is open and ``closes_on`` has ended (UTC) by ``now``."""
        return self.status is WaveStatus.OPEN and now.astimezone(UTC).date() > self.closes_on


def wave_id(fiscal_year: int, name: str) -> str:
    """``fy2026-annual-survey`` for FY2026 "Annual survey": stable, readable, ≤ 48 chars."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:38].strip("-")
    return f"fy{fiscal_year}-{slug or 'wave'}"


def new_wave(
    fiscal_year: int,
    name: str,
    opens_on: date,
    closes_on: date,
    items: Sequence[SurveyItem],
    *,
    now: datetime,
) -> SurveyWave:
    """A new open wave; ``SurveyRejected`` naming every broken rule.

    Rules: a name; ``opens_on`` ≤ ``closes_on``; ``closes_on`` inside the fiscal year (1 Oct
    of ``fiscal_year``-1 to 30 Sep of ``fiscal_year``); 1..40 items with distinct ids and
    exactly one ``overall``.
    """
    problems: list[Problem] = []
    if not name.strip():
        problems.append(Problem("name", "give the wave a name, e.g. 'Annual survey'"))
    first, last = date(fiscal_year - 1, 10, 1), date(fiscal_year, 9, 30)
    if not first <= closes_on <= last:
        problems.append(
            Problem("closesOn", f"{closes_on} is outside FY{fiscal_year} ({first} to {last})")
        )
    if opens_on > closes_on:
        problems.append(Problem("opensOn", f"{opens_on} is after closesOn {closes_on}"))
    problems += _item_problems(items)
    if problems:
        raise SurveyRejected(problems)
    return SurveyWave(
        id=wave_id(fiscal_year, name),
        fiscal_year=fiscal_year,
        name=name.strip(),
        opens_on=opens_on,
        closes_on=closes_on,
        items=tuple(items),
        created_at=now,
    )


def _item_problems(items: Sequence[SurveyItem]) -> list[Problem]:
    if not 1 <= len(items) <= MAX_ITEMS:
        return [Problem("items", f"give 1 to {MAX_ITEMS} items, got {len(items)}")]
    problems = [
        Problem("items", f"item id '{i}' appears {n} times; item ids must be distinct")
        for i, n in Counter(item.id for item in items).items()
        if n > 1
    ]
    clash = sorted({item.id for item in items} & set(FIXED_COLUMNS))
    if clash:
        problems.append(Problem("items", f"item ids {clash} are reserved column names"))
    overall = [item.id for item in items if item.overall]
    if len(overall) != 1:
        problems.append(
            Problem("items", f"exactly one item must be the overall item; found {overall}")
        )
    return problems


def set_invitations(wave: SurveyWave, total: int, by_agency: Mapping[str, int]) -> SurveyWave:
    """The wave with invited counts; ``SurveyRejected`` for counts < 1 or agencies over total."""
    problems = [] if total >= 1 else [Problem("total", f"must be at least 1, got {total}")]
    problems += [
        Problem("byAgency", f"agency '{a}': invited count must be at least 1, got {n}")
        for a, n in by_agency.items()
        if n < 1
    ]
    if sum(by_agency.values()) > total:
        problems.append(Problem("byAgency", f"the agencies' counts add up to more than {total}"))
    if problems:
        raise SurveyRejected(problems)
    return wave.model_copy(update={"invitations": Invitations(total=total, by_agency=by_agency)})


def close_wave(wave: SurveyWave, now: datetime) -> SurveyWave:
    """The wave closed at ``now``; ``SurveyRejected`` if it is closed already."""
    if wave.status is WaveStatus.CLOSED:
        raise SurveyRejected([Problem("wave", f"wave '{wave.id}' closed at {wave.closed_at}")])
    return wave.model_copy(update={"status": WaveStatus.CLOSED, "closed_at": now})


def event_time(wave: SurveyWave) -> datetime:
    """When a closed wave's observations occurred: ``closes_on`` 12:00 UTC, or the close
    time when an admin closed it before then."""
    noon = datetime.combine(wave.closes_on, time(12), tzinfo=UTC)
    return noon if wave.closed_at is None else min(noon, wave.closed_at)


class SurveyResponse(CatalogModel):
    """One confidential response: no respondent identity, only what the results group by."""

    id: str
    wave: str
    role: str
    agency: str
    function: str
    provider: str | None = None
    ratings: dict[str, int]
    comment: str | None = None


@dataclass(frozen=True)
class OwedObservation:
    """One observation a closed wave owes the pipeline (the outbox makes it an event)."""

    event_id: str
    qsmo: str
    measure: str
    value: float
    occurred_at: datetime
    agency: str
    provider: str | None


def satisfaction_events(
    wave: SurveyWave, responses: Sequence[SurveyResponse], catalog: SurveyCatalog
) -> list[OwedObservation]:
    """The ``customer-satisfaction`` observations a closed wave owes, one per response:
    qsmo = the function's QSMO, the response's agency and provider, value = the overall
    rating, id ``survey:<wave>:<response id>``, dated ``event_time(wave)``."""
    occurred_at = event_time(wave)
    overall = wave.overall_item.id
    return [
        OwedObservation(
            event_id=f"survey:{wave.id}:{response.id}",
            qsmo=catalog.function(response.function).qsmo,
            measure=MEASURE,
            value=float(response.ratings[overall]),
            occurred_at=occurred_at,
            agency=response.agency,
            provider=response.provider,
        )
        for response in sorted(responses, key=lambda r: r.id)
    ]
