"""The scorecard service as a real process: real Kafka in, real store, ScorecardReader out."""

import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import qsmo_stack
from scorecard_pipeline import (
    DEADLINE_S,
    START_S,
    ScorecardLane,
    eventually,
    publish_values,
    read_scorecard_changes,
    start_scorecard,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "scorecard"))
from scorecard_support import both_scopes

from gateway.framework_admin import FrameworkAdmin
from gateway.framework_announcer import KafkaFrameworkAnnouncer
from services.scorecard.read_model import ScorecardReader
from services.scorecard.views import ScorecardView
from shared.framework_log import MongoFrameworkLog
from shared.kafka import create_producer
from shared.mongo import create_mongo_client

INSTANCE = "-svc"


@pytest.fixture(scope="module")
def lane(stack: qsmo_stack.Stack) -> Iterator[tuple[ScorecardLane, int]]:
    """One scorecard instance for this module's tests (they use distinct fiscal years)."""
    lane = ScorecardLane.new()
    qsmo_stack.run_async(lambda: lane.create_topics(stack.kafka_bootstrap))
    port = start_scorecard(stack, lane, INSTANCE)
    yield lane, port
    stack.stop(f"scorecard{INSTANCE}")


@pytest.fixture
async def database(stack: qsmo_stack.Stack, lane: tuple[ScorecardLane, int]) -> AsyncIterator[Any]:
    client = create_mongo_client(stack.mongo_url)
    try:
        yield client[lane[0].database]
    finally:
        await client.close()


def _at_version(reader: ScorecardReader, year: int, qsmo: str | None, version: int) -> Any:
    async def check() -> ScorecardView | None:
        view = await reader.current(year, qsmo)
        return view if view is not None and view.version >= version else None

    return check


async def test_published_values_give_the_hand_computed_scorecards(
    kafka_bootstrap: str, lane: tuple[ScorecardLane, int], database: Any
) -> None:
    topics, port = lane
    await publish_values(
        kafka_bootstrap,
        topics.values,
        [
            *both_scopes("cybersecurity", "customer-engagement", 2022, [20, 10]),
            *both_scopes("cybersecurity", "customer-satisfaction", 2022, [4.0, 5.0]),
            *both_scopes("cybersecurity", "price-transparency", 2022, [81]),
            *both_scopes("grants-management", "customer-engagement", 2022, [50]),
            *both_scopes("grants-management", "customer-satisfaction", 2022, [3.0]),
            *both_scopes("grants-management", "m3-playbook-utilization", 2022, [85]),
        ],
    )
    reader = ScorecardReader(database)

    async def all_three() -> list[ScorecardView] | None:
        views = await reader.all_current(2022)
        complete = len(views) == 3 and views[-1].measure("m3-playbook-utilization").value == 85
        return views if complete else None

    cyber, grants, government = await eventually(all_three, DEADLINE_S, "three FY2022 scorecards")
    assert cyber.overall_score == pytest.approx(88.75)
    assert cyber.overall_status == "AMBER"
    assert cyber.dimension("marketplace-operations").status == "NO_DATA"
    assert grants.overall_score == pytest.approx(93.75)
    # Rev. 2: 80 engagements of the four QSMOs' 4 × 40 → customer 75.
    assert government.measure("customer-engagement").target == 160
    assert government.overall_score == pytest.approx((75 + 90 + 100) / 3)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        assert (await client.get("/readyz")).status_code == 200
        metrics = (await client.get("/metrics")).text
    assert "qsmo_scorecard_recomputations_total" in metrics
    assert (
        'qsmo_scorecard_status_transitions_total{direction="improved",level="overall"}' in metrics
    )


async def test_late_data_then_a_target_change_then_a_restart_with_redelivery(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, lane: tuple[ScorecardLane, int], database: Any
) -> None:
    topics, _ = lane
    reader = ScorecardReader(database)
    qsmo = "financial-management"
    await publish_values(
        kafka_bootstrap, topics.values, both_scopes(qsmo, "customer-engagement", 2025, [20])
    )
    first = await eventually(_at_version(reader, 2025, qsmo, 1), DEADLINE_S, "version 1")
    reported_at = datetime.now(UTC)
    late = both_scopes(qsmo, "customer-engagement", 2025, [20, 10], restated=True, restated_count=1)
    await publish_values(kafka_bootstrap, topics.values, late)
    second = await eventually(
        _at_version(reader, 2025, qsmo, 2), DEADLINE_S, "the restated version"
    )
    assert (first.overall_score, second.overall_score) == (50.0, 75.0)
    as_reported = await reader.as_of(2025, qsmo, reported_at)
    assert as_reported is not None
    assert as_reported.measure("customer-engagement").value == 20
    changed = await reader.diff(2025, qsmo, reported_at, datetime.now(UTC))
    assert [(m.id, m.causes) for m in changed.measures] == [
        ("customer-engagement", ("restatement",))
    ]
    assert changed.causes == ("restatement",)

    announcer = KafkaFrameworkAnnouncer(lambda: create_producer(kafka_bootstrap), topics.framework)
    await announcer.start()
    try:

        async def connected() -> bool:
            return announcer.connected

        await eventually(connected, DEADLINE_S, "the announcer's producer connected")
        store = FrameworkAdmin(MongoFrameworkLog(database), announcer)
        change = await store.set_target(
            "customer-engagement", 30, qsmo=qsmo, actor="osspi-admin", reason="mid-year revision"
        )
    finally:
        await announcer.stop()
    third = await eventually(
        _at_version(reader, 2025, qsmo, 3), DEADLINE_S, "the framework recompute"
    )
    assert third.cause == "framework_change"
    assert third.cause_detail.framework_changes == (change.change_id,)
    assert third.overall_score == pytest.approx(100.0)
    assert [c.change_id for c in await store.audit_log(5)] == [change.change_id]

    stack.kill(f"scorecard{INSTANCE}")
    start_scorecard_again(stack, topics, lane[1])
    await publish_values(
        kafka_bootstrap,
        topics.values,
        [
            *late,  # a redelivery: nothing new
            *both_scopes(qsmo, "customer-satisfaction", 2025, [4.0]),
        ],
    )
    fourth = await eventually(
        _at_version(reader, 2025, qsmo, 4), DEADLINE_S, "the version after restart"
    )
    assert fourth.cause == "new_data"
    assert fourth.cause_detail.measures == ("customer-satisfaction",)
    assert [v.version for v in await reader.history(2025, qsmo, 10)] == [4, 3, 2, 1]
    announced = [
        c
        for c in await read_scorecard_changes(kafka_bootstrap, topics.scorecards, 99, 5)
        if c.scorecard_id == f"FY2025|{qsmo}"
    ]
    assert sorted({(c.version, c.cause) for c in announced}) == [
        (1, "new_data"),
        (2, "restatement"),
        (3, "framework_change"),
        (4, "new_data"),
    ]
    assert next(c for c in announced if c.version == 1).transitions[0].from_status == "NO_DATA"


def start_scorecard_again(stack: qsmo_stack.Stack, lane: ScorecardLane, port: int) -> None:
    stack.start_service("scorecard", extra_env=lane.env(port), instance=INSTANCE, timeout_s=START_S)
