"""Kafka adapter for value changes and dead letters, and its in-memory fake."""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from shared.codecs import encode
from shared.events import GOVERNMENT, DeadLetter, MeasureValueChanged


def value_key(change: MeasureValueChanged) -> bytes:
    """QSMO-scope changes are keyed by QSMO, government-scope ones share one key."""
    return GOVERNMENT.encode() if change.scope == "government" else change.qsmo.encode()


class KafkaValuePublisher:
    """Publishes with the platform's idempotent ``acks=all`` producer and waits for acks."""

    def __init__(self, producer: AIOKafkaProducer, values_topic: str, dlq_topic: str) -> None:
        self._producer = producer
        self._values_topic = values_topic
        self._dlq_topic = dlq_topic

    async def publish_values(self, changes: Sequence[MeasureValueChanged]) -> None:
        futures = [
            await self._producer.send(self._values_topic, encode(c), key=value_key(c))
            for c in changes
        ]
        await asyncio.gather(*futures)

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        futures = [
            await self._producer.send(
                self._dlq_topic, encode(letter), key=(letter.key or "").encode() or None
            )
            for letter in letters
        ]
        await asyncio.gather(*futures)


class InMemoryValuePublisher:
    """Keeps what would have been published, for unit tests."""

    def __init__(self) -> None:
        self.values: list[MeasureValueChanged] = []
        self.dead_letters: list[DeadLetter] = []

    async def publish_values(self, changes: Sequence[MeasureValueChanged]) -> None:
        self.values.extend(changes)

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        self.dead_letters.extend(letters)
