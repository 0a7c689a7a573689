"""The read-through caches: hits, expiry, invalidation by the live feed, and bypass."""

import asyncio

import pytest
from gateway_unit_support import NOW, QSMOS, InMemoryScorecards, make_view

from gateway.caching import CachedScorecards, ReadThrough
from gateway.framework_admin import FrameworkAdmin, FrameworkChangeRejected
from shared.catalog import load_catalog
from shared.events import ScorecardChanged
from shared.framework_log import InMemoryFrameworkLog


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def changed(fiscal_year: int) -> ScorecardChanged:
    return ScorecardChanged(
        scorecard_id=f"FY{fiscal_year}|cybersecurity",
        fiscal_year=fiscal_year,
        qsmo="cybersecurity",
        version=2,
        phase=3,
        computed_at=NOW,
        cause="new_data",
        overall_score=None,
        overall_status="NO_DATA",
        transitions=[],
        measures=[],
    )


@pytest.fixture
def reader() -> InMemoryScorecards:
    catalog = load_catalog()
    found = InMemoryScorecards()
    for fiscal_year in (2023, 2024):
        for qsmo in QSMOS:
            found.versions.append(make_view(catalog, fiscal_year, qsmo, {"customer-engagement": 1}))
    return found


async def test_hits_until_the_ttl_then_reads_again(reader: InMemoryScorecards) -> None:
    clock = Clock()
    cached = CachedScorecards(reader, ReadThrough(10, lambda: True, clock=clock))
    for _ in range(3):
        assert (await cached.current(2024, "cybersecurity")) is not None
    assert reader.calls["current"] == 1
    clock.now = 10.5
    await cached.current(2024, "cybersecurity")
    assert reader.calls["current"] == 2


async def test_a_new_version_drops_that_fiscal_year_only(reader: InMemoryScorecards) -> None:
    cached = CachedScorecards(reader, ReadThrough(60, lambda: True))
    await cached.all_current(2024)
    await cached.all_current(2023)
    await cached.current(2024, "grants-management")
    cached.changed(changed(2024))
    await cached.all_current(2024)
    await cached.all_current(2023)
    await cached.current(2024, "grants-management")
    assert reader.calls["all_current"] == 3
    assert reader.calls["current"] == 2


async def test_concurrent_misses_share_one_read(reader: InMemoryScorecards) -> None:
    cached = CachedScorecards(reader, ReadThrough(60, lambda: True))
    views = await asyncio.gather(*(cached.all_current(2024) for _ in range(20)))
    assert reader.calls["all_current"] == 1
    assert all(len(v) == 4 for v in views)


async def test_without_a_positioned_live_feed_every_read_goes_to_the_store(
    reader: InMemoryScorecards,
) -> None:
    cached = CachedScorecards(reader, ReadThrough(60, lambda: False))
    await cached.current(2024, "cybersecurity")
    await cached.current(2024, "cybersecurity")
    assert reader.calls["current"] == 2


async def test_failed_reads_are_not_kept(reader: InMemoryScorecards) -> None:
    cached = CachedScorecards(reader, ReadThrough(60, lambda: True))
    reader.fail_with = RuntimeError("store away")
    with pytest.raises(RuntimeError):
        await cached.current(2024, "cybersecurity")
    reader.fail_with = None
    assert (await cached.current(2024, "cybersecurity")) is not None


async def test_the_cache_is_bounded(reader: InMemoryScorecards) -> None:
    cache: ReadThrough[object] = ReadThrough(60, lambda: True, max_entries=2)
    cached = CachedScorecards(reader, cache)
    for qsmo in QSMOS:
        await cached.current(2024, qsmo)
    await cached.current(2024, QSMOS[0])  # evicted: read again
    assert reader.calls["current"] == 5


async def test_framework_state_is_forgotten_after_every_change_even_refused() -> None:
    framework_log = InMemoryFrameworkLog()
    store = FrameworkAdmin(framework_log)  # another gateway on the same log
    cached = FrameworkAdmin(framework_log, cache=ReadThrough(60, lambda: True))
    assert (await cached.state()).seq == 0
    await cached.set_target("customer-engagement", 45, actor="a", reason="r")
    assert (await cached.state()).seq == 1
    with pytest.raises(FrameworkChangeRejected):
        await cached.set_target("customer-engagement", -1, actor="a", reason="r")
    await store.set_measure_weight("customer-engagement", 2, actor="elsewhere", reason="r")
    assert (await cached.state()).seq == 2  # the refused change cleared the cache too
