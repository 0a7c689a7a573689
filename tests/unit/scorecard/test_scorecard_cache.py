"""The service's write-through cache: it saves store reads, and forgets when told to."""

from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from scorecard_support import stored_current

from services.scorecard.cache import CachedScorecardRepository
from services.scorecard.domain import compute_scorecard
from services.scorecard.inputs import InputState
from services.scorecard.ports import LatestVersion, StoredVersion
from services.scorecard.repository import InMemoryScorecardRepository
from shared.catalog import load_catalog
from shared.domain.overrides import NO_OVERRIDES
from shared.domain.summaries import fold_all

AT = datetime(2025, 2, 1, tzinfo=UTC)
FRAMEWORK = load_catalog().framework()
SID = "FY2025|cybersecurity"


class CountingStore(InMemoryScorecardRepository):
    """The in-memory store, counting the reads that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    async def load_inputs(self, owners: Collection[str]) -> list[InputState]:
        self.reads.append(f"inputs {sorted(owners)}")
        return await super().load_inputs(owners)

    async def load_latest(self, scorecard_ids: Collection[str]) -> Mapping[str, LatestVersion]:
        self.reads.append(f"latest {sorted(scorecard_ids)}")
        return await super().load_latest(scorecard_ids)


def _input(values: list[float]) -> InputState:
    return InputState(
        scope="qsmo",
        qsmo="cybersecurity",
        measure="customer-engagement",
        fiscal_year=2025,
        summary=fold_all([(v, AT, i) for i, v in enumerate(values)]),
        restated=False,
        restated_count=0,
        last_occurred_at=AT,
        last_ingested_at=AT,
        changed_at=AT,
    )


def _version(version: int, values: list[float]) -> StoredVersion:
    view = compute_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        owner="cybersecurity",
        fiscal_year=2025,
        inputs=[_input(values)],
        computed_at=AT,
    ).model_copy(update={"version": version})
    return StoredVersion(view, ())


async def test_a_writer_reads_the_store_once_then_its_own_writes() -> None:
    store = CountingStore()
    cached = CachedScorecardRepository(store)
    for version in (1, 2, 3):
        await cached.load_inputs(["cybersecurity", "government"])
        await cached.load_latest([SID])
        await cached.save_inputs([_input([float(version)])])
        await cached.insert_versions([_version(version, [float(version)])])
        await cached.save_current([_version(version, [float(version)])])
        await cached.mark_published({SID: version})
    assert store.reads == ["inputs ['cybersecurity', 'government']", f"latest ['{SID}']"]
    assert await cached.load_inputs(["cybersecurity"]) == [_input([3.0])]
    latest = (await cached.load_latest([SID]))[SID]
    assert (latest.stored.view.version, latest.published) == (3, True)
    current = stored_current(store, 2025, "cybersecurity")
    assert current is not None
    assert current.version == 3
    assert store.current[SID]["published"]


async def test_forgetting_reads_the_store_again() -> None:
    """Another writer (after a rebalance) is seen only once the cache is forgotten."""
    store = CountingStore()
    cached = CachedScorecardRepository(store)
    await cached.save_inputs([_input([1])])
    assert await cached.load_inputs(["cybersecurity"]) == [_input([1])]
    await store.save_inputs([_input([1, 2])])  # written behind the cache's back
    await store.insert_versions([_version(1, [1, 2])])
    assert await cached.load_inputs(["cybersecurity"]) == [_input([1])]
    cached.forget_cached()
    assert await cached.load_inputs(["cybersecurity"]) == [_input([1, 2])]
    assert (await cached.load_latest([SID]))[SID].stored.view.version == 1


async def test_a_publication_the_pointer_may_not_hold_is_read_back() -> None:
    """A version found after the pointer (a crash between the writes) and marked published
    before being pointed at: the store ignores the mark, and so does the cache."""
    store = CountingStore()
    first, second = _version(1, [1]), _version(2, [2])
    await store.insert_versions([first])
    await store.save_current([first])
    await store.insert_versions([second])
    cached = CachedScorecardRepository(store)
    assert (await cached.load_latest([SID]))[SID].stored == second
    await cached.mark_published({SID: 2})
    latest = (await cached.load_latest([SID]))[SID]
    assert (latest.stored, latest.published) == (second, False)
    assert store.reads == [f"latest ['{SID}']", f"latest ['{SID}']"]
