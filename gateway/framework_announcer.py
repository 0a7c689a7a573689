"""How the gateway announces a recorded framework change on ``qsmo.framework.v1``.

``FrameworkAdmin`` records first, then announces; a failed announcement is only logged (the
audit log is the source of truth, read by the scorecard service and ingest), so an announcer
never blocks an admin. ``KafkaFrameworkAnnouncer`` is the gateway's; ``InMemoryFrameworkAnnouncer``
keeps the changes for tests.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Protocol

from aiokafka import AIOKafkaProducer

from shared.codecs import encode
from shared.events import FrameworkChanged

__all__ = ["FrameworkAnnouncer", "InMemoryFrameworkAnnouncer", "KafkaFrameworkAnnouncer"]
log = logging.getLogger(__name__)

RETRY_S = 2.0
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
        self._make_producer = make_producer
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="gateway-framework-producer")

    async def _connect(self) -> None:
        while True:
            producer = self._make_producer()
            try:
                await producer.start()
                self._producer = producer
                return
            except Exception as error:  # Kafka away: keep trying in the background
                log.warning("framework producer cannot connect", extra={"error": str(error)})
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(RETRY_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._producer is not None:
            await self._producer.stop()

    async def publish_framework_change(self, change: FrameworkChanged) -> None:
        if self._producer is None:
            raise RuntimeError("the Kafka producer is not connected yet")
        key = (change.qsmo or "framework").encode()
        sent = await self._producer.send(self._topic, encode(change), key=key)
        await asyncio.wait_for(sent, timeout=ANNOUNCE_TIMEOUT_S)


class InMemoryFrameworkAnnouncer:
    """Keeps the announced changes, for tests."""

    def __init__(self) -> None:
        self.changes: list[FrameworkChanged] = []

    async def publish_framework_change(self, change: FrameworkChanged) -> None:
        self.changes.append(change)
