"""The packet worker and the review steps racing it (in-memory stores, fake builder)."""

from dataclasses import dataclass, field
from datetime import timedelta

from gateway_unit_support import NOW, FakePacketBuilder, principal

from gateway.reviews.activity_log import InMemoryActivityLog
from gateway.reviews.publisher import InMemoryReviewPublisher
from gateway.reviews.service import NewReview, ReviewService
from gateway.reviews.store import InMemoryReviewStore
from gateway.reviews.worker import PacketWorker
from shared.domain.reviews import PacketStatus, Review, ReviewState
from shared.review_packets import InMemoryPacketStore, RenderedPacket

REVIEW = "FY2024-Q2|cybersecurity"
ADMIN = principal("admin")


async def _no_name(_: str | None) -> str | None:
    return None


def _parts(
    store: InMemoryReviewStore, builder: object
) -> tuple[ReviewService, PacketWorker, InMemoryReviewPublisher, InMemoryPacketStore]:
    activity = InMemoryActivityLog()
    publisher = InMemoryReviewPublisher()
    packets = InMemoryPacketStore()
    worker = PacketWorker(
        store,
        packets,
        builder,
        publisher,
        activity,
        clock=lambda: NOW,
        retry_backoff_s=0,  # type: ignore[arg-type]
    )
    return ReviewService(store, activity, clock=lambda: NOW), worker, publisher, packets


@dataclass
class ReadyDuringRender:
    """A builder during whose first rendering someone makes the review READY."""

    service: ReviewService | None = None
    inner: FakePacketBuilder = field(default_factory=FakePacketBuilder)

    async def build(self, review: Review, previous: Review | None) -> RenderedPacket:
        if self.service is not None and review.state is ReviewState.DRAFT:
            await self.service.make_ready(ADMIN, review.id, None)
        return await self.inner.build(review, previous)


async def test_a_rendering_superseded_by_ready_is_dropped_and_the_frozen_one_sent() -> None:
    store = InMemoryReviewStore()
    builder = ReadyDuringRender()
    service, worker, publisher, packets = _parts(store, builder)
    builder.service = service
    await service.create(ADMIN, NewReview(2024, 2, "cybersecurity", NOW.date(), ["CFO"]), _no_name)
    assert await worker.sweep() == (2, 0)  # v1 superseded, v2 rendered and announced at once
    assert builder.inner.built == [(REVIEW, "DRAFT", None), (REVIEW, "READY", None)]
    review = await store.get(REVIEW)
    assert review is not None
    assert review.packet.status is PacketStatus.DONE
    assert review.packet.version == 2
    assert review.announced
    stored = await packets.get(REVIEW, "pdf")
    assert stored is not None
    assert stored.version == 2
    assert b"READY" in stored.content
    assert [m.message_id for m in publisher.messages] == [f"review-ready:{REVIEW}"]


class RacingStore(InMemoryReviewStore):
    """The worker claims the packet between a step's read and its write, once."""

    raced = False

    async def replace(self, review: Review, expected_revision: int) -> bool:
        if not self.raced:
            self.raced = True
            await self.claim_packet(NOW, NOW + timedelta(minutes=2))
        return await super().replace(review, expected_revision)


async def test_a_step_that_lost_a_race_with_the_worker_is_applied_again() -> None:
    store = RacingStore()
    service, _, _, _ = _parts(store, FakePacketBuilder())
    await service.create(ADMIN, NewReview(2024, 2, "cybersecurity", NOW.date(), ["CFO"]), _no_name)
    ready = await service.make_ready(ADMIN, REVIEW, None)
    assert store.raced
    assert ready.state is ReviewState.READY
    stored = await store.get(REVIEW)
    assert stored == ready
    assert stored.packet.status is PacketStatus.PENDING  # the frozen packet is asked for


async def test_a_job_left_rendering_by_a_dead_worker_is_taken_again_after_its_lease() -> None:
    store = InMemoryReviewStore()
    service, worker, _, _ = _parts(store, FakePacketBuilder())
    await service.create(ADMIN, NewReview(2024, 2, "cybersecurity", NOW.date(), ["CFO"]), _no_name)
    assert await store.claim_packet(NOW - timedelta(minutes=5), NOW - timedelta(seconds=1))
    assert await worker.sweep() == (1, 0)  # the lease had ended
    review = await store.get(REVIEW)
    assert review is not None
    assert review.packet.status is PacketStatus.DONE
