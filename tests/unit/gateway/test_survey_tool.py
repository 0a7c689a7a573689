"""The survey tool's handlers on in-memory stores with a clock the test moves: waves close
by themselves after their close date, and a batch that loses the race with a close is
refused without counting."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry

from gateway.framework_admin import FrameworkAdmin
from gateway.framework_announcer import InMemoryFrameworkAnnouncer
from gateway.metrics import GatewayMetrics
from gateway.provider_tools.events import InMemoryToolEventPublisher, ToolEventOutbox
from gateway.provider_tools.survey_store import InMemorySurveyStore, load_survey_catalog
from gateway.provider_tools.surveys import SurveyTool
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog
from shared.domain.survey import SurveyRejected, SurveyResponse, WaveStatus, close_wave
from shared.framework_log import InMemoryFrameworkLog

ADMIN = Principal(key_id="t-admin", role=Role.ADMIN)
START = datetime(2026, 1, 10, 9, tzinfo=UTC)
HEADER = ["role", "agency", "function", "provider", "overall"]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class ClosedDuringImport(InMemorySurveyStore):
    """Closes the wave just after the import read it (another gateway closing it)."""

    async def write_batch(
        self, wave_id: str, batch: str, responses: Sequence[SurveyResponse]
    ) -> None:
        stored = self.waves_by_id[wave_id]
        assert await self.close(close_wave(stored.wave, START), stored.revision, [])
        await super().write_batch(wave_id, batch, responses)


def tool(store: InMemorySurveyStore, clock: Clock) -> tuple[SurveyTool, InMemoryToolEventPublisher]:
    catalog = load_catalog()
    publisher = InMemoryToolEventPublisher()
    outbox = ToolEventOutbox(
        publisher,
        [("survey", store.outbox)],
        clock=clock,
        metrics=GatewayMetrics(CollectorRegistry()),
    )
    framework = FrameworkAdmin(
        InMemoryFrameworkLog(), InMemoryFrameworkAnnouncer(), catalog=catalog, clock=clock
    )
    surveys = SurveyTool(
        store,
        outbox,
        catalog=catalog,
        survey_catalog=load_survey_catalog(),
        providers=framework.providers,
        clock=clock,
    )
    return surveys, publisher


def rows(n: int) -> list[tuple[int, dict[str, str | None]]]:
    cells = ["manager", "DOI", "payroll", "usda-nfc", "4"]
    return [(i + 2, dict(zip(HEADER, cells, strict=True))) for i in range(n)]


async def test_a_wave_closes_by_itself_after_its_close_date() -> None:
    clock = Clock()
    surveys, publisher = tool(InMemorySurveyStore(), clock)
    wave = await surveys.create_wave(
        ADMIN, 2026, "Winter", date(2026, 1, 5), date(2026, 2, 5), None
    )
    added = await surveys.add_rows(ADMIN, wave.id, HEADER, rows(3))
    assert added.stored == 3
    clock.now = datetime(2026, 2, 5, 23, 59, tzinfo=UTC)
    assert await surveys.closer.close_due() == []
    clock.now += timedelta(minutes=2)
    assert await surveys.closer.close_due() == [wave.id]
    assert await surveys.closer.close_due() == []
    assert (await surveys.stored(wave.id)).wave.status is WaveStatus.CLOSED
    assert len(publisher.events) == 3
    assert {e.occurred_at for e in publisher.events} == {datetime(2026, 2, 5, 12, tzinfo=UTC)}
    assert {(e.qsmo, e.provider, e.agency) for e in publisher.events} == {
        ("human-resources", "usda-nfc", "DOI")
    }


async def test_a_batch_that_loses_the_race_with_the_close_is_refused_and_not_counted() -> None:
    store = ClosedDuringImport()
    surveys, _ = tool(store, Clock())
    wave = await surveys.create_wave(ADMIN, 2026, "Race", date(2026, 1, 5), date(2026, 2, 5), None)
    with pytest.raises(SurveyRejected, match="takes no more responses"):
        await surveys.add_rows(ADMIN, wave.id, HEADER, rows(2))
    closed = await surveys.closed_wave(wave.id)
    assert closed.responses == ()
