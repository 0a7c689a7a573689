"""The two worked examples of docs/scoring.md, number for number."""

from datetime import datetime

import pytest

from shared.catalog import load_catalog
from shared.domain.catalog import Framework
from shared.domain.fiscal import fiscal_year_of
from shared.domain.overrides import Overrides
from shared.domain.scoring import ScorecardResult, Status, display_score, score
from shared.domain.summaries import Summary, fold_all, government_wide_value, value_of

FRAMEWORK: Framework = load_catalog().framework("qsmo-2022")
GREEN, AMBER, RED, NO_DATA = Status.GREEN, Status.AMBER, Status.RED, Status.NO_DATA


Events = list[tuple[float, str]]


def summary(events: Events) -> Summary:
    """Events as (value, occurred_at); seq is the order given (later = processed later)."""
    return fold_all((v, datetime.fromisoformat(ts), seq) for seq, (v, ts) in enumerate(events))


def period_value(measure_id: str, s: Summary) -> float | None:
    return value_of(s, FRAMEWORK.measure(measure_id).aggregation)


# --- Example 1: one QSMO (financial-management), FY2023 --------------------------------------

EXAMPLE_1_EVENTS: dict[str, Events] = {
    "customer-engagement": [(20, "2022-11-15T14:00:00-05:00"), (25, "2023-05-02T10:00:00Z")],
    "customer-satisfaction": [(4.0, "2023-06-01T12:00:00Z"), (4.4, "2023-06-02T12:00:00Z")],
    "solution-adoption": [(6, "2023-08-31T17:00:00-04:00")],
    "price-transparency": [(78, "2022-12-31T00:00:00Z"), (84, "2023-03-31T00:00:00Z")],
    "m3-playbook-utilization": [(68, "2023-09-30T23:00:00Z")],
    "technical-innovation": [(9, "2023-01-10T00:00:00Z"), (6, "2023-07-10T00:00:00Z")],
    "service-quality-timeliness": [(97, "2023-09-01T00:00:00Z")],
}
EXAMPLE_1_OVERRIDES = Overrides(
    qsmo_targets={("financial-management", "customer-engagement"): 50.0},
    measure_weights={"customer-satisfaction": 2.0},
)
EXAMPLE_1_BASELINES = {  # the FY2022 values of the phase-1 measures
    "customer-engagement": 30.0,
    "customer-satisfaction": 3.8,
    "price-transparency": 70.0,
    "m3-playbook-utilization": 60.0,
}


def example_1() -> ScorecardResult:
    values = {m: period_value(m, summary(events)) for m, events in EXAMPLE_1_EVENTS.items()}
    return score(
        FRAMEWORK,
        values,
        fiscal_year=2023,
        qsmo="financial-management",
        overrides=EXAMPLE_1_OVERRIDES,
        baselines=EXAMPLE_1_BASELINES,
    )


@pytest.mark.parametrize(
    ("measure_id", "value", "target", "attainment", "status", "weight", "active", "change"),
    [
        ("customer-engagement", 45, 50, 0.9, AMBER, 1, True, 15),
        ("customer-satisfaction", 4.2, 4.0, 1.0, GREEN, 2, True, 0.4),
        ("solution-adoption", 6, 10, 0.6, RED, 1, True, None),
        ("employee-experience", None, 4.0, None, NO_DATA, 1, True, None),
        ("price-transparency", 81, 90, 0.9, AMBER, 1, True, 11),
        ("m3-playbook-utilization", 68, 85, 0.8, RED, 1, True, 8),
        ("technical-innovation", 15, 12, 1.0, GREEN, 1, True, None),
        ("service-quality-timeliness", 97, 95, 1.0, GREEN, 1, False, None),
        ("cost-avoidance", None, 50_000_000, None, NO_DATA, 1, False, None),
    ],
)
def test_example_1_measures(
    measure_id: str,
    value: float | None,
    target: float,
    attainment: float | None,
    status: Status,
    weight: float,
    active: bool,
    change: float | None,
) -> None:
    result = example_1().measure(measure_id)
    assert result.value == pytest.approx(value)
    assert result.target == target
    assert result.attainment == pytest.approx(attainment)
    assert (result.status, result.weight, result.active) == (status, weight, active)
    assert result.change == pytest.approx(change)


@pytest.mark.parametrize(
    ("dimension_id", "dimension_score", "status", "shown"),
    [
        ("customer", 87.5, AMBER, "87.5"),
        ("financial", 90.0, GREEN, "90.0"),
        ("standards-adoption", 80.0, AMBER, "80.0"),
        ("marketplace-operations", 100.0, GREEN, "100.0"),
        ("it-modernization", None, NO_DATA, "no data"),
    ],
)
def test_example_1_dimensions(
    dimension_id: str, dimension_score: float | None, status: Status, shown: str
) -> None:
    result = example_1().dimension(dimension_id)
    assert result.score == pytest.approx(dimension_score, abs=1e-12)
    assert result.status is status
    assert display_score(result.score) == shown


def test_example_1_overall() -> None:
    result = example_1()
    assert result.phase == 2
    assert result.score == pytest.approx(89.375, abs=1e-12)
    assert result.status is AMBER
    assert display_score(result.score) == "89.3"


# --- Example 2: government-wide, FY2024 ------------------------------------------------------

EXAMPLE_2_EVENTS: dict[str, dict[str, Events]] = {
    "customer-engagement": {
        "cybersecurity": [(12, "2024-02-01T00:00:00Z")],
        "financial-management": [(10, "2024-03-01T00:00:00Z")],
        "grants-management": [(8, "2024-04-01T00:00:00Z")],
        "human-resources": [(6, "2024-05-01T00:00:00Z")],
    },
    "customer-satisfaction": {
        "cybersecurity": [(4, "2024-06-01T00:00:00Z"), (5, "2024-06-02T00:00:00Z")],
        "grants-management": [(3, "2024-06-03T00:00:00Z")],
    },
    "return-on-investment": {
        "cybersecurity": [(10, "2023-12-01T00:00:00Z"), (12, "2024-06-30T00:00:00Z")],
        "financial-management": [(18, "2024-03-31T00:00:00Z")],
    },
    "cost-avoidance": {
        "cybersecurity": [(20_000_000, "2024-09-30T00:00:00Z")],
        "financial-management": [(25_000_000, "2024-09-30T00:00:00Z")],
    },
    "torb-timeliness": {
        "financial-management": [(30, "2024-01-15T00:00:00Z"), (45, "2024-02-15T00:00:00Z")],
        "human-resources": [(45, "2024-03-15T00:00:00Z")],
    },
    "system-resiliency": {"cybersecurity": [(99.95, "2024-08-01T00:00:00Z")]},
}
EXAMPLE_2_OVERRIDES = Overrides(
    dimension_weights={"financial": 2.0},
    qsmo_targets={("financial-management", "return-on-investment"): 20.0},  # not used gov-wide
    baselines={(None, "cost-avoidance"): 40_000_000.0},
)
EXAMPLE_2_BASELINES = {"customer-engagement": 28.0, "customer-satisfaction": 3.6}


def example_2() -> ScorecardResult:
    values = {
        measure_id: government_wide_value(
            {qsmo: summary(events) for qsmo, events in per_qsmo.items()},
            FRAMEWORK.measure(measure_id).aggregation,
        )
        for measure_id, per_qsmo in EXAMPLE_2_EVENTS.items()
    }
    return score(
        FRAMEWORK,
        values,
        fiscal_year=2024,
        qsmo=None,
        overrides=EXAMPLE_2_OVERRIDES,
        baselines=EXAMPLE_2_BASELINES,
    )


@pytest.mark.parametrize(
    ("measure_id", "value", "target", "attainment", "status", "active", "baseline", "change"),
    [
        ("customer-engagement", 36, 40, 0.9, AMBER, True, 28, 8),
        ("customer-satisfaction", 4.0, 4.0, 1.0, GREEN, True, 3.6, 0.4),
        ("return-on-investment", 15, 15, 1.0, GREEN, True, None, None),
        ("cost-avoidance", 45_000_000, 50_000_000, 0.9, AMBER, True, 40_000_000, 5_000_000),
        ("torb-timeliness", 40, 30, 0.75, RED, True, None, None),
        ("system-resiliency", 99.95, 99.9, 1.0, GREEN, False, None, None),
        ("price-transparency", None, 90, None, NO_DATA, True, None, None),
    ],
)
def test_example_2_measures(
    measure_id: str,
    value: float | None,
    target: float,
    attainment: float | None,
    status: Status,
    active: bool,
    baseline: float | None,
    change: float | None,
) -> None:
    result = example_2().measure(measure_id)
    assert result.value == pytest.approx(value)
    assert result.target == target
    assert result.attainment == pytest.approx(attainment)
    assert (result.status, result.active) == (status, active)
    assert result.baseline == pytest.approx(baseline)
    assert result.change == pytest.approx(change)


@pytest.mark.parametrize(
    ("dimension_id", "dimension_score", "status", "weight"),
    [
        ("customer", 95.0, GREEN, 1),
        ("financial", 95.0, GREEN, 2),
        ("standards-adoption", None, NO_DATA, 1),
        ("marketplace-operations", 75.0, AMBER, 1),
        ("it-modernization", None, NO_DATA, 1),
    ],
)
def test_example_2_dimensions(
    dimension_id: str, dimension_score: float | None, status: Status, weight: float
) -> None:
    result = example_2().dimension(dimension_id)
    assert result.score == pytest.approx(dimension_score, abs=1e-12)
    assert (result.status, result.weight) == (status, weight)


def test_example_2_overall() -> None:
    result = example_2()
    assert result.phase == 3
    assert result.score == pytest.approx(90.0, abs=1e-12)
    assert result.status is GREEN
    assert display_score(result.score) == "90.0"


def test_example_2_pooling_is_not_a_mean_of_means() -> None:
    satisfaction = EXAMPLE_2_EVENTS["customer-satisfaction"]
    means = [period_value("customer-satisfaction", summary(e)) for e in satisfaction.values()]
    assert means == [4.5, 3.0]  # a mean of means would give 3.75, not the pooled 4.0


@pytest.mark.parametrize(
    ("events", "fiscal_year"),
    [
        ([e for events in EXAMPLE_1_EVENTS.values() for e in events], 2023),
        ([e for per in EXAMPLE_2_EVENTS.values() for es in per.values() for e in es], 2024),
    ],
)
def test_every_example_event_falls_in_the_scored_fiscal_year(
    events: Events, fiscal_year: int
) -> None:
    assert {fiscal_year_of(datetime.fromisoformat(ts)) for _, ts in events} == {fiscal_year}
