"""What the measures handlers need from the outside world, as Protocols.

Adapters: ``repository.MongoMeasureRepository`` / ``repository.InMemoryMeasureRepository``
and ``publisher.KafkaValuePublisher`` / ``publisher.InMemoryValuePublisher``.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.measures.domain import PeriodState, Sighting, StreamState
from shared.events import AcceptedEvent, DeadLetter, MeasureValueChanged


@dataclass(frozen=True)
class PositionedEvent:
    """An accepted event and where it sits in Kafka."""

    event: AcceptedEvent
    partition: int
    offset: int


class MeasureRepository(Protocol):
    """Raw events (the audit trail) and the period and stream states."""

    async def store_raw_events(self, events: Sequence[PositionedEvent]) -> set[tuple[int, int]]:
        """Store each event under its ``event_id`` unless one is stored already.

        Returns the Kafka positions ``(partition, offset)`` that *count*: newly stored, or
        stored before at this very position (a redelivery of our own earlier write). Every
        other event is a duplicate of an event_id first seen elsewhere: first one wins.
        """

    async def load_periods(self, keys: Collection[str]) -> Mapping[str, PeriodState]:
        """The stored period states among ``keys``."""

    async def load_streams(self, keys: Collection[str]) -> Mapping[str, StreamState]:
        """The stored stream states among ``keys``."""

    async def save_periods(self, states: Collection[PeriodState]) -> None:
        """Write these period states (each replaces its stored one)."""

    async def save_streams(self, states: Collection[StreamState]) -> None:
        """Write these stream states; called after ``save_periods`` of the same batch."""

    async def save_sightings(self, sightings: Collection[Sighting]) -> None:
        """Add these providers and agencies to ``slice_index`` and ``agencies_seen``.

        Set unions: writing a sighting again (a replay) or from another writer changes nothing.
        """

    async def ping(self) -> None:
        """Return when the store answers."""


class ValuePublisher(Protocol):
    """Announces value changes and dead letters; returns once the broker acknowledged."""

    async def publish_values(self, changes: Sequence[MeasureValueChanged]) -> None:
        """Publish every change (keyed by QSMO, or ``government``)."""

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Publish poison messages with their reasons."""
