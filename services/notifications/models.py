"""The notifications service's values as the read model and the gateway see them.

Plain frozen pydantic models, no I/O: a stored notification, a subscription (never with its
secret) and a delivery.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}
NotificationState = Literal["raised", "resolved"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
Level = Literal["measure", "dimension", "overall"]
DeliveryMode = Literal["IMMEDIATE", "DAILY_DIGEST"]
DeliveryKind = Literal["notification", "digest", "review"]
DeliveryChannel = Literal["webhook", "email"]
StakeholderListKind = Literal["OMB", "OSSPI", "SSGB", "FMSC", "QSMO_LEADERSHIP", "OTHER"]
STAKEHOLDER_LIST_KINDS: tuple[StakeholderListKind, ...] = (
    "OMB",
    "OSSPI",
    "SSGB",
    "FMSC",
    "QSMO_LEADERSHIP",
    "OTHER",
)


class Notification(BaseModel):
    """A raised notification; ``state`` turns ``resolved`` when its condition clears."""

    model_config = ConfigDict(frozen=True)

    id: str
    rule: str
    severity: Severity
    state: NotificationState
    qsmo: str | None
    dimension: str | None = None
    measure: str | None = None
    fiscal_year: int | None = None
    scorecard_id: str | None = None
    level: Level | None = None
    message: str
    links: dict[str, str] = Field(default_factory=dict)
    raised_at: datetime
    resolved_at: datetime | None = None
    resolution_message: str | None = None
    suppressed_flaps: int = 0
    """Re-raises of the condition within the cooldown that were suppressed."""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    changed_measures: tuple[str, ...] = ()
    """The measures a ``restated`` notification names (empty for the other rules)."""


class Subscription(BaseModel):
    """Who hears which notifications, and where. The secret is never part of this model."""

    model_config = ConfigDict(frozen=True)

    id: str
    qsmo: str | None
    dimension: str | None = None
    measure: str | None = None
    min_severity: Severity = "warning"
    channel: Literal["webhook"] = "webhook"
    url: str
    created_at: datetime
    created_by: str
    delivery: DeliveryMode = "IMMEDIATE"
    """``IMMEDIATE``: one webhook per notification state; ``DAILY_DIGEST``: one webhook a
    UTC day with the day's notifications (``digest.py``)."""


class Delivery(BaseModel):
    """One notification state sent to one subscription: pending → delivered or failed."""

    model_config = ConfigDict(frozen=True)

    id: str
    """The ``X-QSMO-Delivery-Id``: the same on every attempt (receivers deduplicate on it)."""
    notification_id: str
    notification_state: NotificationState
    subscription_id: str
    qsmo: str | None
    url: str
    status: DeliveryStatus
    attempts: int
    max_attempts: int
    last_error: str | None = None
    last_status_code: int | None = None
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    kind: DeliveryKind = "notification"
    digest_date: str | None = None
    """The UTC day (ISO) a ``digest`` delivery carries; ``notification_id`` is then
    ``digest:<day>``."""
    channel: DeliveryChannel = "webhook"
    recipient: str | None = None
    """The email address (``email``) or the URL (``webhook``; None on deliveries stored
    before revision 3: ``url`` holds it)."""

    @property
    def to(self) -> str:
        """Where the delivery goes: the recipient, else the URL."""
        return self.recipient or self.url


class StakeholderMember(BaseModel):
    """One person on a stakeholder list (name and email address: personal data)."""

    model_config = ConfigDict(frozen=True)

    name: str
    address: str


class StakeholderList(BaseModel):
    """Who gets a ready review's packet by email (managed by admins).

    ``qsmo``: a QSMO's leadership list (that QSMO's reviews); None: every review.
    ``attach_pdf``: attach the packet's PDF, else send a link to it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    kind: StakeholderListKind
    qsmo: str | None = None
    members: tuple[StakeholderMember, ...] = ()
    attach_pdf: bool = True
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
