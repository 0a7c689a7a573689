"""What the notification handlers need from the outside world, as Protocols.

Adapters: ``repository.MongoNotificationStore`` / ``repository.InMemoryNotificationStore``
(one contract suite: ``tests/contract/test_notification_store.py``),
``publisher.KafkaNotificationPublisher`` / ``publisher.InMemoryNotificationPublisher`` and
``senders.WebhookSender`` / ``senders.InMemorySender`` and ``email.SmtpEmailSender`` /
``email.InMemoryEmailSender``.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from services.notifications.models import Delivery, Notification, StakeholderList, Subscription
from services.notifications.restated import ClosedSnapshot
from services.notifications.rules import Condition
from services.notifications.signals import Freshness
from services.notifications.surges import SurgeWindow
from shared.events import NotificationRaised


@dataclass(frozen=True)
class RawRecord:
    """The parts of a Kafka record the service reads (so tests need no broker)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class PendingDelivery:
    """A delivery due for an attempt, with the exact body to send."""

    delivery: Delivery
    body: str


@dataclass(frozen=True)
class OutgoingMessage:
    """One attempt of one delivery, as a sender sees it. ``secret`` never shows in a repr."""

    delivery_id: str
    url: str
    body: str
    secret: str = field(repr=False)


@dataclass(frozen=True)
class SendOutcome:
    """What one attempt came to: ``ok`` (2xx), else the status code or error text."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False
    """A failure no retry can mend (no SMTP server configured): ``failed`` at once."""


class Sender(Protocol):
    """A delivery channel (``webhook`` today); returns an outcome, never raises for the
    receiver's failures."""

    async def send(self, message: OutgoingMessage) -> SendOutcome:
        """Make one attempt."""


class EmailSender(Protocol):
    """The email channel: sends one stored email delivery (``reviews.EmailContent`` as its
    body); an outcome, never raises for the server's failures."""

    async def send(self, delivery: Delivery, body: str) -> SendOutcome:
        """Make one attempt."""


class NotificationPublisher(Protocol):
    """Announces notification states on ``qsmo.notifications.v1``; returns once acknowledged."""

    async def publish(self, events: Sequence[NotificationRaised]) -> None:
        """Publish every event (keyed by notification id)."""


class NotificationStore(Protocol):
    """The service's own documents: notifications, rule state, outbox, deliveries."""

    async def create_indexes(self) -> None: ...
    async def ping(self) -> None: ...

    async def save_notifications(self, notifications: Sequence[Notification]) -> None:
        """Insert or replace each notification by id (acknowledgements are kept apart)."""

    async def update_notifications(self, ids: Collection[str], fields: Mapping[str, Any]) -> None:
        """Set ``fields`` on the notifications with these ids."""

    async def load_notifications(self, ids: Collection[str]) -> list[Notification]:
        """The stored notifications among ``ids`` (acknowledgements not joined)."""

    async def notifications_raised_between(
        self, start: datetime, end: datetime
    ) -> list[Notification]:
        """Notifications with ``start <= raised_at < end`` (acknowledgements not joined)."""

    async def load_conditions(self, keys: Collection[str]) -> dict[str, Condition]: ...
    async def open_conditions(self) -> dict[str, Condition]: ...
    async def save_conditions(self, conditions: Sequence[Condition]) -> None: ...

    async def load_freshness(self, keys: Collection[str] | None) -> dict[str, Freshness]:
        """Stored freshness by ``qsmo|measure`` key (every one when ``keys`` is None)."""

    async def save_freshness(self, items: Sequence[Freshness]) -> None: ...

    async def load_snapshots(self, scorecard_ids: Collection[str]) -> dict[str, ClosedSnapshot]:
        """Last seen values of long-closed scorecards, by scorecard id."""

    async def save_snapshots(self, snapshots: Sequence[ClosedSnapshot]) -> None: ...

    async def load_surge_windows(self, keys: Collection[str] | None) -> dict[str, SurgeWindow]:
        """Stored dead-letter windows by key (every one when ``keys`` is None)."""

    async def save_surge_windows(self, windows: Sequence[SurgeWindow]) -> None: ...

    async def subscriptions(self) -> list[Subscription]: ...
    async def subscription_secret(self, subscription_id: str) -> str | None:
        """The signing secret, or None when the subscription was deleted."""

    async def add_outbox(self, events: Sequence[NotificationRaised]) -> None:
        """Keep events until published (one per notification id and state)."""

    async def outbox(self, limit: int) -> list[NotificationRaised]: ...
    async def remove_outbox(self, events: Sequence[NotificationRaised]) -> None: ...

    async def add_deliveries(self, deliveries: Sequence[PendingDelivery]) -> None:
        """Insert deliveries whose id is not stored yet (a replay adds nothing)."""

    async def known_deliveries(self, ids: Collection[str]) -> set[str]:
        """The ids among ``ids`` that are stored deliveries."""

    async def due_deliveries(
        self, now: datetime, limit: int, exclude: Collection[str]
    ) -> list[PendingDelivery]:
        """Pending deliveries with ``next_attempt_at <= now``, earliest first."""

    async def next_due_at(self, exclude: Collection[str]) -> datetime | None:
        """The earliest ``next_attempt_at`` of a pending delivery not in ``exclude``."""

    async def save_delivery(self, delivery: Delivery) -> None:
        """Record an attempt's outcome (status, attempts, times, last error)."""

    async def stakeholder_lists(self) -> list[StakeholderList]:
        """Every stakeholder list (written by the gateway through the write port)."""

    async def handled_review_messages(self, message_ids: Collection[str]) -> set[str]:
        """The ``qsmo.reviews.v1`` message ids among these that were handled already."""

    async def mark_review_messages(self, message_ids: Collection[str]) -> None:
        """Remember these message ids as handled."""

    async def delivery_backlog(self) -> tuple[int, int]:
        """``(pending, waiting_for_retry)``: pending deliveries, and those with attempts > 0."""
