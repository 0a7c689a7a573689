"""The packet worker: renders review packets off the request path and announces READY ones.

A review step only asks for a packet (``packet.status`` PENDING, ``gateway.reviews.service``).
This background task of the gateway, every ``interval_s``:

1. claims a job (``ReviewStore.claim_packet``: RENDERING with a lease, so a crashed worker's
   job is taken again after ``lease_s``), builds it with the ``PacketBuilder``, stores every
   format in ``shared.review_packets`` (version = the packet's version) and marks it DONE
   (pages, SHA-256 by format, summary); a failure is retried with backoff and left FAILED
   after ``MAX_PACKET_ATTEMPTS`` with its error (the review keeps its state);
2. publishes ``ReviewReady`` for every READY (or HELD) review whose packet is DONE and not
   ``announced`` yet, then sets ``announced``: the flag is the outbox, so a publish that
   failed is retried by the next sweep, and ``message_id`` ``review-ready:<id>`` lets the
   notifications service drop a copy published twice (a crash between publish and flag).

Every step is recorded in the activity log (``packet.rendered:<id>:v<version>``,
``packet.failed:<id>:v<version>``).
"""

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Protocol

from gateway.metrics import GatewayMetrics
from gateway.ports import Clock
from gateway.reviews.activity_log import ActivityEntry, ActivityLog
from gateway.reviews.packet_http import packet_links
from gateway.reviews.store import ReviewStore
from shared.domain.reviews import PacketStatus, Review, ReviewState, packet_done, packet_failed
from shared.events import ImprovementActionOverdue, ReviewReady
from shared.review_packets import FORMATS, PacketStore, RenderedPacket, packet
from shared.tasks import cancel_and_wait, raise_if_cancelled, start_logged

log = logging.getLogger(__name__)
SWEEP_BATCH = 50
WORKER = "automation:packet-worker"
"""The ``actor`` of the worker's own steps in the activity log."""


class PacketBuilder(Protocol):
    """Assembles and renders a review's packet (``gateway.reviews.packet_builder`` is the
    real one: the scorecard at the review's cut-off, changes since ``previous``, …)."""

    async def build(self, review: Review, previous: Review | None) -> RenderedPacket: ...


class ReviewMessagePublisher(Protocol):
    """``gateway.reviews.publisher.KafkaReviewPublisher`` (returns once Kafka acknowledged)."""

    async def publish(self, message: ReviewReady | ImprovementActionOverdue) -> None: ...


def ready_at(review: Review) -> datetime:
    """When the review became READY (its history's READY step)."""
    steps = [s.at for s in review.history if s.state is ReviewState.READY]
    return steps[-1] if steps else review.updated_at


def review_ready(review: Review, public_url: str | None) -> ReviewReady:
    """The message announcing ``review``'s frozen packet (the same on every retry)."""
    return ReviewReady(
        message_id=f"review-ready:{review.id}",
        review_id=review.id,
        qsmo=review.qsmo,
        fiscal_year=review.fiscal_year,
        quarter=review.quarter,
        title=review.title,
        meeting_date=review.meeting_date,
        cut_off=review.cut_off,
        stakeholder_lists=review.stakeholder_lists,
        packet_links=packet_links(review.id, public_url),
        summary=review.packet.summary or review.title,
        ready_at=ready_at(review),
    )


class PacketWorker:
    def __init__(
        self,
        store: ReviewStore,
        packets: PacketStore,
        builder: PacketBuilder,
        publisher: ReviewMessagePublisher,
        activity: ActivityLog,
        *,
        clock: Clock,
        metrics: GatewayMetrics | None = None,
        interval_s: float = 1.0,
        lease_s: float = 120.0,
        retry_backoff_s: float = 10.0,
        public_url: str | None = None,
    ) -> None:
        self.store = store
        self.packets = packets
        self.builder = builder
        self.publisher = publisher
        self.activity = activity
        self._clock = clock
        self._metrics = metrics
        self._interval_s = interval_s
        self._lease = timedelta(seconds=lease_s)
        self._backoff = timedelta(seconds=retry_backoff_s)
        self._public_url = public_url
        self._task: asyncio.Task[None] | None = None

    async def sweep(self) -> tuple[int, int]:
        """Render every claimable packet, then announce what is owed: (rendered, announced)."""
        rendered = 0
        while rendered < SWEEP_BATCH and await self.render_one():
            rendered += 1
        announced = await self.announce_owed()
        if self._metrics is not None:
            self._metrics.review_packet_jobs.set(await self.store.pending_jobs())
        return rendered, announced

    async def render_one(self) -> bool:
        """Claim one job and render it; False when no job was claimable."""
        now = self._clock()
        job = await self.store.claim_packet(now, now + self._lease)
        if job is None:
            return False
        started = time.perf_counter()
        try:
            finished = await self._render(job)
        except Exception as error:
            raise_if_cancelled(error)
            log.warning("review packet failed", extra={"review": job.id, "error": str(error)})
            failed = packet_failed(job.packet, _reason(error), self._clock(), self._backoff)
            finished = await self.store.finish_packet(job.id, job.packet.version, failed)
            self._count("failed")
            if finished is not None and finished.packet.status is PacketStatus.FAILED:
                await self._record(finished, "packet.failed", failed.error or "")
            return True
        self._count("done")
        if self._metrics is not None:
            self._metrics.review_packet_seconds.observe(time.perf_counter() - started)
        if finished is not None:
            pages = finished.packet.pages
            await self._record(finished, "packet.rendered", f"{pages} pages")
            if finished.state is not ReviewState.DRAFT and not finished.announced:
                await self._announce(finished)
        return True

    async def _render(self, job: Review) -> Review | None:
        previous = None
        if job.previous_review_id is not None:
            previous = await self.store.get(job.previous_review_id)
        rendered = await self.builder.build(job, previous)
        built_at = self._clock()
        digests: dict[str, str] = {}
        for fmt in FORMATS:
            stored = packet(job.id, fmt, job.packet.version, rendered.content(fmt), built_at)
            await self.packets.put(stored)
            digests[fmt] = stored.sha256
        done = packet_done(job.packet, rendered.pages, digests, rendered.summary, built_at)
        # None: a newer version was asked for meanwhile (it is rendered next).
        return await self.store.finish_packet(job.id, job.packet.version, done)

    async def announce_owed(self) -> int:
        """Publish ``ReviewReady`` for every READY review not announced yet; how many."""
        announced = 0
        for review in await self.store.unannounced(SWEEP_BATCH):
            announced += await self._announce(review)
        return announced

    async def _announce(self, review: Review) -> bool:
        try:
            await self.publisher.publish(review_ready(review, self._public_url))
        except Exception as error:
            raise_if_cancelled(error)
            log.warning(
                "ReviewReady not published yet; the next sweep retries",
                extra={"review": review.id, "error": str(error)},
            )
            return False
        await self.store.mark_announced(review.id)
        return True

    async def run(self) -> None:
        """Sweep every ``interval_s`` until cancelled (a failed sweep is logged)."""
        while True:
            try:
                await self.sweep()
            except Exception as error:  # store away: try again next sweep
                raise_if_cancelled(error)
                log.warning("review packet sweep failed", extra={"error": str(error)})
            await asyncio.sleep(self._interval_s)

    def start(self) -> None:
        self._task = start_logged(self.run(), "gateway-review-packets")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    def _count(self, outcome: str) -> None:
        if self._metrics is not None:
            self._metrics.review_packets.labels(outcome=outcome).inc()

    async def _record(self, review: Review, action: str, what: str) -> None:
        version = review.packet.version
        await self.activity.record(
            ActivityEntry(
                id=f"{action}:{review.id}:v{version}",
                at=review.packet.built_at or self._clock(),
                actor=WORKER,
                action=action,
                qsmo=review.qsmo,
                subject=review.id,
                summary=f"{review.title}: packet v{version} {action.split('.')[1]} ({what})",
                details={"version": str(version), "state": review.state.value},
            )
        )


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
