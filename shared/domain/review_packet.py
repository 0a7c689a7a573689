"""A review packet's content: what it is assembled from, and the tables every rendering shows.

``PacketInputs`` is everything a packet is made of, gathered at the review's cut-off by the
gateway (``gateway.reviews.packet_inputs``): the scorecard as reported then, what changed
since the previous review, monthly trends, commentary, improvement actions with their status
history, survey waves closed in the quarter, open revision proposals. ``assemble_packet``
(``shared.domain.review_packet_assembly``) turns them into a ``PacketContent``: sections of
tables and charts that the PDF, XLSX and CSV renderings all show, cell for cell.

Figures are kept as ``Quantity`` (number + unit) and formatted by one function,
``format_value``, wherever they are shown as text. Pure values: no I/O, no clock.
"""

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict

NO_VALUE = "—"
SCORE_UNIT = "score 0–100"
"""The unit of dimension and overall scores (one decimal)."""
STATUSES = ("GREEN", "AMBER", "RED", "NO_DATA")


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True)


# ---------------------------------------------------------------- inputs (as at the cut-off)


class MeasureFigures(_Value):
    """One measure as the scorecard reported it at the cut-off (``services.scorecard``'s
    ``MeasureView``, in the packet's own terms). ``qsmo_counts``: government-wide only,
    (GREEN, AMBER, RED, NO_DATA) counts of the participating QSMOs."""

    id: str
    name: str
    unit: str
    aggregation: str
    dimension: str
    value: float | None
    target: float
    annual_target: float
    attainment: float | None
    status: str
    weight: float
    active: bool
    baseline: float | None
    last_year_value: float | None
    events: int
    restated: int
    last_event_at: datetime | None
    stale: bool
    reporting_frequency_days: int
    qsmo_counts: tuple[int, int, int, int] | None = None


class DimensionFigures(_Value):
    id: str
    name: str
    score: float | None
    status: str
    weight: float
    active: bool
    measures: tuple[MeasureFigures, ...]


class ScorecardFigures(_Value):
    """The scorecard version in force at the cut-off, judged at the cut-off."""

    version: int
    computed_at: datetime
    overall_score: float | None
    overall_status: str
    open: bool
    elapsed_share: float
    dimensions: tuple[DimensionFigures, ...]

    @property
    def measures(self) -> tuple[MeasureFigures, ...]:
        return tuple(m for d in self.dimensions for m in d.measures)


class MeasureChange(_Value):
    id: str
    name: str
    unit: str
    old_value: float | None
    new_value: float | None
    old_status: str
    new_status: str
    causes: tuple[str, ...]


class DimensionChange(_Value):
    id: str
    name: str
    old_score: float | None
    new_score: float | None
    old_status: str
    new_status: str


class Changes(_Value):
    """What changed between the previous review's cut-off and this one's (``ScorecardDiff``)."""

    previous_review_id: str
    previous_cut_off: datetime
    from_version: int | None
    to_version: int | None
    old_overall_score: float | None
    new_overall_score: float | None
    old_overall_status: str
    new_overall_status: str
    measures: tuple[MeasureChange, ...]
    causes: tuple[str, ...]
    dimensions: tuple[DimensionChange, ...] = ()


class TrendPoint(_Value):
    """One month of a measure's fiscal year: ``label`` ``2025-01``, ``value`` None without data."""

    label: str
    value: float | None


class Trend(_Value):
    measure: str
    points: tuple[TrendPoint, ...]
    after_cut_off: bool = False
    """Some month shown holds data received after the cut-off (the stored monthly values are
    today's; the table's figures are the cut-off's)."""


class Note(_Value):
    """The latest commentary on a measure for the fiscal year."""

    qsmo: str
    measure: str
    text: str
    author: str
    created_at: datetime


class ActionStep(_Value):
    at: datetime
    from_status: str | None
    to_status: str


class ActionRecord(_Value):
    """An improvement action with its status history (its status at any instant follows)."""

    id: str
    qsmo: str
    measure: str
    title: str
    owner: str
    due_date: date
    status: str
    created_at: datetime
    history: tuple[ActionStep, ...] = ()
    origin: str = "person"

    def status_at(self, at: datetime) -> str | None:
        """The status in force at ``at``; None when the action did not exist yet."""
        if self.created_at > at:
            return None
        passed = [s for s in self.history if s.at <= at]
        if passed:
            return passed[-1].to_status
        first = self.history[0].from_status if self.history else None
        return first or self.status


class SurveyGroup(_Value):
    label: str
    respondents: int | None
    mean: float | None
    withheld: str | None = None


class SurveyHighlight(_Value):
    """A survey wave that closed in the quarter: its published figures only."""

    wave_id: str
    name: str
    closed_on: date
    respondents: int | None
    response_rate: float | None
    overall_mean: float | None
    groups: tuple[SurveyGroup, ...] = ()


class ProposalRecord(_Value):
    id: str
    qsmo: str | None
    measure: str
    kind: str
    proposed_value: float
    unit: str
    rationale: str


class PacketInputs(_Value):
    """Everything one packet is made of; the same inputs always give the same packet."""

    review_id: str
    title: str
    qsmo: str | None
    scope_name: str
    fiscal_year: int
    quarter: int
    quarter_start: date
    quarter_last_day: date
    meeting_date: date
    participants: tuple[str, ...]
    cut_off: datetime
    draft: bool
    scorecard: ScorecardFigures | None
    previous_review_id: str | None = None
    previous_cut_off: datetime | None = None
    changes: Changes | None = None
    trends: tuple[Trend, ...] = ()
    notes: tuple[Note, ...] = ()
    actions: tuple[ActionRecord, ...] = ()
    surveys: tuple[SurveyHighlight, ...] = ()
    proposals: tuple[ProposalRecord, ...] | None = None
    """None: revision proposals are not available to this gateway (no section)."""


# ---------------------------------------------------------------- content (what is shown)


class Quantity(_Value):
    """A figure in a measure's unit; shown as ``format_value(unit, value)``."""

    value: float | None
    unit: str

    def text(self) -> str:
        return format_value(self.unit, self.value)


Cell = str | int | float | date | Quantity | None


class Table(_Value):
    """One table; spreadsheets put every table of a ``sheet`` on that sheet, each row with
    the table's ``context`` cells in front (e.g. the dimension of a dimension page's rows)."""

    sheet: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    context: tuple[tuple[str, str], ...] = ()
    empty: str = "None."


class Chart(_Value):
    """A measure's monthly trend; ``target`` a level line (None for ``sum`` measures, whose
    target is for the whole year, not a month)."""

    measure: str
    title: str
    unit: str
    points: tuple[TrendPoint, ...]
    target: float | None
    alt: str
    note: str | None = None


class Section(_Value):
    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    charts: tuple[Chart, ...] = ()


class PacketContent(_Value):
    review_id: str
    title: str
    draft: bool
    cut_off: datetime
    cover: tuple[tuple[str, str], ...]
    summary: str
    sections: tuple[Section, ...]

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(t for s in self.sections for t in s.tables)


# ---------------------------------------------------------------- formatting (one place)


def format_value(unit: str, value: float | None) -> str:
    """A figure as every rendering shows it as text: ``—`` without a value; ``%`` units one
    decimal (``87.5%``); scores (``SCORE_UNIT``) one decimal (``62.5``); ``USD`` whole
    dollars with separators (``$1,250,000``); ``score`` units two decimals (``4.20``);
    counts with separators, one decimal when not whole (``1,234``, ``12.5``)."""
    if value is None:
        return NO_VALUE
    if unit.startswith("%"):
        return f"{value:.1f}%"
    if unit == SCORE_UNIT:
        return f"{value:.1f}"
    if unit == "USD":
        sign = "-" if value < 0 else ""
        return f"{sign}${abs(value):,.0f}"
    if unit.startswith("score"):
        return f"{value:.2f}"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def format_score(score: float | None) -> str:
    """A dimension or overall score (0-100): one decimal, ``—`` without one."""
    return format_value(SCORE_UNIT, score)


def format_status(status: str) -> str:
    """``GREEN``, ``AMBER``, ``RED``; ``NO_DATA`` reads ``NO DATA``."""
    return status.replace("_", " ")


def format_instant(at: datetime | None) -> str:
    """``2025-04-02 14:00:05 UTC`` (the instant in UTC, to the second); ``—`` for None."""
    if at is None:
        return NO_VALUE
    utc = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return utc.strftime("%Y-%m-%d %H:%M:%S UTC")


def cell_text(cell: Cell) -> str:
    """A cell as text (the PDF's rendering of every cell; the CSV's of non-numeric ones)."""
    if cell is None:
        return ""
    if isinstance(cell, Quantity):
        return cell.text()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float):
        return f"{cell:g}"
    return str(cell)
