"""The dispatcher with an in-memory sender and store: retries, give-up, deleted subscriptions."""

from datetime import timedelta

from notifications_builders import T0, Clock, subscription
from prometheus_client import CollectorRegistry

from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Delivery
from services.notifications.ports import PendingDelivery, SendOutcome
from services.notifications.repository import InMemoryNotificationStore
from services.notifications.senders import InMemorySender

SECRET = "secret-secret-secret"


def pending(max_attempts: int = 3, subscription_id: str = "sub_1") -> PendingDelivery:
    delivery = Delivery(
        id="dlv_1",
        notification_id="ntf_1",
        notification_state="raised",
        subscription_id=subscription_id,
        qsmo="cybersecurity",
        url="https://hooks.example.com/",
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        created_at=T0,
        updated_at=T0,
        next_attempt_at=T0,
    )
    return PendingDelivery(delivery, '{"x":1}')


async def settle(pending_delivery: PendingDelivery, sender: InMemorySender) -> Delivery:
    """Run the dispatcher, moving the clock to each retry time, until the delivery settles."""
    store, clock = InMemoryNotificationStore(), Clock(T0)
    store.subscription_list.append((subscription("sub_1"), SECRET))
    await store.add_deliveries([pending_delivery])
    dispatcher = DeliveryDispatcher(
        store,
        sender,
        NotificationsMetrics(CollectorRegistry()),
        concurrency=4,
        backoff_base_s=1,
        backoff_max_s=10,
        poll_s=1,
        clock=clock,
        jitter=lambda: 0.0,
    )
    for _ in range(10):
        await dispatcher.dispatch_due()
        await dispatcher.drain()
        delivery = store.deliveries["dlv_1"].delivery
        if delivery.status != "pending":
            return delivery
        assert delivery.next_attempt_at is not None
        assert delivery.next_attempt_at > clock.now
        clock.now = delivery.next_attempt_at
    raise AssertionError("the delivery never settled")


async def test_fails_twice_then_succeeds_with_backoff() -> None:
    sender = InMemorySender(
        [SendOutcome(ok=False, status_code=503), SendOutcome(ok=False, error="timed out")]
    )
    delivery = await settle(pending(), sender)
    assert delivery.status == "delivered"
    assert delivery.attempts == 3
    assert len(sender.sent) == 3
    assert {m.delivery_id for m in sender.sent} == {"dlv_1"}
    assert delivery.delivered_at == T0 + timedelta(seconds=0.5 + 1.0)  # jitter 0: half of 1 s, 2 s
    assert all(m.secret == SECRET for m in sender.sent)
    assert SECRET not in repr(sender.sent)


async def test_gives_up_after_the_last_attempt_and_records_the_failure() -> None:
    sender = InMemorySender([SendOutcome(ok=False, status_code=500, error="HTTP 500")] * 5)
    delivery = await settle(pending(max_attempts=2), sender)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, 500)
    assert delivery.failed_at is not None
    assert delivery.next_attempt_at is None


async def test_a_deleted_subscription_fails_without_sending() -> None:
    sender = InMemorySender()
    delivery = await settle(pending(subscription_id="sub_gone"), sender)
    assert delivery.status == "failed"
    assert sender.sent == []
    assert "deleted" in (delivery.last_error or "")
