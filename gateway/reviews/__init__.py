"""Performance reviews in the gateway: the review store and steps (``service``), the packet
worker (``worker``), the packet's HTTP routes (``packet_http``), the activity log and the
publisher of ``qsmo.reviews.v1``. ``Reviews`` is what ``GatewayRuntime.reviews`` holds."""

from dataclasses import dataclass

from gateway.reviews.activity_log import ActivityLog
from gateway.reviews.service import ReviewService
from gateway.reviews.store import ReviewStore
from gateway.reviews.worker import PacketWorker, ReviewMessagePublisher
from shared.review_packets import PacketStore


@dataclass(frozen=True)
class Reviews:
    """The reviews' parts one gateway works with (built in ``gateway.bootstrap``)."""

    service: ReviewService
    worker: PacketWorker
    public_url: str | None = None
    """``QSMO_GATEWAY_PUBLIC_URL``: absolute packet links when set."""

    @property
    def store(self) -> ReviewStore:
        return self.service.store

    @property
    def activity(self) -> ActivityLog:
        return self.service.activity

    @property
    def packets(self) -> PacketStore:
        return self.worker.packets

    @property
    def publisher(self) -> ReviewMessagePublisher:
        """The ``qsmo.reviews.v1`` publisher (the Adjust loop publishes on it too)."""
        return self.worker.publisher
