"""The measures service's Kafka loop: ``shared.batch_consumer.BatchLoop`` with its hooks.

On every rebalance the repository forgets its cached states (another instance may have
written them since) and warms the cache for the partitions it was given; after a failed
batch it does the same before the retry. Metrics are updated once a batch is committed.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from services.measures.decoding import RawRecord
from services.measures.handlers import BatchReport
from services.measures.metrics import MeasuresMetrics
from shared.batch_consumer import Batch, BatchLoop, partition_lags
from shared.tasks import raise_if_cancelled

log = logging.getLogger(__name__)

BatchProcessor = Callable[[Sequence[RawRecord], datetime], Awaitable[BatchReport]]


def events_loop(
    consumer: AIOKafkaConsumer,
    topic: str,
    process: BatchProcessor,
    metrics: MeasuresMetrics,
    *,
    forget_states: Callable[[], None],
    warm_states: Callable[[list[int]], Awaitable[None]],
    max_records: int,
    linger_ms: int,
    poll_timeout_ms: int,
    retry_backoff_s: float,
) -> BatchLoop[BatchReport]:
    """The loop that runs ``process`` on batches of ``topic`` until cancelled."""

    async def process_batch(batch: Batch) -> BatchReport:
        records = [_raw(r) for records in batch.values() for r in records]
        return await process(records, datetime.now(UTC))

    async def revoked() -> None:
        metrics.lag.clear()  # partitions this instance no longer owns must not linger
        forget_states()

    async def assigned(partitions: list[TopicPartition]) -> None:
        await revoked()
        await warm_states([tp.partition for tp in partitions])

    async def failed() -> None:
        metrics.batch_failures.inc()
        try:
            await assigned(list(consumer.assignment()))
        except Exception as error:
            raise_if_cancelled(error)  # a client library may have swallowed our cancellation
            log.warning(
                "could not reload state after a failed batch; will look keys up", exc_info=True
            )

    async def update_lag() -> None:
        for tp, lag in (await partition_lags(consumer)).items():
            metrics.lag.labels(str(tp.partition)).set(lag)

    return BatchLoop(
        consumer,
        [topic],
        process_batch,
        max_records=max_records,
        linger_ms=linger_ms,
        poll_timeout_ms=poll_timeout_ms,
        retry_backoff_s=retry_backoff_s,
        on_revoked=revoked,
        on_assigned=assigned,
        on_failure=failed,
        on_committed=lambda report, seconds: observe(metrics, report, seconds),
        between_polls=update_lag,
    )


def observe(metrics: MeasuresMetrics, report: BatchReport, seconds: float) -> None:
    """Record a committed batch's outcome."""
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


def _raw(record: ConsumerRecord) -> RawRecord:
    return RawRecord(record.topic, record.partition, record.offset, record.key, record.value)
