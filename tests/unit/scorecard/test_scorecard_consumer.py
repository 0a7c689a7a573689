"""The consumer loop with a fake Kafka consumer: one writer per scorecard, commits, retries."""

from datetime import UTC, datetime
from typing import Any

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry
from scorecard_support import both_scopes, stored_current

from gateway.framework_admin import FrameworkAdmin
from services.scorecard.consumer import ScorecardConsumer
from services.scorecard.handlers import ScorecardContext
from services.scorecard.metrics import ScorecardMetrics
from services.scorecard.publisher import InMemoryScorecardPublisher
from services.scorecard.repository import InMemoryScorecardRepository
from shared.catalog import load_catalog
from shared.codecs import encode
from shared.events import MeasureValueChanged
from shared.framework_log import InMemoryFrameworkLog

VALUES, FRAMEWORK = "values", "framework"
PARTITIONS = list(range(6))
OWNERS = [
    "cybersecurity",
    "financial-management",
    "grants-management",
    "human-resources",
    "government",
]
NOW = datetime(2025, 3, 1, tzinfo=UTC)


class FakeKafka:
    """The parts of ``AIOKafkaConsumer`` the loop uses, with a fixed assignment."""

    def __init__(self, partitions: set[int]) -> None:
        self.owned = {TopicPartition(VALUES, p) for p in partitions}
        self.committed: dict[TopicPartition, int] = {}
        self.sought: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return self.owned

    def partitions_for_topic(self, topic: str) -> set[int]:
        return set(PARTITIONS)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.update(offsets)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought[tp] = offset


def partition(owner: str) -> int:
    return int(DefaultPartitioner()(owner.encode(), PARTITIONS, PARTITIONS))


def instance(
    kafka: FakeKafka, repository: Any, framework_log: Any, check_s: float = 60
) -> tuple[ScorecardConsumer, InMemoryScorecardPublisher]:
    publisher = InMemoryScorecardPublisher()
    context = ScorecardContext(repository, publisher, load_catalog().framework())
    consumer = ScorecardConsumer(
        kafka,  # type: ignore[arg-type]
        context,
        framework_log,
        ScorecardMetrics(CollectorRegistry()),
        values_topic=VALUES,
        framework_topic=FRAMEWORK,
        max_records=100,
        poll_timeout_ms=10,
        retry_backoff_s=0.01,
        framework_check_s=check_s,
        status_refresh_s=60,
        clock=lambda: NOW,
    )
    return consumer, publisher


def records(messages: list[MeasureValueChanged]) -> dict[TopicPartition, list[ConsumerRecord]]:
    batch: dict[TopicPartition, list[ConsumerRecord]] = {}
    for offset, message in enumerate(messages):
        key = "government" if message.scope == "government" else message.qsmo
        tp = TopicPartition(VALUES, partition(key))
        batch.setdefault(tp, []).append(
            ConsumerRecord(
                VALUES, tp.partition, offset, 0, 0, key.encode(), encode(message), None, 0, 0, ()
            )
        )
    return batch


async def test_each_instance_recomputes_only_the_scorecards_of_its_partitions() -> None:
    repository, framework_log = InMemoryScorecardRepository(), InMemoryFrameworkLog()
    halves = [{p for p in PARTITIONS if p < 3}, {p for p in PARTITIONS if p >= 3}]
    fakes = [FakeKafka(h) for h in halves]
    fakes[0].owned.add(TopicPartition(FRAMEWORK, 0))
    first, first_out = instance(fakes[0], repository, framework_log)  # woken by the message
    second, second_out = instance(fakes[1], repository, framework_log, check_s=0.001)  # periodic
    messages = [m for q in OWNERS[:-1] for m in both_scopes(q, "customer-engagement", 2024, [30])]
    batch = records(messages)
    for consumer, fake in ((first, fakes[0]), (second, fakes[1])):
        await consumer.handle({tp: rs for tp, rs in batch.items() if tp in fake.owned})
    assert all(stored_current(repository, 2024, q) is not None for q in OWNERS[:-1])
    assert sum(len(f.committed) for f in fakes) == len(batch)

    store = FrameworkAdmin(framework_log)
    await store.set_measure_weight("customer-engagement", 2, actor="osspi-admin", reason="focus")
    await store.set_target("customer-engagement", 60, actor="osspi-admin", reason="stretch")
    wake = ConsumerRecord(FRAMEWORK, 0, 0, 0, 0, b"framework", b"{}", None, 0, 0, ())
    await first.handle({TopicPartition(FRAMEWORK, 0): [wake]})
    await second.handle({})
    assert fakes[0].committed[TopicPartition(FRAMEWORK, 0)] == 1
    for consumer_out, half in ((first_out, halves[0]), (second_out, halves[1])):
        recomputed = {
            c.scorecard_id.split("|")[1]
            for c in consumer_out.changes
            if c.cause == "framework_change"
        }
        assert recomputed == {o for o in OWNERS if partition(o) in half}
    for owner in OWNERS:
        view = stored_current(repository, 2024, None if owner == "government" else owner)
        assert view is not None
        assert (view.version, view.cause, view.framework_seq) == (2, "framework_change", 2)
    assert repository.watermarks == {f"{VALUES}|{p}": 2 for p in PARTITIONS}
    await first.handle({})  # nothing pending any more
    assert len([c for c in first_out.changes if c.cause == "framework_change"]) == len(
        [o for o in OWNERS if partition(o) in halves[0]]
    )


async def test_a_failed_batch_is_not_committed_and_is_sought_back() -> None:
    class Broken(InMemoryScorecardRepository):
        async def load_inputs(self, owners: Any) -> Any:
            raise ConnectionError("store down")

    fake = FakeKafka(set(PARTITIONS))
    consumer, _ = instance(fake, Broken(), InMemoryFrameworkLog())
    batch = records(both_scopes("cybersecurity", "customer-engagement", 2024, [30]))
    await consumer.handle(batch)
    assert fake.committed == {}
    assert fake.sought == {tp: rs[0].offset for tp, rs in batch.items()}
