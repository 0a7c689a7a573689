"""The Kafka loop of every consuming service: poll → process under the batch lock → commit.

What the services rely on:

- **One writer per partition.** A rebalance waits for the batch in flight (the listener's
  ``on_partitions_revoked`` takes the batch lock), and a batch keeps only the records of
  partitions still assigned once it holds the lock, so a revoked partition's records are
  never written by two instances at once.
- **Committed only when durable.** Offsets are committed after ``process`` returned, i.e.
  after every effect it makes is durable. A failed batch is not committed: the loop seeks
  back to its first offsets and retries it after a pause, so nothing is skipped.
- **No deadlock.** The commit happens outside the lock: a commit can wait for a rebalance to
  finish, and the rebalance waits for the lock (seen with two measures instances when the
  commit was under it). A commit refused because the partitions moved is harmless: their new
  owner replays the batch, and every service's state absorbs a replay.

- **Batches as large as the backlog allows.** A batch is gathered by ``poll_batch``: after the
  first poll returned records it keeps taking what the consumer has fetched, up to
  ``max_records``, and waits up to ``linger_ms`` for more. The more events share a batch, the
  fewer state writes they cost (a state touched by many events is written once per batch);
  under a trickle the linger bounds the latency it adds.

Each service supplies ``process`` and the hooks (what to forget on a rebalance, what to reload
on an assignment, which metrics to update); the loop itself holds no domain logic.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from shared.tasks import raise_if_cancelled

log = logging.getLogger(__name__)

Batch = dict[TopicPartition, list[ConsumerRecord]]
Result = TypeVar("Result")


async def _nothing(*_: object) -> None:
    return None


class WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    """Runs the loop's rebalance hooks under its batch lock."""

    def __init__(self, loop: "BatchLoop[Any]") -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._loop.lock:  # the batch in flight finishes first
            await self._loop.on_revoked()
        log.info("partitions revoked", extra={"partitions": [str(tp) for tp in revoked]})

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        async with self._loop.lock:
            await self._loop.on_assigned(list(assigned))
        log.info("partitions assigned", extra={"partitions": [str(tp) for tp in assigned]})


class BatchLoop(Generic[Result]):
    """Runs ``process`` on batches of ``topics`` until cancelled (see the module docstring).

    Hooks, all optional:
    - ``on_revoked()`` and ``on_assigned(partitions)``: under the lock, at a rebalance;
    - ``on_failure()``: after a failed batch, before it is sought back and retried;
    - ``on_committed(result, seconds)``: after a batch's offsets were committed;
    - ``between_polls()``: after every poll (lag gauges and other periodic work).
    With ``process_empty`` an empty poll is processed too (for work driven by time);
    ``linger_ms`` is how long a batch waits for more records (see ``poll_batch``).
    """

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        topics: Sequence[str],
        process: Callable[[Batch], Awaitable[Result]],
        *,
        max_records: int,
        poll_timeout_ms: int,
        retry_backoff_s: float,
        on_revoked: Callable[[], Awaitable[None]] = _nothing,
        on_assigned: Callable[[list[TopicPartition]], Awaitable[None]] = _nothing,
        on_failure: Callable[[], Awaitable[None]] = _nothing,
        on_committed: Callable[[Result, float], None] = lambda result, seconds: None,
        between_polls: Callable[[], Awaitable[None]] = _nothing,
        process_empty: bool = False,
        linger_ms: int = 0,
    ) -> None:
        self.consumer = consumer
        self.topics = list(topics)
        self._process = process
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._retry_backoff_s = retry_backoff_s
        self.on_revoked = on_revoked
        self.on_assigned = on_assigned
        self._on_failure = on_failure
        self._on_committed = on_committed
        self._between_polls = between_polls
        self._process_empty = process_empty
        self._linger_ms = linger_ms
        self.lock = asyncio.Lock()
        self.started = False

    async def run(self) -> None:
        """Subscribe, start the consumer and process batches until cancelled."""
        self.consumer.subscribe(self.topics, listener=WaitForBatch(self))
        await self.consumer.start()
        self.started = True
        try:
            while True:
                batch = await poll_batch(
                    self.consumer,
                    max_records=self._max_records,
                    poll_timeout_ms=self._poll_timeout_ms,
                    linger_ms=self._linger_ms,
                )
                if batch or self._process_empty:
                    await self.handle(batch)
                await self._between_polls()
        finally:
            self.started = False
            await self.consumer.stop()

    async def handle(self, batch: Batch) -> None:
        """Process one polled batch, then commit it (or seek back and pause if it failed)."""
        async with self.lock:
            owned = self.consumer.assignment()
            batch = {tp: records for tp, records in batch.items() if tp in owned and records}
            if not batch and not self._process_empty:
                return
            started = time.perf_counter()
            try:
                result = await self._process(batch)
            except Exception as error:
                raise_if_cancelled(error)  # a client library may have swallowed our cancellation
                log.exception(
                    "batch failed; it will be retried",
                    extra={"records": sum(len(records) for records in batch.values())},
                )
                await self._on_failure()
                for tp, records in batch.items():
                    self.consumer.seek(tp, records[0].offset)
                await asyncio.sleep(self._retry_backoff_s)
                return
        if not batch:
            return
        try:
            await self.consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
        except KafkaError as error:
            log.warning(
                "commit refused (partitions moved?); their owner replays the batch",
                extra={"error": repr(error)},
            )
            return
        self._on_committed(result, time.perf_counter() - started)


async def poll_batch(
    consumer: AIOKafkaConsumer, *, max_records: int, poll_timeout_ms: int, linger_ms: int
) -> Batch:
    """One batch: the first poll waits up to ``poll_timeout_ms`` for records; then, until
    ``max_records`` are held, more polls take what the consumer has fetched meanwhile, for up to
    ``linger_ms`` after the first records came (0: only what is fetched already).

    Each partition's records stay in offset order. Should a partition come back at or before an
    offset already held (a rebalance in between re-positioned it), only the records polled
    since are kept: the consumer will deliver the rest again from its new position.
    """
    polled = await consumer.getmany(timeout_ms=poll_timeout_ms, max_records=max_records)
    batch: Batch = {tp: list(records) for tp, records in polled.items() if records}
    held = sum(len(records) for records in batch.values())
    deadline = time.monotonic() + linger_ms / 1000
    while batch and held < max_records:
        wait_ms = max(0, int((deadline - time.monotonic()) * 1000))
        more = await consumer.getmany(timeout_ms=wait_ms, max_records=max_records - held)
        if not any(more.values()):
            break
        for tp, records in more.items():
            kept = batch.get(tp, [])
            if kept and records and records[0].offset <= kept[-1].offset:
                kept = []
            batch[tp] = kept + list(records)
        held = sum(len(records) for records in batch.values())
    return batch


async def partition_lags(consumer: AIOKafkaConsumer) -> dict[TopicPartition, int]:
    """Records behind the high watermark, per assigned partition whose watermark is known."""
    lags = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is None:
            continue
        try:
            lags[tp] = max(0, highwater - await consumer.position(tp))
        except KafkaError:  # the partition moved away meanwhile: no lag to report
            continue
    return lags
