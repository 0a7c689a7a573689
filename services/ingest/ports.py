"""What the ingest handlers need from the outside world, as Protocols.

Adapters: ``publisher.KafkaEventPublisher`` (real) and ``publisher.InMemoryEventPublisher``
(fake for tests); ``SystemClock`` here and a settable clock in the tests.
"""

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from shared.events import AcceptedEvent


class PublishUnavailableError(Exception):
    """The broker did not acknowledge every event in time; some may still have been written."""


class EventPublisher(Protocol):
    """Durably publishes accepted events: returns only once every one is acknowledged."""

    async def start(self) -> None:
        """Connect (or begin connecting); must not raise when the broker is down."""

    async def stop(self) -> None:
        """Flush what is pending and disconnect."""

    async def publish(self, events: Sequence[AcceptedEvent]) -> None:
        """Publish all ``events``; raise ``PublishUnavailableError`` unless all are acknowledged."""

    async def check_ready(self) -> None:
        """Return when the broker answers and the topic exists; raise otherwise."""


class Clock(Protocol):
    """Time as an argument: wall-clock for timestamps, monotonic for rate limiting."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
