"""Kafka adapter for ``NotificationRaised`` messages, and its in-memory fake."""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.codecs import encode
from shared.events import NotificationRaised


class KafkaNotificationPublisher:
    """Publishes with the platform's idempotent ``acks=all`` producer, keyed by notification
    id (so a notification's raised and resolved messages keep their order)."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, events: Sequence[NotificationRaised]) -> None:
        futures = [
            await self._producer.send(self._topic, encode(e), key=e.notification_id.encode())
            for e in events
        ]
        await asyncio.gather(*futures)


class InMemoryNotificationPublisher:
    """Keeps what would have been published, for unit tests."""

    def __init__(self) -> None:
        self.events: list[NotificationRaised] = []

    async def publish(self, events: Sequence[NotificationRaised]) -> None:
        self.events.extend(events)
