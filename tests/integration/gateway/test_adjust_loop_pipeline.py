"""The Adjust loop in the real gateway: events for two ended quarters go through ingest and
the measures service, the measure is RED at both quarter ends, and the gateway's background
sweeps draft exactly one action — also after more sweeps and a restart of the gateway; an
overdue action is announced on the reviews topic exactly once, restart included."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import qsmo_stack
from aiokafka import TopicPartition
from gateway_pipeline_support import (
    Keys,
    Lane,
    Pipeline,
    drafted_entries,
    eventually,
    more_adjust_sweeps,
)

from shared.domain.adjust_rules import latest_ended_quarters
from shared.domain.fiscal import fiscal_quarter_period
from shared.events import ImprovementActionOverdue
from shared.kafka import create_consumer, ensure_topics

QSMO = "cybersecurity"
REVIEW_PARTITIONS = 3
MEASURE = "customer-engagement"  # sum, higher is better, 40 a year
ACTIONS = """{ improvementActions(qsmo: "cybersecurity", measure: "customer-engagement") {
  nodes { id status owner origin originReason title createdBy } } }"""


def _gateway_env(lane: Lane) -> dict[str, str]:
    return {
        **lane.env("gateway"),
        "QSMO_GATEWAY_ADJUST_INTERVAL_S": "0.5",
        "QSMO_GATEWAY_REVIEWS_TOPIC": lane.topic("reviews"),
    }


def _start_gateway(stack: qsmo_stack.Stack, lane: Lane) -> None:
    stack.start_service(
        "gateway", extra_env=_gateway_env(lane), instance=f"-gw-{lane.tag}", timeout_s=120
    )


@pytest.fixture
async def adjust_lane(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """ingest → measures, and the gateway sweeping every 0.5 s, on a private lane."""
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    await ensure_topics(stack.kafka_bootstrap, REVIEW_PARTITIONS, names=(lane.topic("reviews"),))
    for service in ("ingest", "measures"):
        stack.start_service(
            service, extra_env=lane.env(service), instance=f"-gw-{lane.tag}", timeout_s=120
        )
    _start_gateway(stack, lane)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
    finally:
        for service in ("gateway", "measures", "ingest"):
            stack.stop(f"{service}-gw-{lane.tag}")


async def _review_messages(bootstrap: str, topic: str) -> list[ImprovementActionOverdue]:
    """Every message on the topic: read up to its end offsets (no waiting for luck)."""
    consumer = create_consumer(bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(REVIEW_PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[ImprovementActionOverdue] = []
        while [p for p in partitions if await consumer.position(p) < ends[p]]:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(ImprovementActionOverdue.model_validate_json(r.value) for r in records)
        return found
    finally:
        await consumer.stop()


async def test_red_at_two_quarter_ends_drafts_one_action_across_sweeps_and_a_restart(
    stack: qsmo_stack.Stack, adjust_lane: Pipeline
) -> None:
    earlier, later = latest_ended_quarters(datetime.now(UTC))
    for quarter in (earlier, later):  # 1 engagement a quarter: far below 40 a year
        middle = fiscal_quarter_period(*quarter).start + timedelta(days=40)
        await adjust_lane.send(QSMO, MEASURE, 1, middle.isoformat().replace("+00:00", "Z"))
    expected_id = f"auto:{QSMO}:{MEASURE}:FY{later[0]}Q{later[1]}"

    async def drafted() -> list[dict[str, str]]:
        nodes: list[dict[str, str]] = (await adjust_lane.data(ACTIONS))["improvementActions"][
            "nodes"
        ]
        return nodes

    [action] = await eventually(drafted, 60, "the Adjust loop's draft action")
    assert action["id"] == expected_id
    assert action["status"] == "DRAFT"
    assert action["owner"] == "QSMO customer engagement lead"
    assert (action["origin"], action["createdBy"]) == ("ADJUST_LOOP", "automation:adjust-loop")
    assert action["title"].startswith("Recover Customer Engagement: RED at ")
    assert "year-to-date 1 against" in action["originReason"]

    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    created = await adjust_lane.data(
        f'mutation {{ createImprovementAction(qsmo: "{QSMO}", measure: "customer-satisfaction", '
        f'title: "Second survey wave", owner: "CX lead", dueDate: "{yesterday}") {{ id }} }}',
        who=QSMO,
    )
    overdue_id = created["createImprovementAction"]["id"]
    bootstrap, topic = stack.kafka_bootstrap, adjust_lane.lane.topic("reviews")

    async def announced() -> list[ImprovementActionOverdue]:
        return await _review_messages(bootstrap, topic)

    [message] = await eventually(announced, 60, "the overdue action's announcement")
    assert message.message_id == f"action-overdue:{overdue_id}:{yesterday}"
    assert (message.owner, message.status) == ("CX lead", "OPEN")

    await more_adjust_sweeps(adjust_lane, 2)
    stack.stop(f"gateway-gw-{adjust_lane.lane.tag}")
    _start_gateway(stack, adjust_lane.lane)
    await more_adjust_sweeps(adjust_lane, 2)

    assert [a["id"] for a in await drafted()] == [expected_id]
    assert await drafted_entries(stack, adjust_lane.lane) == [f"action.drafted:{expected_id}"]
    assert [m.message_id for m in await _review_messages(bootstrap, topic)] == [message.message_id]
