"""Provider and agency slices in the measures core: exact, exactly once, never announced."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from measures_builders import accepted, record

from services.measures import documents as docs
from services.measures.domain import CountedEvent, Sighting, keys_of, plan_batch
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import InMemoryMeasureRepository
from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation
from shared.domain.summaries import EMPTY, Summary, merge, value_of

CATALOG = load_catalog()
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
JAN = datetime(2025, 1, 15, 12, tzinfo=UTC)  # FY2025 Q2
BASE = "cybersecurity|customer-engagement"


async def _run(records: list[Any], repo: InMemoryMeasureRepository | None = None) -> Any:
    repo = repo or InMemoryMeasureRepository()
    publisher = InMemoryValuePublisher()
    report = await process_batch(
        records, repository=repo, publisher=publisher, catalog=CATALOG, now=NOW
    )
    return repo, publisher, report


def _sum(repo: InMemoryMeasureRepository, key: str) -> float | None:
    return value_of(Summary.from_document(repo.periods[key]["summary"]), Aggregation.SUM)


async def test_an_event_with_provider_and_agency_updates_nine_states_and_announces_four() -> None:
    event = accepted("a", 3, JAN, provider="cisa-cyber-shared-services", agency="DOI")
    repo, publisher, report = await _run([record(event, 0)])
    assert report.counted == 1
    suffixes = ["", "|provider:cisa-cyber-shared-services", "|agency:DOI"]
    periods = ["fiscal_year|FY2025", "fiscal_quarter|FY2025 Q2", "day|2025-01-15"]
    assert sorted(repo.periods) == sorted(f"{BASE}|{p}{s}" for p in periods for s in suffixes)
    slice_year = repo.periods[f"{BASE}|fiscal_year|FY2025|agency:DOI"]
    assert (slice_year["slice_kind"], slice_year["slice_id"]) == ("agency", "DOI")
    assert sorted(slice_year["months"]) == ["2025-01"]
    plain = repo.periods[f"{BASE}|fiscal_year|FY2025"]
    assert (plain["slice_kind"], plain["slice_id"]) == (None, None)
    # slice scorecards are computed on read: only the QSMO-level states are announced
    assert sorted((c.scope, c.period.label) for c in publisher.values) == [
        ("government", "FY2025"),
        ("government", "FY2025 Q2"),
        ("qsmo", "FY2025"),
        ("qsmo", "FY2025 Q2"),
    ]


async def test_two_providers_and_three_agencies_have_exact_values_per_slice() -> None:
    mix = [
        ("doj-jsoc", "DOI", 1),
        ("doj-jsoc", "USDA", 2),
        ("bluepeak-soc", "USDA", 4),
        ("bluepeak-soc", "TREAS", 8),
        ("bluepeak-soc", None, 16),
        (None, "DOI", 32),
    ]
    events = [
        accepted(f"e{i}", v, JAN + timedelta(days=i), provider=p, agency=a)
        for i, (p, a, v) in enumerate(mix)
    ]
    repo, _, _ = await _run([record(e, i) for i, e in enumerate(events)])
    year = f"{BASE}|fiscal_year|FY2025"
    assert _sum(repo, year) == 63
    expected = {
        "provider:doj-jsoc": 3,
        "provider:bluepeak-soc": 28,
        "agency:DOI": 33,
        "agency:USDA": 6,
        "agency:TREAS": 8,
    }
    assert {label: _sum(repo, f"{year}|{label}") for label in expected} == expected
    assert _sum(repo, f"{BASE}|day|2025-01-17|provider:bluepeak-soc") == 4
    assert f"{BASE}|day|2025-01-17|provider:doj-jsoc" not in repo.periods
    index = repo.slice_index["cybersecurity|FY2025"]
    assert docs.slice_index_of(index) == (
        {"doj-jsoc": frozenset({"DOI", "USDA"}), "bluepeak-soc": frozenset({"USDA", "TREAS"})},
        frozenset({"DOI", "USDA", "TREAS"}),
    )
    assert sorted(repo.agencies_seen) == ["DOI", "TREAS", "USDA"]


async def test_a_replayed_batch_changes_no_slice_state_and_no_index() -> None:
    records = [
        record(accepted(f"e{i}", i, JAN + timedelta(hours=i), provider="doj-jsoc", agency="DOI"), i)
        for i in range(5)
    ]
    repo, _, _ = await _run(records)
    before = (dict(repo.periods), dict(repo.slice_index), dict(repo.agencies_seen))
    _, _, report = await _run(records, repo)
    assert report.counted == 0
    assert (repo.periods, repo.slice_index, repo.agencies_seen) == before
    assert _sum(repo, f"{BASE}|fiscal_year|FY2025|provider:doj-jsoc") == 10


async def test_a_late_event_restates_its_slice_states_against_the_stream() -> None:
    # the DOI slice has never seen an event; the stream has, so the old event restates
    events = [
        accepted("new", 1, JAN, agency="USDA"),
        accepted("old", 2, datetime(2024, 5, 1, tzinfo=UTC), agency="DOI"),
    ]
    repo, _, _ = await _run([record(e, i) for i, e in enumerate(events)])
    old_year = repo.periods["cybersecurity|customer-engagement|fiscal_year|FY2024|agency:DOI"]
    assert old_year["restated_count"] == 1
    assert old_year["months"]["2024-05"]["restated_count"] == 1
    assert repo.periods[f"{BASE}|fiscal_year|FY2025|agency:USDA"]["restated_count"] == 0


def test_agency_ids_that_are_not_field_names_survive_the_slice_index() -> None:
    odd = "U.S. $Agency 100%"
    updates = docs.slice_index_updates([Sighting("q", 2025, "p", odd)])
    assert all(path.count(".") in (1, 2, 3) for path in updates["q|FY2025"])
    document: dict[str, Any] = {}
    for path, value in updates["q|FY2025"].items():
        *parents, name = path.split(".")
        node = document
        for parent in parents:
            node = node.setdefault(parent, {})
        node[name] = value
    assert docs.slice_index_of(document) == ({"p": frozenset({odd})}, frozenset({odd}))


def test_keys_of_names_every_slice_state_an_event_needs() -> None:
    event = CountedEvent("e", "q", "m", 1.0, JAN, JAN, 0, 0, agency="DOI", provider="p")
    period_keys, stream_keys = keys_of([event])
    assert stream_keys == {"q|m"}
    assert len(period_keys) == 9
    assert "q|m|day|2025-01-15|agency:DOI" in period_keys


def test_without_provider_or_agency_nothing_is_sighted_and_three_states_move() -> None:
    event = CountedEvent("e", "q", "m", 1.0, JAN, JAN, 0, 0)
    plan = plan_batch([event], {}, {})
    assert len(plan.periods) == 3
    assert plan.sightings == set()


providers = st.sampled_from([None, "doj-jsoc", "bluepeak-soc"])
agencies = st.sampled_from([None, "DOI", "USDA", "TREAS"])


@settings(max_examples=60, deadline=None)
@given(
    events=st.lists(
        st.tuples(st.integers(0, 20), st.integers(0, 400), providers, agencies),
        min_size=1,
        max_size=40,
    ),
    batch=st.integers(1, 10),
)
@pytest.mark.asyncio
async def test_slices_partition_the_qsmo_values_in_every_period(
    events: list[tuple[int, int, str | None, str | None]], batch: int
) -> None:
    """Events all carrying a provider: the provider slices add up to the QSMO, period by period."""
    start = datetime(2024, 9, 1, tzinfo=UTC)
    records = [
        record(
            accepted(
                f"id{eid}", float(day % 7), start + timedelta(days=day), provider=p or "x", agency=a
            ),
            offset,
        )
        for offset, (eid, day, p, a) in enumerate(events)
    ]
    repo = InMemoryMeasureRepository()
    for first in range(0, len(records), batch):
        await _run(records[first : first + batch], repo)
    by_plain: dict[str, Summary] = {}
    for key, document in repo.periods.items():
        plain, _, label = key.partition("|provider:") if "|provider:" in key else (key, "", "")
        if "|agency:" in key:
            continue
        if label:
            by_plain[plain] = merge(
                by_plain.get(plain, EMPTY), Summary.from_document(document["summary"])
            )
    for plain, pooled in by_plain.items():
        stored = Summary.from_document(repo.periods[plain]["summary"])
        assert (pooled.count, pooled.total) == (stored.count, stored.total)
    assert set(by_plain) == {k for k, d in repo.periods.items() if d["slice_kind"] is None}
