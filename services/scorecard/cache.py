"""What one scorecard writer has read or written, kept between batches (write-through).

The instance that owns a values partition is the only writer of the scorecards whose owners
hash to it (docs/scorecard.md), so until its partitions move, what it last read or wrote is
what the store holds. Reading it back for every batch cost two store round trips before any
scorecard could be computed: an owner ``$in`` over the inputs (a collection scan on FerretDB
1.24) and one lookup per scorecard and per version probe — 130–180 ms of a 500–800 ms batch
at 1,000 events/s on the local store (``bench/scorecard_latency.py``, 2026-12-01).

Cached: each owner's inputs (all years) once loaded, and each scorecard's latest version, or
that it has none. Everything else is read through. The consumer calls ``forget_cached`` at
every rebalance (another instance may have written since) and after a failed batch (a write
may have half landed), so the next batch reads the store again. Only the running service
wraps its repository in this; the recompute command and the readers read the store.
"""

from collections.abc import Collection, Mapping, Sequence

from services.scorecard.inputs import InputState
from services.scorecard.ports import LatestVersion, ScorecardRepository, StoredVersion


class CachedScorecardRepository:
    """``store`` with the inputs and latest versions of the owners it was asked about cached.

    An owner's inputs keep the store's order (loaded in it, new keys appended as the store
    appends them), so a scorecard is computed from its inputs in the same order either way.
    """

    def __init__(self, store: ScorecardRepository) -> None:
        self._store = store
        self._inputs: dict[str, dict[str, InputState]] = {}
        self._latest: dict[str, LatestVersion | None] = {}
        self._pointer: dict[str, int] = {}
        """The version ``scorecard_current`` holds, where known (``mark_published`` needs it)."""

    def forget_cached(self) -> None:
        """Drop everything cached: the next reads go to the store."""
        self._inputs.clear()
        self._latest.clear()
        self._pointer.clear()
        self._store.forget_cached()

    async def load_inputs(self, owners: Collection[str]) -> list[InputState]:
        wanted = list(dict.fromkeys(owners))
        missing = [owner for owner in wanted if owner not in self._inputs]
        if missing:
            loaded: dict[str, dict[str, InputState]] = {owner: {} for owner in missing}
            for state in await self._store.load_inputs(missing):
                loaded[state.owner][state.key] = state
            self._inputs.update(loaded)
        return [state for owner in wanted for state in self._inputs[owner].values()]

    async def save_inputs(self, states: Collection[InputState]) -> None:
        await self._store.save_inputs(states)
        for state in states:
            cached = self._inputs.get(state.owner)
            if cached is not None:
                cached[state.key] = state

    async def scorecards_of(self, owners: Collection[str] | None) -> set[tuple[str, int]]:
        return await self._store.scorecards_of(owners)

    async def load_latest(self, scorecard_ids: Collection[str]) -> Mapping[str, LatestVersion]:
        missing = [sid for sid in dict.fromkeys(scorecard_ids) if sid not in self._latest]
        if missing:
            found = await self._store.load_latest(missing)
            self._latest.update({sid: found.get(sid) for sid in missing})
            for sid, read in found.items():
                if read.published:  # only the current pointer is ever marked published
                    self._pointer[sid] = read.stored.view.version
        return {sid: latest for sid in scorecard_ids if (latest := self._latest[sid]) is not None}

    async def insert_versions(self, versions: Sequence[StoredVersion]) -> None:
        await self._store.insert_versions(versions)
        for stored in versions:  # stored after the pointer: the latest, not yet announced
            sid = stored.view.scorecard_id
            if sid not in self._latest:
                continue  # never read: the store will be asked
            before = self._latest[sid]
            if before is None or before.stored.view.version < stored.view.version:
                self._latest[sid] = LatestVersion(stored, published=False)

    async def save_current(self, versions: Sequence[StoredVersion]) -> None:
        await self._store.save_current(versions)
        for stored in versions:
            self._latest[stored.view.scorecard_id] = LatestVersion(stored, published=False)
            self._pointer[stored.view.scorecard_id] = stored.view.version

    async def mark_published(self, versions: Mapping[str, int]) -> None:
        await self._store.mark_published(versions)
        for sid, version in versions.items():
            latest = self._latest.get(sid)
            if latest is None or latest.stored.view.version != version:
                continue  # the latest stays what it was, published or not
            if self._pointer.get(sid) == version:
                self._latest[sid] = LatestVersion(latest.stored, published=True)
            else:  # whether the store marked it depends on its pointer: ask it next time
                del self._latest[sid]

    async def load_watermarks(self, keys: Collection[str]) -> Mapping[str, int]:
        return await self._store.load_watermarks(keys)

    async def save_watermarks(self, marks: Mapping[str, int]) -> None:
        await self._store.save_watermarks(marks)

    async def count_by_status(self) -> Mapping[str, int]:
        return await self._store.count_by_status()

    async def ping(self) -> None:
        await self._store.ping()
