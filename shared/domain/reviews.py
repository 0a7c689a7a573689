"""Performance reviews (FRAMEWORK.md's Analyze step): the review, its cut-off and its states.

A review covers one fiscal quarter of one QSMO (``qsmo`` None: the government-wide review).
Its **cut-off** is the instant its packet reads the scorecards at (``scorecard(asOf: cut-off)``,
as reported then), so a restatement after it shows as a change in the next review, never as
a silent edit. States: ``DRAFT`` → ``READY`` (packet frozen and sent out) → ``HELD``
(the meeting took place; decisions and notes recorded).

Pure values and rules: no I/O, no clock (``now`` is an argument).
"""

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.fiscal import fiscal_quarter_period, to_utc
from shared.events import GOVERNMENT

MAX_PARTICIPANTS = 100
MAX_TEXT = 5000
MAX_TITLE = 200


class ReviewState(StrEnum):
    DRAFT = "DRAFT"
    READY = "READY"
    HELD = "HELD"


class PacketStatus(StrEnum):
    """Where a review's packet stands: asked for, being rendered, stored, or failed."""

    PENDING = "PENDING"
    RENDERING = "RENDERING"
    DONE = "DONE"
    FAILED = "FAILED"


class PacketInfo(BaseModel):
    """The review's latest packet: ``version`` counts renderings (a DRAFT may be rendered as a
    preview; READY renders the frozen one). ``sha256`` by format (``pdf``, ``xlsx``, ``csv``)."""

    model_config = ConfigDict(frozen=True)

    status: PacketStatus = PacketStatus.PENDING
    version: int = 0
    requested_at: datetime | None = None
    built_at: datetime | None = None
    pages: int | None = None
    sha256: dict[str, str] = Field(default_factory=dict)
    error: str | None = None
    attempts: int = 0


class ReviewDecision(BaseModel):
    """A decision recorded at the meeting (free text, optional owner and due date)."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1, max_length=MAX_TEXT)
    owner: str | None = Field(default=None, max_length=MAX_TITLE)
    due_date: date | None = None


class ReviewStep(BaseModel):
    """One step of a review's history: who moved it to which state, when."""

    model_config = ConfigDict(frozen=True)

    state: ReviewState
    at: datetime
    by: str
    note: str | None = None


class Review(BaseModel):
    """One performance review; ``id`` is ``review_id(qsmo, fiscal_year, quarter)``."""

    model_config = ConfigDict(frozen=True)

    id: str
    qsmo: str | None
    fiscal_year: int
    quarter: int = Field(ge=1, le=4)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    meeting_date: date
    participants: tuple[str, ...] = ()
    stakeholder_lists: tuple[str, ...] = ()
    """Ids of the stakeholder lists the READY packet is sent to."""
    cut_off: datetime
    state: ReviewState = ReviewState.DRAFT
    created_at: datetime
    created_by: str
    updated_at: datetime
    revision: int = 1
    history: tuple[ReviewStep, ...] = ()
    decisions: tuple[ReviewDecision, ...] = ()
    notes: str | None = Field(default=None, max_length=MAX_TEXT)
    previous_review_id: str | None = None
    """The same scope's review with the latest cut-off before this one's (what changed since)."""
    packet: PacketInfo = PacketInfo()
    announced: bool = False
    """``ReviewReady`` was published (once per review)."""


def review_id(qsmo: str | None, fiscal_year: int, quarter: int) -> str:
    """``FY2025-Q2|cybersecurity``; ``FY2025-Q2|government`` for the government-wide review.

    One review per scope and quarter: a second ``createReview`` for it is a ``CONFLICT``."""
    return f"FY{fiscal_year}-Q{quarter}|{qsmo or GOVERNMENT}"


def quarter_end(fiscal_year: int, quarter: int) -> datetime:
    """The instant the quarter ends (the first instant of the next quarter, UTC)."""
    return fiscal_quarter_period(fiscal_year, quarter).end


def quarter_ended(fiscal_year: int, quarter: int, now: datetime) -> bool:
    return to_utc(now) >= quarter_end(fiscal_year, quarter)


def previous_quarter(fiscal_year: int, quarter: int) -> tuple[int, int]:
    """The quarter before (FY2025 Q1 → FY2024 Q4)."""
    return (fiscal_year - 1, 4) if quarter == 1 else (fiscal_year, quarter - 1)
