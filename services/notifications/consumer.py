"""The Kafka loop: poll a batch → process it → commit, with one writer per partition.

The same shape as the measures service's loop (the rebalance listener takes the batch lock,
so a revoked partition's batch finishes and commits first; a failed batch is not committed
but sought back and retried after a pause), over any number of topics and with a plain
``process(records, now)`` callback. It is generic: a candidate for ``shared/``.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.notifications.ports import RawRecord

log = logging.getLogger(__name__)

BatchProcessor = Callable[[Sequence[RawRecord], datetime], Awaitable[object]]


class _WaitForBatch(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, lock: asyncio.Lock) -> None:
        self._lock = lock

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        async with self._lock:  # the batch in flight finishes and commits first
            log.info("partitions revoked", extra={"partitions": [str(tp) for tp in revoked]})

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": [str(tp) for tp in assigned]})


class BatchConsumer:
    """Runs ``process`` on batches of ``topics`` until cancelled."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        topics: Sequence[str],
        process: BatchProcessor,
        *,
        on_failure: Callable[[], None],
        max_records: int,
        poll_timeout_ms: int,
        retry_backoff_s: float,
    ) -> None:
        self._consumer = consumer
        self._topics = list(topics)
        self._process = process
        self._on_failure = on_failure
        self._max_records = max_records
        self._poll_timeout_ms = poll_timeout_ms
        self._retry_backoff_s = retry_backoff_s
        self._lock = asyncio.Lock()
        self.started = False

    async def run(self) -> None:
        """Start the consumer and process batches until cancelled."""
        self._consumer.subscribe(self._topics, listener=_WaitForBatch(self._lock))
        await self._consumer.start()
        self.started = True
        try:
            while True:
                batch = await self._consumer.getmany(
                    timeout_ms=self._poll_timeout_ms, max_records=self._max_records
                )
                if batch:
                    await self._handle(batch)
        finally:
            self.started = False
            await self._consumer.stop()

    async def _handle(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        # The commit comes after the lock: a commit can wait for a rebalance, which waits for
        # this lock (see services/measures/consumer.py); a refused commit means a replay.
        async with self._lock:
            owned = self._consumer.assignment()
            batch = {tp: records for tp, records in batch.items() if tp in owned and records}
            if not batch:
                return
            records = [_raw(r) for records in batch.values() for r in records]
            try:
                await self._process(records, datetime.now(UTC))
            except Exception:
                log.exception("batch failed; it will be retried", extra={"records": len(records)})
                self._on_failure()
                for tp, rs in batch.items():
                    self._consumer.seek(tp, rs[0].offset)
                await asyncio.sleep(self._retry_backoff_s)
                return
        try:
            await self._consumer.commit({tp: rs[-1].offset + 1 for tp, rs in batch.items()})
        except KafkaError as error:
            log.warning(
                "commit refused (partitions moved?); the batch will be replayed",
                extra={"error": repr(error)},
            )


def _raw(record: ConsumerRecord) -> RawRecord:
    return RawRecord(record.topic, record.partition, record.offset, record.key, record.value)
