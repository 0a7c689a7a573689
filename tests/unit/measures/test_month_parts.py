"""A fiscal-year state keeps its months: exact, exactly once, and equal to its day states."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from measures_builders import accepted, record

from services.measures import documents as docs
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import InMemoryMeasureRepository
from shared.catalog import load_catalog
from shared.domain.summaries import EMPTY, Summary, merge

CATALOG = load_catalog()
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
FY2025 = "cybersecurity|customer-engagement|fiscal_year|FY2025"


async def _run(records: list[Any], repo: InMemoryMeasureRepository) -> None:
    await process_batch(
        records, repository=repo, publisher=InMemoryValuePublisher(), catalog=CATALOG, now=NOW
    )


def _month_parts(repo: InMemoryMeasureRepository, key: str) -> dict[str, Any]:
    return docs.month_parts(repo.periods[key])


async def test_events_land_in_their_month_of_the_fiscal_year_document() -> None:
    repo = InMemoryMeasureRepository()
    events = [
        accepted("a", 3, datetime(2024, 10, 31, 23, 59, tzinfo=UTC)),
        accepted("b", 4, datetime(2024, 11, 1, 0, 0, tzinfo=UTC)),
        accepted("c", 5, datetime(2024, 11, 20, tzinfo=UTC)),
    ]
    await _run([record(e, i) for i, e in enumerate(events)], repo)
    months = _month_parts(repo, FY2025)
    assert sorted(months) == ["2024-10", "2024-11"]
    assert (months["2024-10"].summary.count, months["2024-10"].summary.total) == (1, 3)
    assert (months["2024-11"].summary.count, months["2024-11"].summary.total) == (2, 9)
    quarter = repo.periods["cybersecurity|customer-engagement|fiscal_quarter|FY2025 Q1"]
    assert "months" not in quarter  # only fiscal-year documents keep months


async def test_a_late_event_restates_its_month_only_once_the_month_was_over() -> None:
    repo = InMemoryMeasureRepository()
    events = [
        accepted("a", 1, datetime(2024, 11, 20, tzinfo=UTC)),
        accepted("late-same-month", 1, datetime(2024, 11, 2, tzinfo=UTC)),
        accepted("late-earlier-month", 1, datetime(2024, 10, 2, tzinfo=UTC)),
    ]
    await _run([record(e, i) for i, e in enumerate(events)], repo)
    months = _month_parts(repo, FY2025)
    assert (months["2024-10"].restated_count, months["2024-11"].restated_count) == (1, 0)


async def test_a_redelivered_batch_folds_nothing_twice_into_the_months() -> None:
    repo = InMemoryMeasureRepository()
    records = [
        record(accepted(f"e{i}", i, datetime(2024, 12, 1 + i, tzinfo=UTC)), i) for i in range(4)
    ]
    await _run(records, repo)
    await _run(records, repo)
    assert _month_parts(repo, FY2025)["2024-12"].summary.total == 0 + 1 + 2 + 3


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 800), st.integers(0, 100)),
        min_size=1,
        max_size=40,
    ),
    batch=st.integers(1, 10),
)
@pytest.mark.asyncio
async def test_months_add_up_to_the_year_and_equal_their_days(
    events: list[tuple[int, int, int]], batch: int
) -> None:
    start = datetime(2023, 9, 1, tzinfo=UTC)
    records = [
        record(accepted(f"id{eid}", float(value), start + timedelta(days=day)), offset)
        for offset, (eid, day, value) in enumerate(events)
    ]
    repo = InMemoryMeasureRepository()
    for first in range(0, len(records), batch):
        await _run(records[first : first + batch], repo)
    days: dict[str, Summary] = {}
    for document in repo.periods.values():
        if document["kind"] == "day":
            month = document["label"][:7]
            days[month] = merge(days.get(month, EMPTY), Summary.from_document(document["summary"]))
    years = [d for d in repo.periods.values() if d["kind"] == "fiscal_year"]
    months_seen: dict[str, Summary] = {}
    for year in years:
        parts = docs.month_parts(year)
        assert sum(p.summary.count for p in parts.values()) == year["summary"]["count"]
        months_seen.update({label: p.summary for label, p in parts.items()})
    assert months_seen == days
