"""Adapters of ``ports.EventPublisher``: Kafka (aiokafka) and an in-memory fake for tests.

``KafkaEventPublisher.publish`` hands every event to the idempotent ``acks=all`` producer
(``send()`` only appends to a batch; ``linger_ms`` lets one request's events share a few
produce requests), then waits for all acknowledgements under one deadline. When the deadline
passes, the events still in flight are not withdrawn: Kafka may store some of them later,
which is harmless because consumers count each event_id once.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner

from services.ingest.ports import EventPublisher, PublishUnavailableError
from shared.events import AcceptedEvent
from shared.topics import event_key

log = logging.getLogger(__name__)

ProducerFactory = Callable[[], AIOKafkaProducer]
_PARTITIONER = DefaultPartitioner()
_STOP_TIMEOUT_S = 10.0


def encode_event(event: AcceptedEvent) -> tuple[bytes, bytes]:
    """The Kafka key ``"<qsmo>|<measure>"`` and the JSON value of an accepted event."""
    return event_key(event.qsmo, event.measure), event.model_dump_json().encode()


class KafkaEventPublisher(EventPublisher):
    """Publishes to one topic; reconnects in the background while Kafka is unreachable."""

    def __init__(
        self,
        producer_factory: ProducerFactory,
        topic: str,
        timeout_s: float,
        reconnect_s: float = 2.0,
        on_error: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self._factory = producer_factory
        self._topic = topic
        self._timeout_s = timeout_s
        self._reconnect_s = reconnect_s
        self._on_error = on_error
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect now if Kafka answers; otherwise keep trying in the background."""
        if not await self._connect_once():
            self._connecting = asyncio.create_task(self._connect_until_done())

    async def stop(self) -> None:
        """Stop reconnecting, flush what is in flight and close the producer.

        Bounded: with the broker down, flushing could wait for every pending batch to expire.
        Whatever is still pending then belongs to requests already answered 503.
        """
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                async with asyncio.timeout(_STOP_TIMEOUT_S):
                    await producer.stop()
            except TimeoutError:
                log.warning(
                    "Kafka producer did not flush within %s s; closing anyway", _STOP_TIMEOUT_S
                )

    async def publish(self, events: Sequence[AcceptedEvent]) -> None:
        """Return once Kafka acknowledged every event; else raise ``PublishUnavailableError``."""
        if not events:
            return
        producer = self._producer
        if producer is None:
            self._on_error("not_connected")
            raise PublishUnavailableError("not connected to Kafka yet")
        futures: list[asyncio.Future[Any]] = []
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._send_all(producer, events, futures)
                for future in futures:  # a batch's futures resolve together: cheap to await
                    await future
        except TimeoutError:
            self._abandon(futures, "timeout")
            raise PublishUnavailableError(
                f"no acknowledgement within {self._timeout_s:g} s"
            ) from None
        except KafkaError as error:
            self._abandon(futures, type(error).__name__)
            raise PublishUnavailableError(f"Kafka refused the events: {error}") from None

    async def _send_all(
        self,
        producer: AIOKafkaProducer,
        events: Sequence[AcceptedEvent],
        futures: list[asyncio.Future[Any]],
    ) -> None:
        """Queue every event, appending its delivery future to ``futures``.

        The partition is the producer's default (murmur2 of the key), computed once per key
        of the request rather than once per event.
        """
        partitions = sorted(await producer.partitions_for(self._topic))
        partition_of: dict[bytes, int] = {}
        for event in events:
            key, value = encode_event(event)
            partition = partition_of.get(key)
            if partition is None:
                partition = partition_of[key] = _PARTITIONER(key, partitions, partitions)
            futures.append(await producer.send(self._topic, value, key=key, partition=partition))

    def _abandon(self, futures: list[asyncio.Future[Any]], reason: str) -> None:
        """Give up waiting: count the error, and read late outcomes so none goes unheard."""
        self._on_error(reason)
        for future in futures:
            future.add_done_callback(_consume_outcome)

    async def check_ready(self) -> None:
        """Raise unless a broker answers a metadata request that lists the topic."""
        producer = self._producer
        if producer is None:
            raise RuntimeError("not connected to Kafka yet")
        metadata = await producer.client.fetch_all_metadata()
        if self._topic not in metadata.topics():
            raise RuntimeError(f"topic {self._topic} does not exist")

    async def _connect_once(self) -> bool:
        producer = self._factory()
        try:
            await producer.start()
        except (KafkaError, OSError) as error:
            log.warning("Kafka is not reachable yet (%s); retrying", error)
            await producer.stop()
            return False
        except asyncio.CancelledError:  # stopped while connecting: leave nothing open
            await producer.stop()
            raise
        self._producer = producer
        log.info("connected to Kafka", extra={"topic": self._topic})
        return True

    async def _connect_until_done(self) -> None:
        while True:
            if await self._connect_once():
                return
            await asyncio.sleep(self._reconnect_s)


def _consume_outcome(future: "asyncio.Future[Any]") -> None:
    """Read a late outcome, so that a failure is not logged as "never retrieved"."""
    if not future.cancelled():
        future.exception()


class InMemoryEventPublisher(EventPublisher):
    """The fake: keeps published events in a list; ``available = False`` simulates an outage."""

    def __init__(self) -> None:
        self.published: list[AcceptedEvent] = []
        self.available = True
        self.started = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def publish(self, events: Sequence[AcceptedEvent]) -> None:
        if not self.available:
            raise PublishUnavailableError("the in-memory broker is switched off")
        self.published.extend(events)

    async def check_ready(self) -> None:
        if not self.available:
            raise RuntimeError("the in-memory broker is switched off")
