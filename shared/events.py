"""Messages on the platform's Kafka topics, each with a ``schema_version``.

``PerformanceEvent`` is docs/ingest.md's *The event* as a model: one observation pushed by a
QSMO system. ``AcceptedEvent`` is what ingest publishes on ``qsmo.events.v1`` once the event
has passed validation: the event plus when and in which request ingest accepted it.
"""

from datetime import date, datetime
from typing import Annotated, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

EVENT_SCHEMA_VERSION: Literal[2] = 2
"""The version of ``PerformanceEvent`` ingest writes and documents (docs/ingest.md).

1: the original event. 2 (rev. 2, tiers below the QSMO): adds the optional ``provider``.
Both are accepted. The version is informative: a version-1 event may carry ``provider`` too
(it is validated the same way), and an event without ``provider`` is valid in either.
"""
SUPPORTED_EVENT_SCHEMA_VERSIONS: tuple[int, ...] = (1, 2)

Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")
]
"""A catalog id: lower-case letters, digits and dashes (``financial-management``)."""

EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:/@+=-]+$")
]
"""A client-chosen event id: 1–128 printable characters without spaces (a UUID is ideal)."""

AttributeName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]
AttributeValue = Annotated[str, StringConstraints(max_length=1024)] | bool | int | float

MAX_ATTRIBUTES = 50


class PerformanceEvent(BaseModel):
    """One observation of one measure for one QSMO (docs/ingest.md, *The event*).

    ``event_id`` is the idempotency key: it counts at most once, forever (first one wins).
    Types are strict: a number must be a JSON number, a timestamp an RFC 3339 string with
    an offset. Catalog rules (known measure, value range, time window) are checked by
    ``shared.domain.validation``, not here.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    schema_version: Literal[1, 2] = EVENT_SCHEMA_VERSION
    event_id: EventId
    qsmo: Identifier
    measure: Identifier
    value: float
    occurred_at: AwareDatetime
    agency: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    provider: Identifier | None = None
    """The shared service provider that delivered the service (schema version 2; a registry
    id that ingest checks: known, offered by ``qsmo``, not retired)."""
    source: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    attributes: Annotated[dict[AttributeName, AttributeValue], Field(max_length=MAX_ATTRIBUTES)] = (
        Field(default_factory=dict)
    )


class AcceptedEvent(PerformanceEvent):
    """A ``PerformanceEvent`` as published by ingest on ``qsmo.events.v1``."""

    ingested_at: datetime
    request_id: str


class PeriodRef(BaseModel):
    """A fiscal period a value belongs to (``fiscal_year`` or ``fiscal_quarter``)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["fiscal_year", "fiscal_quarter", "day"]
    label: str
    fiscal_year: int
    fiscal_quarter: int | None = None
    start: datetime
    end: datetime


GOVERNMENT: Final = "government"
"""Owner of the government-wide values and scorecards, and their Kafka partition key."""


class MeasureValueChanged(BaseModel):
    """A measure's value for a QSMO and fiscal period is now ``value`` (measure-values topic).

    Carries the whole state, not a delta, so a redelivered or repeated message is harmless.
    Published twice per change: ``scope="qsmo"`` keyed by the QSMO (one scorecard writer per
    QSMO) and ``scope="government"`` keyed ``GOVERNMENT`` (one writer of the government-wide
    scorecards).
    """

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    scope: Literal["qsmo", "government"]
    qsmo: str
    measure: str
    period: PeriodRef
    aggregation: str
    value: float | None
    count: int
    summary: dict[str, object]
    restated: bool
    restated_count: int
    source_event_count: int
    last_occurred_at: datetime | None
    last_ingested_at: datetime | None
    changed_at: datetime


class DeadLetter(BaseModel):
    """A message the measures service could not process (``qsmo.events.dlq.v1``)."""

    schema_version: Literal[1] = 1
    reason: str
    code: str
    topic: str
    partition: int
    offset: int
    key: str | None
    payload_base64: str
    dead_lettered_at: datetime


StatusName = Literal["GREEN", "AMBER", "RED", "NO_DATA"]


class StatusTransition(BaseModel):
    """One status that changed in a scorecard recompute."""

    model_config = ConfigDict(frozen=True)

    level: Literal["measure", "dimension", "overall"]
    dimension: str | None = None
    measure: str | None = None
    from_status: StatusName
    to_status: StatusName
    from_score: float | None = None
    """Old score (dimension/overall, 0–100) or value (measure)."""
    to_score: float | None = None
    target: float | None = None


class MeasureQuality(BaseModel):
    """Data quality of one measure in one scorecard: how fresh and how restated it is."""

    model_config = ConfigDict(frozen=True)

    measure: str
    dimension: str
    status: StatusName
    value: float | None
    target: float | None
    event_count: int
    restated_count: int
    last_event_at: datetime | None
    last_ingested_at: datetime | None
    reporting_frequency_days: int
    stale: bool


class ScorecardChanged(BaseModel):
    """A scorecard got a new version (``qsmo.scorecards.v1``, keyed by scorecard id).

    ``scorecard_id`` is ``FY<year>|<qsmo>`` or ``FY<year>|government``.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    scorecard_id: str
    fiscal_year: int
    qsmo: str | None
    version: int
    phase: int
    computed_at: datetime
    cause: Literal["new_data", "restatement", "framework_change", "rescore", "rules_revision"]
    overall_score: float | None
    overall_status: StatusName
    transitions: list[StatusTransition]
    measures: list[MeasureQuality]


FrameworkChangeKind = Literal[
    "target",
    "weight",
    "baseline",
    "dimension_adopted",
    "qsmo_added",
    "provider_added",
    "provider_updated",
    "provider_retired",
    "sla_target",
]
"""The kinds of audited framework change (``FrameworkChanged.kind``)."""


class FrameworkChanged(BaseModel):
    """An audited admin change to the framework (``qsmo.framework.v1``).

    ``kind``: ``target``, ``weight``, ``baseline``, ``dimension_adopted`` or ``qsmo_added``;
    rev. 2 adds ``provider_added``, ``provider_updated``, ``provider_retired`` (``provider``
    names it; ``details`` holds ``name``, ``kind``, ``qsmos`` and ``services`` — lists joined
    by ``|`` — and ``parent_agency``) and ``sla_target`` (``provider``, ``measure``,
    ``value``): see ``shared.domain.framework_changes``.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    change_id: str
    kind: FrameworkChangeKind
    qsmo: str | None = None
    provider: str | None = None
    measure: str | None = None
    dimension: str | None = None
    fiscal_year: int | None = None
    value: float | None = None
    phase: int | None = None
    details: dict[str, str] = Field(default_factory=dict)
    actor: str
    reason: str
    changed_at: datetime


class NotificationRaised(BaseModel):
    """A notification the notifications service raised (``qsmo.notifications.v1``)."""

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    notification_id: str
    rule: str
    severity: Literal["info", "warning", "critical"]
    state: Literal["raised", "resolved"]
    qsmo: str | None
    dimension: str | None = None
    measure: str | None = None
    fiscal_year: int | None = None
    message: str
    links: dict[str, str] = Field(default_factory=dict)
    raised_at: datetime


class ReviewReady(BaseModel):
    """A performance review's packet is frozen and ready (``qsmo.reviews.v1``).

    Published by the gateway once per review (``message_id`` = ``review-ready:<review_id>``)
    after the READY packet is stored; the notifications service sends it to the review's
    stakeholder lists by email and to matching webhook subscriptions as ``review.ready``.
    ``qsmo`` None: the government-wide review. ``packet_links`` maps each format (``pdf``,
    ``xlsx``, ``csv``) to its path under the gateway (``/v1/reviews/<id>/packet.pdf``);
    the bytes are read from ``shared.review_packets``.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    type: Literal["review.ready"] = "review.ready"
    message_id: str
    review_id: str
    qsmo: str | None
    fiscal_year: int
    quarter: int
    title: str
    meeting_date: date
    cut_off: datetime
    stakeholder_lists: tuple[str, ...] = ()
    packet_links: dict[str, str] = Field(default_factory=dict)
    summary: str
    """One line: overall status and counts of RED/AMBER measures, for the email subject/body."""
    ready_at: datetime


class ImprovementActionOverdue(BaseModel):
    """An improvement action passed its due date still open (``qsmo.reviews.v1``).

    Published by the gateway's Adjust loop once per action and due date
    (``message_id`` = ``action-overdue:<action_id>:<due_date>``); the notifications service
    raises an ``action_overdue`` notification (severity ``warning``) for it.
    """

    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
    type: Literal["action.overdue"] = "action.overdue"
    message_id: str
    action_id: str
    qsmo: str
    measure: str
    title: str
    owner: str
    due_date: date
    status: str
    detected_at: datetime


ReviewMessage = Annotated[ReviewReady | ImprovementActionOverdue, Field(discriminator="type")]
"""What ``qsmo.reviews.v1`` carries; decode with ``TypeAdapter(ReviewMessage)``."""
