"""The notifications service's Kafka loop: ``shared.batch_consumer.BatchLoop`` over the
scorecard and dead-letter topics, with the engine's ``process(records, now)`` as its work."""

import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from services.notifications.metrics import NotificationsMetrics
from services.notifications.ports import RawRecord
from shared.batch_consumer import Batch, BatchLoop, partition_lags

BatchProcessor = Callable[[Sequence[RawRecord], datetime], Awaitable[object]]


def notifications_loop(
    consumer: AIOKafkaConsumer,
    topics: Sequence[str],
    process: BatchProcessor,
    metrics: NotificationsMetrics,
    *,
    max_records: int,
    poll_timeout_ms: int,
    retry_backoff_s: float,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> BatchLoop[object]:
    """The loop that runs ``process`` on batches of ``topics`` until cancelled; ``clock``
    is the service's clock (the rules' ``now``)."""

    async def process_batch(batch: Batch) -> object:
        records = [_raw(r) for records in batch.values() for r in records]
        return await process(records, clock())

    async def revoked() -> None:
        metrics.lag.clear()  # partitions this instance no longer owns must not linger

    async def failed() -> None:
        metrics.batch_failures.inc()

    async def update_lag() -> None:
        for tp, lag in (await partition_lags(consumer)).items():
            metrics.lag.labels(tp.topic, str(tp.partition)).set(lag)

    return BatchLoop(
        consumer,
        topics,
        process_batch,
        max_records=max_records,
        poll_timeout_ms=poll_timeout_ms,
        retry_backoff_s=retry_backoff_s,
        on_revoked=revoked,
        on_assigned=lambda partitions: revoked(),
        on_failure=failed,
        on_committed=lambda result, seconds: metrics.last_commit.set(time.time()),
        between_polls=update_lag,
    )


def _raw(record: ConsumerRecord) -> RawRecord:
    return RawRecord(record.topic, record.partition, record.offset, record.key, record.value)
