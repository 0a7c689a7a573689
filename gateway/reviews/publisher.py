"""Publishes the review process's messages on ``qsmo.reviews.v1`` for the notifications
service: ``ReviewReady`` (the packet goes out) and ``ImprovementActionOverdue``.

Callers publish from an outbox (a flag or derived id on their own document), so a publish that
fails is retried by their next sweep; every message carries a derived ``message_id`` the
notifications service deduplicates on, so a re-publish delivers once.
"""

import asyncio
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

from gateway.background_producer import BackgroundProducer
from shared.events import GOVERNMENT, ImprovementActionOverdue, ReviewReady

PUBLISH_TIMEOUT_S = 10.0
ReviewMessageOut = ReviewReady | ImprovementActionOverdue


def message_key(message: ReviewMessageOut) -> bytes:
    """Kafka key: the QSMO (``government`` for the government-wide review)."""
    return (message.qsmo or GOVERNMENT).encode()


class KafkaReviewPublisher:
    """``acks=all`` idempotent producer, connected in the background (Kafka away: publish
    raises and the caller's outbox keeps the message owed)."""

    def __init__(self, make_producer: Callable[[], AIOKafkaProducer], topic: str) -> None:
        self._background = BackgroundProducer(make_producer, "review")
        self._topic = topic

    @property
    def connected(self) -> bool:
        return self._background.connected

    async def start(self) -> None:
        await self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    async def publish(self, message: ReviewMessageOut) -> None:
        producer = self._background.producer
        async with asyncio.timeout(PUBLISH_TIMEOUT_S):
            delivery = await producer.send(
                self._topic, message.model_dump_json().encode(), key=message_key(message)
            )
            await delivery


class InMemoryReviewPublisher:
    """Keeps published messages, for tests; ``available = False`` simulates Kafka away."""

    def __init__(self) -> None:
        self.messages: list[ReviewMessageOut] = []
        self.available = True

    async def publish(self, message: ReviewMessageOut) -> None:
        if not self.available:
            raise RuntimeError("the in-memory broker is switched off")
        self.messages.append(message)
