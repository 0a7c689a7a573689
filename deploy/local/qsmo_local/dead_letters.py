"""The newest dead letters on ``qsmo.events.dlq.v1`` (``make dlq``), for the runbook.

Reads the topic from each partition's start up to its end offset without a consumer group
(nothing is committed, so running it changes no service's position), decodes each
``DeadLetter`` and its original bytes, and keeps the newest ``limit`` by dead-letter time.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from typing import Any

DLQ_TOPIC = "qsmo.events.dlq.v1"


@dataclass(frozen=True)
class ReadDeadLetter:
    dlq_partition: int
    dlq_offset: int
    dead_lettered_at: str
    code: str
    reason: str
    source: str
    """``topic/partition@offset`` of the original record."""
    key: str | None
    original: str
    """The original record's bytes as text (UTF-8), or ``base64:…`` when they are not text."""


def decode_dead_letter(partition: int, offset: int, raw: bytes | None) -> ReadDeadLetter:
    """One DLQ record as people read it; a record that is not a DeadLetter says so."""
    try:
        letter: dict[str, Any] = json.loads(raw or b"")
        payload = base64.b64decode(letter["payload_base64"], validate=True)
        source = f"{letter['topic']}/{letter['partition']}@{letter['offset']}"
        fields = (letter["dead_lettered_at"], letter["code"], letter["reason"], letter["key"])
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        return ReadDeadLetter(
            partition, offset, "", "unreadable", f"not a DeadLetter record: {error}", "", None, ""
        )
    try:
        original = payload.decode("utf-8")
    except UnicodeDecodeError:
        original = "base64:" + letter["payload_base64"]
    at, code, reason, key = fields
    return ReadDeadLetter(partition, offset, at, code, reason, source, key, original)


async def read_dead_letters(
    bootstrap: str, limit: int, topic: str = DLQ_TOPIC
) -> list[ReadDeadLetter]:
    """The newest ``limit`` dead letters of ``topic``, oldest first."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    numbers = [p["partition"] for d in described if d["error_code"] == 0 for p in d["partitions"]]
    if not numbers:
        return []
    partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        request_timeout_ms=5000,
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        # An explicit position: seek_to_beginning is lazy and can lose to the assignment's reset.
        for tp, first in (await consumer.beginning_offsets(partitions)).items():
            consumer.seek(tp, first)
        letters: list[ReadDeadLetter] = []
        while await _behind(consumer, ends):
            batches = await consumer.getmany(*partitions, timeout_ms=1000)
            for tp, records in batches.items():
                letters += [
                    decode_dead_letter(tp.partition, r.offset, r.value)
                    for r in records
                    if r.offset < ends[tp]
                ]
    finally:
        await consumer.stop()
    letters.sort(
        key=lambda letter: (letter.dead_lettered_at, letter.dlq_partition, letter.dlq_offset)
    )
    return letters[-limit:] if limit > 0 else letters


async def _behind(consumer: Any, ends: dict[Any, int]) -> bool:
    """True while any partition is short of the end offset it had when the read began."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return True
    return False


def format_dead_letters(letters: list[ReadDeadLetter]) -> str:
    if not letters:
        return f"no dead letters on {DLQ_TOPIC}\n"
    lines = []
    for letter in letters:
        lines.append(
            f"{letter.dead_lettered_at}  {letter.code:<14} from {letter.source}  "
            f"(dlq {letter.dlq_partition}@{letter.dlq_offset}, key {letter.key or '-'})"
        )
        lines.append(f"    reason:   {letter.reason}")
        lines.append(f"    original: {letter.original}")
    return "\n".join(lines) + "\n"


def dead_letters_json(letters: list[ReadDeadLetter]) -> str:
    return json.dumps([asdict(letter) for letter in letters], indent=2) + "\n"
