"""One suite, two survey stores: in memory and MongoDB-protocol (the real store).

Waves by id and fiscal year, compare-and-set on revision, response batches that count only
once committed on an open wave, and a close that writes the closed wave and its owed events
in one update (then visible to the outbox source).
"""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from gateway.provider_tools.survey_store import (
    InMemorySurveyStore,
    MongoSurveyStore,
    SurveyStore,
    WaveExistsError,
)
from shared.domain.survey import (
    SurveyItem,
    SurveyResponse,
    WaveStatus,
    close_wave,
    new_wave,
    set_invitations,
)

AT = datetime(2026, 1, 10, 9, tzinfo=UTC)
ITEMS = [SurveyItem(id="overall", text="Overall?", overall=True)]
WAVE = new_wave(2026, "Annual", date(2026, 1, 5), date(2026, 2, 5), ITEMS, now=AT)


def _response(
    i: int, provider: str | None = "doi-ibc", comment: str | None = None
) -> SurveyResponse:
    return SurveyResponse(
        id=f"r{i}",
        wave=WAVE.id,
        role="manager",
        agency="DOI",
        function="payroll",
        provider=provider,
        ratings={"overall": 1 + i % 5},
        comment=comment,
    )


@pytest.fixture(params=["in-memory", "mongo"])
def store(request: pytest.FixtureRequest) -> SurveyStore:
    if request.param == "in-memory":
        return InMemorySurveyStore()
    database: Any = request.getfixturevalue("mongo_db")
    return MongoSurveyStore(database)


async def test_waves_by_id_and_fiscal_year(store: SurveyStore) -> None:
    await store.create_indexes()
    other = new_wave(2025, "Pulse", date(2025, 1, 5), date(2025, 2, 5), ITEMS, now=AT)
    await store.add_wave(WAVE)
    await store.add_wave(other)
    with pytest.raises(WaveExistsError):
        await store.add_wave(WAVE)
    assert [w.id for w in await store.waves()] == ["fy2025-pulse", "fy2026-annual"]
    assert await store.waves(2026) == [WAVE]
    stored = await store.wave(WAVE.id)
    assert stored is not None
    assert stored.wave == WAVE
    assert stored.revision == 0
    assert await store.wave("fy2026-none") is None


async def test_replace_is_a_compare_and_set(store: SurveyStore) -> None:
    await store.add_wave(WAVE)
    invited = set_invitations(WAVE, 50, {"DOI": 20})
    assert await store.replace_wave(invited, 0)
    assert not await store.replace_wave(WAVE, 0)
    stored = await store.wave(WAVE.id)
    assert stored is not None
    assert stored.wave.invitations == invited.invitations
    assert stored.revision == 1


async def test_a_batch_counts_once_committed(store: SurveyStore) -> None:
    await store.add_wave(WAVE)
    await store.write_batch(WAVE.id, "b1", [_response(1), _response(2, None, "slow")])
    stored = await store.wave(WAVE.id)
    assert stored is not None
    assert await store.responses(stored) == []
    assert await store.committed_ids(stored, ["r1"]) == set()
    assert await store.commit_batch(WAVE.id, "b1")
    stored = await store.wave(WAVE.id)
    assert stored is not None
    assert stored.revision == 1
    assert await store.responses(stored) == [_response(1), _response(2, None, "slow")]
    assert await store.committed_ids(stored, ["r1", "r9"]) == {"r1"}


async def test_close_writes_the_wave_and_its_events_once(store: SurveyStore) -> None:
    await store.add_wave(WAVE)
    await store.write_batch(WAVE.id, "b1", [_response(1)])
    assert await store.commit_batch(WAVE.id, "b1")
    closed = close_wave(WAVE, AT)
    event = {"event_id": "survey:fy2026-annual:r1", "value": 2.0}
    assert not await store.close(closed, 0, [event])  # stale revision
    assert await store.close(closed, 1, [event])
    assert not await store.close(closed, 2, [event])  # closed already
    stored = await store.wave(WAVE.id)
    assert stored is not None
    assert stored.wave.status is WaveStatus.CLOSED
    assert stored.wave.closed_at == AT
    [pending] = await store.outbox.pending(WAVE.id)
    assert list(pending.events) == [event]
    assert not await store.commit_batch(WAVE.id, "b2")  # no batch commits after the close
    assert [r.id for r in await store.responses(stored)] == ["r1"]
