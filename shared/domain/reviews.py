"""Performance reviews (FRAMEWORK.md's Analyze step): the review, its cut-off and its states.

A review covers one fiscal quarter of one QSMO (``qsmo`` None: the government-wide review).
Its **cut-off** is the instant its packet reads the scorecards at (``scorecard(asOf: cut-off)``,
as reported then), so a restatement after it shows as a change in the next review, never as
a silent edit. States: ``DRAFT`` → ``READY`` (packet frozen and sent out) → ``HELD``
(the meeting took place; decisions and notes recorded).

Pure values and rules: no I/O, no clock (``now`` is an argument).
"""

from datetime import date, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from shared.api_keys import Person
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
    lease_until: datetime | None = None
    """While ``RENDERING``: a worker holds the job until then (a crashed worker's job is
    claimed again after it)."""
    retry_at: datetime | None = None
    """While ``PENDING`` after a failed attempt: not claimed before then (backoff)."""
    summary: str | None = None
    """The rendered packet's one-line summary (``RenderedPacket.summary``), for
    ``ReviewReady``."""


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
    person: Person | None = None
    """Taken with a sign-in token: the person (sub, name, issuer)."""


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
    created_by_person: Person | None = None
    """Created with a sign-in token: the person."""


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


# ---------------------------------------------------------------- rules of the review's steps

MAX_PACKET_ATTEMPTS = 3
"""A packet rendering that failed this many times stays ``FAILED`` (``rerenderReviewPacket``
asks again)."""


class ReviewRuleBroken(ValueError):  # noqa: N818 - a refusal, named for what it says
    """An argument breaks a review rule; ``field`` is the argument's GraphQL name."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def quarter_label(fiscal_year: int, quarter: int) -> str:
    return f"FY{fiscal_year} Q{quarter}"


def default_title(fiscal_year: int, quarter: int, scope_name: str | None) -> str:
    """``FY2025 Q2 performance review — Cybersecurity QSMO``; ``— government-wide`` for None."""
    scope = scope_name if scope_name is not None else "government-wide"
    return f"{quarter_label(fiscal_year, quarter)} performance review — {scope}"


def creation_cut_off(
    fiscal_year: int, quarter: int, cut_off: datetime | None, now: datetime
) -> datetime:
    """The cut-off of a new review.

    An ended quarter: ``cut_off`` (default ``now``), neither in the future nor before the
    quarter's end. A quarter in progress: only a DRAFT with cut-off ``now``, so a given
    ``cut_off`` is refused. Raises ``ReviewRuleBroken`` naming ``cutOff``.
    """
    now = to_utc(now)
    end = quarter_end(fiscal_year, quarter)
    label = quarter_label(fiscal_year, quarter)
    if not quarter_ended(fiscal_year, quarter, now):
        if cut_off is not None:
            raise ReviewRuleBroken(
                "cutOff",
                f"{label} has not ended (it ends {end.isoformat()}): a review of a quarter in "
                "progress is a DRAFT with cut-off now; omit cutOff",
            )
        return now
    if cut_off is None:
        return now
    return _checked_cut_off(to_utc(cut_off), end, now, label)


def _checked_cut_off(cut_off: datetime, end: datetime, now: datetime, label: str) -> datetime:
    if cut_off > now:
        raise ReviewRuleBroken(
            "cutOff",
            f"{cut_off.isoformat()} is in the future (now {now.isoformat()}); omit cutOff for "
            "now or give a past instant",
        )
    if cut_off < end:
        raise ReviewRuleBroken(
            "cutOff",
            f"{cut_off.isoformat()} is before {label} ended ({end.isoformat()}); a review "
            "reads its quarter as reported after the quarter's end",
        )
    return cut_off


def ready_cut_off(review: Review, cut_off: datetime | None, now: datetime) -> datetime:
    """The cut-off a DRAFT review is frozen at when it becomes READY.

    Refused (``id``) while its quarter has not ended. Then: ``cut_off`` if given (not in the
    future, not before the quarter's end), else the draft's if it was at/after the quarter's
    end, else ``now``.
    """
    now = to_utc(now)
    end = quarter_end(review.fiscal_year, review.quarter)
    label = quarter_label(review.fiscal_year, review.quarter)
    if review.state is not ReviewState.DRAFT:
        raise ReviewRuleBroken("id", f"review '{review.id}' is already {review.state.value}")
    if now < end:
        raise ReviewRuleBroken(
            "id",
            f"{label} has not ended (it ends {end.isoformat()}): review '{review.id}' can be "
            "made ready from then on",
        )
    if cut_off is not None:
        return _checked_cut_off(to_utc(cut_off), end, now, label)
    return review.cut_off if review.cut_off >= end else now


def clean_participants(participants: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Names with surrounding blanks removed; ``ReviewRuleBroken`` naming ``participants[i]``."""
    if len(participants) > MAX_PARTICIPANTS:
        raise ReviewRuleBroken(
            "participants", f"at most {MAX_PARTICIPANTS} participants, got {len(participants)}"
        )
    cleaned = []
    for index, name in enumerate(participants):
        text = name.strip()
        if not text or len(text) > MAX_TITLE:
            raise ReviewRuleBroken(
                f"participants[{index}]",
                f"a participant's name has 1 to {MAX_TITLE} characters, got {len(text)}",
            )
        cleaned.append(text)
    return tuple(cleaned)


def clean_text(value: str | None, field: str, limit: int) -> str | None:
    """``value`` stripped (None and blank: None); ``ReviewRuleBroken`` beyond ``limit``."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if len(text) > limit:
        raise ReviewRuleBroken(field, f"at most {limit} characters, got {len(text)}")
    return text


def new_review(
    *,
    qsmo: str | None,
    fiscal_year: int,
    quarter: int,
    title: str,
    meeting_date: date,
    participants: tuple[str, ...],
    stakeholder_lists: tuple[str, ...],
    cut_off: datetime,
    previous_review_id: str | None,
    now: datetime,
    by: str,
    person: Person | None = None,
) -> Review:
    """A DRAFT review whose preview packet is asked for (version 1, PENDING); ``person``:
    who signed in, when ``by`` is a sign-in token's id."""
    return Review(
        id=review_id(qsmo, fiscal_year, quarter),
        qsmo=qsmo,
        fiscal_year=fiscal_year,
        quarter=quarter,
        title=title,
        meeting_date=meeting_date,
        participants=participants,
        stakeholder_lists=stakeholder_lists,
        cut_off=cut_off,
        created_at=now,
        created_by=by,
        created_by_person=person,
        updated_at=now,
        history=(ReviewStep(state=ReviewState.DRAFT, at=now, by=by, person=person),),
        previous_review_id=previous_review_id,
        packet=PacketInfo(version=1, requested_at=now),
    )


def _changed(review: Review, now: datetime, **update: object) -> Review:
    return review.model_copy(update={**update, "updated_at": now, "revision": review.revision + 1})


def packet_requested(review: Review, now: datetime) -> Review:
    """The review with a new rendering of its packet asked for (the next version)."""
    packet = PacketInfo(version=review.packet.version + 1, requested_at=now)
    return _changed(review, now, packet=packet)


def made_ready(
    review: Review,
    cut_off: datetime,
    previous_review_id: str | None,
    now: datetime,
    by: str,
    person: Person | None = None,
) -> Review:
    """The DRAFT review READY at ``cut_off`` (from ``ready_cut_off``), its frozen packet
    asked for."""
    step = ReviewStep(state=ReviewState.READY, at=now, by=by, person=person)
    ready = review.model_copy(
        update={
            "state": ReviewState.READY,
            "cut_off": cut_off,
            "previous_review_id": previous_review_id,
            "history": (*review.history, step),
        }
    )
    return packet_requested(ready, now)


def held(
    review: Review,
    decisions: tuple[ReviewDecision, ...],
    notes: str | None,
    now: datetime,
    by: str,
    person: Person | None = None,
) -> Review:
    """The READY review HELD with the meeting's decisions and notes; a HELD one amended
    (another history step, noted ``amended``). Refused (``id``) for a DRAFT."""
    if review.state is ReviewState.DRAFT:
        raise ReviewRuleBroken(
            "id", f"review '{review.id}' is a DRAFT: make it ready before recording its meeting"
        )
    note = "amended" if review.state is ReviewState.HELD else None
    step = ReviewStep(state=ReviewState.HELD, at=now, by=by, note=note, person=person)
    return _changed(
        review,
        now,
        state=ReviewState.HELD,
        decisions=decisions,
        notes=notes,
        history=(*review.history, step),
    )


def rerender_allowed(review: Review) -> None:
    """A DRAFT's packet may be rendered again, and any FAILED packet; a READY or HELD
    review's packet is frozen (``ReviewRuleBroken`` naming ``id``)."""
    if review.state is ReviewState.DRAFT or review.packet.status is PacketStatus.FAILED:
        return
    raise ReviewRuleBroken(
        "id",
        f"review '{review.id}' is {review.state.value}: its packet is frozen "
        f"({review.packet.status.value}); only a DRAFT's or a FAILED packet is rendered again",
    )


def packet_done(
    packet: PacketInfo, pages: int, sha256: dict[str, str], summary: str, built_at: datetime
) -> PacketInfo:
    return packet.model_copy(
        update={
            "status": PacketStatus.DONE,
            "pages": pages,
            "summary": summary,
            "sha256": sha256,
            "built_at": built_at,
            "error": None,
            "lease_until": None,
            "retry_at": None,
        }
    )


def packet_failed(packet: PacketInfo, error: str, now: datetime, backoff: timedelta) -> PacketInfo:
    """One more failed attempt: retried after ``backoff`` × 2^(attempts-1), ``FAILED`` with
    ``error`` after ``MAX_PACKET_ATTEMPTS``."""
    attempts = packet.attempts + 1
    final = attempts >= MAX_PACKET_ATTEMPTS
    return packet.model_copy(
        update={
            "status": PacketStatus.FAILED if final else PacketStatus.PENDING,
            "attempts": attempts,
            "error": error[:MAX_TEXT],
            "lease_until": None,
            "retry_at": None if final else now + backoff * 2 ** (attempts - 1),
        }
    )
