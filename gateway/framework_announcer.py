"""How the gateway announces a recorded framework change on ``qsmo.framework.v1``.

``FrameworkAdmin`` records first, then announces; a failed announcement is only logged (the
audit log is the source of truth, read by the scorecard service and ingest), so an announcer
never blocks an admin. ``KafkaFrameworkAnnouncer`` is the gateway's; ``InMemoryFrameworkAnnouncer``
keeps the changes for tests.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from aiokafka import AIOKafkaProducer

from gateway.background_producer import BackgroundProducer
from shared.codecs import encode
from shared.events import FrameworkChanged

__all__ = ["FrameworkAnnouncer", "InMemoryFrameworkAnnouncer", "KafkaFrameworkAnnouncer"]
log = logging.getLogger(__name__)

ANNOUNCE_TIMEOUT_S = 10.0


class FrameworkAnnouncer(Protocol):
    """Announces a recorded change (returns once the broker acknowledged)."""

    async def publish_framework_change(self, change: FrameworkChanged) -> None: ...


class KafkaFrameworkAnnouncer:
    """Announces on ``qsmo.framework.v1`` (keyed by the QSMO, or ``framework``).

    Its producer connects in the background and keeps trying while Kafka is away; until then
    an announcement fails, which ``FrameworkAdmin`` only logs, so this never blocks an admin.
    """

    def __init__(self, make_producer: Callable[[], AIOKafkaProducer], topic: str) -> None:
        self._background = BackgroundProducer(make_producer, "framework")
        self._topic = topic

    @property
    def connected(self) -> bool:
        return self._background.connected

    async def start(self) -> None:
        await self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    async def publish_framework_change(self, change: FrameworkChanged) -> None:
        key = (change.qsmo or "framework").encode()
        sent = await self._background.producer.send(self._topic, encode(change), key=key)
        await asyncio.wait_for(sent, timeout=ANNOUNCE_TIMEOUT_S)


class InMemoryFrameworkAnnouncer:
    """Keeps the announced changes, for tests."""

    def __init__(self) -> None:
        self.changes: list[FrameworkChanged] = []

    async def publish_framework_change(self, change: FrameworkChanged) -> None:
        self.changes.append(change)
