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
are cached; history, ``as_of`` and diffs always read the store. Slice reads (rev. 2:
``year_states``, a slice's series, ``slice_index``) are cached by ``CachedSliceValues`` until
their fiscal year's ``ScorecardChanged`` (``RefreshAhead``: refreshed in the background).
"""

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from gateway.ports import MeasureValues, ScorecardReads
from services.measures.read_model import SliceIndex, ValueReading, YearState
from services.scorecard.read_model import ScorecardDiff, ScorecardView
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice
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


@dataclass
class _Refreshing(Generic[T]):
    refresh_at: float
    value: "asyncio.Future[T]"
    years: frozenset[int]
    refresh: "asyncio.Future[T] | None" = None


class RefreshAhead(Generic[T]):
    """A bounded cache of futures whose entries are refreshed in the background once
    ``ttl_s`` old, serving the previous value meanwhile (concurrent misses share one read).
    Each entry's refresh falls at a random point of the second half of its TTL, so entries
    made together (a ``providerComparison``'s reads) do not all refresh in one burst.

    An entry belongs to fiscal years; ``drop_year`` forgets the entries of one (the next
    read waits for fresh data). While ``is_live`` is False every read goes to the store.
    """

    def __init__(
        self,
        ttl_s: float,
        is_live: Callable[[], bool],
        *,
        max_entries: int = 4096,
        clock: Monotonic = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._ttl_s = ttl_s
        self._is_live = is_live
        self._max_entries = max_entries
        self._clock = clock
        self._jitter = jitter
        self._entries: OrderedDict[Hashable, _Refreshing[T]] = OrderedDict()

    def _due(self) -> float:
        return self._clock() + self._ttl_s * (0.5 + 0.5 * self._jitter())

    async def get(
        self, key: Hashable, years: frozenset[int], read: Callable[[], Awaitable[T]]
    ) -> T:
        if self._ttl_s <= 0 or not self._is_live():
            return await read()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is None or _failed(entry.value):
            entry = _Refreshing(self._due(), asyncio.ensure_future(read()), years)
            self._entries[key] = entry
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        elif now >= entry.refresh_at and entry.refresh is None:
            entry.refresh = asyncio.ensure_future(read())
            entry.refresh.add_done_callback(lambda done: self._refreshed(key, entry, done))
        self._entries.move_to_end(key)
        return await asyncio.shield(entry.value)

    def _refreshed(self, key: Hashable, entry: _Refreshing[T], done: "asyncio.Future[T]") -> None:
        entry.refresh = None
        if _failed(done) or self._entries.get(key) is not entry:
            return  # a failed refresh keeps the old value; a dropped entry stays dropped
        entry.value, entry.refresh_at = done, self._due()

    def drop_year(self, fiscal_year: int) -> None:
        for key in [k for k, e in self._entries.items() if fiscal_year in e.years]:
            del self._entries[key]

    def clear(self) -> None:
        self._entries.clear()


class CachedSliceValues:
    """``MeasureValues`` whose slice reads (rev. 2) are cached until their fiscal year changes.

    A slice's states change only with events that also change its QSMO's and the
    government-wide stored scorecard of the same fiscal year, so the ``ScorecardChanged`` of
    that year forgets them (``changed``). Entries older than the TTL are refreshed in the
    background while the previous value is served, so a slice scorecard or a
    ``providerComparison`` (dozens of reads) never waits for a refresh; staleness is bounded
    by the TTL plus one refresh when an announcement is late. QSMO-level and
    government-wide reads pass through unchanged.

    ``cacheable_measures`` (None: all) are the default framework's: only its measures' changes
    announce a ``ScorecardChanged``. Another framework's measure (the provider framework's
    ``best-practices-self-assessment``, fed by the provider tools) changes unannounced, so
    its reads always go to the store.
    """

    def __init__(
        self,
        reader: MeasureValues,
        cache: RefreshAhead[Any],
        cacheable_measures: Collection[str] | None = None,
    ) -> None:
        self._reader = reader
        self._cache = cache
        self._cacheable = None if cacheable_measures is None else frozenset(cacheable_measures)

    def _cacheable_measures(self, measures: Sequence[str]) -> bool:
        return self._cacheable is None or all(m in self._cacheable for m in measures)

    async def fiscal_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        quarter: int | None = None,
        *,
        slice: Slice | None = None,
        qsmos: Sequence[str] = (),
    ) -> ValueReading:
        return await self._reader.fiscal_value(
            qsmo, measure, aggregation, fiscal_year, quarter, slice=slice, qsmos=qsmos
        )

    async def rolling_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        now: datetime,
        days: int,
        *,
        slice: Slice | None = None,
    ) -> ValueReading:
        return await self._reader.rolling_value(qsmo, measure, aggregation, now, days, slice=slice)

    async def series(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        granularity: PeriodKind,
        qsmos: Sequence[str] = (),
        *,
        slice: Slice | None = None,
    ) -> list[ValueReading]:
        if slice is None or not self._cacheable_measures([measure]):
            return await self._reader.series(
                qsmo, measure, aggregation, fiscal_year, granularity, qsmos
            )
        key = ("series", qsmo, measure, fiscal_year, granularity, tuple(sorted(qsmos)), slice)
        found: list[ValueReading] = await self._cache.get(
            key,
            frozenset({fiscal_year}),
            lambda: self._reader.series(
                qsmo, measure, aggregation, fiscal_year, granularity, qsmos, slice=slice
            ),
        )
        return found

    async def year_states(
        self,
        owners: Sequence[str],
        measures: Sequence[str],
        fiscal_years: Sequence[int],
        slice: Slice | None,
    ) -> list[YearState]:
        if not self._cacheable_measures(measures):
            return await self._reader.year_states(owners, measures, fiscal_years, slice)
        key = ("years", tuple(sorted(owners)), tuple(sorted(measures)), tuple(fiscal_years), slice)
        found: list[YearState] = await self._cache.get(
            key,
            frozenset(fiscal_years),
            lambda: self._reader.year_states(owners, measures, fiscal_years, slice),
        )
        return found

    async def slice_index(self, qsmo: str, fiscal_year: int) -> SliceIndex:
        found: SliceIndex = await self._cache.get(
            ("index", qsmo, fiscal_year),
            frozenset({fiscal_year}),
            lambda: self._reader.slice_index(qsmo, fiscal_year),
        )
        return found

    async def agencies_seen(self) -> list[str]:
        return await self._reader.agencies_seen()

    def changed(self, message: ScorecardChanged) -> None:
        """A stored scorecard of a fiscal year changed: so may that year's slices."""
        self._cache.drop_year(message.fiscal_year)

    def clear(self) -> None:
        self._cache.clear()
