"""The Kafka loop: value changes and framework changes → recomputes, one writer per scorecard.

One consumer group reads ``qsmo.measure-values.v1`` and ``qsmo.framework.v1``. The owner of a
values partition owns every scorecard whose key (QSMO id, or ``government``) hashes to it —
the same murmur2 partitioner the measures service's producer uses. Framework changes are
applied from the audit log (the source of truth), by each owner for its own partitions, with
a per-partition watermark of the log sequence applied; a ``FrameworkChanged`` message only
makes the reading instance look at once instead of at its next periodic check.

Time moves scores (rev. 2): on the first batch (or empty poll) of each UTC day, and so at
start-up when a day was missed, each owner re-judges its open-year scorecards
(``handlers.rescore_open_scorecards``). The last day re-scored is stored per values
partition (``rescored|<topic>|<partition>`` in ``scorecard_partitions``, as a date ordinal),
so a restart on the same day does not re-score again and a day missed while down is caught
up at once. The clock is injected (``clock``) so tests move the day.

The loop itself (a rebalance waits for the batch in flight, only partitions still assigned
are processed, offsets are committed after every effect is durable, a failed batch is sought
back and retried after a pause) is ``shared.batch_consumer.BatchLoop``.
"""

import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaConsumer
from aiokafka.partitioner import DefaultPartitioner
from pydantic import ValidationError

from services.scorecard.handlers import (
    ScorecardContext,
    apply_framework_changes,
    process_values,
    rescore_open_scorecards,
)
from services.scorecard.metrics import STATUSES, ScorecardMetrics
from shared.batch_consumer import Batch, BatchLoop, partition_lags
from shared.codecs import decode
from shared.domain.framework_changes import FrameworkState, fold
from shared.events import MeasureValueChanged
from shared.framework_log import FrameworkLogReader
from shared.tasks import raise_if_cancelled

log = logging.getLogger(__name__)


def _day_start(ordinal: int) -> datetime:
    """00:00 UTC of the day with this ordinal."""
    day = date.fromordinal(ordinal)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


class ScorecardConsumer:
    """Runs the handlers on batches of both topics until stopped."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        context: ScorecardContext,
        framework_log: FrameworkLogReader,
        metrics: ScorecardMetrics,
        *,
        values_topic: str,
        framework_topic: str,
        max_records: int,
        poll_timeout_ms: int,
        retry_backoff_s: float,
        framework_check_s: float,
        status_refresh_s: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._consumer = consumer
        self._context = context
        self._log = framework_log
        self._metrics = metrics
        self._values_topic = values_topic
        self._framework_topic = framework_topic
        self._framework_check_s = framework_check_s
        self._status_refresh_s = status_refresh_s
        self._clock = clock
        self.framework = FrameworkState()
        self._marks: dict[str, int] | None = None
        self._rescored: dict[str, int] | None = None
        self._next_check = 0.0
        self._next_status = 0.0
        self._loop = BatchLoop(
            consumer,
            [values_topic, framework_topic],
            self._process,
            max_records=max_records,
            poll_timeout_ms=poll_timeout_ms,
            retry_backoff_s=retry_backoff_s,
            on_revoked=self._forget,
            on_assigned=lambda partitions: self._forget(),
            on_failure=self._failed,
            on_committed=lambda result, seconds: self._metrics.last_commit.set(time.time()),
            between_polls=self._between_polls,
            process_empty=True,  # the periodic framework check runs on empty polls too
        )

    @property
    def started(self) -> bool:
        return self._loop.started

    def forget_cached_state(self) -> None:
        """Reload the partition watermarks before the next framework check (rebalance), and
        whatever the repository keeps between batches."""
        self._context.repository.forget_cached()
        self._marks = None
        self._rescored = None
        self._next_check = 0.0

    async def run(self) -> None:
        """Start the consumer and process batches until cancelled."""
        await self._loop.run()

    async def handle(self, batch: Batch) -> None:
        """Process one polled batch (possibly empty: the framework check still runs)."""
        await self._loop.handle(batch)

    async def _process(self, batch: Batch) -> None:
        now = self._clock()
        woken = any(tp.topic == self._framework_topic for tp in batch)
        await self._apply_framework(now, force=woken)
        await self._apply_values(batch, now)
        await self._rescore_new_day(now)

    async def _forget(self) -> None:
        self._metrics.lag.clear()  # partitions this instance no longer owns must not linger
        self.forget_cached_state()

    async def _failed(self) -> None:
        self._metrics.batch_failures.inc()
        self.forget_cached_state()

    async def _between_polls(self) -> None:
        for tp, lag in (await partition_lags(self._consumer)).items():
            self._metrics.lag.labels(tp.topic, str(tp.partition)).set(lag)
        await self._refresh_status_gauge()

    async def _apply_values(self, batch: Batch, now: datetime) -> None:
        messages: list[MeasureValueChanged] = []
        for tp, records in batch.items():
            kind = "values" if tp.topic == self._values_topic else "framework"
            if kind == "framework":
                self._metrics.messages.labels(kind, "used").inc(len(records))
                continue
            for record in records:
                try:
                    messages.append(decode(MeasureValueChanged, record.value or b""))
                except ValidationError as error:
                    log.warning(
                        "undecodable value message skipped",
                        extra={
                            "partition": tp.partition,
                            "offset": record.offset,
                            "error": str(error)[:300],
                        },
                    )
                    self._metrics.messages.labels(kind, "undecodable").inc()
        if not messages:
            return
        started = time.perf_counter()
        report = await process_values(
            messages, context=self._context, state=self.framework, now=now
        )
        self._metrics.observe("data", report, time.perf_counter() - started)
        self._metrics.messages.labels("values", "used").inc(report.messages - report.ignored)
        self._metrics.messages.labels("values", "ignored").inc(report.ignored)

    async def _apply_framework(self, now: datetime, *, force: bool) -> None:
        """Read new audit-log entries; recompute owned scorecards for every pending change."""
        if not force and self._marks is not None and time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + self._framework_check_s
        self.framework = fold(await self._log.after(self.framework.seq), self.framework)
        self._metrics.framework_seq.set(self.framework.seq)
        partitions = self._owned_value_partitions()
        keys = {p: f"{self._values_topic}|{p}" for p in partitions}
        if self._marks is None:
            self._marks = dict(await self._context.repository.load_watermarks(keys.values()))
        marks = self._marks
        pending = {p for p, key in keys.items() if marks.get(key, 0) < self.framework.seq}
        if not pending:
            return
        started = time.perf_counter()
        for mark in sorted({marks.get(keys[p], 0) for p in pending}):
            group = {p for p in pending if marks.get(keys[p], 0) == mark}
            report = await apply_framework_changes(
                self.framework.changes_after(mark),
                owns=self._owned_by(group),
                context=self._context,
                state=self.framework,
                now=now,
            )
            self._metrics.observe("framework", report, time.perf_counter() - started)
        done = {keys[p]: self.framework.seq for p in pending}
        await self._context.repository.save_watermarks(done)
        marks.update(done)

    async def _rescore_new_day(self, now: datetime) -> None:
        """Re-judge owned open-year scorecards once per UTC day (see the module docstring)."""
        today = now.astimezone(UTC).date().toordinal()
        keys = {p: f"rescored|{self._values_topic}|{p}" for p in self._owned_value_partitions()}
        if self._rescored is None:
            self._rescored = dict(await self._context.repository.load_watermarks(keys.values()))
        done = self._rescored
        pending = {p for p, key in keys.items() if done.get(key, 0) < today}
        if not pending:
            return
        last = min(done.get(keys[p], 0) for p in pending)
        started = time.perf_counter()
        report = await rescore_open_scorecards(
            owns=self._owned_by(pending),
            context=self._context,
            state=self.framework,
            now=now,
            since=_day_start(last) if last else None,
        )
        self._metrics.observe("rescore", report, time.perf_counter() - started)
        marks = {keys[p]: today for p in pending}
        await self._context.repository.save_watermarks(marks)
        done.update(marks)

    def _owned_by(self, partitions: set[int]) -> Callable[[str], bool]:
        def owns(owner: str) -> bool:
            return self.partition_of(owner) in partitions

        return owns

    def _owned_value_partitions(self) -> list[int]:
        return sorted(
            tp.partition for tp in self._consumer.assignment() if tp.topic == self._values_topic
        )

    def partition_of(self, owner: str) -> int:
        """The values partition of a scorecard owner's key (as the producer computes it)."""
        partitions = sorted(self._consumer.partitions_for_topic(self._values_topic) or ())
        if not partitions:
            raise RuntimeError(f"no partition metadata for {self._values_topic}")
        partition: int = DefaultPartitioner()(owner.encode(), partitions, partitions)
        return partition

    async def _refresh_status_gauge(self) -> None:
        if time.monotonic() < self._next_status:
            return
        self._next_status = time.monotonic() + self._status_refresh_s
        try:
            counts = await self._context.repository.count_by_status()
        except Exception as error:  # a gauge is not worth failing the loop for
            raise_if_cancelled(error)  # a client library may have swallowed our cancellation
            log.warning("counting scorecards by status failed", exc_info=True)
            return
        for status in STATUSES:
            self._metrics.by_status.labels(status).set(counts.get(status, 0))
