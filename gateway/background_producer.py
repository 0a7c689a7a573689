"""A Kafka producer the gateway connects in the background, so Kafka being away never stops
the gateway from starting or answering: the framework announcer and the tool-event outbox
each hold one, and a send before it connected fails (their callers only log or retry)."""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)

RETRY_S = 2.0


class BackgroundProducer:
    """Connects ``make_producer()``'s producer in a task that keeps trying every ``RETRY_S``."""

    def __init__(self, make_producer: Callable[[], AIOKafkaProducer], name: str) -> None:
        self._make_producer = make_producer
        self._name = name
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._producer is not None

    @property
    def producer(self) -> AIOKafkaProducer:
        """The connected producer; RuntimeError while it is not connected yet."""
        if self._producer is None:
            raise RuntimeError(f"the {self._name} producer is not connected to Kafka yet")
        return self._producer

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name=f"gateway-{self._name}-producer")

    async def _connect(self) -> None:
        while True:
            producer = self._make_producer()
            try:
                await producer.start()
                self._producer = producer
                return
            except Exception as error:  # Kafka away: keep trying in the background
                log.warning(
                    "producer cannot connect", extra={"producer": self._name, "error": str(error)}
                )
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(RETRY_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()
