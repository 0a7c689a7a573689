"""A produce → consume round trip through the real broker, with a group and manual commits."""

import asyncio
import time

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from shared.kafka import create_consumer, create_producer


async def _create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def _drain(consumer, expected: int, timeout_s: float = 30) -> list[bytes]:  # type: ignore[no-untyped-def]
    received: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    while len(received) < expected and time.monotonic() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        for messages in batches.values():
            received.extend(message.value for message in messages)
    return received


async def test_messages_round_trip_and_committed_offsets_are_not_redelivered(
    kafka_bootstrap: str, unique_topic: str
) -> None:
    await _create_topic(kafka_bootstrap, unique_topic, partitions=3)
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    try:
        sent = [f"event-{i}".encode() for i in range(100)]
        futures = [await producer.send(unique_topic, value, key=value[-1:]) for value in sent]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()

    first = create_consumer(kafka_bootstrap, unique_topic, group_id=f"{unique_topic}-group")
    await first.start()
    try:
        received = await _drain(first, expected=100)
        await first.commit()
    finally:
        await first.stop()
    assert sorted(received) == sorted(sent)

    # A new member of the same group starts at the committed offsets: nothing is redelivered.
    second = create_consumer(kafka_bootstrap, unique_topic, group_id=f"{unique_topic}-group")
    await second.start()
    try:
        again = await _drain(second, expected=1, timeout_s=3)
        committed = [await second.committed(TopicPartition(unique_topic, p)) for p in range(3)]
    finally:
        await second.stop()
    assert again == []
    assert sum(offset or 0 for offset in committed) == 100
