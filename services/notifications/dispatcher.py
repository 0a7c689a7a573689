"""Delivers pending deliveries: one task per attempt, a bound on concurrency, retries.

The dispatcher reads due deliveries from the store (so a restart resumes whatever was
pending), runs each attempt in its own task (a slow receiver holds one slot, not the
queue), and records every outcome: ``delivered``; ``pending`` again with ``next_attempt_at``
after an exponential backoff with jitter; or ``failed`` after the last attempt. Nothing is
dropped silently. It sleeps until the next delivery is due, a new one is stored (``wake``)
or ``poll_s`` passed.
"""

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from services.notifications.delivery import backoff_s
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Delivery
from services.notifications.ports import (
    EmailSender,
    NotificationStore,
    OutgoingMessage,
    PendingDelivery,
    Sender,
    SendOutcome,
)
from shared.tasks import raise_if_cancelled

log = logging.getLogger(__name__)
GAUGE_REFRESH_S = 1.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _millis(now: datetime) -> datetime:
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class DeliveryDispatcher:
    """Runs delivery attempts until cancelled."""

    def __init__(
        self,
        store: NotificationStore,
        sender: Sender,
        metrics: NotificationsMetrics,
        *,
        concurrency: int,
        backoff_base_s: float,
        backoff_max_s: float,
        poll_s: float,
        clock: Callable[[], datetime] = _utc_now,
        jitter: Callable[[], float] = random.random,
        email: EmailSender | None = None,
    ) -> None:
        """``sender``: webhooks; ``email``: email deliveries (None: they fail, saying so)."""
        self._store = store
        self._sender = sender
        self._email = email
        self._metrics = metrics
        self._concurrency = concurrency
        self._base_s = backoff_base_s
        self._max_s = backoff_max_s
        self._poll_s = poll_s
        self._clock = clock
        self._jitter = jitter
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._gauges_at = -GAUGE_REFRESH_S
        self.wake = asyncio.Event()
        self.started = False

    async def run(self) -> None:
        """Dispatch due deliveries and wait for more, until cancelled."""
        self.started = True
        try:
            while True:
                self.wake.clear()
                try:
                    timeout = await self.dispatch_due()
                except Exception as error:
                    raise_if_cancelled(
                        error
                    )  # a client library may have swallowed our cancellation
                    log.exception("looking for due deliveries failed; trying again")
                    timeout = self._poll_s
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout)
        finally:
            self.started = False
            tasks = list(self._in_flight.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def dispatch_due(self) -> float:
        """Start attempts for due deliveries (up to the free slots); returns how long to
        wait before looking again."""
        free = self._concurrency - len(self._in_flight)
        if free > 0:
            now = _millis(self._clock())
            for pending in await self._store.due_deliveries(now, free, set(self._in_flight)):
                self._start(pending)
        await self._refresh_gauges()
        if len(self._in_flight) >= self._concurrency:
            return self._poll_s
        next_due = await self._store.next_due_at(set(self._in_flight))
        if next_due is None:
            return self._poll_s
        return min(self._poll_s, max(0.0, (next_due - self._clock()).total_seconds()))

    async def _refresh_gauges(self) -> None:
        # Counting is a store round trip: at most once a second, however busy the queue is.
        if time.monotonic() - self._gauges_at < GAUGE_REFRESH_S:
            return
        self._gauges_at = time.monotonic()
        pending_count, retrying = await self._store.delivery_backlog()
        self._metrics.pending.set(pending_count)
        self._metrics.retry_queue.set(retrying)
        self._metrics.in_flight.set(len(self._in_flight))

    async def drain(self) -> None:
        """Wait for the attempts in flight (tests)."""
        await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    def _start(self, pending: PendingDelivery) -> None:
        identifier = pending.delivery.id
        task = asyncio.create_task(self._attempt(pending), name=f"delivery-{identifier}")
        self._in_flight[identifier] = task

        def finished(_: asyncio.Task[None]) -> None:
            self._in_flight.pop(identifier, None)
            self.wake.set()

        task.add_done_callback(finished)

    async def _attempt(self, pending: PendingDelivery) -> None:
        delivery = pending.delivery
        try:
            started = time.perf_counter()
            if delivery.channel == "email":
                outcome = await self._send_email(pending)
            else:
                outcome = await self._send_webhook(pending)
            self._metrics.attempt_seconds.observe(time.perf_counter() - started)
            await self._store.save_delivery(self._record(delivery, outcome, outcome.permanent))
        except Exception:
            # The delivery stays pending and due: the next look retries it.
            log.exception(
                "a delivery attempt could not be recorded", extra={"delivery_id": delivery.id}
            )

    async def _send_webhook(self, pending: PendingDelivery) -> SendOutcome:
        delivery = pending.delivery
        secret = await self._store.subscription_secret(delivery.subscription_id)
        if secret is None:
            return SendOutcome(ok=False, error="the subscription was deleted", permanent=True)
        message = OutgoingMessage(delivery.id, delivery.url, pending.body, secret)
        return await self._sender.send(message)

    async def _send_email(self, pending: PendingDelivery) -> SendOutcome:
        if self._email is None:
            return SendOutcome(
                ok=False, error="this dispatcher has no email channel", permanent=True
            )
        return await self._email.send(pending.delivery, pending.body)

    def _record(self, delivery: Delivery, outcome: SendOutcome, final: bool) -> Delivery:
        now = _millis(self._clock())
        attempts = delivery.attempts + 1
        common = {
            "attempts": attempts,
            "updated_at": now,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
        }
        # Logs name the delivery and the webhook's host, never an email address.
        where = {"delivery_id": delivery.id, "host": urlsplit(delivery.url).hostname}
        if outcome.ok:
            self._metrics.deliveries.labels("delivered").inc()
            self._metrics.delivery_latency.observe(
                max(0.0, (now - delivery.created_at).total_seconds())
            )
            return delivery.model_copy(
                update={
                    **common,
                    "status": "delivered",
                    "delivered_at": now,
                    "next_attempt_at": None,
                }
            )
        if final or attempts >= delivery.max_attempts:
            self._metrics.deliveries.labels("failed").inc()
            log.warning("delivery failed for good", extra={**where, "error": outcome.error})
            return delivery.model_copy(
                update={**common, "status": "failed", "failed_at": now, "next_attempt_at": None}
            )
        self._metrics.deliveries.labels("retry").inc()
        wait = backoff_s(attempts, self._base_s, self._max_s, self._jitter())
        log.info("delivery attempt failed; will retry", extra={**where, "error": outcome.error})
        return delivery.model_copy(
            update={**common, "next_attempt_at": now + timedelta(seconds=wait)}
        )
