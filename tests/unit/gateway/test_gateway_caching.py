"""The read-through caches: hits, expiry, invalidation by the live feed, and bypass."""

import asyncio
from datetime import UTC, datetime

import pytest
from gateway_unit_support import NOW, QSMOS, FakeMeasureValues, InMemoryScorecards, make_view

from gateway.caching import CachedScorecards, CachedSliceValues, ReadThrough, RefreshAhead
from gateway.framework_admin import FrameworkAdmin, FrameworkChangeRejected
from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice
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


SLICE_FM = ("financial-management", "customer-satisfaction", 4.0)


def sliced_values() -> FakeMeasureValues:
    at = datetime(2023, 1, 10, tzinfo=UTC)
    return FakeMeasureValues(events=[(*SLICE_FM, at, "doi-ibc", "DOI")])


async def test_slice_reads_are_shared_cached_and_forgotten_with_their_year() -> None:
    fake, clock = sliced_values(), Clock()
    values = CachedSliceValues(fake, RefreshAhead(10, lambda: True, clock=clock))
    ibc = Slice("provider", "doi-ibc")
    reads = [values.year_states([SLICE_FM[0]], [SLICE_FM[1]], [2023], ibc) for _ in range(5)]
    found = await asyncio.gather(*reads)
    assert fake.calls["year_states"] == 1  # concurrent misses share one read
    assert all(f == found[0] for f in found)
    assert found[0][0].summary.count == 1
    values.changed(changed(2024))  # another year
    await values.year_states([SLICE_FM[0]], [SLICE_FM[1]], [2023], ibc)
    assert fake.calls["year_states"] == 1
    values.changed(changed(2023))
    await values.year_states([SLICE_FM[0]], [SLICE_FM[1]], [2023], ibc)
    assert fake.calls["year_states"] == 2
    await values.year_states([SLICE_FM[0]], [SLICE_FM[1]], [2023], None)  # another key
    assert fake.calls["year_states"] == 3


async def test_an_old_entry_is_refreshed_in_the_background_serving_the_last_value() -> None:
    fake, clock = sliced_values(), Clock()
    values = CachedSliceValues(fake, RefreshAhead(10, lambda: True, clock=clock))
    ibc = Slice("provider", "doi-ibc")
    first = await values.slice_index(SLICE_FM[0], 2023)
    assert set(first.providers) == {"doi-ibc"}
    fake.events.append((*SLICE_FM, datetime(2023, 2, 1, tzinfo=UTC), "treasury-arc", "DOI"))
    clock.now = 10.5
    served = await values.slice_index(SLICE_FM[0], 2023)  # old value, refresh started
    assert served == first
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    refreshed = await values.slice_index(SLICE_FM[0], 2023)
    assert set(refreshed.providers) == {"doi-ibc", "treasury-arc"}
    assert fake.calls["slice_index"] == 2
    quarters = await values.series(
        SLICE_FM[0], SLICE_FM[1], Aggregation.MEAN, 2023, PeriodKind.FISCAL_QUARTER, slice=ibc
    )
    assert [q.value for q in quarters] == [None, 4.0, None, None]


async def test_qsmo_level_reads_pass_through_and_a_dead_feed_bypasses() -> None:
    fake = sliced_values()
    values = CachedSliceValues(fake, RefreshAhead(10, lambda: False))
    for _ in range(2):
        await values.slice_index(SLICE_FM[0], 2023)
        await values.series(SLICE_FM[0], SLICE_FM[1], Aggregation.MEAN, 2023, PeriodKind.MONTH)
    assert (fake.calls["slice_index"], fake.calls["series"]) == (2, 2)


async def test_measures_outside_the_default_framework_are_never_cached() -> None:
    """A provider-framework measure (fed by the provider tools) changes without a
    ScorecardChanged: its slice reads always go to the store."""
    at = datetime(2023, 1, 10, tzinfo=UTC)
    event = ("financial-management", "best-practices-self-assessment", 4.0, at, "doi-ibc", None)
    fake = FakeMeasureValues(events=[event])
    default = load_catalog().framework().measure_ids
    assert "best-practices-self-assessment" not in default
    values = CachedSliceValues(fake, RefreshAhead(10, lambda: True), cacheable_measures=default)
    ibc = Slice("provider", "doi-ibc")
    for _ in range(2):
        await values.year_states([event[0]], [event[1]], [2023], ibc)
        await values.series(event[0], event[1], Aggregation.MEAN, 2023, PeriodKind.MONTH, slice=ibc)
        await values.year_states([SLICE_FM[0]], [SLICE_FM[1]], [2023], ibc)
    assert (fake.calls["year_states"], fake.calls["series"]) == (3, 2)
