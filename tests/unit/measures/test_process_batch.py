"""The measures handler with in-memory adapters: exact values, exactly-once, DLQ.

The crash-and-replay property covers slice states and the slice index too (events with and
without provider and agency).
"""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from measures_builders import TOPIC, accepted, record

from services.measures.decoding import RawRecord
from services.measures.handlers import process_batch
from services.measures.publisher import InMemoryValuePublisher
from services.measures.repository import InMemoryMeasureRepository
from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation
from shared.domain.summaries import Summary, value_of

CATALOG = load_catalog()
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
JAN = datetime(2025, 1, 15, 12, tzinfo=UTC)  # FY2025 Q2


async def _run(
    records: list[RawRecord], repo: Any = None, publisher: Any = None
) -> tuple[Any, Any, Any]:
    repo = repo or InMemoryMeasureRepository()
    publisher = publisher or InMemoryValuePublisher()
    report = await process_batch(
        records, repository=repo, publisher=publisher, catalog=CATALOG, now=NOW
    )
    return repo, publisher, report


def _summary(repo: InMemoryMeasureRepository, key: str) -> Summary:
    return Summary.from_document(repo.periods[key]["summary"])


FY_KEY = "cybersecurity|customer-engagement|fiscal_year|FY2025"
Q2_KEY = "cybersecurity|customer-engagement|fiscal_quarter|FY2025 Q2"


async def test_sums_land_in_year_quarter_and_day_and_duplicates_count_once() -> None:
    events = [
        accepted("a", 3, JAN),
        accepted("b", 4, JAN + timedelta(days=1)),
        accepted("a", 100, JAN),
    ]
    repo, publisher, report = await _run([record(e, i) for i, e in enumerate(events)])
    assert (report.counted, report.duplicates) == (2, 1)
    assert value_of(_summary(repo, FY_KEY), Aggregation.SUM) == 7
    assert value_of(_summary(repo, Q2_KEY), Aggregation.SUM) == 7
    assert _summary(repo, "cybersecurity|customer-engagement|day|2025-01-15").count == 1
    scopes = sorted((c.scope, c.period.label, c.value) for c in publisher.values)
    assert scopes == [
        ("government", "FY2025", 7),
        ("government", "FY2025 Q2", 7),
        ("qsmo", "FY2025", 7),
        ("qsmo", "FY2025 Q2", 7),
    ]


async def test_redelivered_batch_changes_nothing_but_republishes_the_state() -> None:
    records = [record(accepted(f"e{i}", i, JAN + timedelta(hours=i)), i) for i in range(5)]
    repo, publisher, _ = await _run(records)
    before = json.dumps(repo.periods, default=str, sort_keys=True)
    _, publisher, report = await _run(records, repo=repo, publisher=InMemoryValuePublisher())
    assert json.dumps(repo.periods, default=str, sort_keys=True) == before
    assert report.counted == 0
    assert {c.value for c in publisher.values} == {10}


async def test_client_resend_at_a_new_offset_is_ignored_first_one_wins() -> None:
    repo, _, _ = await _run([record(accepted("x", 5, JAN), 0)])
    _, _, report = await _run([record(accepted("x", 50, JAN), 7)], repo=repo)
    assert report.duplicates == 1
    assert value_of(_summary(repo, FY_KEY), Aggregation.SUM) == 5


async def test_latest_takes_greatest_occurred_at_then_last_processed() -> None:
    measure = "return-on-investment"
    events = [
        accepted("l1", 10, JAN, measure=measure),
        accepted("l2", 30, JAN - timedelta(days=3), measure=measure),
        accepted("l3", 20, JAN, measure=measure),
    ]
    repo, _, _ = await _run([record(e, i) for i, e in enumerate(events)])
    summary = _summary(repo, f"cybersecurity|{measure}|fiscal_year|FY2025")
    assert value_of(summary, Aggregation.LATEST) == 20


async def test_an_event_for_an_earlier_period_is_counted_as_a_restatement() -> None:
    fy2024 = datetime(2024, 5, 1, tzinfo=UTC)
    events = [accepted("new", 1, JAN), accepted("old", 2, fy2024)]
    repo, publisher, report = await _run([record(e, i) for i, e in enumerate(events)])
    assert report.late == 1
    old_fy = repo.periods["cybersecurity|customer-engagement|fiscal_year|FY2024"]
    assert old_fy["restated_count"] == 1
    assert repo.periods[FY_KEY]["restated_count"] == 0
    restated = {c.period.label for c in publisher.values if c.restated}
    assert restated == {"FY2024", "FY2024 Q3"}


async def test_poison_messages_go_to_the_dead_letter_queue_and_good_ones_around_them_count() -> (
    None
):
    good = [record(accepted("g1", 1, JAN), 0), record(accepted("g2", 2, JAN), 4)]
    wrong_version = json.loads(accepted("v", 1, JAN).model_dump_json()) | {"schema_version": 9}
    out_of_range = (
        accepted("r", 1, JAN, measure="customer-satisfaction")
        .model_dump_json()
        .replace('"value":1.0', '"value":9.0')
    )
    poison = [
        RawRecord(TOPIC, 0, 1, b"k", b"\xff not json"),
        RawRecord(TOPIC, 0, 2, b"k", json.dumps(wrong_version).encode()),
        RawRecord(TOPIC, 0, 3, b"k", out_of_range.encode()),
    ]
    repo, publisher, report = await _run([good[0], *poison, good[1]])
    assert report.counted == 2
    assert report.dead_lettered == {"undecodable": 1, "schema_version": 1, "validation": 1}
    assert [letter.offset for letter in publisher.dead_letters] == [1, 2, 3]
    assert "outside" in publisher.dead_letters[2].reason
    assert value_of(_summary(repo, FY_KEY), Aggregation.SUM) == 3


class _CrashingRepository(InMemoryMeasureRepository):
    """Fails on the n-th write call, after having done part of the work."""

    def __init__(self, crash_at: int) -> None:
        super().__init__()
        self.calls = 0
        self.crash_at = crash_at

    def _tick(self) -> None:
        self.calls += 1
        if self.calls == self.crash_at:
            raise ConnectionError("simulated crash")

    async def store_raw_events(self, events: Any) -> Any:
        counted = await super().store_raw_events(events)
        self._tick()
        return counted

    async def save_periods(self, states: Any) -> None:
        states = list(states)
        await super().save_periods(states[: len(states) // 2])
        self._tick()
        await super().save_periods(states)

    async def save_streams(self, states: Any) -> None:
        await super().save_streams(states)
        self._tick()

    async def save_sightings(self, sightings: Any) -> None:
        await super().save_sightings(sightings)
        self._tick()


event_strategy = st.lists(
    st.tuples(
        st.integers(0, 15),
        st.integers(0, 500),
        st.sampled_from(["customer-engagement", "return-on-investment"]),
        st.integers(0, 40),
        st.sampled_from([None, "doj-jsoc", "bluepeak-soc"]),
        st.sampled_from([None, "DOI", "USDA"]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=120, deadline=None)
@given(events=event_strategy, crash_at=st.integers(1, 4), split=st.integers(0, 40))
@pytest.mark.asyncio
async def test_a_crash_at_any_write_then_a_replay_equals_one_clean_run(
    events: list[tuple[int, int, str, int, str | None, str | None]], crash_at: int, split: int
) -> None:
    start = datetime(2023, 9, 20, tzinfo=UTC)
    records = [
        record(
            accepted(
                f"id{eid}",
                float(value % 100),
                start + timedelta(days=day),
                measure=measure,
                provider=provider,
                agency=agency,
            ),
            offset,
        )
        for offset, (eid, day, measure, value, provider, agency) in enumerate(events)
    ]
    clean, _, _ = await _run(records)

    crashing = _CrashingRepository(crash_at=0)
    first, rest = records[:split], records[split:]
    if first:
        await _run(first, repo=crashing)  # committed
    crashing.crash_at = crashing.calls + crash_at
    with pytest.raises(ConnectionError):
        await _run(rest or first, repo=crashing)
    crashing.crash_at = 0
    await _run(rest or first, repo=crashing)  # redelivered after the crash
    assert crashing.periods == clean.periods
    assert crashing.streams == clean.streams
    assert crashing.slice_index == clean.slice_index


async def test_version_1_events_still_count_and_a_broken_one_is_invalid_not_a_version_error() -> (
    None
):
    """Schema version 2 added ``provider``; records written as version 1 stay valid."""
    version_1 = json.loads(accepted("old", 2, JAN).model_dump_json()) | {"schema_version": 1}
    broken_1 = json.loads(accepted("bad", 1, JAN).model_dump_json()) | {
        "schema_version": 1,
        "value": "two",
    }
    repo, _publisher, report = await _run(
        [
            RawRecord(TOPIC, 0, 0, b"k", json.dumps(version_1).encode()),
            RawRecord(TOPIC, 0, 1, b"k", json.dumps(broken_1).encode()),
        ]
    )
    assert report.counted == 1
    assert report.dead_lettered == {"invalid": 1}
    assert value_of(_summary(repo, FY_KEY), Aggregation.SUM) == 2


async def test_a_provider_framework_measure_counts_with_its_own_aggregation() -> None:
    """The provider tools feed ``best-practices-self-assessment`` (fy24-provider, a mean)."""
    events = [
        accepted(
            "sa-1", 3.5, JAN, measure="best-practices-self-assessment", provider="treasury-arc"
        ),
        accepted(
            "sa-2", 4.5, JAN, measure="best-practices-self-assessment", provider="treasury-arc"
        ),
        accepted("sa-3", 9.0, JAN, measure="best-practices-self-assessment"),  # outside 1..5
    ]
    repo, publisher, report = await _run([record(e, i) for i, e in enumerate(events)])
    assert (report.counted, report.dead_lettered) == (2, {"validation": 1})
    key = "cybersecurity|best-practices-self-assessment|fiscal_year|FY2025"
    assert value_of(_summary(repo, key), Aggregation.MEAN) == 4.0
    assert {c.aggregation for c in publisher.values if c.measure.startswith("best")} == {"mean"}
