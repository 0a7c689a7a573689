"""The Kafka loop: poll a batch → process it → commit, with one writer per partition.

A rebalance waits for the batch in flight (``on_partitions_revoked`` takes the same lock),
and a batch only keeps the records of partitions still assigned once it holds the lock, so
a revoked partition's records are never written by two instances. A failed batch is not
committed: the consumer seeks back and retries it after a pause.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.measures.decoding import RawRecord
from services.measures.handlers import BatchReport
from services.measures.metrics import MeasuresMetrics

log = logging.getLogger(__name__)

BatchProcessor = Callable[[Sequence[RawRecord], datetime], Awaitable[BatchReport]]


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self,
        lock: asyncio.Lock,
        on_rebalance: Callable[[], None],
        on_assigned: Callable[[list[int]], Awaitable[None]],
    ) -> None:
        self._lock = lock
        self._on_rebalance = on_rebalance
        self._on_assigned = on_assigned

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._lock:  # the batch in flight finishes and commits first
            self._on_rebalance()
            log.info("partitions revoked", extra={"partitions": [tp.partition for tp in revoked]})

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        async with self._lock:
            self._on_rebalance()
            await self._on_assigned([tp.partition for tp in assigned])
        log.info("partitions assigned", extra={"partitions": [tp.partition for tp in assigned]})


class EventsConsumer:
    """Runs ``process`` on batches of ``topic`` until stopped."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        topic: str,
        process: BatchProcessor,
        metrics: MeasuresMetrics,
        *,
        max_records: int,
        poll_timeout_ms: int,
        retry_backoff_s: float,
        on_rebalance: Callable[[], None] = lambda: None,
        on_assigned: Callable[[list[int]], Awaitable[None]] | None = None,
    ) -> None:
        self._consumer = consumer
        self._topic = topic
        self._process = process
        self._metrics = metrics
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._retry_backoff_s = retry_backoff_s
        self._lock = asyncio.Lock()
        self._on_rebalance = on_rebalance
        self._on_assigned = on_assigned or _nothing
        self.started = False

    async def run(self) -> None:
        """Start the consumer and process batches until cancelled."""
        self._consumer.subscribe(
            [self._topic], listener=_WaitForBatch(self._lock, self._rebalanced, self._on_assigned)
        )
        await self._consumer.start()
        self.started = True
        try:
            while True:
                batch = await self._consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                if batch:
                    await self._handle(batch)
                await self._update_lag()
        finally:
            self.started = False
            await self._consumer.stop()

    async def _handle(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        # The lock covers the writes only. The commit comes after it: a commit can wait for a
        # rebalance to finish, and the rebalance waits for this lock (on_partitions_revoked),
        # so committing under the lock deadlocks both (seen with two instances). A commit
        # refused because the partitions moved is harmless: their new owner replays the
        # batch, and every state skips what it already holds.
        async with self._lock:
            owned = self._consumer.assignment()
            batch = {tp: records for tp, records in batch.items() if tp in owned and records}
            if not batch:
                return
            records = [_raw(r) for records in batch.values() for r in records]
            started = time.perf_counter()
            try:
                report = await self._process(records, datetime.now(UTC))
            except Exception:
                log.exception("batch failed; it will be retried", extra={"records": len(records)})
                self._metrics.batch_failures.inc()
                await self._reset_state()
                for tp, rs in batch.items():
                    self._consumer.seek(tp, rs[0].offset)
                await asyncio.sleep(self._retry_backoff_s)
                return
        try:
            await self._consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
        except KafkaError as error:
            log.warning(
                "commit refused (partitions moved?); the owner replays the batch",
                extra={"error": repr(error)},
            )
            return
        self._observe(report, time.perf_counter() - started)

    def _rebalanced(self) -> None:
        self._metrics.lag.clear()  # partitions this instance no longer owns must not linger
        self._on_rebalance()

    async def _reset_state(self) -> None:
        """After a failed batch: drop cached state and reload it (if the store answers)."""
        self._on_rebalance()
        try:
            await self._on_assigned([tp.partition for tp in self._consumer.assignment()])
        except Exception:
            log.warning(
                "could not reload state after a failed batch; will look keys up", exc_info=True
            )

    def _observe(self, report: BatchReport, seconds: float) -> None:
        metrics = self._metrics
        metrics.batch_seconds.observe(seconds)
        metrics.batch_size.observe(report.records)
        metrics.events.labels("counted").inc(report.counted)
        metrics.events.labels("duplicate").inc(report.duplicates)
        metrics.events.labels("late").inc(report.late)
        for code, count in report.dead_lettered.items():
            metrics.events.labels("dead_lettered").inc(count)
            metrics.dead_letters.labels(code).inc(count)
        metrics.values_published.inc(report.values_published)
        now = datetime.now(UTC)
        for event in report.counted_events:
            metrics.event_to_value.observe(max(0.0, (now - event.ingested_at).total_seconds()))
        metrics.last_commit.set(time.time())

    async def _update_lag(self) -> None:
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            position = await self._consumer.position(tp)
            self._metrics.lag.labels(str(tp.partition)).set(max(0, highwater - position))


async def _nothing(_: list[int]) -> None:
    return None


def _raw(record: ConsumerRecord) -> RawRecord:
    return RawRecord(record.topic, record.partition, record.offset, record.key, record.value)
