"""The simulator's generator: ranges, phases, duplicates, late events, trends, the RED story,
determinism, providers and agencies (the tiers below the QSMO) — all without a clock or a
network."""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from qsmo_client.events import EVENT_ID_PATTERN, Event
from qsmo_client.simulator.history import Delivery, generate_history, measure_start
from qsmo_client.simulator.live import LiveTrickle
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.model import FY2022_START
from qsmo_client.simulator.profiles import (
    AGENCIES,
    FEEDS,
    RED_DIMENSION,
    RED_FROM_FISCAL_YEAR,
    RED_QSMO,
    Reach,
)
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_quarter_of, fiscal_year_of
from shared.domain.measures import Aggregation
from shared.domain.scoring import Status, score

CATALOG = load_catalog()
FRAMEWORK = CATALOG.framework()
QSMOS = CATALOG.qsmo_ids
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
MARKETPLACE = Marketplace(2022, CATALOG.providers)


@pytest.fixture(scope="module")
def history() -> list[Delivery]:
    return generate_history(2022, QSMOS, FY2022_START, NOW, FRAMEWORK, MARKETPLACE)


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


PROVIDERS = {p.id: p for p in CATALOG.providers}
AGENCY_IDS = {a.id for a in CATALOG.agencies}
FEEDS_BY_MEASURE = {feed.measure: feed for feed in FEEDS}


def check_tiers(event: Event) -> None:
    """The event names a provider and an agency exactly when its feed calls for them; the
    provider serves the event's QSMO and is not retired; the agency is a catalog agency."""
    feed = FEEDS_BY_MEASURE[event.measure]
    assert (event.agency is not None) == feed.with_agency, event
    assert (event.provider is not None) == feed.with_provider, event
    if event.agency is not None:
        assert event.agency in AGENCY_IDS, event
    if event.provider is not None:
        provider = PROVIDERS[event.provider]
        assert provider.serves(event.qsmo), f"{event.provider} does not serve {event.qsmo}"
        assert not provider.retired
        assert event.to_document()["provider"] == event.provider
    else:
        assert "provider" not in event.to_document()


def test_the_default_backfill_is_a_few_thousand_valid_events(history: list[Delivery]) -> None:
    events = unique_events(history)
    assert 2000 <= len(events) <= 5000
    for event in events.values():
        check_event(event, NOW)
        check_tiers(event)
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
    market = Marketplace(5, CATALOG.providers)
    a = generate_history(5, QSMOS, since, NOW, FRAMEWORK, market)
    assert generate_history(5, QSMOS, since, NOW, FRAMEWORK, Marketplace(5, CATALOG.providers)) == a
    other = generate_history(6, QSMOS, since, NOW, FRAMEWORK, Marketplace(6, CATALOG.providers))
    assert unique_events(other) != unique_events(a)
    later = unique_events(
        generate_history(5, QSMOS, since, NOW + timedelta(days=40), FRAMEWORK, market)
    )
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
        trickle = LiveTrickle(seed, QSMOS, NOW, FRAMEWORK, Marketplace(seed, CATALOG.providers))
        return [trickle.tick(NOW + timedelta(seconds=2 * n), 2.0, 1.0) for n in range(1, 400)]

    ticks = run(3)
    assert ticks == run(3)
    events = [e for tick in ticks for e in tick]
    for event in events:
        check_event(event, NOW + timedelta(seconds=800))
        check_tiers(event)
    unique = unique_events([Delivery(NOW, e) for e in events])
    assert len(events) > len(unique)  # some events were sent again with their ids
    assert any(occurred(e) < NOW - timedelta(days=1) for e in unique.values())  # backdated
    summed = [
        e for e in unique.values() if FRAMEWORK.measure(e.measure).aggregation is Aggregation.SUM
    ]
    assert len(summed) <= 3  # ~13 minutes of real time, not 400 survey-speed events
    assert 600 <= len(unique) <= 1000  # about one snapshot event per second


def provider_volumes(events: dict[str, Event], qsmo: str) -> Counter[str]:
    return Counter(e.provider for e in events.values() if e.qsmo == qsmo and e.provider)


def test_every_provider_of_a_qsmo_reports_and_a_few_large_federal_ones_carry_most(
    history: list[Delivery],
) -> None:
    events = unique_events(history)
    assert {a for a in AGENCIES} <= AGENCY_IDS
    for qsmo in QSMOS:
        volumes = provider_volumes(events, qsmo)
        serving = {p.id for p in CATALOG.providers if p.serves(qsmo) and not p.retired}
        assert set(volumes) == serving, qsmo  # every provider of the QSMO, and only those
        ranked = [count for _, count in volumes.most_common()]
        top = ranked[: math.ceil(len(ranked) / 2)]
        assert sum(top) >= 0.6 * sum(ranked), (qsmo, volumes)
        largest = volumes.most_common(1)[0][0]
        assert PROVIDERS[largest].kind == "federal", (qsmo, volumes)
        assert ranked[0] >= 2.5 * ranked[-1], (qsmo, volumes)  # skewed, not even
        for year in range(2023, 2027):  # every provider view has data in every closed year
            in_year = {
                e.provider
                for e in events.values()
                if e.qsmo == qsmo and e.provider and fiscal_year_of(occurred(e)) == year
            }
            assert in_year == serving, (qsmo, year)


def test_agencies_mostly_use_one_provider_per_qsmo_and_some_migrate(
    history: list[Delivery],
) -> None:
    events = unique_events(history)
    migrations = MARKETPLACE.migrations
    assert {m.qsmo for m in migrations} == set(QSMOS)
    moved = {(m.qsmo, m.agency) for m in migrations}
    for qsmo in QSMOS:
        for agency in AGENCIES:
            used = Counter(
                e.provider
                for e in events.values()
                if e.qsmo == qsmo and e.agency == agency and e.provider
            )
            if (qsmo, agency) not in moved:
                assert used.most_common(1)[0][1] >= 0.75 * used.total(), (qsmo, agency, used)
    for migration in migrations:
        assert migration.source != migration.target
        assert datetime(2023, 10, 1, tzinfo=UTC) <= migration.at < datetime(2026, 10, 1, tzinfo=UTC)
        before = Counter(
            e.provider
            for e in events.values()
            if (e.qsmo, e.agency) == (migration.qsmo, migration.agency)
            and e.provider
            and occurred(e) < migration.at
        )
        after = Counter(
            e.provider
            for e in events.values()
            if (e.qsmo, e.agency) == (migration.qsmo, migration.agency)
            and e.provider
            and occurred(e) >= migration.at
        )
        if before.total() >= 5:
            assert before.most_common(1)[0][0] == migration.source, (migration, before)
        if after.total() >= 5:
            assert after.most_common(1)[0][0] == migration.target, (migration, after)


def test_the_marketplace_is_drawn_from_the_seed() -> None:
    def shape(market: Marketplace) -> list[object]:
        return [
            (qsmo, sorted(m.main.items()), sorted(m.second.items()), m.migrations)
            for qsmo in QSMOS
            if (m := market.for_qsmo(qsmo)) is not None
        ]

    assert shape(Marketplace(3, CATALOG.providers)) == shape(Marketplace(3, CATALOG.providers))
    assert shape(Marketplace(3, CATALOG.providers)) != shape(Marketplace(4, CATALOG.providers))
    for seed in (1, 3, 4, 7, 2022):  # a department's own provider serves it, whatever the seed
        market = Marketplace(seed, CATALOG.providers).for_qsmo("financial-management")
        assert market is not None
        assert market.main["DOI"] == "doi-ibc"
        assert market.main["USDA"] == "usda-nfc"


def test_retired_providers_and_qsmos_without_providers_get_no_events() -> None:
    retired = {"treasury-arc"}
    providers = [
        p.model_copy(update={"retired_at": NOW}) if p.id in retired else p
        for p in CATALOG.providers
    ]
    market = Marketplace(2022, providers)
    since = datetime(2025, 10, 1, tzinfo=UTC)
    events = unique_events(generate_history(2022, QSMOS, since, NOW, FRAMEWORK, market))
    named = {e.provider for e in events.values()}
    assert "treasury-arc" not in named
    assert {"doi-ibc", "usda-nfc"} <= named
    only_cyber = [p for p in CATALOG.providers if p.serves("cybersecurity")]
    market = Marketplace(2022, only_cyber)
    assert market.for_qsmo("human-resources") is None
    events = unique_events(generate_history(2022, QSMOS, since, NOW, FRAMEWORK, market))
    hr = [e for e in events.values() if e.qsmo == "human-resources"]
    assert hr
    assert all(e.provider is None for e in hr)
    assert any(e.agency for e in hr)  # agencies are still named


def test_qsmo_wide_feeds_name_neither_provider_nor_agency() -> None:
    wide = {feed.measure for feed in FEEDS if feed.reach is Reach.QSMO}
    assert {"price-transparency", "m3-playbook-utilization", "return-on-investment"} <= wide
    assert "customer-satisfaction" not in wide
