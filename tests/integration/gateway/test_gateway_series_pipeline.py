"""measureSeries through the real pipeline (ingest → Kafka → measures → store → gateway).

Each point carries its own period target and status (rev. 2), checked exactly against an
independent computation from the calendar: a closed fiscal year (FY2025) and the open one
(relative to the gateway's clock, which the answer reports as ``referenceTime``). A private
lane, so no other test's events reach these series.
"""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import Keys, Lane, Pipeline, eventually, start_pipeline, stop_pipeline
from pymongo import monitoring

from gateway.auth import Caller
from gateway.bootstrap import create_app
from gateway.context import GatewayContext
from gateway.settings import GatewaySettings
from shared.api_keys import Principal, Role
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings

MEASURE = "customer-engagement"  # sum, higher is better, default target 40, amber 0.9
NOW = datetime.now(UTC)
OPEN_FY = NOW.year + 1 if NOW.month >= 10 else NOW.year
OPEN_START = datetime(OPEN_FY - 1, 10, 1, 1, 0, tzinfo=UTC)
CLOSED = [  # FY2025
    ("financial-management", 2, "2024-10-10T12:00:00Z"),
    ("financial-management", 5, "2024-11-20T12:00:00Z"),
    ("financial-management", 4, "2025-01-05T12:00:00Z"),
    ("grants-management", 3, "2024-10-15T12:00:00Z"),
]
OPEN = [
    ("financial-management", 3, OPEN_START.isoformat()),
    ("financial-management", 2, (NOW - timedelta(minutes=5)).isoformat()),
]
SERIES = """query($fy: Int!, $qsmo: ID, $cumulative: Boolean!) {
  measureSeries(measure: "customer-engagement", fiscalYear: $fy, qsmo: $qsmo,
    cumulative: $cumulative) {
    annualTarget referenceTime cumulative
    points { period { label start end } value count target status } } }"""


@pytest.fixture(scope="module")
async def series_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    start_pipeline(stack, lane)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            running = Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
            sent = [e for e in CLOSED + OPEN if datetime.fromisoformat(e[2]) <= NOW]
            for qsmo, value, at in sent:
                await running.send(qsmo, MEASURE, value, at)

            async def counted() -> bool:
                total = 0
                for fy in (2025, OPEN_FY):
                    found = await series(running, fy, None, cumulative=False)
                    total += sum(p["count"] for p in found["points"])
                return total == len(sent)

            await eventually(counted, 90, "every event in the government-wide series")
            yield running
    finally:
        stop_pipeline(stack, lane)


async def series(pipeline: Pipeline, fy: int, qsmo: str | None, *, cumulative: bool) -> Any:
    variables = {"fy": fy, "qsmo": qsmo, "cumulative": cumulative}
    return (await pipeline.data(SERIES, variables))["measureSeries"]


def fy_days(fy: int) -> int:
    return (date(fy, 10, 1) - date(fy - 1, 10, 1)).days


def months(fy: int) -> list[tuple[str, date, date]]:
    """(label, first day, last day) of each month of ``fy``."""
    found = []
    for year, month in [(fy - 1, m) for m in (10, 11, 12)] + [(fy, m) for m in range(1, 10)]:
        last = calendar.monthrange(year, month)[1]
        found.append((f"{year}-{month:02d}", date(year, month, 1), date(year, month, last)))
    return found


def month_target(annual: float, fy: int, first: date, last: date, today: date) -> float:
    if today < first:
        return 0.0
    through = min(last, today)
    return annual * ((through - first).days + 1) / fy_days(fy)


def ytd_target(annual: float, fy: int, first: date, last: date, today: date) -> float:
    through = today if first <= today <= last else last
    return annual * ((through - date(fy - 1, 10, 1)).days + 1) / fy_days(fy)


def status(value: float | None, target: float) -> str:
    if value is None:
        return "NO_DATA"
    ratio = 1.0 if target == 0 else min(1.0, value / target)
    return "GREEN" if ratio >= 1 - 1e-9 else "AMBER" if ratio >= 0.9 - 1e-9 else "RED"


def expected_values(events: list[tuple[str, int, str]], qsmo: str | None) -> dict[str, float]:
    found: dict[str, float] = {}
    for owner, value, at in events:
        if qsmo in (None, owner) and datetime.fromisoformat(at) <= NOW:
            label = datetime.fromisoformat(at).astimezone(UTC).strftime("%Y-%m")
            found[label] = found.get(label, 0) + value
    return found


@pytest.mark.parametrize(
    ("fy", "qsmo", "annual"),
    [
        (2025, "financial-management", 40),
        (2025, None, 160),  # government-wide sum: the four QSMOs' targets
        (OPEN_FY, "financial-management", 40),
        (OPEN_FY, None, 160),
    ],
)
async def test_each_point_is_judged_against_its_own_period_target(
    series_pipeline: Pipeline, fy: int, qsmo: str | None, annual: float
) -> None:
    found = await series(series_pipeline, fy, qsmo, cumulative=False)
    today = datetime.fromisoformat(found["referenceTime"]).astimezone(UTC).date()
    values = expected_values(CLOSED if fy == 2025 else OPEN, qsmo)
    assert found["annualTarget"] == annual
    assert found["cumulative"] is False
    assert [p["period"]["label"] for p in found["points"]] == [m[0] for m in months(fy)]
    for point, (label, first, last) in zip(found["points"], months(fy), strict=True):
        target = month_target(annual, fy, first, last, today)
        assert point["value"] == values.get(label), label
        assert point["target"] == pytest.approx(target, rel=1e-12, abs=1e-12), label
        assert point["status"] == status(values.get(label), target), label


@pytest.mark.parametrize("fy", [2025, OPEN_FY])
async def test_cumulative_points_run_against_the_expected_to_date_line(
    series_pipeline: Pipeline, fy: int
) -> None:
    found = await series(series_pipeline, fy, "financial-management", cumulative=True)
    today = datetime.fromisoformat(found["referenceTime"]).astimezone(UTC).date()
    per_month = expected_values(CLOSED if fy == 2025 else OPEN, "financial-management")
    assert found["cumulative"] is True
    running: float | None = None
    for point, (label, first, last) in zip(found["points"], months(fy), strict=True):
        if label in per_month:
            running = (running or 0) + per_month[label]
        expected = None if first > today else running
        target = ytd_target(found["annualTarget"], fy, first, last, today)
        assert point["value"] == expected, label
        assert point["target"] == pytest.approx(target, rel=1e-12), label
        assert point["status"] == status(expected, target), label
    if fy == 2025:  # a closed year's last point is the year's total against the annual target
        assert (found["points"][-1]["value"], found["points"][-1]["target"]) == (11, 40)
        assert found["points"][-1]["status"] == "RED"


async def test_cumulative_on_a_mean_measure_is_refused_naming_the_argument(
    series_pipeline: Pipeline,
) -> None:
    body = await series_pipeline.graphql(
        '{ measureSeries(measure: "customer-satisfaction", fiscalYear: 2025, cumulative: true) '
        "{ fiscalYear } }"
    )
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "cumulative"
    assert "customer-satisfaction" in error["message"]


class Finds(monitoring.CommandListener):
    """The collection and filter of every ``find`` a client sends."""

    def __init__(self) -> None:
        self.finds: list[tuple[str, dict[str, Any]]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds.append((event.command["find"], dict(event.command.get("filter", {}))))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        return None

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        return None


@pytest.mark.parametrize(("qsmo", "year_documents"), [("financial-management", 1), (None, 4)])
async def test_a_series_reads_one_year_document_per_qsmo_by_id(
    series_pipeline: Pipeline, stack: qsmo_stack.Stack, qsmo: str | None, year_documents: int
) -> None:
    """FerretDB scans the collection for any filter but ``{_id}``: a series sends no other."""
    watcher = Finds()
    client: Any = create_mongo_client(stack.mongo_url, event_listeners=[watcher])
    platform = PlatformSettings(
        mongo_url=stack.mongo_url,
        mongo_db=series_pipeline.lane.database,
        api_keys_file=stack.api_keys_file,
        kafka_bootstrap=stack.kafka_bootstrap,
    )
    app = create_app(GatewaySettings(), platform, mongo_client=client)
    viewer = GatewayContext(
        app.state.runtime, Caller(Principal(key_id="t-viewer", role=Role.VIEWER))
    )
    try:
        result = await app.state.schema.execute(
            SERIES,
            variable_values={"fy": 2025, "qsmo": qsmo, "cumulative": False},
            context_value=viewer,
        )
        assert result.errors is None, result.errors
        assert sum(p["count"] for p in result.data["measureSeries"]["points"]) >= 3
        periods = [f for collection, f in watcher.finds if collection == "measure_periods"]
        assert len(periods) == year_documents
        assert all(list(f) == ["_id"] and f["_id"].endswith("|fiscal_year|FY2025") for f in periods)
        # besides: only the framework log (cached once the gateway's live feed is positioned)
        assert {c for c, _ in watcher.finds} <= {"measure_periods", "framework_changes"}
    finally:
        await client.close()
