"""The customer-satisfaction survey as GraphQL types (rev. 2), apart from the stored models.

``SurveyWave`` (``from_model``), results per group (``SurveyResults``: a withheld group has
``withheld: true``, its reason, and no figures), comments, what an import did, and the inputs
of the survey's mutations. ``translated_refusals`` turns the tool's refusals into the
gateway's coded errors, every problem listed in ``extensions.problems``.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum

import strawberry
from pydantic import ValidationError

from gateway.context import Info
from gateway.errors import BadUserInputError, ForbiddenError, NotFoundError
from gateway.provider_tools.surveys import ResponsesAdded, SurveyNotFoundError
from gateway.schema import fields
from shared.authorization import PermissionDenied
from shared.domain import survey as model
from shared.domain.survey_disclosure import Dimension
from shared.domain.survey_results import GroupResult


@strawberry.enum(description="What survey results are grouped by.")
class SurveyGroupBy(Enum):
    ROLE = "role"
    AGENCY = "agency"
    FUNCTION = "function"
    PROVIDER = "provider"

    def to_model(self) -> Dimension:
        return Dimension(self.value)


@strawberry.enum(description="Whether a wave takes responses (OPEN) or is closed.")
class SurveyWaveStatus(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.type(description="One survey question, rated 1 (lowest) to 5 (highest).")
class SurveyItem:
    id: strawberry.ID
    text: str
    overall: bool = strawberry.field(
        description="The overall-satisfaction item (one per wave): it feeds "
        "`customer-satisfaction`."
    )

    @classmethod
    def from_model(cls, item: model.SurveyItem) -> "SurveyItem":
        return cls(id=strawberry.ID(item.id), text=item.text, overall=item.overall)


@strawberry.input(description="One item of a new wave: an id (lower-case), its text, overall.")
class SurveyItemInput:
    id: strawberry.ID
    text: str
    overall: bool = False

    def to_model(self, position: int = 0) -> model.SurveyItem:
        """The item; ``SurveyRejected`` naming ``items[position]`` for a bad id or text."""
        try:
            return model.SurveyItem(id=str(self.id), text=self.text, overall=self.overall)
        except ValidationError:
            message = (
                f"item '{str(self.id)[:40]}': give an id of lower-case letters, digits, '-' or "
                "'_' (up to 32, starting with a letter) and a non-empty text"
            )
            raise model.SurveyRejected([model.Problem(f"items[{position}]", message)]) from None


@strawberry.type(description="How many people of one agency were invited.")
class SurveyAgencyCount:
    agency: strawberry.ID
    invited: int


@strawberry.input(description="How many people of one agency (a catalog agency id) were invited.")
class SurveyAgencyCountInput:
    agency: strawberry.ID
    invited: int


@strawberry.type(description="Invited counts an admin gave: they make response rates.")
class SurveyInvitations:
    total: int
    by_agency: list[SurveyAgencyCount]


@strawberry.type(
    description="A customer-satisfaction survey wave: its dates, items and, once closed, "
    "its results (`surveyResults`)."
)
class SurveyWave:
    id: strawberry.ID
    fiscal_year: int
    name: str
    opens_on: date
    closes_on: date = strawberry.field(
        description="The last day responses are taken; the wave closes automatically after it."
    )
    items: list[SurveyItem]
    status: SurveyWaveStatus
    created_at: datetime
    closed_at: datetime | None
    invitations: SurveyInvitations | None

    @fields.field(description="How many responses the wave holds so far (a count only).")
    async def response_count(self, info: Info) -> int:
        tool = info.context.runtime.tools.surveys
        return len(await tool.store.responses(await tool.stored(self.id)))

    @classmethod
    def from_model(cls, wave: model.SurveyWave) -> "SurveyWave":
        invited = wave.invitations
        return cls(
            id=strawberry.ID(wave.id),
            fiscal_year=wave.fiscal_year,
            name=wave.name,
            opens_on=wave.opens_on,
            closes_on=wave.closes_on,
            items=[SurveyItem.from_model(i) for i in wave.items],
            status=SurveyWaveStatus(wave.status.value),
            created_at=wave.created_at,
            closed_at=wave.closed_at,
            invitations=None
            if invited is None
            else SurveyInvitations(
                total=invited.total,
                by_agency=[
                    SurveyAgencyCount(agency=strawberry.ID(a), invited=n)
                    for a, n in sorted(invited.by_agency.items())
                ],
            ),
        )


@strawberry.type(description="One item's mean rating (1..5) in a group.")
class SurveyItemMean:
    item_id: strawberry.ID
    mean: float


@strawberry.type(
    description="One group's results. Withheld (fewer than 5 respondents, or so that such a "
    "group cannot be computed from the published figures): `withheld` true, the reason, and "
    "no figures."
)
class SurveyGroupResult:
    value: str | None = strawberry.field(
        description="The group's role, agency, function or provider id; null for a total."
    )
    label: str = strawberry.field(description="A readable name for the group.")
    withheld: bool
    withheld_reason: str | None
    respondents: int | None
    response_rate: float | None = strawberry.field(
        description="Respondents ÷ invited (0..1), when an admin gave the invited counts "
        "(the wave's total and by agency)."
    )
    item_means: list[SurveyItemMean]
    overall_mean: float | None = strawberry.field(
        description="The overall-satisfaction item's mean (what `customer-satisfaction` counts)."
    )

    @classmethod
    def from_model(
        cls, group: GroupResult, wave: model.SurveyWave, labels: Mapping[str, str]
    ) -> "SurveyGroupResult":
        value = group.key.value if group.key.dimension is not None else None
        return cls(
            value=value,
            label="All respondents" if value is None else labels.get(value, value),
            withheld=group.withheld is not None,
            withheld_reason=None if group.withheld is None else group.withheld.value,
            respondents=group.respondents,
            response_rate=group.response_rate,
            item_means=[
                SurveyItemMean(item_id=strawberry.ID(i), mean=m)
                for i, m in group.item_means.items()
            ],
            overall_mean=group.item_means.get(wave.overall_item.id),
        )


@strawberry.type(
    description="A closed wave's results: the total (of the wave, or of one provider's "
    "responses) and the groups asked for, with disclosure control over every query."
)
class SurveyResults:
    wave: SurveyWave
    group_by: SurveyGroupBy | None
    provider_id: strawberry.ID | None
    total: SurveyGroupResult
    groups: list[SurveyGroupResult]


@strawberry.type(description="A respondent's free-text comment (no respondent identity).")
class SurveyComment:
    text: str
    provider_id: strawberry.ID | None = strawberry.field(
        description="The provider the response was about, if any."
    )


@strawberry.type(description="What one import or web-form answer stored.")
class SurveyResponsesAdded:
    wave_id: strawberry.ID
    received: int = strawberry.field(description="Responses in the request.")
    stored: int = strawberry.field(description="Responses newly stored.")
    already_stored: int = strawberry.field(
        description="Responses stored before (same response id: a re-import or a resent form)."
    )

    @classmethod
    def from_model(cls, added: ResponsesAdded) -> "SurveyResponsesAdded":
        return cls(
            wave_id=strawberry.ID(added.wave),
            received=added.received,
            stored=added.stored,
            already_stored=added.already_stored,
        )


@strawberry.input(description="One item's rating, a whole number 1..5.")
class SurveyRatingInput:
    item: strawberry.ID
    rating: int


@strawberry.input(
    description="One response from a web form: role, agency, function, the provider if any, "
    "a rating for every item of the wave, an optional comment. No respondent identity."
)
class SurveyResponseInput:
    role: str
    agency: str
    function: str
    ratings: list[SurveyRatingInput]
    provider: strawberry.ID | None = None
    comment: str | None = None
    response_id: str | None = strawberry.field(
        default=None,
        description="The form's own id for this answer: resending it stores nothing twice.",
    )

    def cells(self) -> dict[str, str | None]:
        """The answer as the import's cells (column → text)."""
        cells: dict[str, str | None] = {
            "role": self.role,
            "agency": self.agency,
            "function": self.function,
            "provider": self.provider,
            "comment": self.comment,
            "response_id": self.response_id,
        }
        for rating in self.ratings:
            cells[str(rating.item).strip().lower()] = str(rating.rating)
        return cells


@strawberry.type(description="A respondent role, function or similar catalog entry.")
class SurveyCatalogEntry:
    id: strawberry.ID
    name: str
    qsmo_id: strawberry.ID | None = strawberry.field(
        description="For a function: the QSMO whose `customer-satisfaction` it feeds."
    )


@strawberry.type(description="The survey catalog: roles, functions and the default items.")
class SurveyCatalog:
    version: str
    roles: list[SurveyCatalogEntry]
    functions: list[SurveyCatalogEntry]
    default_items: list[SurveyItem]

    @classmethod
    def from_model(cls, catalog: model.SurveyCatalog) -> "SurveyCatalog":
        return cls(
            version=catalog.version,
            roles=[
                SurveyCatalogEntry(id=strawberry.ID(r.id), name=r.name, qsmo_id=None)
                for r in catalog.roles
            ],
            functions=[
                SurveyCatalogEntry(
                    id=strawberry.ID(f.id), name=f.name, qsmo_id=strawberry.ID(f.qsmo)
                )
                for f in catalog.functions
            ],
            default_items=[SurveyItem.from_model(i) for i in catalog.default_items],
        )


@contextmanager
def translated_refusals() -> Iterator[None]:
    """The survey tool's refusals as coded errors: BAD_USER_INPUT (``extensions.problems``:
    field, row, message of each), NOT_FOUND, FORBIDDEN."""
    try:
        yield
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message) from None
    except SurveyNotFoundError as missing:
        raise NotFoundError(str(missing), field="wave") from None
    except model.SurveyRejected as rejected:
        problems = [
            {"field": p.field, "row": p.row, "message": p.message} for p in rejected.problems
        ]
        raise BadUserInputError(
            str(rejected), field=rejected.problems[0].field, problems=problems
        ) from None
