"""Live updates: one Kafka consumer per gateway process, fanned out to GraphQL subscribers.

The consumer has no group (every gateway process sees every message), is assigned every
partition of the scorecard and notification topics and starts at their end: a subscription
hears what happens after it starts, never history. Each subscriber has a bounded buffer;
one that falls ``queue_size`` messages behind is disconnected with ``SUBSCRIBER_TOO_SLOW``
rather than slowing everyone else down or growing without bound.
"""

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from pydantic import BaseModel, ValidationError

from gateway.errors import GatewayError
from gateway.metrics import GatewayMetrics
from shared.codecs import decode
from shared.events import FrameworkChanged, NotificationRaised, ScorecardChanged

log = logging.getLogger(__name__)

Kind = Literal["scorecards", "notifications", "framework"]
MessageT = TypeVar("MessageT", bound=BaseModel)
MODELS: Mapping[Kind, type[BaseModel]] = {
    "scorecards": ScorecardChanged,
    "notifications": NotificationRaised,
    "framework": FrameworkChanged,
}
SUBSCRIPTION_FIELDS: Mapping[Kind, str] = {
    "scorecards": "scorecardChanged",
    "notifications": "notificationRaised",
    "framework": "framework",
}
Listener = Callable[[Any], None]


class SubscriberTooSlowError(GatewayError):
    """The subscriber's buffer overflowed; it must subscribe again (and re-read the state)."""

    code = "SUBSCRIBER_TOO_SLOW"


@dataclass(eq=False)
class Subscriber(Generic[MessageT]):
    """One subscription's bounded buffer of matching messages."""

    kind: Kind
    accepts: Callable[[MessageT], bool]
    capacity: int
    _items: deque[MessageT] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    overflowed: bool = False

    def offer(self, message: MessageT) -> bool:
        """Buffer ``message`` if it matches; False when the buffer just overflowed."""
        if self.overflowed or not self.accepts(message):
            return True
        if len(self._items) >= self.capacity:
            self.overflowed = True
            self._items.clear()
            self._wake.set()
            return False
        self._items.append(message)
        self._wake.set()
        return True

    async def next(self) -> MessageT:
        """The next buffered message; raises ``SubscriberTooSlowError`` after an overflow."""
        while not self._items and not self.overflowed:
            self._wake.clear()
            await self._wake.wait()
        if self.overflowed:
            raise SubscriberTooSlowError(
                f"this subscription fell {self.capacity} messages behind and was closed; "
                "subscribe again and re-read the current state."
            )
        return self._items.popleft()


ConsumerFactory = Callable[..., AIOKafkaConsumer]
"""``factory(*topics)``: a consumer of ``topics`` without a group (all partitions assigned)."""


class LiveFeed:
    """Fans decoded Kafka messages out to subscribers (also usable without Kafka: ``publish``)."""

    def __init__(
        self,
        topics: Mapping[Kind, str],
        metrics: GatewayMetrics,
        *,
        queue_size: int = 100,
        consumer_factory: ConsumerFactory | None = None,
        retry_s: float = 2.0,
    ) -> None:
        self._topics = dict(topics)
        self._kinds = {topic: kind for kind, topic in self._topics.items()}
        self._metrics = metrics
        self._queue_size = queue_size
        self._consumer_factory = consumer_factory
        self._retry_s = retry_s
        self._subscribers: dict[Kind, set[Subscriber[Any]]] = {k: set() for k in MODELS}
        self._listeners: dict[Kind, list[Listener]] = {k: [] for k in MODELS}
        self._on_positioned: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._positioned = asyncio.Event()
        self._last_error: str | None = None

    # --- subscribers ---------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def subscribe(
        self, kind: Kind, accepts: Callable[[MessageT], bool]
    ) -> AsyncIterator[Subscriber[MessageT]]:
        """A subscriber registered for the duration of the ``async with`` block."""
        subscriber: Subscriber[MessageT] = Subscriber(kind, accepts, self._queue_size)
        gauge = self._metrics.active_subscriptions.labels(subscription=SUBSCRIPTION_FIELDS[kind])
        self._subscribers[kind].add(subscriber)
        gauge.inc()
        try:
            yield subscriber
        finally:
            self._subscribers[kind].discard(subscriber)
            gauge.dec()

    def subscriber_count(self, kind: Kind) -> int:
        return len(self._subscribers[kind])

    def add_listener(self, kind: Kind, listener: Listener) -> None:
        """Call ``listener(message)`` for every message of ``kind`` (cache invalidation)."""
        self._listeners[kind].append(listener)

    def on_positioned(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` each time the consumer (re)positions, before it says ready."""
        self._on_positioned.append(callback)

    def is_positioned(self) -> bool:
        """True while the consumer is at the end of every live topic and reading."""
        return self._positioned.is_set()

    def publish(self, kind: Kind, message: BaseModel) -> None:
        """Hand ``message`` to every listener and every matching subscriber of ``kind``."""
        for listener in self._listeners[kind]:
            listener(message)
        for subscriber in list(self._subscribers[kind]):
            if not subscriber.offer(message):
                self._subscribers[kind].discard(subscriber)
                self._metrics.dropped_subscribers.labels(
                    subscription=SUBSCRIPTION_FIELDS[kind]
                ).inc()
        self._metrics.live_messages.labels(kind=kind, result="delivered").inc()

    def publish_raw(self, topic: str, payload: bytes | None) -> None:
        """Decode a Kafka message value of ``topic`` and publish it; bad ones are counted."""
        kind = self._kinds.get(topic)
        if kind is None or payload is None:
            return
        try:
            message = decode(MODELS[kind], payload)
        except ValidationError:
            self._metrics.live_messages.labels(kind=kind, result="undecodable").inc()
            return
        self.publish(kind, message)

    # --- the Kafka consumer --------------------------------------------------------------
    async def start(self) -> None:
        """Start consuming in the background (keeps retrying while Kafka is away)."""
        if self._consumer_factory is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="gateway-live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def check_ready(self) -> None:
        """Readiness: the consumer is positioned at the end of every partition."""
        if self._consumer_factory is None:
            return
        if not self._positioned.is_set():
            raise RuntimeError(f"live feed not positioned yet ({self._last_error or 'starting'})")

    async def _run(self) -> None:
        assert self._consumer_factory is not None
        while True:
            consumer = self._consumer_factory(*self._topics.values())
            try:
                await consumer.start()
                await self._position(consumer)
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=500)
                    for partition, records in batches.items():
                        for record in records:
                            self.publish_raw(partition.topic, record.value)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # keep the feed alive whatever Kafka does
                self._positioned.clear()
                self._last_error = f"{type(error).__name__}: {error}"[:200]
                log.warning("live feed failed; retrying", extra={"error": self._last_error})
                await asyncio.sleep(self._retry_s)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _position(self, consumer: AIOKafkaConsumer) -> None:
        """Wait for the partitions (assigned on start, no group) and seek to their end."""
        partitions: set[TopicPartition] = set()
        for _ in range(100):
            partitions = consumer.assignment()
            if {p.topic for p in partitions} >= set(self._topics.values()):
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError(f"no partitions of {sorted(self._topics.values())} assigned")
        if not await consumer.seek_to_end():
            raise RuntimeError("could not find the end offsets of the live topics")
        for partition in partitions:  # resolves the positions before we say we are ready
            await consumer.position(partition)
        self._last_error = None
        for callback in self._on_positioned:
            callback()
        self._positioned.set()
