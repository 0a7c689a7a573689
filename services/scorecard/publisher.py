"""Kafka adapter for ``ScorecardChanged`` announcements, and its in-memory fake."""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.codecs import encode
from shared.events import ScorecardChanged


class KafkaScorecardPublisher:
    """Publishes on ``qsmo.scorecards.v1`` keyed by scorecard id, waiting for the acks."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, changes: Sequence[ScorecardChanged]) -> None:
        futures = [
            await self._producer.send(self._topic, encode(c), key=c.scorecard_id.encode())
            for c in changes
        ]
        await asyncio.gather(*futures)


class InMemoryScorecardPublisher:
    """Keeps what would have been published, for unit tests."""

    def __init__(self) -> None:
        self.changes: list[ScorecardChanged] = []

    async def publish(self, changes: Sequence[ScorecardChanged]) -> None:
        self.changes.extend(changes)
