"""What the scorecard handlers need from the outside world, as Protocols.

Adapters: ``repository.MongoScorecardRepository`` / ``repository.InMemoryScorecardRepository``
(one contract suite, ``tests/contract/test_scorecard_repository.py``) and
``publisher.KafkaScorecardPublisher`` / ``publisher.InMemoryScorecardPublisher``.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.scorecard.inputs import InputState
from services.scorecard.views import ScorecardView
from shared.events import ScorecardChanged, StatusTransition


@dataclass(frozen=True)
class StoredVersion:
    """A version and the transitions it announced (relative to the version before)."""

    view: ScorecardView
    transitions: tuple[StatusTransition, ...]


@dataclass(frozen=True)
class LatestVersion:
    """A scorecard's latest stored version and whether its announcement was acknowledged."""

    stored: StoredVersion
    published: bool


class ScorecardRepository(Protocol):
    """Inputs, versions, current pointers and partition watermarks of the scorecards."""

    async def load_inputs(self, owners: Collection[str]) -> list[InputState]:
        """Every stored input of these owners (QSMO ids or ``government``), all years."""

    async def save_inputs(self, states: Collection[InputState]) -> None:
        """Write these inputs (each replaces its stored one)."""

    async def scorecards_of(self, owners: Collection[str] | None) -> set[tuple[str, int]]:
        """``(owner, fiscal_year)`` of every scorecard with inputs (``owners`` None: all)."""

    async def load_latest(self, scorecard_ids: Collection[str]) -> Mapping[str, LatestVersion]:
        """The latest version of each scorecard that has one.

        A version stored after the current pointer (a crash between the two writes) counts
        as the latest, unpublished.
        """

    async def insert_versions(self, versions: Sequence[StoredVersion]) -> None:
        """Insert new versions (insert-only; an identical id already stored is ignored)."""

    async def save_current(self, versions: Sequence[StoredVersion]) -> None:
        """Point each scorecard at this version, marked unpublished."""

    async def mark_published(self, versions: Mapping[str, int]) -> None:
        """Record that ``scorecard_id → version`` was announced."""

    async def load_watermarks(self, keys: Collection[str]) -> Mapping[str, int]:
        """The framework ``seq`` each partition key has applied (absent: none stored)."""

    async def save_watermarks(self, marks: Mapping[str, int]) -> None:
        """Record the framework ``seq`` applied per partition key."""

    async def count_by_status(self) -> Mapping[str, int]:
        """Current scorecards per overall status."""

    async def ping(self) -> None:
        """Return when the store answers."""

    def forget_cached(self) -> None:
        """Drop anything kept from earlier reads and writes (at a rebalance, after a failed
        batch): the next reads see the store. A no-op for an adapter that keeps nothing."""


class ScorecardPublisher(Protocol):
    """Announces new versions; returns once the broker acknowledged every message."""

    async def publish(self, changes: Sequence[ScorecardChanged]) -> None:
        """Publish each change keyed by its scorecard id."""
