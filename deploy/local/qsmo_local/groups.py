"""Consumer-group offsets and lag, like ``kafka-consumer-groups.sh --describe`` (``make groups``).

For each group: its state and members, and for each partition it has committed to or is
assigned: the committed offset, the partition's end offset, the lag between them and the
member that owns it. The Kafka command-line tools are not part of the local route's jars.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .console import StackError

NO_OFFSET = "-"


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    """The group's committed offset (the next record it will read); None before its first commit."""
    end: int
    """The partition's end offset (the offset the next record written will get)."""
    member: str | None
    """``client_id/host`` of the member the partition is assigned to, if any."""

    @property
    def lag(self) -> int | None:
        return None if self.committed is None else max(self.end - self.committed, 0)


@dataclass(frozen=True)
class GroupLag:
    group: str
    state: str
    members: int
    partitions: tuple[PartitionLag, ...]

    @property
    def lag(self) -> int:
        """Messages behind over the partitions with a commit."""
        return sum(p.lag or 0 for p in self.partitions)

    @property
    def uncommitted(self) -> int:
        """Partitions without a commit: their lag is unknown, not 0."""
        return sum(p.committed is None for p in self.partitions)


async def describe_groups(bootstrap: str, groups: list[str] | None = None) -> list[GroupLag]:
    """Every consumer group of the cluster (or those named) with each partition's lag."""
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        try:
            await admin.start()
            await consumer.start()
        except Exception as error:
            raise StackError(
                f"Kafka does not answer on {bootstrap} ({error}); is the stack running? (make up)"
            ) from None
        names = groups or sorted(str(listed[0]) for listed in await admin.list_consumer_groups())
        return [await _describe_group(admin, consumer, name) for name in names]
    finally:
        await consumer.stop()
        await admin.close()


async def _describe_group(admin: Any, consumer: Any, name: str) -> GroupLag:
    """One group: its description, committed offsets and the end offsets of its partitions."""
    from aiokafka import TopicPartition

    # One group per request: aiokafka 0.14 reads DescribeGroups v3 answers with the v2 layout,
    # which drops each group's last field, so a second group in one answer decodes as garbage.
    description: dict[str, Any] = {"state": "Dead", "members": []}
    for response in await admin.describe_consumer_groups([name]):
        for group in response.to_object()["groups"]:
            description = group
    owners = _owners(description["members"])
    committed = {
        (tp.topic, tp.partition): meta.offset
        for tp, meta in (await admin.list_consumer_group_offsets(name)).items()
        if meta.offset >= 0
    }
    keys = sorted(set(committed) | set(owners))
    ends = await consumer.end_offsets([TopicPartition(*key) for key in keys]) if keys else {}
    partitions = tuple(
        PartitionLag(
            topic=topic,
            partition=partition,
            committed=committed.get((topic, partition)),
            end=ends[TopicPartition(topic, partition)],
            member=owners.get((topic, partition)),
        )
        for topic, partition in keys
    )
    state = str(description["state"]) or "Unknown"
    return GroupLag(name, state, len(description["members"]), partitions)


def _owners(members: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    """(topic, partition) → ``client_id/host`` from the members' consumer-protocol assignments."""
    from aiokafka.coordinator.protocol import ConsumerProtocol

    owners: dict[tuple[str, int], str] = {}
    for member in members:
        if not member["member_assignment"]:
            continue  # joined, not yet assigned (a rebalance is running)
        assignment = ConsumerProtocol.ASSIGNMENT.decode(member["member_assignment"])
        for topic, partitions in assignment.assignment:
            for partition in partitions:
                owners[(topic, partition)] = f"{member['client_id']}{member['client_host']}"
    return owners


def format_groups(groups: list[GroupLag]) -> str:
    """A table per group, the columns of ``kafka-consumer-groups.sh --describe``."""
    if not groups:
        return "no consumer groups (the services have not consumed anything yet)\n"
    lines = []
    header = ("TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "MEMBER")
    for group in groups:
        members = f"{group.members} member{'' if group.members == 1 else 's'}"
        uncommitted = f" ({group.uncommitted} without a commit)" if group.uncommitted else ""
        lines.append(f"GROUP {group.group}: {group.state}, {members}, lag {group.lag}{uncommitted}")
        rows = [header] + [
            (
                p.topic,
                str(p.partition),
                NO_OFFSET if p.committed is None else str(p.committed),
                str(p.end),
                NO_OFFSET if p.lag is None else str(p.lag),
                p.member or NO_OFFSET,
            )
            for p in group.partitions
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows
        ]
        lines.append("")
    return "\n".join(lines)


def groups_json(groups: list[GroupLag]) -> str:
    """The same as JSON (one object per group, ``lag`` included), for scripts."""
    documents = [
        {
            "group": g.group,
            "state": g.state,
            "members": g.members,
            "lag": g.lag,
            "uncommitted_partitions": g.uncommitted,
            "partitions": [{**asdict(p), "lag": p.lag} for p in g.partitions],
        }
        for g in groups
    ]
    return json.dumps(documents, indent=2) + "\n"
