"""Period targets, projections, government-wide targets (rev. 2 rules, docs/scoring.md section 13)."""

import math
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation, Direction, Framework, Measure
from shared.domain.fiscal import (
    Period,
    day_period,
    fiscal_quarter_period,
    fiscal_year_period,
    month_period,
    months_of,
    quarters_of,
    rolling_period,
)
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.scoring import Status
from shared.domain.targets import (
    QsmoStatusCounts,
    annual_target,
    change_from_last_year,
    participating_qsmos,
    period_attainment,
    period_target,
    projected_value,
    qsmo_status_counts,
    target_factor,
    target_for_period,
)

PROPERTIES = settings(max_examples=200, database=None, deadline=None)
FRAMEWORK: Framework = load_catalog().framework("qsmo-2022")
ENGAGEMENT = FRAMEWORK.measure("customer-engagement")  # sum, default 40
SATISFACTION = FRAMEWORK.measure("customer-satisfaction")  # mean, default 4.0
ROI = FRAMEWORK.measure("return-on-investment")  # latest, default 15
CATALOG_QSMOS: dict[str, datetime | None] = {
    "cybersecurity": None,
    "financial-management": None,
    "grants-management": None,
    "human-resources": None,
}
SUM, MEAN, LATEST = Aggregation.SUM, Aggregation.MEAN, Aggregation.LATEST
NOV_30 = datetime(2026, 11, 30, 9, tzinfo=UTC)


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


@pytest.mark.parametrize(
    ("aggregation", "period", "factor"),
    [
        (SUM, fiscal_year_period(2027), Fraction(61, 365)),  # open: expected by 30 Nov
        (SUM, fiscal_quarter_period(2027, 1), Fraction(61, 365)),  # 92/365 × 61/92
        (SUM, month_period(2026, 11), Fraction(30, 365)),  # open on its last day
        (SUM, month_period(2026, 10), Fraction(31, 365)),  # closed
        (SUM, fiscal_quarter_period(2027, 2), Fraction(0)),  # not started
        (SUM, fiscal_year_period(2026), Fraction(1)),  # closed year: the old rule
        (SUM, fiscal_quarter_period(2025, 2), Fraction(90, 365)),
        (SUM, day_period(date(2026, 11, 30)), Fraction(1, 365)),
        (SUM, rolling_period(NOV_30, 30), Fraction(30, 365)),
        (MEAN, fiscal_year_period(2027), Fraction(1)),
        (MEAN, month_period(2026, 11), Fraction(1)),
        (LATEST, fiscal_quarter_period(2027, 2), Fraction(1)),
    ],
    ids=str,
)
def test_target_factor_on_2026_11_30(
    aggregation: Aggregation, period: Period, factor: Fraction
) -> None:
    assert target_factor(aggregation, period, NOV_30) == factor


def test_period_target_pro_rates_sum_targets_only() -> None:
    fy2027 = fiscal_year_period(2027)
    assert period_target(40, SUM, fy2027, NOV_30) == pytest.approx(40 * 61 / 365)
    assert period_target(4.0, MEAN, fy2027, NOV_30) == 4.0
    assert period_target(15, LATEST, fy2027, NOV_30) == 15
    assert period_target(40, SUM, fiscal_year_period(2026), NOV_30) == 40


def test_period_attainment_treats_a_target_of_zero_as_nothing_expected_yet() -> None:
    assert period_attainment(3, 0.0, Direction.HIGHER) == 1.0
    assert period_attainment(3, 0.0, Direction.LOWER) == 1.0
    assert period_attainment(3, 4.0, Direction.HIGHER) == 0.75
    with pytest.raises(ValueError, match="value must be finite"):
        period_attainment(math.inf, 0.0, Direction.HIGHER)
    with pytest.raises(ValueError, match="target must be a finite number > 0"):
        period_attainment(3, -1.0, Direction.HIGHER)


@pytest.mark.parametrize(
    ("value", "aggregation", "period", "projected"),
    [
        (7.0, SUM, fiscal_year_period(2027), 7 * 365 / 61),
        (7.0, SUM, fiscal_quarter_period(2027, 1), 7 * 92 / 61),
        (7.0, SUM, month_period(2026, 11), 7.0),  # last day: share 1, still open
        (7.0, SUM, fiscal_year_period(2026), None),  # closed: the value is final
        (7.0, SUM, fiscal_year_period(2028), None),  # not started
        (None, SUM, fiscal_year_period(2027), None),
        (4.2, MEAN, fiscal_year_period(2027), None),
        (12.0, LATEST, fiscal_year_period(2027), None),
    ],
    ids=str,
)
def test_projected_value(
    value: float | None, aggregation: Aggregation, period: Period, projected: float | None
) -> None:
    assert projected_value(value, aggregation, period, NOV_30) == pytest.approx(projected)


def test_participating_qsmos_are_the_catalog_and_those_added_before_the_year_ended() -> None:
    qsmos = {
        **CATALOG_QSMOS,
        "acquisition": at("2026-09-30T23:59:59Z"),  # last second of FY2026
        "travel": at("2026-10-01T00:00:00Z"),  # first instant of FY2027
    }
    catalog = list(CATALOG_QSMOS)
    assert participating_qsmos(qsmos, 2025) == catalog
    assert participating_qsmos(qsmos, 2026) == [*catalog, "acquisition"]
    assert participating_qsmos(qsmos, 2027) == [*catalog, "acquisition", "travel"]


def test_an_added_qsmo_takes_no_part_in_years_that_ended_before_it_was_added() -> None:
    # Its own events may still fall in those years (late reports), but no target was set for
    # it then: the government-wide target of a closed year does not grow after the fact.
    added_in_fy2026 = {"acquisition": at("2026-03-01T00:00Z")}
    assert participating_qsmos(added_in_fy2026, 2024) == []
    assert participating_qsmos(added_in_fy2026, 2026) == ["acquisition"]


OVERRIDES = Overrides(
    qsmo_targets={
        ("financial-management", "customer-engagement"): 50.0,
        ("grants-management", "customer-satisfaction"): 4.5,  # never used government-wide
    },
    targets={"cost-avoidance": 60_000_000.0, "return-on-investment": 20.0},
)


@pytest.mark.parametrize(
    ("measure_id", "qsmo", "expected"),
    [
        ("customer-engagement", "financial-management", 50),  # per-QSMO
        ("customer-engagement", "cybersecurity", 40),  # default
        ("customer-engagement", None, 40 + 50 + 40 + 40),  # Σ of the QSMOs' targets
        ("cost-avoidance", None, 4 * 60_000_000),  # Σ of the global override
        ("customer-satisfaction", "grants-management", 4.5),
        ("customer-satisfaction", None, 4.0),  # mean: the default
        ("return-on-investment", None, 20),  # latest: the global override, as before
    ],
)
def test_annual_target(measure_id: str, qsmo: str | None, expected: float) -> None:
    measure = FRAMEWORK.measure(measure_id)
    assert annual_target(measure, qsmo, OVERRIDES, CATALOG_QSMOS, 2026) == expected


def test_government_wide_sum_target_counts_an_added_qsmo_only_from_its_year() -> None:
    qsmos = {**CATALOG_QSMOS, "acquisition": at("2026-10-15T00:00:00Z")}
    assert annual_target(ENGAGEMENT, None, OVERRIDES, qsmos, 2026) == 170
    assert annual_target(ENGAGEMENT, None, OVERRIDES, qsmos, 2027) == 210


def test_government_wide_sum_target_needs_a_participating_qsmo() -> None:
    with pytest.raises(ValueError, match="no QSMO takes part in FY2026"):
        annual_target(ENGAGEMENT, None, OVERRIDES, {"x": at("2027-01-01T00:00Z")}, 2026)


def test_target_for_period_pro_rates_the_government_wide_sum() -> None:
    fy2027 = fiscal_year_period(2027)
    target = target_for_period(ENGAGEMENT, None, OVERRIDES, CATALOG_QSMOS, fy2027, NOV_30)
    assert target == pytest.approx(170 * 61 / 365)
    q2_2026 = fiscal_quarter_period(2026, 2)  # Jan-Mar 2026: 90 of 365 days
    target = target_for_period(ENGAGEMENT, "cybersecurity", OVERRIDES, {}, q2_2026, NOV_30)
    assert target == pytest.approx(40 * 90 / 365)


def test_qsmo_status_counts() -> None:
    statuses = [Status.GREEN, Status.RED, Status.GREEN, Status.NO_DATA, Status.AMBER]
    assert qsmo_status_counts(statuses) == QsmoStatusCounts(green=2, amber=1, red=1, no_data=1)
    assert qsmo_status_counts([]) == QsmoStatusCounts()


@pytest.mark.parametrize(
    ("value", "last_year", "change"),
    [(45.0, 38.0, 7.0), (3.9, 4.2, -0.3), (None, 38.0, None), (45.0, None, None)],
)
def test_change_from_last_year(
    value: float | None, last_year: float | None, change: float | None
) -> None:
    assert change_from_last_year(value, last_year) == pytest.approx(change)


# --- properties --------------------------------------------------------------------------

fiscal_years = st.integers(min_value=2001, max_value=2099)
annual_targets = st.floats(min_value=1e-3, max_value=1e12, allow_nan=False)
aggregations = st.sampled_from(list(Aggregation))
offsets = st.timedeltas(timedelta(0), timedelta(days=40_000))


@PROPERTIES
@given(fiscal_years, st.integers(1, 4), annual_targets, aggregations, offsets, offsets)
def test_a_closed_period_target_never_depends_on_the_reference_time(
    year: int, quarter: int, annual: float, aggregation: Aggregation, a: timedelta, b: timedelta
) -> None:
    for period in (fiscal_year_period(year), fiscal_quarter_period(year, quarter)):
        first = period_target(annual, aggregation, period, period.end + a)
        assert first == period_target(annual, aggregation, period, period.end + b)


@PROPERTIES
@given(fiscal_years, annual_targets, aggregations, offsets)
def test_a_closed_fiscal_year_keeps_the_old_rule(
    year: int, annual: float, aggregation: Aggregation, after_end: timedelta
) -> None:
    period = fiscal_year_period(year)
    assert period_target(annual, aggregation, period, period.end + after_end) == annual


@PROPERTIES
@given(fiscal_years, annual_targets)
def test_the_quarters_and_months_of_a_closed_year_add_up_to_the_annual_target(
    year: int, annual: float
) -> None:
    reference = fiscal_year_period(year).end
    quarters = [period_target(annual, SUM, q, reference) for q in quarters_of(year)]
    months = [period_target(annual, SUM, m, reference) for m in months_of(year)]
    assert math.isclose(math.fsum(quarters), annual, rel_tol=1e-12)
    assert math.isclose(math.fsum(months), annual, rel_tol=1e-12)


@PROPERTIES
@given(fiscal_years, st.integers(-30, 400), st.integers(-30, 400), annual_targets)
def test_an_open_year_target_grows_with_the_reference_day_up_to_the_annual_target(
    year: int, day_a: int, day_b: int, annual: float
) -> None:
    start = fiscal_year_period(year).start
    earlier, later = sorted((start + timedelta(days=day_a), start + timedelta(days=day_b)))
    expected_earlier = period_target(annual, SUM, fiscal_year_period(year), earlier)
    expected_later = period_target(annual, SUM, fiscal_year_period(year), later)
    assert 0 <= expected_earlier <= expected_later <= annual


target_values = st.floats(min_value=1, max_value=1e9, allow_nan=False)
added_times = st.none() | st.datetimes(
    datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)
)
qsmo_ids = st.lists(
    st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), min_size=1, max_size=8, unique=True
)


@st.composite
def government_wide_cases(
    draw: st.DrawFn,
) -> tuple[Measure, Overrides, dict[str, datetime | None], int]:
    measure = draw(st.sampled_from([m for m in FRAMEWORK.measures if m.aggregation is SUM]))
    qsmos = draw(qsmo_ids)
    added = {q: draw(added_times) for q in qsmos}  # None: a catalog QSMO
    per_qsmo = {
        (q, measure.id): draw(target_values) for q in draw(st.lists(st.sampled_from(qsmos)))
    }
    global_target = draw(st.none() | target_values)
    targets = {} if global_target is None else {measure.id: global_target}
    return (
        measure,
        Overrides(qsmo_targets=per_qsmo, targets=targets),
        added,
        draw(st.integers(2020, 2030)),
    )


@PROPERTIES
@given(government_wide_cases(), st.sampled_from(["year", "quarter", "month"]), offsets)
def test_the_government_wide_sum_target_is_the_sum_of_the_qsmo_targets(
    case: tuple[Measure, Overrides, dict[str, datetime | None], int],
    kind: str,
    offset: timedelta,
) -> None:
    measure, overrides, qsmos, year = case
    participants = participating_qsmos(qsmos, year)
    period = {
        "year": fiscal_year_period(year),
        "quarter": fiscal_quarter_period(year, 2),
        "month": months_of(year)[4],
    }[kind]
    reference = period.start + offset - timedelta(days=60)
    own = [target_for_period(measure, q, overrides, qsmos, period, reference) for q in participants]
    if not participants:
        with pytest.raises(ValueError, match="no QSMO takes part"):
            target_for_period(measure, None, overrides, qsmos, period, reference)
        return
    government_wide = target_for_period(measure, None, overrides, qsmos, period, reference)
    assert math.isclose(government_wide, math.fsum(own), rel_tol=1e-12, abs_tol=1e-9)
    assert annual_target(measure, None, overrides, qsmos, year) == math.fsum(
        overrides.target_for(measure, q) for q in participants
    )


@PROPERTIES
@given(st.lists(st.sampled_from(list(Status))))
def test_status_counts_add_up_to_the_qsmos_counted(statuses: list[Status]) -> None:
    counts = qsmo_status_counts(statuses)
    assert counts.green + counts.amber + counts.red + counts.no_data == len(statuses)


def test_no_overrides_government_wide_is_one_default_per_catalog_qsmo() -> None:
    assert annual_target(ENGAGEMENT, None, NO_OVERRIDES, CATALOG_QSMOS, 2027) == 4 * 40
    assert annual_target(SATISFACTION, None, NO_OVERRIDES, CATALOG_QSMOS, 2027) == 4.0
    assert annual_target(ROI, None, NO_OVERRIDES, CATALOG_QSMOS, 2027) == 15
