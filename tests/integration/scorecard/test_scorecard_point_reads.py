"""``all_current`` by ``_id`` point lookups answers exactly what the ``fiscal_year`` find did."""

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "scorecard"))
from scorecard_support import both_scopes

from gateway.framework_admin import FrameworkAdmin
from gateway.framework_announcer import InMemoryFrameworkAnnouncer
from services.scorecard import documents as docs
from services.scorecard.handlers import ScorecardContext, process_values
from services.scorecard.publisher import InMemoryScorecardPublisher
from services.scorecard.read_model import ScorecardReader
from services.scorecard.repository import MongoScorecardRepository
from shared.catalog import load_catalog
from shared.framework_log import MongoFrameworkLog
from shared.mongo import create_mongo_client

T0 = datetime(2025, 1, 10, 9, tzinfo=UTC)
READ_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


class Finds(monitoring.CommandListener):
    """The filters of every ``find`` sent to the current-scorecards collection."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == docs.CURRENT:
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_point_lookups_find_the_same_scorecards_as_the_scan(
    mongo_url: str, mongo_db: Any
) -> None:
    catalog = load_catalog()
    repository = MongoScorecardRepository(mongo_db)
    await repository.create_indexes()
    context = ScorecardContext(repository, InMemoryScorecardPublisher(), catalog.framework())
    store = FrameworkAdmin(MongoFrameworkLog(mongo_db), InMemoryFrameworkAnnouncer())
    await store.add_qsmo("new-office", "New office", "GSA", actor="osspi-admin", reason="pilot")
    state = await store.state()
    for qsmo in ("cybersecurity", "grants-management", "new-office"):
        for year in (2024, 2025):
            await process_values(
                both_scopes(qsmo, "customer-engagement", year, [20 + year % 10]),
                context=context,
                state=state,
                now=T0,
            )

    async def qsmo_ids() -> list[str]:
        added = (await store.state()).added_qsmos
        return [*catalog.qsmo_ids, *(q.id for q in added)]

    finds = Finds()
    client = create_mongo_client(mongo_url, event_listeners=[finds])
    try:
        # Both judge at the same instant (rev. 2 reads judge an open year at their clock).
        scanning = ScorecardReader(client[mongo_db.name], clock=lambda: READ_AT)
        looking_up = ScorecardReader(
            client[mongo_db.name], clock=lambda: READ_AT, qsmo_ids=qsmo_ids
        )
        for phase in (None, 1):
            scanned = await scanning.all_current(2025, phase)
            finds.filters.clear()
            looked_up = await looking_up.all_current(2025, phase)
            assert looked_up == scanned
            assert all(set(f) == {"_id"} for f in finds.filters), finds.filters
            assert len(finds.filters) == len(catalog.qsmo_ids) + 2  # + added + government
        assert [v.qsmo for v in scanned] == [
            "cybersecurity",
            "grants-management",
            "new-office",
            None,
        ]
        assert {v.fiscal_year for v in scanned} == {2025}
        assert await looking_up.all_current(2030) == []
    finally:
        await client.close()
