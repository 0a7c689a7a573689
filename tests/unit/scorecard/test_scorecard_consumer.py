"""The consumer loop with a fake Kafka consumer: one writer per scorecard, commits, retries."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import CollectorRegistry
from scorecard_support import both_scopes, stored_current, stored_versions, value_message

from gateway.framework_admin import FrameworkAdmin
from services.scorecard.cache import CachedScorecardRepository
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
    kafka: FakeKafka,
    repository: Any,
    framework_log: Any,
    check_s: float = 60,
    clock: Callable[[], datetime] = lambda: NOW,
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
        clock=clock,
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
    framework_marks = {k: v for k, v in repository.watermarks.items() if "rescored" not in k}
    assert framework_marks == {f"{VALUES}|{p}": 2 for p in PARTITIONS}
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


async def test_a_batch_failing_after_a_first_write_is_retried_from_the_store() -> None:
    """The service's cache over a store that fails once between the version and the pointer:
    the failure drops the cache, the retry reads the version back and points at it, and one
    version is stored and announced."""

    class FailsOnce(InMemoryScorecardRepository):
        failed = False
        forgotten = 0

        async def save_current(self, versions: Any) -> None:
            if not self.failed:
                self.failed = True
                raise ConnectionError("store down")
            await super().save_current(versions)

        def forget_cached(self) -> None:
            self.forgotten += 1

    store = FailsOnce()
    fake = FakeKafka(set(PARTITIONS))
    consumer, out = instance(fake, CachedScorecardRepository(store), InMemoryFrameworkLog())
    batch = records(both_scopes("cybersecurity", "customer-engagement", 2024, [30]))
    await consumer.handle(batch)
    assert (fake.committed, store.forgotten) == ({}, 1)
    assert len(stored_versions(store, 2024, "cybersecurity")) == 1  # stored, not pointed at
    await consumer.handle(batch)  # the retry, after the seek back
    assert fake.committed == {tp: rs[-1].offset + 1 for tp, rs in batch.items()}
    assert [v.version for v in stored_versions(store, 2024, "cybersecurity")] == [1]
    assert [(c.scorecard_id, c.version) for c in out.changes] == [
        ("FY2024|cybersecurity", 1),
        ("FY2024|government", 1),
    ]
    assert all(document["published"] for document in store.current.values())


async def test_a_new_day_rescores_open_years_and_a_status_change_makes_a_version() -> None:
    """Rev. 2: 7 engagements by 30 Nov 2026 beat the 40 × 61/365 = 6.68 expected (GREEN);
    with no new data, 5 Dec expects 40 × 66/365 = 7.23 (attainment 0.968, AMBER)."""
    today = [datetime(2026, 11, 30, 9, tzinfo=UTC)]
    repository = InMemoryScorecardRepository()
    consumer, out = instance(
        FakeKafka(set(PARTITIONS)), repository, InMemoryFrameworkLog(), clock=lambda: today[0]
    )
    first_at = datetime(2026, 10, 14, tzinfo=UTC)
    closed = value_message("grants-management", "customer-engagement", 2026, [30], first_at=None)
    engaged = value_message(
        "grants-management", "customer-engagement", 2027, [3, 4], first_at=first_at
    )
    await consumer.handle(records([closed, engaged]))
    view = stored_current(repository, 2027, "grants-management")
    assert view is not None
    assert view.open
    measure = view.measure("customer-engagement")
    assert measure.target == pytest.approx(40 * 61 / 365)
    assert (measure.status, measure.annual_target) == ("GREEN", 40)
    assert measure.projected_value == pytest.approx(7 / (61 / 365))
    assert measure.last_year_value == 30
    published = len(out.changes)

    today[0] = datetime(2026, 12, 1, 0, 0, 5, tzinfo=UTC)  # just after midnight: still GREEN
    await consumer.handle({})
    assert len(stored_versions(repository, 2027, "grants-management")) == 1
    assert len(out.changes) == published
    key = f"rescored|{VALUES}|{partition('grants-management')}"
    assert repository.watermarks[key] == today[0].date().toordinal()

    today[0] = datetime(2026, 12, 5, 0, 1, tzinfo=UTC)
    await consumer.handle({})
    versions = stored_versions(repository, 2027, "grants-management")
    assert [v.cause for v in versions] == ["new_data", "rescore"]
    latest = versions[-1]
    assert latest.cause_detail.reason == "day-2026-12-05"
    assert latest.measure("customer-engagement").status == "AMBER"
    assert latest.measure("customer-engagement").target == pytest.approx(40 * 66 / 365)
    assert stored_versions(repository, 2026, "grants-management")[-1].version == 1  # closed
    announced = out.changes[published:]
    assert [(c.scorecard_id, c.cause) for c in announced] == [
        ("FY2027|grants-management", "rescore")
    ]
    moved = [t for t in announced[0].transitions if t.measure == "customer-engagement"]
    assert [(t.from_status, t.to_status) for t in moved] == [("GREEN", "AMBER")]

    today[0] += timedelta(hours=3)  # the same day again: nothing to do
    await consumer.handle({})
    assert len(stored_versions(repository, 2027, "grants-management")) == 2


async def test_a_restart_on_a_later_day_catches_up_the_missed_rescore() -> None:
    repository = InMemoryScorecardRepository()
    first_at = datetime(2026, 10, 14, tzinfo=UTC)
    engaged = value_message(
        "grants-management", "customer-engagement", 2027, [3, 4], first_at=first_at
    )
    before, _ = instance(
        FakeKafka(set(PARTITIONS)),
        repository,
        InMemoryFrameworkLog(),
        clock=lambda: datetime(2026, 11, 30, tzinfo=UTC),
    )
    await before.handle(records([engaged]))
    after, out = instance(  # a new process, days later: its first (empty) poll re-scores
        FakeKafka(set(PARTITIONS)),
        repository,
        InMemoryFrameworkLog(),
        clock=lambda: datetime(2026, 12, 10, tzinfo=UTC),
    )
    await after.handle({})
    assert [c.cause for c in out.changes] == ["rescore"]
    view = stored_current(repository, 2027, "grants-management")
    assert view is not None
    # 7 of 40 × 71/365 = 7.78 expected by 10 Dec: attainment 0.8996, under AMBER's 0.9.
    assert view.measure("customer-engagement").status == "RED"
