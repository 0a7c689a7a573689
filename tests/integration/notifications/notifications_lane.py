"""Private topics and settings for running the notifications service as a subprocess."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.codecs import encode
from shared.events import NotificationRaised
from shared.kafka import create_consumer, create_producer, ensure_topics


@dataclass(frozen=True)
class NotificationsLane:
    """A private scorecards, DLQ, reviews and notifications topic and consumer group, and the
    private upstream lanes (events/measures, values/scorecard) the stale sweep's lag probe reads."""

    scorecards: str
    dlq: str
    notifications: str
    group: str
    events: str = ""
    values: str = ""
    measures_group: str = ""
    scorecard_group: str = ""
    reviews: str = ""

    @classmethod
    def new(cls) -> NotificationsLane:
        tag = uuid.uuid4().hex[:8]
        return cls(
            f"t.scorecards.{tag}",
            f"t.dlq.{tag}",
            f"t.notifications.{tag}",
            f"notifications-{tag}",
            f"t.events.{tag}",
            f"t.values.{tag}",
            f"measures-{tag}",
            f"scorecard-{tag}",
            f"t.reviews.{tag}",
        )

    def env(self, database: str, port: int, **extra: str) -> dict[str, str]:
        return {
            "QSMO_MONGO_DB": database,
            "QSMO_NOTIFICATIONS_PORT": str(port),
            "QSMO_NOTIFICATIONS_SCORECARDS_TOPIC": self.scorecards,
            "QSMO_NOTIFICATIONS_DLQ_TOPIC": self.dlq,
            "QSMO_NOTIFICATIONS_NOTIFICATIONS_TOPIC": self.notifications,
            "QSMO_NOTIFICATIONS_GROUP_ID": self.group,
            "QSMO_NOTIFICATIONS_EVENTS_TOPIC": self.events,
            "QSMO_NOTIFICATIONS_VALUES_TOPIC": self.values,
            "QSMO_NOTIFICATIONS_MEASURES_GROUP_ID": self.measures_group,
            "QSMO_NOTIFICATIONS_SCORECARD_GROUP_ID": self.scorecard_group,
            "QSMO_NOTIFICATIONS_REVIEWS_TOPIC": self.reviews,
            "QSMO_NOTIFICATIONS_POLL_TIMEOUT_MS": "200",
            "QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS": "true",
            "QSMO_NOTIFICATIONS_COOLDOWN_S": "0",
            "QSMO_NOTIFICATIONS_SWEEP_INTERVAL_S": "1",
            "QSMO_NOTIFICATIONS_DELIVERY_BACKOFF_BASE_S": "0.1",
            "QSMO_NOTIFICATIONS_DELIVERY_BACKOFF_MAX_S": "0.5",
            "QSMO_NOTIFICATIONS_DELIVERY_POLL_S": "1",
            **extra,
        }

    async def create_topics(self, bootstrap: str, partitions: int = 3) -> None:
        names = (self.scorecards, self.dlq, self.notifications, self.events, self.values)
        names += (self.reviews,) if self.reviews else ()
        await ensure_topics(bootstrap, partitions, names=names)


async def publish(bootstrap: str, topic: str, messages: Sequence[tuple[bytes, BaseModel]]) -> None:
    """Publish ``(key, message)`` pairs and wait for the acks."""
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        futures = [await producer.send(topic, encode(m), key=k) for k, m in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_notifications(
    bootstrap: str, topic: str, wanted: int, timeout_s: float = 30
) -> list[NotificationRaised]:
    """Read the topic from the start until ``wanted`` messages arrived (or the deadline)."""
    consumer = create_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    found: list[NotificationRaised] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < wanted and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            found += [
                NotificationRaised.model_validate_json(r.value) for rs in batch.values() for r in rs
            ]
    finally:
        await consumer.stop()
    return found


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float, what: str) -> Any:
    """Poll ``check`` until it returns a truthy value; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout_s} s (last: {last!r})")
