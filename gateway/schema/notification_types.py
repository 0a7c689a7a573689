"""Notifications, webhook subscriptions and deliveries as GraphQL types."""

import datetime
from enum import Enum

import strawberry

from gateway.context import Info
from gateway.schema import fields
from gateway.schema.enums import DeliveryStatus, NotificationState, ScoreLevel, Severity
from gateway.schema.framework_types import Qsmo, qsmo_by_id
from services.notifications import read_model


@strawberry.enum(description="How a subscription hears its notifications.")
class DeliveryMode(Enum):
    IMMEDIATE = strawberry.enum_value(
        "IMMEDIATE", description="One webhook per notification state, as it happens."
    )
    DAILY_DIGEST = strawberry.enum_value(
        "DAILY_DIGEST",
        description="One webhook per UTC day with that day's notifications "
        "(the `notificationDigest` content), sent after the day ends.",
    )


@strawberry.type(description="A named link, e.g. to the scorecard a notification is about.")
class Link:
    name: str
    url: str


def links(mapping: dict[str, str]) -> list[Link]:
    return [Link(name=name, url=url) for name, url in sorted(mapping.items())]


@strawberry.type(description="A status change, missed target or stale measure someone should see.")
class Notification:
    id: strawberry.ID
    rule: str
    severity: Severity
    state: NotificationState
    qsmo_id: strawberry.ID | None = strawberry.field(description="Null: government-wide.")
    dimension_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    fiscal_year: int | None
    scorecard_id: strawberry.ID | None
    level: ScoreLevel | None
    message: str
    links: list[Link]
    raised_at: datetime.datetime
    resolved_at: datetime.datetime | None
    resolution_message: str | None
    suppressed_flaps: int = strawberry.field(
        description="Re-raises within the cooldown that were not sent again."
    )
    acknowledged_at: datetime.datetime | None
    acknowledged_by: str | None = strawberry.field(description="Id of the acknowledging key.")
    changed_measure_ids: list[strawberry.ID] = strawberry.field(
        description="A `restated` notification: the measures whose values changed."
    )

    @classmethod
    def from_model(cls, n: read_model.Notification) -> "Notification":
        return cls(
            id=strawberry.ID(n.id),
            rule=n.rule,
            severity=Severity(n.severity),
            state=NotificationState(n.state),
            qsmo_id=None if n.qsmo is None else strawberry.ID(n.qsmo),
            dimension_id=None if n.dimension is None else strawberry.ID(n.dimension),
            measure_id=None if n.measure is None else strawberry.ID(n.measure),
            fiscal_year=n.fiscal_year,
            scorecard_id=None if n.scorecard_id is None else strawberry.ID(n.scorecard_id),
            level=None if n.level is None else ScoreLevel(n.level),
            message=n.message,
            links=links(n.links),
            raised_at=n.raised_at,
            resolved_at=n.resolved_at,
            resolution_message=n.resolution_message,
            suppressed_flaps=n.suppressed_flaps,
            acknowledged_at=n.acknowledged_at,
            acknowledged_by=n.acknowledged_by,
            changed_measure_ids=[strawberry.ID(m) for m in n.changed_measures],
        )

    @strawberry.field
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @strawberry.field
    async def qsmo(self, info: Info) -> Qsmo | None:
        return await qsmo_by_id(info, self.qsmo_id)


@strawberry.type(description="A webhook that receives matching notifications (secret never shown).")
class NotificationSubscription:
    id: strawberry.ID
    qsmo_id: strawberry.ID | None = strawberry.field(description="Null: every QSMO.")
    dimension_id: strawberry.ID | None
    measure_id: strawberry.ID | None
    min_severity: Severity
    channel: str
    url: str
    created_at: datetime.datetime
    created_by: str
    delivery: DeliveryMode

    @classmethod
    def from_model(cls, s: read_model.Subscription) -> "NotificationSubscription":
        return cls(
            id=strawberry.ID(s.id),
            qsmo_id=None if s.qsmo is None else strawberry.ID(s.qsmo),
            dimension_id=None if s.dimension is None else strawberry.ID(s.dimension),
            measure_id=None if s.measure is None else strawberry.ID(s.measure),
            min_severity=Severity(s.min_severity),
            channel=s.channel,
            url=s.url,
            created_at=s.created_at,
            created_by=s.created_by,
            delivery=DeliveryMode(s.delivery),
        )


@strawberry.enum(description="How a delivery travels.")
class DeliveryChannel(Enum):
    WEBHOOK = strawberry.enum_value("webhook", description="A signed HTTP POST.")
    EMAIL = strawberry.enum_value(
        "email", description="An email through the platform's SMTP server (review packets)."
    )


@strawberry.type(
    description="One notification state, daily digest or ready review sent to one "
    "subscription (webhook) or one stakeholder's address (email)."
)
class NotificationDelivery:
    id: strawberry.ID
    notification_id: strawberry.ID = strawberry.field(
        description="The notification; `digest:<day>` for a digest, `review:<review id>` for "
        "a ready review's packet."
    )
    notification_state: NotificationState
    subscription_id: strawberry.ID = strawberry.field(
        description="The webhook subscription; for an email, the stakeholder list."
    )
    qsmo_id: strawberry.ID | None
    url: str = strawberry.field(
        description="The webhook's URL; for an email `mailto:` and the address masked "
        "(`mailto:j…@omb.example.gov`): the address itself is `recipient`."
    )
    status: DeliveryStatus
    attempts: int
    max_attempts: int
    last_error: str | None
    last_status_code: int | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    next_attempt_at: datetime.datetime | None
    delivered_at: datetime.datetime | None
    failed_at: datetime.datetime | None
    digest_date: datetime.date | None = strawberry.field(
        description="A daily digest delivery: the UTC day it carries (`notificationId` is "
        "`digest:<day>`); null for a single notification."
    )
    channel: DeliveryChannel
    target: strawberry.Private[str]

    @fields.field(
        description="Where it went: the webhook's URL or the email address (masked for keys "
        "that do not manage stakeholder lists: addresses are personal data)."
    )
    def recipient(self, info: Info) -> str:
        if self.channel is DeliveryChannel.EMAIL and not read_model.may_see_addresses(
            info.context.principal
        ):
            return read_model.masked(self.target)
        return self.target

    @classmethod
    def from_model(cls, d: read_model.Delivery) -> "NotificationDelivery":
        return cls(
            id=strawberry.ID(d.id),
            notification_id=strawberry.ID(d.notification_id),
            notification_state=NotificationState(d.notification_state),
            subscription_id=strawberry.ID(d.subscription_id),
            qsmo_id=None if d.qsmo is None else strawberry.ID(d.qsmo),
            url=d.url if d.channel == "webhook" else f"mailto:{read_model.masked(d.to)}",
            channel=DeliveryChannel(d.channel),
            status=DeliveryStatus(d.status),
            attempts=d.attempts,
            max_attempts=d.max_attempts,
            last_error=d.last_error,
            last_status_code=d.last_status_code,
            created_at=d.created_at,
            updated_at=d.updated_at,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            failed_at=d.failed_at,
            digest_date=None
            if d.digest_date is None
            else datetime.date.fromisoformat(d.digest_date),
            target=d.to,
        )


@strawberry.type(
    description="The notifications raised on one UTC day, oldest first: what a DAILY_DIGEST "
    "subscription with minimum severity INFO on that QSMO receives for the day."
)
class NotificationDigest:
    date: datetime.date
    qsmo_id: strawberry.ID | None = strawberry.field(description="Null: every QSMO.")
    count: int
    notifications: list[Notification]
