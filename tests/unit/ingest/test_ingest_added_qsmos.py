"""QSMOs added by admins at run time: ingest accepts their events without a restart."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

from ingest_support import DevKeys, FakeClock, build_harness, event
from prometheus_client import CollectorRegistry

from services.ingest.metrics import IngestMetrics
from services.ingest.qsmo_directory import QsmoDirectory, QsmoDirectoryRefresher
from services.ingest.settings import IngestSettings
from shared.domain.framework_changes import RecordedChange
from shared.events import FrameworkChanged
from shared.framework_log import InMemoryFrameworkLog

CATALOG_IDS = ("cybersecurity", "human-resources")


def change(kind: str, qsmo: str | None = None, **fields: object) -> FrameworkChanged:
    return FrameworkChanged(
        change_id=f"{kind}-{qsmo}",
        kind=kind,  # type: ignore[arg-type]
        qsmo=qsmo,
        actor="admin",
        reason="test",
        changed_at=datetime(2025, 1, 1, tzinfo=UTC),
        **fields,  # type: ignore[arg-type]
    )


def test_the_directory_adds_qsmo_added_entries_once_in_order() -> None:
    directory = QsmoDirectory(CATALOG_IDS)
    records = [
        RecordedChange(1, change("qsmo_added", "travel")),
        RecordedChange(2, change("target", measure="m", value=1.0)),
        RecordedChange(3, change("qsmo_added", "fleet")),
    ]
    directory.apply(records)
    directory.apply(records)  # a replay of the same entries changes nothing
    assert directory.ids() == (*CATALOG_IDS, "travel", "fleet")
    assert directory.seq == 3


def test_the_directory_skips_entries_it_has_applied_and_ids_it_knows() -> None:
    directory = QsmoDirectory(CATALOG_IDS)
    directory.apply([RecordedChange(2, change("qsmo_added", "travel"))])
    directory.apply([RecordedChange(1, change("qsmo_added", "late"))])  # older than seq 2
    directory.apply([RecordedChange(3, change("qsmo_added", "cybersecurity"))])
    assert directory.ids() == (*CATALOG_IDS, "travel")
    assert directory.seq == 3


class FailingThenWorkingLog:
    def __init__(self, failures: int, records: Sequence[RecordedChange]) -> None:
        self.failures = failures
        self.records = records

    async def after(self, seq: int) -> Sequence[RecordedChange]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store unreachable")
        return [r for r in self.records if r.seq > seq]


async def test_an_unreadable_log_keeps_the_known_ids_and_is_read_again() -> None:
    directory = QsmoDirectory(CATALOG_IDS)
    registry = CollectorRegistry()
    framework_log = FailingThenWorkingLog(2, [RecordedChange(1, change("qsmo_added", "travel"))])
    refresher = QsmoDirectoryRefresher(
        directory, framework_log, IngestMetrics(registry, CATALOG_IDS), 0.001
    )
    task = asyncio.create_task(refresher.run())
    try:
        async with asyncio.timeout(5):
            while "travel" not in directory.ids():
                assert directory.ids()[:2] == CATALOG_IDS
                await asyncio.sleep(0.001)
    finally:
        task.cancel()
    assert registry.get_sample_value("qsmo_ingest_qsmo_refresh_failures_total") == 2
    assert registry.get_sample_value("qsmo_ingest_added_qsmos") == 1


async def test_events_for_a_qsmo_added_at_run_time_are_accepted_once_it_is_read(
    keys: DevKeys, clock: FakeClock
) -> None:
    framework_log = InMemoryFrameworkLog()
    settings = IngestSettings(qsmo_refresh_s=0.01)
    body = event(event_id="travel-1", qsmo="travel")
    admin = {"Authorization": f"Bearer {keys.admin}"}
    async with build_harness(keys, clock, settings, framework_log) as harness:
        refused = await harness.client.post("/v1/events", json=body, headers=admin)
        assert refused.status_code == 422
        assert refused.json()["error"]["details"][0]["code"] == "unknown_qsmo"
        await framework_log.append(change("qsmo_added", "travel"), "qsmo|travel")
        async with asyncio.timeout(5):
            while True:
                answer = await harness.client.post("/v1/events", json=body, headers=admin)
                if answer.status_code == 202:
                    break
                assert answer.status_code == 422
                await asyncio.sleep(0.01)
    assert [e.event_id for e in harness.publisher.published] == ["travel-1"]
    assert harness.publisher.published[0].qsmo == "travel"


class UnreachableLog:
    async def after(self, seq: int) -> Sequence[RecordedChange]:
        raise ConnectionError("store unreachable")


async def test_until_the_added_qsmos_are_loaded_an_unknown_qsmo_is_503_not_422(
    keys: DevKeys, clock: FakeClock
) -> None:
    """After a restart with the store down, a 422 would make a system drop valid events."""
    settings = IngestSettings(qsmo_refresh_s=0.01)
    admin = {"Authorization": f"Bearer {keys.admin}"}
    async with build_harness(keys, clock, settings, UnreachableLog()) as harness:
        unknown = await harness.client.post(
            "/v1/events", json=event(event_id="travel-1", qsmo="travel"), headers=admin
        )
        known = await harness.client.post(
            "/v1/events", json=event(event_id="cyber-1"), headers=admin
        )
    assert unknown.status_code == 503
    assert unknown.headers["retry-after"] == "5"
    assert "not loaded yet" in unknown.json()["error"]["message"]
    assert known.status_code == 202
    assert [e.event_id for e in harness.publisher.published] == ["cyber-1"]
