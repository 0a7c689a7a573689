"""Provider and agency slices through the real measures service, broker and store.

Two providers and three agencies on financial management (one agency also on grants
management): exact values per slice for the fiscal year, its quarters, its month series and
a rolling window; QSMO-level and government-wide values do not pool slice documents in; a
slice without events reads as no value, never zero; slice reads send only ``_id`` filters.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import qsmo_stack
from measures_pipeline import Lane, eventually, produce, start_measures
from pymongo import monitoring

from services.measures import documents as docs
from services.measures.read_model import MeasureValuesReader, SliceIndex
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice
from shared.events import AcceptedEvent
from shared.mongo import create_mongo_client

FM, GM = "financial-management", "grants-management"
CE, CS = "customer-engagement", "customer-satisfaction"
QSMOS = (FM, GM, "cybersecurity", "human-resources")
ARC, IBC = Slice("provider", "treasury-arc"), Slice("provider", "doi-ibc")
DOI, USDA, TREAS = Slice("agency", "DOI"), Slice("agency", "USDA"), Slice("agency", "TREAS")


def _event(
    event_id: str,
    qsmo: str,
    measure: str,
    value: float,
    at: datetime,
    provider: str | None,
    agency: str | None,
) -> AcceptedEvent:
    return AcceptedEvent(
        event_id=event_id,
        qsmo=qsmo,
        measure=measure,
        value=value,
        occurred_at=at,
        ingested_at=datetime(2025, 11, 1, tzinfo=UTC),
        request_id="r",
        provider=provider,
        agency=agency,
    )


def _at(month: int, day: int) -> datetime:
    return datetime(2024 if month >= 10 else 2025, month, day, 12, tzinfo=UTC)


EVENTS = [
    _event("e1", FM, CE, 10, _at(11, 5), "treasury-arc", "DOI"),
    _event("e2", FM, CE, 20, _at(1, 10), "treasury-arc", "USDA"),
    _event("e3", FM, CE, 5, _at(1, 12), "doi-ibc", "USDA"),
    _event("e4", FM, CE, 7, _at(2, 10), "doi-ibc", "TREAS"),
    _event("e5", FM, CE, 1, _at(4, 2), "doi-ibc", None),
    _event("e6", FM, CE, 100, _at(4, 3), None, "DOI"),
    _event("e1", FM, CE, 99, _at(11, 5), "doi-ibc", "TREAS"),  # a resend: first one wins
    _event("e8", GM, CE, 3, _at(1, 11), "hhs-grantsolutions", "DOI"),
    _event("s1", FM, CS, 4.0, _at(1, 10), "treasury-arc", "DOI"),
    _event("s2", FM, CS, 1.0, _at(2, 10), "doi-ibc", "DOI"),
    _event("s3", FM, CS, 5.0, _at(2, 11), "doi-ibc", "USDA"),
    _event("s4", GM, CS, 3.0, _at(1, 11), "hhs-grantsolutions", "DOI"),
]
DISTINCT = len({e.event_id for e in EVENTS})


async def _counted(database: Any) -> int:
    streams = await database[docs.STREAMS].find({}, {"event_count": 1}).to_list()
    return sum(s["event_count"] for s in streams)


@pytest.fixture(scope="module")
async def measured(stack: qsmo_stack.Stack, kafka_bootstrap: str) -> AsyncIterator[Any]:
    """The events folded by a real measures process; the lane's database."""
    lane = Lane.new()
    await lane.create_topics(kafka_bootstrap)
    await produce(kafka_bootstrap, lane.events, EVENTS)
    start_measures(stack, lane, "-slices")
    client = create_mongo_client(stack.mongo_url)
    try:
        database = client[lane.database]

        async def all_counted() -> bool:
            return await _counted(database) >= DISTINCT

        await eventually(all_counted, 60, f"{DISTINCT} counted events")
        yield database
    finally:
        stack.stop("measures-slices")
        await client.close()


async def _value(
    reader: MeasureValuesReader,
    qsmo: str | None,
    measure: str,
    piece: Slice | None,
    quarter: int | None = None,
) -> tuple[float | None, int]:
    aggregation = Aggregation.SUM if measure == CE else Aggregation.MEAN
    reading = await reader.fiscal_value(
        qsmo, measure, aggregation, 2025, quarter, slice=piece, qsmos=QSMOS
    )
    assert reading.slice == piece
    return reading.value, reading.summary.count


async def test_each_slice_has_its_exact_year_and_quarter_values(measured: Any) -> None:
    reader = MeasureValuesReader(measured)
    year = {p: await _value(reader, FM, CE, p) for p in (None, ARC, IBC, DOI, USDA, TREAS)}
    assert year == {
        None: (143, 6),
        ARC: (30, 2),
        IBC: (13, 3),
        DOI: (110, 2),
        USDA: (25, 2),
        TREAS: (7, 1),
    }
    quarters = [await _value(reader, FM, CE, IBC, q) for q in (1, 2, 3, 4)]
    assert quarters == [(None, 0), (12, 2), (1, 1), (None, 0)]
    assert [await _value(reader, FM, CE, DOI, q) for q in (1, 3)] == [(10, 1), (100, 1)]
    assert await _value(reader, FM, CS, IBC) == (3.0, 2)
    assert await _value(reader, FM, CS, DOI) == (2.5, 2)


async def test_government_wide_by_agency_pools_the_agency_over_the_qsmos(measured: Any) -> None:
    reader = MeasureValuesReader(measured)
    assert await _value(reader, None, CE, DOI) == (113, 3)
    value, count = await _value(reader, None, CS, DOI)
    assert (value, count) == (pytest.approx(8 / 3), 3)  # pooled mean: (4 + 1 + 3) / 3
    reading = await reader.fiscal_value(None, CE, Aggregation.SUM, 2025, slice=DOI)
    assert (reading.value, reading.qsmos_reporting) == (113, 2)  # without qsmos: by a query
    with pytest.raises(ValueError, match="provider slice needs its QSMO"):
        await reader.fiscal_value(None, CE, Aggregation.SUM, 2025, slice=ARC)


async def test_qsmo_and_government_values_do_not_pool_slice_documents(measured: Any) -> None:
    reader = MeasureValuesReader(measured)
    plain = await reader.fiscal_value(None, CE, Aggregation.SUM, 2025)  # by query, no qsmos
    assert (plain.value, plain.summary.count) == (146, 7)
    assert (await reader.fiscal_value(None, CE, Aggregation.SUM, 2025, qsmos=QSMOS)).value == 146
    now = datetime(2025, 4, 5, 12, tzinfo=UTC)
    rolling = await reader.rolling_value(FM, CE, Aggregation.SUM, now, 90)
    assert (rolling.value, rolling.summary.count) == (133, 5)
    everywhere = await reader.rolling_value(None, CE, Aggregation.SUM, now, 90)
    assert (everywhere.value, everywhere.summary.count) == (136, 6)


async def test_a_slice_without_events_has_no_value_not_zero(measured: Any) -> None:
    reader = MeasureValuesReader(measured)
    nfc = Slice("provider", "usda-nfc")
    assert await _value(reader, FM, CE, nfc) == (None, 0)
    assert await _value(reader, None, CE, Slice("agency", "NASA")) == (None, 0)
    months = await reader.series(FM, CE, Aggregation.SUM, 2025, PeriodKind.MONTH, slice=nfc)
    assert [m.value for m in months] == [None] * 12
    now = datetime(2025, 4, 5, 12, tzinfo=UTC)
    assert (await reader.rolling_value(FM, CE, Aggregation.SUM, now, 30, slice=nfc)).value is None


async def test_month_and_quarter_series_of_a_slice(measured: Any) -> None:
    reader = MeasureValuesReader(measured)

    async def points(qsmo: str | None, piece: Slice, granularity: PeriodKind) -> dict[str, Any]:
        readings = await reader.series(
            qsmo, CE, Aggregation.SUM, 2025, granularity, qsmos=QSMOS, slice=piece
        )
        assert all(r.slice == piece for r in readings)
        return {r.period.label: r.value for r in readings if r.summary.count}

    assert await points(FM, ARC, PeriodKind.MONTH) == {"2024-11": 10, "2025-01": 20}
    assert await points(FM, IBC, PeriodKind.MONTH) == {"2025-01": 5, "2025-02": 7, "2025-04": 1}
    assert await points(None, DOI, PeriodKind.MONTH) == {
        "2024-11": 10,
        "2025-01": 3,
        "2025-04": 100,
    }
    assert await points(FM, USDA, PeriodKind.FISCAL_QUARTER) == {"FY2025 Q2": 25}


async def test_rolling_windows_of_a_slice(measured: Any) -> None:
    reader = MeasureValuesReader(measured)
    now = datetime(2025, 4, 5, 12, tzinfo=UTC)

    async def rolling(qsmo: str | None, piece: Slice, days: int) -> tuple[float | None, int]:
        reading = await reader.rolling_value(qsmo, CE, Aggregation.SUM, now, days, slice=piece)
        return reading.value, reading.summary.count

    assert await rolling(FM, IBC, 90) == (13, 3)  # by _id, one lookup per day
    assert await rolling(FM, ARC, 90) == (20, 1)  # November is outside the window
    assert await rolling(FM, DOI, 90) == (100, 1)
    assert await rolling(FM, ARC, 500) == (30, 2)  # longer windows: one day-range query
    assert await rolling(None, DOI, 500) == (113, 3)
    assert await rolling(FM, TREAS, 3) == (None, 0)


async def test_year_states_slice_index_and_agencies_seen(measured: Any) -> None:
    reader = MeasureValuesReader(measured)
    states = await reader.year_states([FM, GM, "cybersecurity"], [CE, CS], [2024, 2025], DOI)
    assert [(s.qsmo, s.measure, s.fiscal_year, s.summary.count) for s in states] == [
        (FM, CE, 2025, 2),
        (FM, CS, 2025, 2),
        (GM, CE, 2025, 1),
        (GM, CS, 2025, 1),
    ]
    plain = await reader.year_states([FM], [CE], [2025], None)
    assert [(s.summary.total, s.restated_count) for s in plain] == [(143, 0)]
    assert await reader.slice_index(FM, 2025) == SliceIndex(
        providers={
            "treasury-arc": frozenset({"DOI", "USDA"}),
            "doi-ibc": frozenset({"DOI", "USDA", "TREAS"}),
        },
        agencies=frozenset({"DOI", "USDA", "TREAS"}),
    )
    assert await reader.slice_index(FM, 2024) == SliceIndex({}, frozenset())
    assert await reader.agencies_seen() == ["DOI", "TREAS", "USDA"]


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


async def test_slice_reads_send_only_id_filters(measured: Any, stack: qsmo_stack.Stack) -> None:
    watcher = FindFilters()
    client = create_mongo_client(stack.mongo_url, event_listeners=[watcher])
    try:
        reader = MeasureValuesReader(client[measured.name])
        now = datetime(2025, 4, 5, 12, tzinfo=UTC)
        await reader.fiscal_value(FM, CE, Aggregation.SUM, 2025, 2, slice=IBC)
        await reader.fiscal_value(None, CE, Aggregation.SUM, 2025, slice=DOI, qsmos=QSMOS)
        await reader.series(FM, CE, Aggregation.SUM, 2025, PeriodKind.MONTH, slice=IBC)
        await reader.series(FM, CE, Aggregation.SUM, 2025, PeriodKind.FISCAL_QUARTER, slice=IBC)
        await reader.rolling_value(FM, CE, Aggregation.SUM, now, 30, slice=IBC)
        await reader.year_states(QSMOS, [CE, CS], [2025], DOI)
        await reader.slice_index(FM, 2025)
        assert len(watcher.filters) == 1 + 4 + 1 + 4 + 30 + 8 + 1
        assert all(list(f) == ["_id"] and isinstance(f["_id"], str) for f in watcher.filters)
    finally:
        await client.close()


async def test_a_document_written_before_slices_still_counts_as_qsmo_level(
    measured: Any,
) -> None:
    reader = MeasureValuesReader(measured)
    key = f"{GM}|{CE}|fiscal_year|FY2025"
    await measured[docs.PERIODS].update_one(
        {"_id": key}, {"$unset": {"slice_kind": "", "slice_id": ""}}
    )
    try:
        assert (await reader.fiscal_value(None, CE, Aggregation.SUM, 2025)).value == 146
    finally:
        await measured[docs.PERIODS].update_one(
            {"_id": key}, {"$set": {"slice_kind": None, "slice_id": None}}
        )
