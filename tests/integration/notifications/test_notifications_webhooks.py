"""Webhook delivery end to end in-process: real store, real HTTP receivers, real httpx."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from notifications_messages import AT, SECRET, red_measure
from notifications_receiver import Receiver, dead_url
from prometheus_client import CollectorRegistry

from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Delivery
from services.notifications.ports import RawRecord
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.read_model import NotificationReader
from services.notifications.repository import MongoNotificationStore
from services.notifications.senders import WebhookSender
from services.notifications.signals import Names
from services.notifications.write_port import SubscriptionStore
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog

ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)


class Rig:
    """Engine + dispatcher over one test database, with fast retries."""

    def __init__(self, database: Any, http: httpx.AsyncClient, *, max_attempts: int = 3) -> None:
        self.database = database
        self.store = MongoNotificationStore(database)
        self.metrics = NotificationsMetrics(CollectorRegistry())
        settings = RuleSettings(
            "scorecards", "dlq", timedelta(0), 10, timedelta(minutes=5), max_attempts
        )
        self.engine = NotificationEngine(
            self.store,
            InMemoryNotificationPublisher(),
            Names.from_catalog(load_catalog()),
            settings,
            self.metrics,
        )
        self.http = http

    def dispatcher(self) -> DeliveryDispatcher:
        sender = WebhookSender(self.http, timeout_s=1.0, allow_private=True)
        dispatcher = DeliveryDispatcher(
            self.store,
            sender,
            self.metrics,
            concurrency=4,
            backoff_base_s=0.05,
            backoff_max_s=0.2,
            poll_s=0.5,
        )
        self.engine.on_deliveries.append(dispatcher.wake)
        return dispatcher

    async def subscribe(self, url: str, qsmo: str = "cybersecurity") -> str:
        store = SubscriptionStore(self.database, allow_private=True)
        return (await store.create(ADMIN, qsmo, None, None, "warning", url, SECRET)).id

    async def raise_red(
        self, qsmo: str = "cybersecurity", measure: str = "customer-satisfaction"
    ) -> str:
        message = red_measure(qsmo, measure)
        outcome = await self.engine.process(
            [RawRecord("scorecards", 0, 0, None, message.model_dump_json().encode())], AT
        )
        return outcome.raised[0].id

    async def settled(self, notification_id: str, timeout_s: float = 10) -> list[Delivery]:
        reader = NotificationReader(self.database)
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            found = list(await reader.deliveries(notification_id, None, 10, None))
            if found and all(d.status != "pending" for d in found):
                return found
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"deliveries still pending: {found}")
            await asyncio.sleep(0.05)


@pytest.fixture
async def rig(mongo_db: Any) -> AsyncIterator[Rig]:
    async with httpx.AsyncClient(trust_env=False) as http:
        built = Rig(mongo_db, http)
        await built.store.create_indexes()
        yield built


@contextlib.asynccontextmanager
async def running(dispatcher: DeliveryDispatcher) -> AsyncIterator[None]:
    task = asyncio.create_task(dispatcher.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[str]:
    url = await receiver.start()
    try:
        yield url
    finally:
        await receiver.stop()


async def test_the_signature_verifies_with_the_secret(rig: Rig) -> None:
    receiver = Receiver()
    async with receiving(receiver) as url, running(rig.dispatcher()):
        subscription_id = await rig.subscribe(url)
        notification_id = await rig.raise_red()
        (call,) = await receiver.wait_for(1, 10)
    assert call.path == "/hook"
    assert call.signed_with(SECRET)
    assert not call.signed_with("wrong-secret-000000")
    assert call.headers["content-type"] == "application/json"
    body = json.loads(call.body)
    assert body["type"] == "notification.raised"
    assert body["subscription_id"] == subscription_id
    assert body["notification"]["notification_id"] == notification_id
    assert body["notification"]["message"].endswith(
        "fell from AMBER to RED in FY2025: 3.4 against a target of 4.0"
    )
    (delivery,) = await rig.settled(notification_id)
    assert call.headers["x-qsmo-delivery-id"] == delivery.id
    assert delivery.status == "delivered"


async def test_fails_twice_then_one_success_after_three_attempts(rig: Rig) -> None:
    receiver = Receiver(statuses=[503, 500])
    async with receiving(receiver) as url, running(rig.dispatcher()):
        await rig.subscribe(url)
        notification_id = await rig.raise_red()
        (delivery,) = await rig.settled(notification_id)
    assert [c.status for c in receiver.calls] == [503, 500, 200]
    assert len({c.headers["x-qsmo-delivery-id"] for c in receiver.calls}) == 1
    assert len({c.body for c in receiver.calls}) == 1
    assert (delivery.status, delivery.attempts) == ("delivered", 3)


async def test_a_dead_receiver_ends_as_a_recorded_failure(rig: Rig) -> None:
    async with running(rig.dispatcher()):
        await rig.subscribe(dead_url())
        notification_id = await rig.raise_red()
        (delivery,) = await rig.settled(notification_id)
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert delivery.failed_at is not None
    assert delivery.last_error
    failed = await NotificationReader(rig.database).deliveries(None, "failed", 10, None)
    assert [d.id for d in failed] == [delivery.id]


async def test_a_slow_receiver_does_not_delay_others(rig: Rig) -> None:
    slow, fast = Receiver(delay_s=0.8), Receiver()
    async with receiving(slow) as slow_url, receiving(fast) as fast_url, running(rig.dispatcher()):
        await rig.subscribe(slow_url, qsmo="grants-management")
        await rig.subscribe(fast_url, qsmo="cybersecurity")
        await rig.raise_red("grants-management")
        await rig.raise_red("cybersecurity")
        await fast.wait_for(1, 5)
        assert slow.calls == []  # the slow receiver is still answering
        await slow.wait_for(1, 5)


async def test_a_restart_resumes_pending_deliveries(rig: Rig) -> None:
    receiver = Receiver()
    async with receiving(receiver) as url:
        await rig.subscribe(url)
        notification_id = await rig.raise_red()  # stored as pending; no dispatcher runs yet
        assert [
            d.status
            for d in await NotificationReader(rig.database).deliveries(
                notification_id, None, 5, None
            )
        ] == ["pending"]
        async with running(rig.dispatcher()):  # a new process: it reads the pending ones
            await receiver.wait_for(1, 10)
            (delivery,) = await rig.settled(notification_id)
    assert delivery.status == "delivered"
