"""Scoring per docs/scoring.md: attainment, status bands, phase gating, targets, weights, baselines."""

from datetime import UTC, datetime, timedelta

import pytest

from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation, Direction, Framework
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.phases import (
    active_phase,
    baseline_fiscal_year,
    is_measure_active,
    measure_phase,
)
from shared.domain.scoring import (
    Status,
    attainment,
    display_attainment,
    display_score,
    measure_status,
    score,
    score_status,
)
from shared.domain.summaries import fold_all, value_of

FRAMEWORK = load_catalog().framework()
T0 = datetime(2024, 3, 1, tzinfo=UTC)
HIGHER, LOWER = Direction.HIGHER, Direction.LOWER

# --- attainment and bands -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (40, 40, HIGHER, 1.0),
        (36, 40, HIGHER, 0.9),
        (80, 40, HIGHER, 1.0),  # clamped
        (0, 40, HIGHER, 0.0),
        (30, 30, LOWER, 1.0),
        (30, 27, LOWER, 0.9),
        (10, 30, LOWER, 1.0),  # better than target, clamped
        (0, 30, LOWER, 1.0),  # value 0 is perfect
        (60, 30, LOWER, 0.5),
    ],
)
def test_attainment(value: float, target: float, direction: Direction, expected: float) -> None:
    assert attainment(value, target, direction) == expected


@pytest.mark.parametrize(
    ("value", "target"), [(1.0, 0.0), (1.0, -1.0), (float("nan"), 1.0), (1.0, float("inf"))]
)
def test_attainment_refuses_bad_inputs(value: float, target: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        attainment(value, target, HIGHER)


@pytest.mark.parametrize(
    ("reached", "amber_ratio", "status"),
    [
        (1.0, 0.9, Status.GREEN),
        (0.9999, 0.9, Status.AMBER),
        (0.9, 0.9, Status.AMBER),
        (0.8999, 0.9, Status.RED),
        (0.0, 0.9, Status.RED),
        (None, 0.9, Status.NO_DATA),
        (0.8, 0.8, Status.AMBER),
        (0.79, 0.8, Status.RED),
    ],
)
def test_measure_status(reached: float | None, amber_ratio: float, status: Status) -> None:
    assert measure_status(reached, amber_ratio) == status


@pytest.mark.parametrize(
    ("value", "status"),
    [
        (100.0, Status.GREEN),
        (90.0, Status.GREEN),
        (100 * 0.9, Status.GREEN),
        (89.999, Status.AMBER),
        (75.0, Status.AMBER),
        (74.999, Status.RED),
        (0.0, Status.RED),
        (None, Status.NO_DATA),
    ],
)
def test_score_status(value: float | None, status: Status) -> None:
    assert score_status(value) == status


@pytest.mark.parametrize(
    ("value", "shown"),
    [(89.375, "89.3"), (89.99, "89.9"), (90.0, "90.0"), (100 * 0.9, "90.0"), (None, "no data")],
)
def test_display_score_rounds_down(value: float | None, shown: str) -> None:
    assert display_score(value) == shown


def test_display_attainment() -> None:
    assert (display_attainment(0.875), display_attainment(None)) == ("87.5%", "no data")


# --- every aggregation x direction x band edge, from events to status ------------------------

TARGETS = {HIGHER: 40.0, LOWER: 27.0}
EDGES = {
    # edge: (value for higher-is-better, value for lower-is-better, expected status)
    "at target": (40.0, 27.0, Status.GREEN),
    "beyond target": (50.0, 20.0, Status.GREEN),
    "exactly at 0.9": (36.0, 30.0, Status.AMBER),
    "just below 0.9": (35.9, 30.1, Status.RED),
    "far below": (4.0, 270.0, Status.RED),
}


def _events_for(aggregation: Aggregation, value: float) -> list[tuple[float, datetime, int]]:
    """Events whose period value under ``aggregation`` is exactly ``value``."""
    if aggregation is Aggregation.SUM:
        return [(value / 2, T0, 1), (value / 2, T0 + timedelta(days=3), 2)]
    if aggregation is Aggregation.MEAN:
        return [(value, T0, 1), (value, T0 + timedelta(days=9), 2)]
    # latest: an older event processed later, and a tie at the latest instant won by seq
    late = T0 + timedelta(days=20)
    return [(999.0, late, 1), (value, late, 5), (123.0, T0, 9)]


CASES = [
    (aggregation, direction, edge)
    for aggregation in Aggregation
    for direction in Direction
    for edge in [*EDGES, "value 0", "no data"]
]


@pytest.mark.parametrize(("aggregation", "direction", "edge"), CASES)
def test_aggregation_direction_band_edges(
    aggregation: Aggregation, direction: Direction, edge: str
) -> None:
    if edge == "no data":
        value, expected = value_of(fold_all([]), aggregation), Status.NO_DATA
        assert value is None
    else:
        if edge == "value 0":
            raw, expected = 0.0, Status.GREEN if direction is LOWER else Status.RED
        else:
            higher_value, lower_value, expected = EDGES[edge]
            raw = higher_value if direction is HIGHER else lower_value
        value = value_of(fold_all(_events_for(aggregation, raw)), aggregation)
        assert value == raw
    reached = None if value is None else attainment(value, TARGETS[direction], direction)
    assert measure_status(reached) == expected


# --- phase gating -----------------------------------------------------------------------------

PHASE_1 = {
    "customer-engagement",
    "customer-satisfaction",
    "price-transparency",
    "m3-playbook-utilization",
}
PHASE_2 = PHASE_1 | {"solution-adoption", "employee-experience", "technical-innovation"}
PHASE_3 = PHASE_2 | {
    "return-on-investment",
    "cost-avoidance",
    "standards-incorporation",
    "system-standardization",
    "service-quality-timeliness",
    "torb-timeliness",
}


@pytest.mark.parametrize(
    ("fiscal_year", "phase", "active"),
    [
        (2021, 0, set()),
        (2022, 1, PHASE_1),
        (2023, 2, PHASE_2),
        (2024, 3, PHASE_3),
        (2025, 3, PHASE_3),
    ],
)
def test_phase_gating_by_fiscal_year(fiscal_year: int, phase: int, active: set[str]) -> None:
    assert active_phase(fiscal_year) == phase
    assert active_phase(fiscal_year, FRAMEWORK.phases) == phase
    result = score(FRAMEWORK, {}, fiscal_year=fiscal_year, qsmo="cybersecurity")
    assert result.phase == phase
    assert {m.id for m in result.measures if m.active} == active


def test_an_explicit_phase_overrides_the_fiscal_year() -> None:
    result = score(FRAMEWORK, {}, fiscal_year=2022, qsmo=None, phase=3)
    assert result.phase == 3
    assert {m.id for m in result.measures if m.active} == PHASE_3


def test_proposed_dimensions_are_never_active_unless_adopted() -> None:
    values = {"system-resiliency": 99.0, "customer-engagement": 40.0}
    plain = score(FRAMEWORK, values, fiscal_year=2030, qsmo=None)
    assert not plain.measure("system-resiliency").active
    assert plain.measure("system-resiliency").status is Status.AMBER  # shown, not scored
    assert plain.dimension("it-modernization").score is None
    assert not plain.dimension("it-modernization").active
    assert measure_phase(FRAMEWORK, "system-resiliency") is None

    adopted = Overrides(adopted_dimensions={"it-modernization": 3})
    assert measure_phase(FRAMEWORK, "system-resiliency", adopted) == 3
    assert not is_measure_active(FRAMEWORK, "system-resiliency", 2, adopted)
    result = score(FRAMEWORK, values, fiscal_year=2024, qsmo=None, overrides=adopted)
    assert result.measure("system-resiliency").active
    assert result.dimension("it-modernization").active
    assert result.dimension("it-modernization").score == pytest.approx(100 * 99.0 / 99.9)


@pytest.mark.parametrize(
    ("measure_id", "fiscal_year"),
    [
        ("customer-engagement", 2022),
        ("solution-adoption", 2023),
        ("cost-avoidance", 2024),
        ("system-resiliency", None),
    ],
)
def test_baseline_fiscal_year(measure_id: str, fiscal_year: int | None) -> None:
    measure = FRAMEWORK.measure(measure_id)
    assert baseline_fiscal_year(measure) == fiscal_year
    assert baseline_fiscal_year(measure, FRAMEWORK) == fiscal_year


def test_baseline_fiscal_year_of_an_adopted_dimension() -> None:
    adopted = Overrides(adopted_dimensions={"it-modernization": 2})
    measure = FRAMEWORK.measure("software-delivery")
    assert baseline_fiscal_year(measure, FRAMEWORK, adopted) == 2023


# --- targets, weights, baselines ----------------------------------------------------------


def test_targets_per_qsmo_global_and_default() -> None:
    overrides = Overrides(
        qsmo_targets={("cybersecurity", "customer-engagement"): 50.0},
        targets={"customer-engagement": 45.0},
    )
    values = {"customer-engagement": 45.0}

    def target(qsmo: str | None) -> float:
        result = score(FRAMEWORK, values, fiscal_year=2024, qsmo=qsmo, overrides=overrides)
        return result.measure("customer-engagement").target

    assert target("cybersecurity") == 50.0  # per-QSMO
    assert target("grants-management") == 45.0  # global override
    assert target(None) == 45.0  # government-wide ignores per-QSMO targets
    assert score(FRAMEWORK, values, fiscal_year=2024, qsmo=None).measure(
        "customer-engagement"
    ).target == pytest.approx(40.0)


def test_weights_and_weighted_means() -> None:
    values = {"customer-engagement": 20.0, "customer-satisfaction": 4.0, "price-transparency": 45.0}
    overrides = Overrides(
        measure_weights={"customer-satisfaction": 3.0}, dimension_weights={"financial": 3.0}
    )
    result = score(FRAMEWORK, values, fiscal_year=2022, qsmo="cybersecurity", overrides=overrides)
    # customer: (0.5 x 1 + 1.0 x 3) / 4 = 0.875; financial: 0.5
    assert result.dimension("customer").score == 87.5
    assert result.dimension("financial").score == 50.0
    assert result.dimension("financial").weight == 3.0
    assert result.dimension("standards-adoption").status is Status.NO_DATA
    assert result.score == (87.5 * 1 + 50.0 * 3) / 4
    assert result.status is Status.RED


def test_no_data_anywhere_gives_no_score() -> None:
    result = score(FRAMEWORK, {"cost-avoidance": None}, fiscal_year=2024, qsmo=None)
    assert result.score is None
    assert result.status is Status.NO_DATA
    assert all(d.status is Status.NO_DATA for d in result.dimensions)


def test_inactive_measures_do_not_count() -> None:
    values = {"customer-engagement": 40.0, "solution-adoption": 0.0}
    result = score(FRAMEWORK, values, fiscal_year=2022, qsmo=None)
    assert result.dimension("customer").score == 100.0
    assert not result.measure("solution-adoption").active


def test_baselines_show_change_and_do_not_enter_the_score() -> None:
    values = {"customer-engagement": 45.0, "price-transparency": 81.0}
    overrides = Overrides(baselines={("cybersecurity", "price-transparency"): 60.0})
    baselines = {"customer-engagement": 30.0, "price-transparency": 70.0}
    kwargs = {"fiscal_year": 2023, "qsmo": "cybersecurity", "overrides": overrides}
    with_baselines = score(FRAMEWORK, values, baselines=baselines, **kwargs)  # type: ignore[arg-type]
    without = score(FRAMEWORK, values, **kwargs)  # type: ignore[arg-type]
    assert with_baselines.score == without.score
    engagement = with_baselines.measure("customer-engagement")
    assert (engagement.baseline, engagement.change) == (30.0, 15.0)
    price = with_baselines.measure("price-transparency")
    assert (price.baseline, price.change) == (60.0, 21.0)  # the admin's baseline wins
    assert without.measure("customer-engagement").change is None
    # A QSMO's admin baseline is not the government-wide one.
    gov = score(FRAMEWORK, values, fiscal_year=2023, qsmo=None, overrides=overrides)
    assert gov.measure("price-transparency").baseline is None


def test_unknown_measures_are_refused() -> None:
    with pytest.raises(ValueError, match="not in framework qsmo-2022"):
        score(FRAMEWORK, {"customer-satisfation": 4.0}, fiscal_year=2024, qsmo=None)


def test_results_lookups_raise_for_unknown_ids() -> None:
    result = score(FRAMEWORK, {}, fiscal_year=2024, qsmo=None)
    with pytest.raises(KeyError):
        result.measure("nope")
    with pytest.raises(KeyError):
        result.dimension("nope")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"targets": {"x": 0.0}},
        {"qsmo_targets": {("q", "x"): -1.0}},
        {"measure_weights": {"x": float("nan")}},
        {"dimension_weights": {"x": 0.0}},
        {"adopted_dimensions": {"x": 0}},
    ],
)
def test_overrides_refuse_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must be a finite number > 0|needs a phase"):
        Overrides(**kwargs)  # type: ignore[arg-type]


def test_overrides_are_immutable() -> None:
    source = {"customer-engagement": 50.0}
    overrides = Overrides(targets=source)
    source["customer-engagement"] = 1.0
    assert overrides.targets["customer-engagement"] == 50.0
    with pytest.raises(TypeError):
        overrides.targets["x"] = 1.0  # type: ignore[index]
    assert NO_OVERRIDES.target_for(FRAMEWORK.measure("torb-timeliness"), "q") == 30.0


def test_the_provider_framework_scores_with_its_own_phases() -> None:
    provider: Framework = load_catalog().framework("fy24-provider")
    result = score(provider, {"sla-attainment": 95.0}, fiscal_year=2025, qsmo=None)
    assert result.phase == 1
    assert result.dimension("provider-operations").score == 100.0
    assert not result.measure("corrective-action-closure").active
