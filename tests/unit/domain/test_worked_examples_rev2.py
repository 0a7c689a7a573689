"""Worked examples 3-5 of docs/scoring.md (rev. 2 rules, docs/scoring.md section 13), number for number.

Each table row of the page is a parametrized case here, and the numbers the page shows are
checked to appear in it, so the page and the rev. 2 core (``shared.domain.open_periods``,
``shared.domain.targets``) cannot drift apart.
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.catalog import load_catalog
from shared.domain.catalog import Framework
from shared.domain.fiscal import (
    Period,
    fiscal_quarter_period,
    fiscal_year_of,
    fiscal_year_period,
    quarters_of,
)
from shared.domain.open_periods import elapsed_days, elapsed_share, is_open
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.scoring import Status, measure_status
from shared.domain.summaries import fold_all, government_wide_value, value_of
from shared.domain.targets import (
    QsmoStatusCounts,
    annual_target,
    change_from_last_year,
    participating_qsmos,
    period_attainment,
    projected_value,
    qsmo_status_counts,
    target_for_period,
)

FRAMEWORK: Framework = load_catalog().framework("qsmo-2022")
GREEN, AMBER, RED, NO_DATA = Status.GREEN, Status.AMBER, Status.RED, Status.NO_DATA
SCORING_MD = Path(__file__).resolve().parents[3] / "docs" / "scoring.md"
REFERENCE = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # the scorecard's asOf in every example
CATALOG_QSMOS: dict[str, datetime | None] = {
    "cybersecurity": None,
    "financial-management": None,
    "grants-management": None,
    "human-resources": None,
}

Events = list[tuple[float, str]]


def value(measure_id: str, events: Events) -> float | None:
    summary = fold_all((v, datetime.fromisoformat(ts), n) for n, (v, ts) in enumerate(events))
    return value_of(summary, FRAMEWORK.measure(measure_id).aggregation)


def judged(
    measure_id: str, period_value: float | None, target: float
) -> tuple[float | None, Status]:
    """Attainment and status of a value against a period target."""
    measure = FRAMEWORK.measure(measure_id)
    if period_value is None:
        return None, NO_DATA
    reached = period_attainment(period_value, target, measure.direction)
    return reached, measure_status(reached, measure.amber_ratio)


def section(title: str) -> str:
    text = SCORING_MD.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n## ", start + len(title))
    return text[start:] if end < 0 else text[start:end]


# --- Example 3: an open year, grants-management, FY2027 on 2026-11-30 ------------------------

FY2027 = fiscal_year_period(2027)
EXAMPLE_3_EVENTS: dict[str, Events] = {
    "customer-engagement": [(3, "2026-10-14T15:00:00Z"), (4, "2026-11-18T15:00:00Z")],
    "customer-satisfaction": [(4.0, "2026-11-02T12:00:00Z"), (4.4, "2026-11-03T12:00:00Z")],
    "solution-adoption": [(1, "2026-11-20T12:00:00Z")],
    "cost-avoidance": [(8_000_000, "2026-11-30T14:00:00Z")],
}
EXAMPLE_3_LAST_YEAR = {"customer-engagement": 38.0, "customer-satisfaction": 4.1}


def test_example_3_period() -> None:
    assert is_open(FY2027, REFERENCE)
    assert elapsed_days(FY2027, REFERENCE) == 61
    assert elapsed_share(FY2027, REFERENCE) == pytest.approx(61 / 365)
    # The open quarter on the same day expects the same: 92/365 × 61/92 = 61/365.
    q1 = fiscal_quarter_period(2027, 1)
    engagement = FRAMEWORK.measure("customer-engagement")
    on_q1 = target_for_period(engagement, "grants-management", NO_OVERRIDES, {}, q1, REFERENCE)
    assert on_q1 == pytest.approx(40 * 61 / 365)


@pytest.mark.parametrize(
    (
        "measure_id",
        "period_value",
        "annual",
        "expected",
        "reached",
        "status",
        "old_status",
        "projected",
        "change",
    ),
    [
        ("customer-engagement", 7, 40, 6.684932, 1.0, GREEN, RED, 41.885246, -31),
        ("customer-satisfaction", 4.2, 4.0, 4.0, 1.0, GREEN, GREEN, None, 0.1),
        ("solution-adoption", 1, 10, 1.671233, 0.598361, RED, RED, 5.983607, None),
        (
            "cost-avoidance",
            8_000_000,
            50_000_000,
            8_356_164.38,
            0.957377,
            AMBER,
            RED,
            47_868_852.46,
            None,
        ),
    ],
)
def test_example_3_measures(
    measure_id: str,
    period_value: float,
    annual: float,
    expected: float,
    reached: float,
    status: Status,
    old_status: Status,
    projected: float | None,
    change: float | None,
) -> None:
    measure = FRAMEWORK.measure(measure_id)
    got_value = value(measure_id, EXAMPLE_3_EVENTS[measure_id])
    assert {
        fiscal_year_of(datetime.fromisoformat(ts)) for _, ts in EXAMPLE_3_EVENTS[measure_id]
    } == {2027}
    assert got_value == pytest.approx(period_value)
    assert annual_target(measure, "grants-management", NO_OVERRIDES, {}, 2027) == annual
    target = target_for_period(measure, "grants-management", NO_OVERRIDES, {}, FY2027, REFERENCE)
    assert target == pytest.approx(expected, rel=1e-6)
    assert judged(measure_id, got_value, target) == (pytest.approx(reached, rel=1e-6), status)
    assert judged(measure_id, got_value, annual)[1] is old_status  # the rule before rev. 2
    got_projection = projected_value(got_value, measure.aggregation, FY2027, REFERENCE)
    assert got_projection == (None if projected is None else pytest.approx(projected, rel=1e-6))
    last_year = EXAMPLE_3_LAST_YEAR.get(measure_id)
    assert change_from_last_year(got_value, last_year) == pytest.approx(change)


# --- Example 4: a quarter of a closed year, financial-management, FY2025 Q2 ------------------

FY2025_Q2 = fiscal_quarter_period(2025, 2)
EXAMPLE_4_OVERRIDES = Overrides(
    qsmo_targets={("financial-management", "customer-engagement"): 50.0}
)
EXAMPLE_4_EVENTS: dict[str, Events] = {
    "customer-engagement": [(5, "2025-01-20T15:00:00Z"), (7, "2025-03-03T15:00:00Z")],
    "customer-satisfaction": [(3.7, "2025-02-10T12:00:00Z"), (3.9, "2025-02-11T12:00:00Z")],
    "cost-avoidance": [(13_000_000, "2025-03-31T12:00:00Z")],
    "technical-innovation": [(2, "2025-02-01T00:00:00Z")],
}


def example_4_target(measure_id: str, period: Period = FY2025_Q2) -> float:
    measure = FRAMEWORK.measure(measure_id)
    return target_for_period(
        measure, "financial-management", EXAMPLE_4_OVERRIDES, {}, period, REFERENCE
    )


def test_example_4_period() -> None:
    assert not is_open(FY2025_Q2, REFERENCE)
    assert elapsed_share(FY2025_Q2, REFERENCE) == 1
    assert (FY2025_Q2.end - FY2025_Q2.start).days == 90
    quarters = [example_4_target("customer-engagement", q) for q in quarters_of(2025)]
    assert quarters == pytest.approx([12.602740, 12.328767, 12.465753, 12.602740], rel=1e-6)
    assert sum(quarters) == pytest.approx(50)


@pytest.mark.parametrize(
    ("measure_id", "period_value", "target", "reached", "status"),
    [
        ("customer-engagement", 12, 12.328767, 0.973333, AMBER),
        ("customer-satisfaction", 3.8, 4.0, 0.95, AMBER),
        ("cost-avoidance", 13_000_000, 12_328_767.12, 1.0, GREEN),
        ("technical-innovation", 2, 2.958904, 0.675926, RED),
    ],
)
def test_example_4_measures(
    measure_id: str, period_value: float, target: float, reached: float, status: Status
) -> None:
    events = EXAMPLE_4_EVENTS[measure_id]
    assert all(FY2025_Q2.contains(datetime.fromisoformat(ts)) for _, ts in events)
    got_value = value(measure_id, events)
    assert got_value == pytest.approx(period_value)
    got_target = example_4_target(measure_id)
    assert got_target == pytest.approx(target, rel=1e-6)
    assert judged(measure_id, got_value, got_target) == (pytest.approx(reached, rel=1e-6), status)
    aggregation = FRAMEWORK.measure(measure_id).aggregation
    assert projected_value(got_value, aggregation, FY2025_Q2, REFERENCE) is None


# --- Example 5: government-wide, FY2026, four QSMOs, one with a per-QSMO target --------------

FY2026 = fiscal_year_period(2026)
EXAMPLE_5_OVERRIDES = Overrides(
    qsmo_targets={("financial-management", "customer-engagement"): 50.0}
)
EXAMPLE_5_EVENTS: dict[str, dict[str, Events]] = {
    "customer-engagement": {
        "cybersecurity": [(44, "2026-03-01T00:00:00Z")],
        "financial-management": [(46, "2026-03-01T00:00:00Z")],
        "grants-management": [(30, "2026-03-01T00:00:00Z")],
        "human-resources": [(40, "2026-03-01T00:00:00Z")],
    },
    "cost-avoidance": {
        "cybersecurity": [(48_000_000, "2026-09-30T00:00:00Z")],
        "financial-management": [(52_000_000, "2026-09-30T00:00:00Z")],
        "grants-management": [(41_000_000, "2026-09-30T00:00:00Z")],
    },
    "customer-satisfaction": {
        "cybersecurity": [(4.2, "2026-06-01T00:00:00Z")],
        "financial-management": [(3.8, "2026-06-01T00:00:00Z")],
        "grants-management": [(4.0, "2026-06-01T00:00:00Z")],
        "human-resources": [(4.4, "2026-06-01T00:00:00Z")],
    },
}


def example_5_status(measure_id: str, qsmo: str) -> Status:
    measure = FRAMEWORK.measure(measure_id)
    own = value(measure_id, EXAMPLE_5_EVENTS[measure_id].get(qsmo, []))
    target = target_for_period(measure, qsmo, EXAMPLE_5_OVERRIDES, CATALOG_QSMOS, FY2026, REFERENCE)
    return judged(measure_id, own, target)[1]


@pytest.mark.parametrize(
    ("measure_id", "statuses"),
    [
        ("customer-engagement", [GREEN, AMBER, RED, GREEN]),  # 44/40, 46/50, 30/40, 40/40
        ("cost-avoidance", [AMBER, GREEN, RED, NO_DATA]),  # 0.96, 1.04, 0.82, none
        ("customer-satisfaction", [GREEN, AMBER, GREEN, GREEN]),
    ],
)
def test_example_5_qsmo_rows(measure_id: str, statuses: list[Status]) -> None:
    assert [example_5_status(measure_id, q) for q in CATALOG_QSMOS] == statuses


@pytest.mark.parametrize(
    ("measure_id", "period_value", "target", "reached", "status", "old_status", "counts"),
    [
        ("customer-engagement", 160, 170, 0.941176, AMBER, GREEN, (2, 1, 1, 0)),
        ("cost-avoidance", 141_000_000, 200_000_000, 0.705, RED, GREEN, (1, 1, 1, 1)),
        ("customer-satisfaction", 4.1, 4.0, 1.0, GREEN, GREEN, (3, 1, 0, 0)),
    ],
)
def test_example_5_government_wide_row(
    measure_id: str,
    period_value: float,
    target: float,
    reached: float,
    status: Status,
    old_status: Status,
    counts: tuple[int, int, int, int],
) -> None:
    measure = FRAMEWORK.measure(measure_id)
    pooled = government_wide_value(
        {
            q: fold_all((v, datetime.fromisoformat(ts), n) for n, (v, ts) in enumerate(events))
            for q, events in EXAMPLE_5_EVENTS[measure_id].items()
        },
        measure.aggregation,
    )
    assert pooled == pytest.approx(period_value)
    got_target = target_for_period(
        measure, None, EXAMPLE_5_OVERRIDES, CATALOG_QSMOS, FY2026, REFERENCE
    )
    assert got_target == pytest.approx(target)
    assert judged(measure_id, pooled, got_target) == (pytest.approx(reached, rel=1e-6), status)
    old_target = EXAMPLE_5_OVERRIDES.target_for(measure, None)  # the rule before rev. 2
    assert judged(measure_id, pooled, old_target)[1] is old_status
    statuses = [example_5_status(measure_id, q) for q in CATALOG_QSMOS]
    assert qsmo_status_counts(statuses) == QsmoStatusCounts(*counts)


def test_example_5_an_added_qsmo_takes_part_from_the_year_it_was_added() -> None:
    qsmos = {**CATALOG_QSMOS, "acquisition": datetime(2026, 10, 15, tzinfo=UTC)}
    engagement = FRAMEWORK.measure("customer-engagement")
    assert participating_qsmos(qsmos, 2026) == list(CATALOG_QSMOS)
    fy2026 = target_for_period(engagement, None, EXAMPLE_5_OVERRIDES, qsmos, FY2026, REFERENCE)
    fy2027 = target_for_period(engagement, None, EXAMPLE_5_OVERRIDES, qsmos, FY2027, REFERENCE)
    assert fy2026 == 170
    assert fy2027 == pytest.approx(210 * 61 / 365)
    assert fy2027 == pytest.approx(35.095890, rel=1e-6)


# --- The page shows these numbers ------------------------------------------------------------

SHOWN = {
    "## 14. Worked example 3": [
        "61/365",
        "6.68",
        "41.89",
        "1.67",
        "5.98",
        "8,356,164.38",
        "47,868,852.46",
        "0.957",
        "0.598",
        "−31",
        "+0.1",
    ],
    "## 15. Worked example 4": [
        "90/365",
        "12.33",
        "12,328,767.12",
        "2.96",
        "0.973",
        "0.95",
        "0.676",
        "12.60 + 12.33 + 12.47 + 12.60 = 50",
    ],
    "## 16. Worked example 5": [
        "40 + 50 + 40 + 40 = 170",
        "160",
        "0.941",
        "200,000,000",
        "141,000,000",
        "0.705",
        "28.41",
        "35.10",
    ],
}


@pytest.mark.parametrize(("title", "numbers"), SHOWN.items(), ids=list(SHOWN))
def test_the_page_shows_the_tested_numbers(title: str, numbers: list[str]) -> None:
    text = section(title)
    assert [n for n in numbers if n not in text] == []
