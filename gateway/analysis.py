"""The Analyze and Adjust steps: commentary on a measure and improvement actions.

Plain values and rules, no I/O. The gateway owns these (collections ``gateway_commentary``
and ``gateway_improvement_actions``); publishers write them for their own QSMO, admins for
any. Times come in as arguments.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.api_keys import Person

MAX_TEXT = 5000
MAX_TITLE = 200


class ActionStatus(StrEnum):
    """Where an improvement action stands.

    ``DRAFT``: opened by the Adjust loop (``gateway.reviews.adjust_loop``), not yet confirmed
    by a person; it is not closed (it counts as the measure's action), and a person confirms
    it (→ ``OPEN`` or ``IN_PROGRESS``) or cancels it. Nobody moves an action back to DRAFT.
    """

    DRAFT = "DRAFT"
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"

    @property
    def closed(self) -> bool:
        return self in (ActionStatus.DONE, ActionStatus.CANCELLED)


class Commentary(BaseModel):
    """A note on a measure's performance for a fiscal year (the Analyze step)."""

    model_config = ConfigDict(frozen=True)

    id: str
    qsmo: str
    measure: str
    fiscal_year: int
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    author: str
    created_at: datetime
    author_person: Person | None = None
    """Written with a sign-in token: the person (sub, name, issuer)."""


class StatusChange(BaseModel):
    """One status change of an action: who, when, from what to what, and why."""

    model_config = ConfigDict(frozen=True)

    from_status: ActionStatus | None
    to_status: ActionStatus
    at: datetime
    by: str
    note: str | None = None
    by_person: Person | None = None
    """Changed with a sign-in token: the person."""


ActionOrigin = Literal["person", "adjust-loop"]
"""Who opened an action: a person (GraphQL), or the Adjust loop (a DRAFT)."""


class ImprovementAction(BaseModel):
    """A corrective action for a measure (the Adjust step), with its status history.

    ``origin`` says who opened it; an ``adjust-loop`` action carries ``origin_reason`` (why:
    "RED at FY2025 Q1 and Q2 ends", or the notification) and ``review_id`` (the review it was
    attached to when drafted, or None: the next review picks it up by ``created_at``).
    ``overdue_announced`` is the due date for which ``ImprovementActionOverdue`` was published
    (one message per action and due date).
    """

    model_config = ConfigDict(frozen=True)

    id: str
    qsmo: str
    measure: str
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    owner: str = Field(min_length=1, max_length=MAX_TITLE)
    due_date: date
    status: ActionStatus = ActionStatus.OPEN
    created_at: datetime
    created_by: str
    updated_at: datetime
    revision: int = 1
    history: tuple[StatusChange, ...] = ()
    origin: ActionOrigin = "person"
    origin_reason: str | None = Field(default=None, max_length=MAX_TEXT)
    review_id: str | None = None
    overdue_announced: date | None = None
    created_by_person: Person | None = None
    """Opened with a sign-in token: the person."""

    def overdue(self, today: date) -> bool:
        """Not closed (draft, open or in progress) after its due date."""
        return not self.status.closed and self.due_date < today

    def with_status(
        self,
        status: ActionStatus,
        at: datetime,
        by: str,
        note: str | None,
        by_person: Person | None = None,
    ) -> "ImprovementAction":
        """The action after a status change; ValueError if it already has that status, or
        for a change back to DRAFT (only the Adjust loop drafts actions)."""
        if status is self.status:
            raise ValueError(f"the action is already {status.value}")
        if status is ActionStatus.DRAFT:
            raise ValueError(
                "an action cannot be moved back to DRAFT; use OPEN, IN_PROGRESS, DONE or CANCELLED"
            )
        change = StatusChange(
            from_status=self.status, to_status=status, at=at, by=by, note=note, by_person=by_person
        )
        return self.model_copy(
            update={
                "status": status,
                "updated_at": at,
                "revision": self.revision + 1,
                "history": (*self.history, change),
            }
        )


def clean_text(text: str, field: str, limit: int) -> str:
    """``text`` stripped; ValueError naming ``field`` if empty or longer than ``limit``."""
    stripped = text.strip()
    if not stripped:
        raise ValueError(f"'{field}' must not be empty")
    if len(stripped) > limit:
        raise ValueError(f"'{field}' is {len(stripped)} characters; at most {limit} are allowed")
    return stripped
