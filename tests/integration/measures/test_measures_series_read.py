"""A measure series on the real store: read by ``_id`` only, and exact for old year documents.

FerretDB 1.24 scans the whole collection for any filter but ``{_id: value}``
(docs/local-infra.md), so the reader must send nothing else for a series.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import monitoring

from services.measures import documents as docs
from services.measures.decoding import RawRecord
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.read_model import MeasureValuesReader, ValueReading
from services.measures.repository import MongoMeasureRepository
from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.events import AcceptedEvent
from shared.mongo import create_mongo_client

QSMOS = ("cybersecurity", "financial-management", "grants-management", "human-resources")
EVENTS = [
    ("cybersecurity", 4.0, datetime(2024, 10, 3, tzinfo=UTC)),
    ("cybersecurity", 6.0, datetime(2024, 10, 30, tzinfo=UTC)),
    ("cybersecurity", 5.0, datetime(2025, 1, 2, tzinfo=UTC)),
    ("grants-management", 7.0, datetime(2024, 11, 15, tzinfo=UTC)),
    ("grants-management", 1.0, datetime(2025, 9, 30, 23, 59, tzinfo=UTC)),
]


class FindFilters(monitoring.CommandListener):
    """The filter of every ``find`` the client sends."""

    def __init__(self) -> None:
        self.filters: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.filters.append(dict(event.command.get("filter", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


@pytest.fixture
async def loaded(mongo_db: Any, mongo_url: str) -> AsyncIterator[tuple[Any, FindFilters]]:
    """The events folded by the real handler into a fresh database; a watched client on it."""
    records = []
    for offset, (qsmo, value, at) in enumerate(EVENTS):
        event = AcceptedEvent(
            event_id=f"e{offset}",
            qsmo=qsmo,
            measure="customer-engagement",
            value=value,
            occurred_at=at,
            ingested_at=datetime(2025, 10, 1, tzinfo=UTC),
            request_id="r",
        )
        key = f"{qsmo}|customer-engagement".encode()
        records.append(RawRecord("t", 0, offset, key, event.model_dump_json().encode()))
    await process_batch(
        records,
        repository=MongoMeasureRepository(mongo_db),
        publisher=InMemoryValuePublisher(),
        catalog=load_catalog(),
        now=datetime(2025, 10, 1, tzinfo=UTC),
    )
    watcher = FindFilters()
    client = create_mongo_client(mongo_url, event_listeners=[watcher])
    try:
        yield client[mongo_db.name], watcher
    finally:
        await client.close()


def _points(readings: list[ValueReading]) -> dict[str, tuple[float | None, int]]:
    return {r.period.label: (r.value, r.summary.count) for r in readings if r.summary.count}


async def _series(database: Any, qsmo: str | None, granularity: PeriodKind) -> Any:
    reader = MeasureValuesReader(database)
    return await reader.series(
        qsmo, "customer-engagement", Aggregation.SUM, 2025, granularity, qsmos=QSMOS
    )


async def test_a_monthly_series_is_read_by_id_only(loaded: tuple[Any, FindFilters]) -> None:
    database, watcher = loaded
    own = await _series(database, "cybersecurity", PeriodKind.MONTH)
    assert _points(own) == {"2024-10": (10.0, 2), "2025-01": (5.0, 1)}
    government = await _series(database, None, PeriodKind.MONTH)
    assert _points(government) == {
        "2024-10": (10.0, 2),
        "2024-11": (7.0, 1),
        "2025-01": (5.0, 1),
        "2025-09": (1.0, 1),
    }
    assert [g.qsmos_reporting for g in government if g.summary.count] == [1, 1, 1, 1]
    assert len(watcher.filters) == 1 + len(QSMOS)  # one year document per QSMO read
    assert all(list(f) == ["_id"] and isinstance(f["_id"], str) for f in watcher.filters)


async def test_a_quarterly_series_is_read_by_id_only(loaded: tuple[Any, FindFilters]) -> None:
    database, watcher = loaded
    quarters = await _series(database, None, PeriodKind.FISCAL_QUARTER)
    assert _points(quarters) == {
        "FY2025 Q1": (17.0, 3),
        "FY2025 Q2": (5.0, 1),
        "FY2025 Q4": (1.0, 1),
    }
    assert len(watcher.filters) == 4 * len(QSMOS)
    assert all(list(f) == ["_id"] for f in watcher.filters)


async def test_a_year_document_written_before_months_were_kept_is_read_from_its_days(
    loaded: tuple[Any, FindFilters],
) -> None:
    database, watcher = loaded
    before = _points(await _series(database, None, PeriodKind.MONTH))
    await database[docs.PERIODS].update_one(
        {"_id": "grants-management|customer-engagement|fiscal_year|FY2025"},
        {"$unset": {"months": ""}},
    )
    watcher.filters.clear()
    assert _points(await _series(database, None, PeriodKind.MONTH)) == before
    day_scans = [f for f in watcher.filters if "_id" not in f]
    assert [(f["qsmo"], f["kind"]) for f in day_scans] == [("grants-management", "day")]
