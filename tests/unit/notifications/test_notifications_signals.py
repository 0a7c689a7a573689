"""Scorecard transitions, stale measures and dead-letter surges as signals (pure)."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notifications_builders import T0, dead_letter, quality, scorecard, transition

from services.notifications.rules import Breach, Clear
from services.notifications.signals import (
    Freshness,
    Names,
    freshness_of,
    newer_freshness,
    number,
    scorecard_signals,
    stale_signal,
)
from services.notifications.surges import (
    SurgeWindow,
    count_in_window,
    prune,
    qsmo_of,
    record_letter,
    surge_signal,
)
from shared.catalog import load_catalog

NAMES = Names.from_catalog(load_catalog())


@pytest.mark.parametrize(
    ("from_status", "to_status", "kind", "severity"),
    [
        ("GREEN", "RED", "breach", "critical"),
        ("AMBER", "RED", "breach", "critical"),
        ("GREEN", "AMBER", "breach", "warning"),
        ("NO_DATA", "RED", "breach", "critical"),
        ("RED", "AMBER", "breach", "warning"),
        ("RED", "GREEN", "clear", None),
        ("AMBER", "GREEN", "clear", None),
        ("RED", "NO_DATA", None, None),
        ("RED", "RED", None, None),
    ],
)
def test_status_transitions(
    from_status: str, to_status: str, kind: str | None, severity: str | None
) -> None:
    signals = scorecard_signals(scorecard(transition(from_status, to_status)), NAMES, T0)
    if kind is None:
        assert signals == []
        return
    (signal,) = signals
    assert signal.kind == kind
    assert signal.key == "status|FY2025|cybersecurity|measure|customer-satisfaction"
    if isinstance(signal, Breach):
        assert signal.draft.severity == severity
        assert signal.draft.rule == "status_degraded"


def test_the_message_names_the_numbers_and_the_links_are_graphql_ids() -> None:
    (signal,) = scorecard_signals(scorecard(transition("AMBER", "RED")), NAMES, T0)
    assert isinstance(signal, Breach)
    assert signal.draft.message == (
        "Customer Satisfaction for Cybersecurity Services QSMO fell from AMBER to RED in "
        "FY2025: 3.4 against a target of 4.0"
    )
    assert signal.draft.links == {
        "scorecard": "scorecard:FY2025|cybersecurity",
        "qsmo": "qsmo:cybersecurity",
        "dimension": "dimension:customer",
        "measure": "measure:customer-satisfaction",
    }
    assert (signal.draft.qsmo, signal.draft.dimension, signal.draft.fiscal_year) == (
        "cybersecurity",
        "customer",
        2025,
    )


def test_dimension_overall_and_government_subjects() -> None:
    message = scorecard(
        transition("GREEN", "AMBER", level="dimension", to_score=82.5, from_score=91),
        transition("AMBER", "RED", level="overall", dimension=None, to_score=61.25, from_score=78),
        qsmo=None,
    )
    dimension, overall = scorecard_signals(message, NAMES, T0)
    assert isinstance(dimension, Breach)
    assert isinstance(overall, Breach)
    assert dimension.key == "status|FY2025|government|dimension|customer"
    assert dimension.draft.message == (
        "The Customer dimension of all QSMOs (government-wide) fell from GREEN to AMBER in "
        "FY2025: score 82.5 of 100 (was 91.0)"
    )
    assert overall.key == "status|FY2025|government|overall|overall"
    assert overall.draft.severity == "critical"
    assert overall.draft.qsmo is None


def test_back_to_green_clears_with_a_target_met_follow_up_for_measures_only() -> None:
    measure, dimension = scorecard_signals(
        scorecard(
            transition("RED", "GREEN", to_score=4.2),
            transition("AMBER", "GREEN", level="dimension", to_score=93),
        ),
        NAMES,
        T0,
    )
    assert isinstance(measure, Clear)
    assert measure.follow_up is not None
    assert measure.follow_up.rule == "target_met"
    assert measure.follow_up.severity == "info"
    assert measure.follow_up.message.endswith(
        "met its target in FY2025: 4.2 against a target of 4.0"
    )
    assert isinstance(dimension, Clear)
    assert dimension.follow_up is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.4, "3.4"),
        (4.0, "4.0"),
        (82.345, "82.34"),
        (85, "85.0"),
        (50_000_000, "50,000,000"),
        (None, "no value"),
    ],
)
def test_number_format(value: float | None, text: str) -> None:
    assert number(value) == text


def _fresh(days_ago: float, frequency: int = 31) -> Freshness:
    (item,) = freshness_of(
        scorecard(
            measures=[
                quality(last_event_at=T0 - timedelta(days=days_ago), frequency_days=frequency)
            ]
        )
    )
    return item


@pytest.mark.parametrize(
    ("days_silent", "frequency", "stale"),
    [
        (0, 31, False),
        (31, 31, False),
        (31.001, 31, True),
        (40, 31, True),
        (8, 7, True),
        (91, 92, False),
    ],
)
def test_stale_with_an_injected_clock(days_silent: float, frequency: int, stale: bool) -> None:
    signal = stale_signal(_fresh(0, frequency), T0 + timedelta(days=days_silent), NAMES)
    assert isinstance(signal, Breach) is stale
    assert signal.key == "stale|cybersecurity|customer-satisfaction"
    if isinstance(signal, Breach):
        assert signal.draft.rule == "measure_stale"
        assert signal.draft.severity == "warning"
        assert "no event since 2025-03-01" in signal.draft.message


def test_freshness_skips_government_and_never_reported_measures_and_keeps_the_latest() -> None:
    assert freshness_of(scorecard(measures=[quality()], qsmo=None)) == []
    assert freshness_of(scorecard(measures=[quality(last_event_at=None)])) == []
    older, newer = _fresh(10), _fresh(1)
    assert newer_freshness(newer, older) == newer
    assert newer_freshness(older, newer) == newer
    assert newer_freshness(None, older) == older


def test_qsmo_of_a_dead_letter() -> None:
    assert qsmo_of(dead_letter("grants-management")) == "grants-management"
    assert qsmo_of(dead_letter(None)) is None
    letter = dead_letter(None).model_copy(
        update={"payload_base64": "eyJxc21vIjogImN5YmVyc2VjdXJpdHkifQ=="}
    )
    assert qsmo_of(letter) == "cybersecurity"
    assert qsmo_of(dead_letter(None).model_copy(update={"payload_base64": "!!"})) is None


def test_surge_breaches_at_the_threshold_within_the_window() -> None:
    window = None
    for i in range(3):
        window = record_letter(
            window, "cybersecurity", T0 + timedelta(seconds=i), "validation: bad", 200
        )
    assert window is not None
    length = timedelta(minutes=10)
    signal = surge_signal(window, T0 + timedelta(seconds=5), 3, length, NAMES)
    assert isinstance(signal, Breach)
    assert signal.key == "dead-letters|cybersecurity"
    assert signal.draft.message.startswith(
        "3 events for Cybersecurity Services QSMO were dead-lettered within 10 minutes"
    )
    assert isinstance(surge_signal(window, T0 + timedelta(seconds=5), 4, length, NAMES), Clear)
    later = T0 + timedelta(minutes=10, seconds=1)
    assert isinstance(surge_signal(window, later, 3, length, NAMES), Clear)
    assert prune(window, later, length).times == (T0 + timedelta(seconds=2),)


@given(st.lists(st.integers(0, 3600), max_size=60), st.integers(1, 3600), st.integers(0, 4000))
def test_property_window_count_matches_a_brute_force_count(
    offsets: list[int], length_s: int, now_s: int
) -> None:
    window: SurgeWindow | None = None
    for offset in offsets:
        window = record_letter(window, "x", T0 + timedelta(seconds=offset), "r", 1000)
    now, length = T0 + timedelta(seconds=now_s), timedelta(seconds=length_s)
    expected = sum(1 for o in offsets if now_s - length_s < o)
    assert window is None or count_in_window(window, now, length) == expected
    assert window is None or count_in_window(prune(window, now, length), now, length) == expected
