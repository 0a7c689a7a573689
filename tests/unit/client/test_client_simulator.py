"""The simulator's generator: ranges, phases, duplicates, late events, trends, the RED story,
determinism — all without a clock or a network."""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from qsmo_client.events import EVENT_ID_PATTERN, Event
from qsmo_client.simulator.history import Delivery, generate_history, measure_start
from qsmo_client.simulator.live import LiveTrickle
from qsmo_client.simulator.model import FY2022_START
from qsmo_client.simulator.profiles import RED_DIMENSION, RED_FROM_FISCAL_YEAR, RED_QSMO
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_quarter_of, fiscal_year_of
from shared.domain.measures import Aggregation
from shared.domain.scoring import Status, score

CATALOG = load_catalog()
FRAMEWORK = CATALOG.framework()
QSMOS = CATALOG.qsmo_ids
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def history() -> list[Delivery]:
    return generate_history(2022, QSMOS, FY2022_START, NOW, FRAMEWORK)


def occurred(event: Event) -> datetime:
    return datetime.fromisoformat(event.occurred_at)


def unique_events(deliveries: Sequence[Delivery]) -> dict[str, Event]:
    return {d.event.event_id: d.event for d in deliveries}


def check_event(event: Event, now: datetime) -> None:
    measure = FRAMEWORK.measure(event.measure)
    low, high = measure.value_range.min, measure.value_range.max
    assert math.isfinite(event.value)
    assert low <= event.value, event
    assert high is None or event.value <= high, event
    assert EVENT_ID_PATTERN.match(event.event_id)
    moment = occurred(event)
    assert moment.utcoffset() is not None
    assert FY2022_START <= moment <= now
    start = measure_start(FRAMEWORK, event.measure)
    assert start is not None
    assert moment >= start, f"{event.measure} reported before its phase"


def test_the_default_backfill_is_a_few_thousand_valid_events(history: list[Delivery]) -> None:
    events = unique_events(history)
    assert 2000 <= len(events) <= 5000
    for event in events.values():
        check_event(event, NOW)
    assert {e.qsmo for e in events.values()} == set(QSMOS)
    reported = {e.measure for e in events.values()}
    assert reported == {m.id for m in FRAMEWORK.measures if m.phase is not None}
    assert [d.arrival for d in history] == sorted(d.arrival for d in history)
    assert all(occurred(d.event) <= d.arrival <= NOW for d in history)


def test_client_retries_resend_the_same_event_with_the_same_id(history: list[Delivery]) -> None:
    retries = [d for d in history if d.retry]
    assert len(retries) >= 10
    firsts = {d.event.event_id: d for d in history if not d.retry}
    for retry in retries:
        first = firsts[retry.event.event_id]
        assert retry.event == first.event
        assert retry.arrival >= first.arrival
    assert Counter(d.event.event_id for d in history).most_common(1)[0][1] == 2


def test_late_events_arrive_in_a_later_quarter_than_they_occurred(history: list[Delivery]) -> None:
    late = [d for d in history if d.late and not d.retry]
    assert len(late) >= 30
    for delivery in late:
        if delivery.arrival < NOW:  # a late event not yet due is sent with the backfill's end
            assert delivery.arrival - occurred(delivery.event) >= timedelta(days=95)
            assert fiscal_quarter_of(delivery.arrival) > fiscal_quarter_of(occurred(delivery.event))


def fiscal_year_values(events: dict[str, Event], qsmo: str, year: int) -> dict[str, float]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events.values():
        if event.qsmo == qsmo and fiscal_year_of(occurred(event)) == year:
            grouped[event.measure].append(event)
    values: dict[str, float] = {}
    for measure_id, items in grouped.items():
        aggregation = FRAMEWORK.measure(measure_id).aggregation
        numbers = [e.value for e in items]
        if aggregation is Aggregation.SUM:
            values[measure_id] = sum(numbers)
        elif aggregation is Aggregation.MEAN:
            values[measure_id] = sum(numbers) / len(numbers)
        else:
            values[measure_id] = max(items, key=occurred).value
    return values


@pytest.mark.parametrize("seed", [2022, 1, 7, 99])
def test_one_qsmo_slips_into_red_in_one_dimension_and_only_there(seed: int) -> None:
    start = datetime(RED_FROM_FISCAL_YEAR - 1, 10, 1, tzinfo=UTC)
    end = datetime(RED_FROM_FISCAL_YEAR, 9, 30, 23, 0, tzinfo=UTC)
    events = unique_events(generate_history(seed, QSMOS, start, end, FRAMEWORK))
    red: list[tuple[str, str]] = []
    for qsmo in QSMOS:
        values = fiscal_year_values(events, qsmo, RED_FROM_FISCAL_YEAR)
        card = score(FRAMEWORK, values, fiscal_year=RED_FROM_FISCAL_YEAR, qsmo=qsmo)
        red += [(qsmo, d.id) for d in card.dimensions if d.active and d.status is Status.RED]
        if qsmo == RED_QSMO:
            below = [
                m for m in card.measures if m.dimension == RED_DIMENSION and m.status is Status.RED
            ]
            assert len(below) >= 2, below
    assert red == [(RED_QSMO, RED_DIMENSION)]


def test_the_red_qsmo_was_fine_before_it_slipped(history: list[Delivery]) -> None:
    events = unique_events(history)
    values = fiscal_year_values(events, RED_QSMO, 2024)
    card = score(FRAMEWORK, values, fiscal_year=2024, qsmo=RED_QSMO)
    assert card.dimension(RED_DIMENSION).status is Status.GREEN


def test_trends_and_seasons(history: list[Delivery]) -> None:
    events = unique_events(history)
    first = fiscal_year_values(events, "cybersecurity", 2022)["customer-satisfaction"]
    later = fiscal_year_values(events, "cybersecurity", 2026)["customer-satisfaction"]
    assert later > first
    by_month = Counter(
        occurred(e).astimezone(UTC).month
        for e in events.values()
        if e.measure in {"customer-engagement", "solution-adoption"}
    )
    assert by_month[9] > by_month[12]  # year-end buying beats the holidays


def test_the_same_seed_gives_the_same_history_and_more_time_only_adds() -> None:
    since = datetime(2025, 10, 1, tzinfo=UTC)
    a = generate_history(5, QSMOS, since, NOW, FRAMEWORK)
    assert generate_history(5, QSMOS, since, NOW, FRAMEWORK) == a
    assert unique_events(generate_history(6, QSMOS, since, NOW, FRAMEWORK)) != unique_events(a)
    later = unique_events(generate_history(5, QSMOS, since, NOW + timedelta(days=40), FRAMEWORK))
    assert {i: later[i] for i in unique_events(a)} == unique_events(a)
    assert len(later) > len(unique_events(a))


def test_since_cannot_go_before_fy2022_and_qsmos_can_be_chosen() -> None:
    early = datetime(2020, 1, 1, tzinfo=UTC)
    deliveries = generate_history(
        1, ["human-resources"], early, datetime(2021, 12, 1, tzinfo=UTC), FRAMEWORK
    )
    assert deliveries
    assert {d.event.qsmo for d in deliveries} == {"human-resources"}
    assert min(occurred(d.event) for d in deliveries) >= FY2022_START


def test_the_live_trickle_is_deterministic_valid_and_keeps_sums_at_a_real_pace() -> None:
    def run(seed: int) -> list[list[Event]]:
        trickle = LiveTrickle(seed, QSMOS, NOW, FRAMEWORK)
        return [trickle.tick(NOW + timedelta(seconds=2 * n), 2.0, 1.0) for n in range(1, 400)]

    ticks = run(3)
    assert ticks == run(3)
    events = [e for tick in ticks for e in tick]
    for event in events:
        check_event(event, NOW + timedelta(seconds=800))
    unique = unique_events([Delivery(NOW, e) for e in events])
    assert len(events) > len(unique)  # some events were sent again with their ids
    assert any(occurred(e) < NOW - timedelta(days=1) for e in unique.values())  # backdated
    summed = [
        e for e in unique.values() if FRAMEWORK.measure(e.measure).aggregation is Aggregation.SUM
    ]
    assert len(summed) <= 3  # ~13 minutes of real time, not 400 survey-speed events
    assert 600 <= len(unique) <= 1000  # about one snapshot event per second
