"""``shared.batch_consumer.BatchLoop`` with a stand-in for the consumer's surface.

The loop's behaviour against a real broker (rebalances, kills, restarts) is covered by the
integration and chaos suites; these pin the rules each batch follows.
"""

import asyncio

from aiokafka.errors import CommitFailedError
from aiokafka.structs import ConsumerRecord, TopicPartition

from shared.batch_consumer import Batch, BatchLoop, WaitForBatch, poll_batch

TOPIC = "events"
P0, P1 = TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)


class StandInConsumer:
    """Assignment, seek and commit, recorded."""

    def __init__(self, owned: set[TopicPartition], refuse_commit: bool = False) -> None:
        self.owned = owned
        self.refuse_commit = refuse_commit
        self.committed: dict[TopicPartition, int] = {}
        self.sought: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return self.owned

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.sought[tp] = offset

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.refuse_commit:
            raise CommitFailedError("rebalanced")
        self.committed.update(offsets)


def records(tp: TopicPartition, offsets: range) -> list[ConsumerRecord]:
    return [
        ConsumerRecord(tp.topic, tp.partition, o, 0, 0, b"k", b"v", None, 1, 1, ()) for o in offsets
    ]


class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.seen: list[Batch] = []
        self.failures = 0
        self.committed: list[tuple[int, float]] = []

    async def process(self, batch: Batch) -> int:
        self.seen.append(batch)
        if self.fail:
            raise RuntimeError("store down")
        return sum(len(rs) for rs in batch.values())

    async def on_failure(self) -> None:
        self.failures += 1


def loop_for(consumer: StandInConsumer, recorder: Recorder, **options: object) -> BatchLoop[int]:
    return BatchLoop(
        consumer,  # type: ignore[arg-type]
        [TOPIC],
        recorder.process,
        max_records=100,
        poll_timeout_ms=10,
        retry_backoff_s=0.001,
        on_failure=recorder.on_failure,
        on_committed=lambda result, seconds: recorder.committed.append((result, seconds)),
        **options,  # type: ignore[arg-type]
    )


async def test_a_processed_batch_commits_the_offset_after_its_last_record() -> None:
    consumer, recorder = StandInConsumer({P0, P1}), Recorder()
    await loop_for(consumer, recorder).handle(
        {P0: records(P0, range(5, 8)), P1: records(P1, range(3))}
    )
    assert consumer.committed == {P0: 8, P1: 3}
    assert [result for result, _ in recorder.committed] == [6]
    assert consumer.sought == {}


async def test_records_of_partitions_no_longer_assigned_are_neither_processed_nor_committed() -> (
    None
):
    consumer, recorder = StandInConsumer({P1}), Recorder()
    await loop_for(consumer, recorder).handle(
        {P0: records(P0, range(4)), P1: records(P1, range(2))}
    )
    assert list(recorder.seen[0]) == [P1]
    assert consumer.committed == {P1: 2}


async def test_a_failed_batch_is_sought_back_to_its_first_offsets_and_not_committed() -> None:
    consumer, recorder = StandInConsumer({P0, P1}), Recorder(fail=True)
    await loop_for(consumer, recorder).handle(
        {P0: records(P0, range(10, 12)), P1: records(P1, range(7, 9))}
    )
    assert consumer.sought == {P0: 10, P1: 7}
    assert consumer.committed == {}
    assert recorder.failures == 1
    assert recorder.committed == []


async def test_a_refused_commit_is_not_reported_as_committed() -> None:
    consumer, recorder = StandInConsumer({P0}, refuse_commit=True), Recorder()
    await loop_for(consumer, recorder).handle({P0: records(P0, range(3))})
    assert len(recorder.seen) == 1
    assert recorder.committed == []
    assert consumer.sought == {}  # the new owner replays it; this instance does not


async def test_an_empty_poll_is_processed_only_when_asked_and_never_committed() -> None:
    consumer = StandInConsumer({P0})
    quiet, eager = Recorder(), Recorder()
    await loop_for(consumer, quiet).handle({})
    await loop_for(consumer, eager, process_empty=True).handle({})
    assert quiet.seen == []
    assert eager.seen == [{}]
    assert consumer.committed == {}
    assert eager.committed == []


async def test_a_rebalance_waits_for_the_batch_in_flight() -> None:
    consumer = StandInConsumer({P0})
    events: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(batch: Batch) -> int:
        events.append("batch started")
        started.set()
        await release.wait()
        events.append("batch done")
        return 0

    async def revoked() -> None:
        events.append("revoked")

    loop: BatchLoop[int] = BatchLoop(
        consumer,  # type: ignore[arg-type]
        [TOPIC],
        slow,
        max_records=10,
        poll_timeout_ms=10,
        retry_backoff_s=0.001,
        on_revoked=revoked,
    )
    batch = asyncio.create_task(loop.handle({P0: records(P0, range(1))}))
    await asyncio.wait_for(started.wait(), timeout=5)
    rebalance = asyncio.create_task(WaitForBatch(loop).on_partitions_revoked([P0]))
    for _ in range(20):
        await asyncio.sleep(0)
    assert events == ["batch started"]  # the revocation is still waiting for the lock
    release.set()
    await asyncio.wait_for(asyncio.gather(batch, rebalance), timeout=5)
    assert events == ["batch started", "batch done", "revoked"]


class PollingConsumer:
    """``getmany`` answering from a script of polls, recording the limits it was given."""

    def __init__(self, polls: list[Batch]) -> None:
        self.polls = polls
        self.asked: list[tuple[int, int]] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> Batch:
        self.asked.append((timeout_ms, max_records))
        return self.polls.pop(0) if self.polls else {}


async def test_a_batch_keeps_taking_fetched_records_up_to_its_limit() -> None:
    consumer = PollingConsumer(
        [{P0: records(P0, range(3))}, {P0: records(P0, range(3, 5)), P1: records(P1, range(4))}]
    )
    batch = await poll_batch(consumer, max_records=9, poll_timeout_ms=10, linger_ms=0)  # type: ignore[arg-type]
    assert {tp: [r.offset for r in rs] for tp, rs in batch.items()} == {
        P0: [0, 1, 2, 3, 4],
        P1: [0, 1, 2, 3],
    }
    assert [limit for _, limit in consumer.asked] == [9, 6]  # full after two polls
    assert consumer.asked[1][0] == 0  # no linger: only what is fetched already


async def test_a_full_batch_does_not_poll_again() -> None:
    consumer = PollingConsumer([{P0: records(P0, range(5))}, {P0: records(P0, range(5, 9))}])
    batch = await poll_batch(consumer, max_records=5, poll_timeout_ms=10, linger_ms=1000)  # type: ignore[arg-type]
    assert sum(len(rs) for rs in batch.values()) == 5
    assert len(consumer.asked) == 1


async def test_a_batch_lingers_for_more_records_only_after_the_first_came() -> None:
    quiet = PollingConsumer([])
    assert await poll_batch(quiet, max_records=5, poll_timeout_ms=10, linger_ms=200) == {}  # type: ignore[arg-type]
    assert len(quiet.asked) == 1
    trickle = PollingConsumer([{P0: records(P0, range(1))}, {P0: records(P0, range(1, 2))}])
    batch = await poll_batch(trickle, max_records=5, poll_timeout_ms=10, linger_ms=200)  # type: ignore[arg-type]
    assert [r.offset for r in batch[P0]] == [0, 1]
    assert 0 < trickle.asked[1][0] <= 200  # waits for the rest of the linger, no longer


async def test_a_partition_polled_again_from_an_earlier_offset_keeps_only_the_new_records() -> None:
    consumer = PollingConsumer(
        [
            {P0: records(P0, range(10, 13)), P1: records(P1, range(2))},
            {P0: records(P0, range(8, 11))},  # a rebalance in between sought P0 back
        ]
    )
    batch = await poll_batch(consumer, max_records=100, poll_timeout_ms=10, linger_ms=0)  # type: ignore[arg-type]
    assert [r.offset for r in batch[P0]] == [8, 9, 10]
    assert [r.offset for r in batch[P1]] == [0, 1]
