"""measureSeries (rev. 2): each point judged against its own period target; cumulative series.

The harness's clock is 2024-05-15 12:00 UTC: FY2024 (Oct 2023 – Sep 2024, 366 days) is open,
228 of its days have elapsed, May 2024 is the open month (15 of 31 days), June on has not
started. customer-engagement is a `sum` measure with default target 40.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_unit_support import NOW, QSMOS, Harness, error_codes

from gateway.series import judge, point_target, qsmo_added_times, year_to_date_target
from shared.catalog import load_catalog
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import fiscal_quarter_period, month_period
from shared.domain.framework_changes import FrameworkState, RecordedChange
from shared.domain.scoring import Status
from shared.events import FrameworkChanged

FY2024_DAYS = 366
MONTH_DAYS = [31, 30, 31, 31, 29, 31, 30, 31, 30, 31, 31, 30]  # Oct 2023 … Sep 2024
LABELS = [
    "2023-10",
    "2023-11",
    "2023-12",
    "2024-01",
    "2024-02",
    "2024-03",
    "2024-04",
    "2024-05",
    "2024-06",
    "2024-07",
    "2024-08",
    "2024-09",
]
SERIES = """query($measure: ID!, $qsmo: ID, $cumulative: Boolean! = false,
    $granularity: SeriesGranularity! = MONTH) {
  measureSeries(measure: $measure, fiscalYear: 2024, qsmo: $qsmo, cumulative: $cumulative,
    granularity: $granularity) {
    cumulative annualTarget referenceTime
    points { period { label } value count target attainment status } } }"""


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T12:00:00+00:00")


def engagement() -> Any:
    return load_catalog().framework().measure("customer-engagement")


async def series(harness: Harness, **variables: Any) -> dict[str, Any]:
    data = await harness.data(SERIES, {"measure": "customer-engagement", **variables})
    result: dict[str, Any] = data["measureSeries"]
    return result


# --- the pure math -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (month_period(2023, 10), 40 * 31 / 366),  # closed: its share of the year
        (month_period(2024, 2), 40 * 29 / 366),  # closed, leap February
        (month_period(2024, 5), 40 * 15 / 366),  # open: 15 of 31 days elapsed
        (month_period(2024, 6), 0.0),  # not started: nothing expected yet
        (fiscal_quarter_period(2024, 3), 40 * 45 / 366),  # open Q3: 30 + 15 days
    ],
)
def test_a_sum_point_target_is_its_period_share_to_the_reference_time(
    period: Any, expected: float
) -> None:
    assert point_target(40, Aggregation.SUM, period, NOW) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("aggregation", [Aggregation.MEAN, Aggregation.LATEST])
def test_mean_and_latest_points_keep_the_annual_target(aggregation: Aggregation) -> None:
    for period in (month_period(2023, 10), month_period(2024, 5), month_period(2024, 6)):
        assert point_target(4.0, aggregation, period, NOW) == 4.0


@pytest.mark.parametrize(
    ("period", "expected_days"),
    [
        (month_period(2023, 10), 31),  # closed: through Oct 31
        (month_period(2024, 4), 213),  # closed: Oct … Apr
        (month_period(2024, 5), 228),  # open: through the reference day
        (month_period(2024, 6), 274),  # not started: the plan at its end (Oct … Jun)
        (month_period(2024, 9), 366),  # the plan reaches the annual target
        (fiscal_quarter_period(2024, 2), 183),  # closed quarter: Oct … Mar
    ],
)
def test_year_to_date_target_is_the_expected_to_date_line(period: Any, expected_days: int) -> None:
    expected = 40 * expected_days / FY2024_DAYS
    assert year_to_date_target(40, period, NOW) == pytest.approx(expected, rel=1e-12)


def test_year_to_date_of_a_closed_year_ends_at_the_annual_target() -> None:
    later = datetime(2025, 1, 1, tzinfo=UTC)
    assert year_to_date_target(40, month_period(2024, 9), later) == pytest.approx(40, rel=1e-12)
    assert year_to_date_target(40, month_period(2024, 5), later) == pytest.approx(
        40 * 244 / 366, rel=1e-12
    )


def test_judge_against_a_period_target() -> None:
    measure = engagement()
    assert judge(None, 3.0, measure).status is Status.NO_DATA
    assert judge(3.0, 3.0, measure).status is Status.GREEN
    assert judge(2.8, 3.0, measure).status is Status.AMBER
    assert judge(1.0, 3.0, measure).status is Status.RED
    nothing_expected = judge(0.0, 0.0, measure)
    assert (nothing_expected.attainment, nothing_expected.status) == (1.0, Status.GREEN)


def test_added_qsmos_take_part_from_when_they_were_added() -> None:
    change = FrameworkChanged(
        change_id="c1",
        kind="qsmo_added",
        qsmo="acquisition",
        actor="t",
        reason="r",
        changed_at=datetime(2024, 3, 1, tzinfo=UTC),
    )
    state = FrameworkState(seq=1, changes=(RecordedChange(1, change),))
    added = qsmo_added_times(load_catalog().qsmos, state)
    assert added == {**dict.fromkeys(QSMOS), "acquisition": datetime(2024, 3, 1, tzinfo=UTC)}


# --- through the schema ---------------------------------------------------------------------


async def test_a_green_year_reads_green_month_by_month(harness: Harness) -> None:
    """Each closed month on plan is GREEN against its share, not RED against the year."""
    for label, days in zip(LABELS[:7], MONTH_DAYS[:7], strict=True):
        value = 40 * days / FY2024_DAYS + 0.01  # just above the month's share
        harness.values.events.append(
            ("cybersecurity", "customer-engagement", value, at(f"{label}-10"))
        )
    harness.values.events.append(("cybersecurity", "customer-engagement", 1.0, at("2024-05-02")))
    found = await series(harness, qsmo="cybersecurity")
    assert found["annualTarget"] == 40
    assert found["referenceTime"] == NOW.isoformat()
    assert found["cumulative"] is False
    points = found["points"]
    assert [p["period"]["label"] for p in points] == LABELS
    for point, days in zip(points[:7], MONTH_DAYS[:7], strict=True):
        assert point["target"] == pytest.approx(40 * days / FY2024_DAYS, rel=1e-12)
        assert point["status"] == "GREEN"
    may = points[7]
    assert may["target"] == pytest.approx(40 * 15 / FY2024_DAYS, rel=1e-12)
    assert may["attainment"] == pytest.approx(1.0 / (40 * 15 / FY2024_DAYS), rel=1e-9)
    assert may["status"] == "RED"
    for future in points[8:]:
        assert (future["value"], future["target"], future["status"]) == (None, 0, "NO_DATA")


async def test_points_use_the_qsmo_target_and_government_wide_the_sum_of_targets(
    harness: Harness,
) -> None:
    await harness.data(
        'mutation { setTarget(measure: "customer-engagement", target: 80, qsmo: '
        '"cybersecurity", reason: "bigger marketplace") { change { id } } }',
        who="admin",
    )
    harness.values.events.append(("cybersecurity", "customer-engagement", 7, at("2023-10-05")))
    harness.values.events.append(("human-resources", "customer-engagement", 3, at("2023-10-06")))
    own = await series(harness, qsmo="cybersecurity")
    assert own["annualTarget"] == 80
    assert own["points"][0]["target"] == pytest.approx(80 * 31 / 366, rel=1e-12)
    assert own["points"][0]["status"] == "GREEN"  # 7 of 6.78
    government = await series(harness)
    assert government["annualTarget"] == 80 + 40 * 3
    october = government["points"][0]
    assert october["value"] == 10
    assert october["target"] == pytest.approx(200 * 31 / 366, rel=1e-12)
    assert october["status"] == "RED"  # 10 of 16.9


async def test_mean_points_keep_the_annual_target(harness: Harness) -> None:
    harness.values.events.append(("cybersecurity", "customer-satisfaction", 3.8, at("2024-05-01")))
    data = await harness.data(
        """{ measureSeries(measure: "customer-satisfaction", qsmo: "cybersecurity",
             fiscalYear: 2024) { annualTarget points { target status } } }"""
    )
    points = data["measureSeries"]["points"]
    assert data["measureSeries"]["annualTarget"] == 4.0
    assert {p["target"] for p in points} == {4.0}
    assert points[7]["status"] == "AMBER"
    assert points[0]["status"] == "NO_DATA"


async def test_cumulative_series_runs_the_total_against_the_expected_to_date_line(
    harness: Harness,
) -> None:
    for day, value in (("2023-11-03", 4), ("2024-01-20", 10), ("2024-05-14", 12)):
        harness.values.events.append(("cybersecurity", "customer-engagement", value, at(day)))
    found = await series(harness, qsmo="cybersecurity", cumulative=True)
    assert found["cumulative"] is True
    points = found["points"]
    assert [p["period"]["label"] for p in points] == LABELS
    assert [p["value"] for p in points] == [None, 4, 4, 14, 14, 14, 14, 26] + [None] * 4
    assert [p["count"] for p in points] == [0, 1, 1, 2, 2, 2, 2, 3] + [0] * 4
    through = [31, 61, 92, 123, 152, 183, 213, 228, 274, 305, 336, 366]
    for point, days in zip(points, through, strict=True):
        assert point["target"] == pytest.approx(40 * days / FY2024_DAYS, rel=1e-12)
    # 4 of 6.67 (Nov) RED; 14 of 13.4 (Jan) GREEN; 14 of 16.6 (Feb) RED; 26 of 24.9 (May) GREEN
    assert [p["status"] for p in points] == [
        "NO_DATA",
        "RED",
        "RED",
        "GREEN",
        "RED",
        "RED",
        "RED",
        "GREEN",
    ] + ["NO_DATA"] * 4


async def test_cumulative_quarters_and_government_wide(harness: Harness) -> None:
    harness.values.events.append(("cybersecurity", "customer-engagement", 5, at("2023-10-05")))
    harness.values.events.append(("grants-management", "customer-engagement", 6, at("2024-02-05")))
    found = await series(harness, cumulative=True, granularity="FISCAL_QUARTER")
    points = found["points"]
    assert [p["value"] for p in points] == [5, 11, 11, None]
    assert found["annualTarget"] == 160
    assert points[2]["target"] == pytest.approx(160 * 228 / 366, rel=1e-12)


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"measure": "customer-satisfaction", "cumulative": True}, "cumulative"),
        ({"measure": "return-on-investment", "cumulative": True}, "cumulative"),
        ({"measure": "no-such-measure"}, "measure"),
        ({"measure": "customer-engagement", "qsmo": "no-such-qsmo"}, "qsmo"),
    ],
)
async def test_bad_series_arguments_name_the_argument(
    harness: Harness, variables: dict[str, Any], field: str
) -> None:
    result = await harness.run(SERIES, variables)
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.errors is not None
    assert result.errors[0].extensions is not None
    assert result.errors[0].extensions["field"] == field
    if field == "cumulative":
        assert "sum measure" in result.errors[0].message


async def test_a_fiscal_year_out_of_range_is_refused(harness: Harness) -> None:
    result = await harness.run(
        '{ measureSeries(measure: "customer-engagement", fiscalYear: 1900) { fiscalYear } }'
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
