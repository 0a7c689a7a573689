"""`make groups` (qsmo_stack.py groups) against the real broker: offsets, lag and members.

One group has committed known offsets and no member; another has a member and no commit.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
import qsmo_stack
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.kafka import create_consumer, ensure_topics

pytestmark = pytest.mark.infra
KNOWN_STATES = {"Stable", "Empty", "PreparingRebalance", "CompletingRebalance", "Dead"}


async def _topic_with_records(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    await ensure_topics(bootstrap, len(per_partition), names=(topic,))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for partition, count in per_partition.items():
            for i in range(count):
                await producer.send_and_wait(topic, f"r{i}".encode(), partition=partition)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit ``offsets`` for ``group`` without joining it (manual assignment)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


def _groups_json(stack: qsmo_stack.Stack, *groups: str) -> list[dict[str, Any]]:
    """``qsmo_stack.py groups --json`` run as `make groups` runs it: a process, the ports file."""
    argv = [sys.executable, "deploy/local/qsmo_stack.py", "groups", "--home", str(stack.home)]
    for group in groups:
        argv += ["--group", group]
    result = subprocess.run(
        [*argv, "--json"], cwd=qsmo_stack.REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    documents: list[dict[str, Any]] = json.loads(result.stdout)
    return documents


async def test_groups_reports_committed_end_and_lag_per_partition(
    stack: qsmo_stack.Stack, unique_topic: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bootstrap = stack.kafka_bootstrap
    await _topic_with_records(bootstrap, unique_topic, {0: 5, 1: 3})
    group = f"lag-test-{uuid.uuid4().hex[:8]}"
    p0, p1 = TopicPartition(unique_topic, 0), TopicPartition(unique_topic, 1)
    await _commit(bootstrap, group, {p0: 2, p1: 3})

    [described] = await asyncio.to_thread(_groups_json, stack, group)

    assert described["group"] == group
    assert described["state"] == "Empty"
    assert described["members"] == 0
    assert described["lag"] == 3
    assert [
        (p["partition"], p["committed"], p["end"], p["lag"]) for p in described["partitions"]
    ] == [
        (0, 2, 5, 3),
        (1, 3, 3, 0),
    ]
    # The table (the default output) says the same.
    assert qsmo_stack.main(["groups", "--home", str(stack.home), "--group", group]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == f"GROUP {group}: Empty, 0 members, lag 3"
    assert table[1].split() == ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER"]
    assert table[2].split() == [unique_topic, "0", "2", "5", "3", "-"]
    assert table[3].split() == [unique_topic, "1", "3", "3", "0", "-"]


async def test_groups_names_each_partitions_member_and_describes_several_groups(
    stack: qsmo_stack.Stack, unique_topic: str
) -> None:
    bootstrap = stack.kafka_bootstrap
    await _topic_with_records(bootstrap, unique_topic, {0: 4, 1: 1})
    idle = f"idle-test-{uuid.uuid4().hex[:8]}"
    await _commit(bootstrap, idle, {TopicPartition(unique_topic, 0): 1})
    group = f"member-test-{uuid.uuid4().hex[:8]}"
    # The platform's own consumer factory: members are named after their group.
    consumer = create_consumer(bootstrap, unique_topic, group_id=group, auto_offset_reset="latest")
    await consumer.start()
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment():
            assert time.monotonic() < deadline, "the consumer got no partitions in 30 s"
            await consumer.getmany(timeout_ms=200)
        # An assignment means the group's rebalance is done: the group is Stable.
        described = await asyncio.to_thread(_groups_json, stack, group, idle)
        everything = await asyncio.to_thread(_groups_json, stack)
    finally:
        await consumer.stop()

    member, other = described
    assert (member["group"], member["state"], member["members"]) == (group, "Stable", 1)
    assert (member["lag"], member["uncommitted_partitions"]) == (0, 2)
    assert [
        (p["partition"], p["committed"], p["end"], p["lag"], p["member"].split("/")[0])
        for p in member["partitions"]
    ] == [(0, None, 4, None, f"qsmo-{group}"), (1, None, 1, None, f"qsmo-{group}")]
    assert (other["group"], other["state"], other["members"], other["lag"]) == (idle, "Empty", 0, 3)
    # All groups at once: each one's state as described alone (several groups in one answer
    # once decoded as garbage).
    by_name = {document["group"]: document for document in everything}
    assert by_name[group]["state"] == "Stable"
    assert by_name[idle]["state"] == "Empty"
    assert all(document["state"] in KNOWN_STATES for document in everything)
