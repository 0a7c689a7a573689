"""Read-through caches of scorecards and of the framework state, invalidated by Kafka.

A scorecard only changes when the scorecard service makes a new version, and it announces
every version on ``qsmo.scorecards.v1``; the framework only changes through audited changes
announced on ``qsmo.framework.v1``. The gateway's live feed hears both, so a cached value is
dropped as soon as it may be stale, and ``ttl_s`` bounds staleness should an announcement be
late. While the live feed is not positioned (Kafka away, start-up) every read goes to the
store, and the caches are emptied whenever the feed (re)positions.

Scorecards are judged at the day they are read (rev. 2: an open year's expected-to-date
targets grow every UTC day), so their keys hold the UTC day. Concurrent misses of one key
share a single read. Only ``current``/``all_current`` and the
framework state (``gateway.framework_admin.FrameworkAdmin``, with a ``ReadThrough`` of its own)
are cached; history, ``as_of`` and diffs always read the store.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from gateway.ports import ScorecardReads
from services.scorecard.read_model import ScorecardDiff, ScorecardView
from shared.events import ScorecardChanged

T = TypeVar("T")
Monotonic = Callable[[], float]


@dataclass
class _Entry(Generic[T]):
    expires_at: float
    value: "asyncio.Future[T]"


class ReadThrough(Generic[T]):
    """A bounded TTL cache of futures, keyed by anything hashable."""

    def __init__(
        self,
        ttl_s: float,
        is_live: Callable[[], bool],
        *,
        max_entries: int = 1024,
        clock: Monotonic = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._is_live = is_live
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry[T]] = OrderedDict()

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        if self._ttl_s <= 0 or not self._is_live():
            return await read()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or entry.expires_at <= now or _failed(entry.value):
            entry = _Entry(now + self._ttl_s, asyncio.ensure_future(read()))
            self._entries[key] = entry
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        return await asyncio.shield(entry.value)

    def drop(self, matches: Callable[[Any], bool]) -> None:
        for key in [k for k in self._entries if matches(k)]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()


def _failed(future: "asyncio.Future[Any]") -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)


class CachedScorecards:
    """``ScorecardReads`` with ``current``/``all_current`` cached until a version changes."""

    def __init__(
        self,
        reader: ScorecardReads,
        cache: ReadThrough[Any],
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._reader = reader
        self._cache = cache
        self._today = today

    async def current(
        self, fiscal_year: int, qsmo: str | None, phase: int | None = None
    ) -> ScorecardView | None:
        found: ScorecardView | None = await self._cache.get(
            ("current", fiscal_year, qsmo, phase, self._today()),
            lambda: self._reader.current(fiscal_year, qsmo, phase),
        )
        return found

    async def all_current(self, fiscal_year: int, phase: int | None = None) -> list[ScorecardView]:
        found: list[ScorecardView] = await self._cache.get(
            ("all", fiscal_year, phase, self._today()),
            lambda: self._reader.all_current(fiscal_year, phase),
        )
        return list(found)

    async def as_of(
        self, fiscal_year: int, qsmo: str | None, at: datetime, phase: int | None = None
    ) -> ScorecardView | None:
        return await self._reader.as_of(fiscal_year, qsmo, at, phase)

    async def history(
        self, fiscal_year: int, qsmo: str | None, limit: int = 50
    ) -> list[ScorecardView]:
        return await self._reader.history(fiscal_year, qsmo, limit)

    async def diff(
        self, fiscal_year: int, qsmo: str | None, start: datetime, end: datetime
    ) -> ScorecardDiff:
        return await self._reader.diff(fiscal_year, qsmo, start, end)

    def changed(self, message: ScorecardChanged) -> None:
        """A new version of one scorecard: forget that fiscal year's cached reads."""
        self._cache.drop(lambda key: key[1] == message.fiscal_year)

    def clear(self) -> None:
        self._cache.clear()
