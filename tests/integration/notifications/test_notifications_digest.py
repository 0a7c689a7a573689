"""Daily digests through the real store, a real HTTP receiver and the real gateway schema.

A ``DAILY_DIGEST`` subscription gets exactly one signed webhook for a day, with the same
notifications the ``notificationDigest`` GraphQL query returns; a future date is refused;
GraphQL creates and lists digest subscriptions.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import qsmo_stack
from notifications_lane import eventually
from notifications_messages import SECRET, red_measure
from notifications_receiver import Receiver
from prometheus_client import CollectorRegistry

from gateway.auth import Caller
from gateway.bootstrap import create_app
from gateway.context import GatewayContext
from gateway.settings import GatewaySettings
from services.notifications.digest import DIGEST_TYPE
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.metrics import NotificationsMetrics
from services.notifications.ports import RawRecord
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.read_model import NotificationReader
from services.notifications.repository import MongoNotificationStore
from services.notifications.senders import WebhookSender
from services.notifications.signals import Names
from services.notifications.write_port import SubscriptionStore
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings

ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)
VIEWER = Principal(key_id="dev-viewer", role=Role.VIEWER)

DAY = date(2025, 3, 1)
AT = datetime(2025, 3, 1, 12, tzinfo=UTC)


@contextlib.asynccontextmanager
async def dispatching(
    store: MongoNotificationStore, engine: NotificationEngine
) -> AsyncIterator[None]:
    async with httpx.AsyncClient(trust_env=False) as http:
        dispatcher = DeliveryDispatcher(
            store,
            WebhookSender(http, timeout_s=2.0, allow_private=True),
            NotificationsMetrics(CollectorRegistry()),
            concurrency=2,
            backoff_base_s=0.05,
            backoff_max_s=0.2,
            poll_s=0.2,
        )
        engine.on_deliveries.append(dispatcher.wake)
        task = asyncio.create_task(dispatcher.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_a_digest_subscription_gets_one_signed_webhook_a_day_matching_the_query(
    stack: qsmo_stack.Stack, mongo_db: Any
) -> None:
    store = MongoNotificationStore(mongo_db)
    await store.create_indexes()
    engine = NotificationEngine(
        store,
        InMemoryNotificationPublisher(),
        Names.from_catalog(load_catalog()),
        RuleSettings("scorecards", "dlq", timedelta(0), 10, timedelta(minutes=5), 3),
        NotificationsMetrics(CollectorRegistry()),
    )
    receiver = Receiver()
    url = await receiver.start()
    try:
        subscriptions = SubscriptionStore(mongo_db, allow_private=True, clock=lambda: AT)
        digest = await subscriptions.create(
            ADMIN, "cybersecurity", None, None, "warning", url, SECRET, delivery="DAILY_DIGEST"
        )
        assert digest.delivery == "DAILY_DIGEST"
        async with dispatching(store, engine):
            raised = []
            for offset, measure in enumerate(("customer-satisfaction", "customer-engagement")):
                message = red_measure(measure=measure)
                record = RawRecord(
                    "scorecards", 0, offset, None, message.model_dump_json().encode()
                )
                outcome = await engine.process([record], AT + timedelta(hours=offset))
                assert outcome.deliveries == 0  # nothing immediate for a digest subscription
                raised += outcome.raised
            assert (await engine.sweep(AT + timedelta(hours=6))).digests == 0  # day not over
            assert (await engine.sweep(datetime(2025, 3, 2, 0, 5, tzinfo=UTC))).digests == 1
            assert (await engine.sweep(datetime(2025, 3, 2, 0, 6, tzinfo=UTC))).digests == 0
            (call,) = await receiver.wait_for(1, 10)
            deliveries = await eventually(
                lambda: _settled(mongo_db), 10, "the digest delivery recorded as delivered"
            )
        assert len(receiver.calls) == 1
        assert call.signed_with(SECRET)
        body = json.loads(call.body)
        assert (body["type"], body["date"], body["count"]) == (DIGEST_TYPE, "2025-03-01", 2)
        assert body["subscription_id"] == digest.id
        ids = [n["notification_id"] for n in body["notifications"]]
        assert ids == [n.id for n in raised]
        (delivery,) = deliveries
        assert (delivery.kind, delivery.digest_date) == ("digest", "2025-03-01")
        assert call.headers["x-qsmo-delivery-id"] == delivery.id

        answer = await _graphql(
            stack,
            mongo_db.name,
            'query($d: Date!) { notificationDigest(date: $d, qsmo: "cybersecurity") '
            "{ date count notifications { id rule } } }",
            {"d": "2025-03-01"},
        )
        assert answer.errors is None, answer.errors
        assert answer.data["notificationDigest"]["count"] == 2
        assert [n["id"] for n in answer.data["notificationDigest"]["notifications"]] == ids
    finally:
        await receiver.stop()


async def _settled(database: Any) -> list[Any]:
    found = list(await NotificationReader(database).deliveries(None, None, 10, None))
    return found if found and all(d.status == "delivered" for d in found) else []


async def _graphql(
    stack: qsmo_stack.Stack,
    database: str,
    query: str,
    variables: dict[str, Any],
    who: Principal = VIEWER,
) -> Any:
    client: Any = create_mongo_client(stack.mongo_url)
    platform = PlatformSettings(
        mongo_url=stack.mongo_url,
        mongo_db=database,
        api_keys_file=stack.api_keys_file,
        kafka_bootstrap=stack.kafka_bootstrap,
    )
    app = create_app(
        GatewaySettings(allow_private_webhooks=True),
        platform,
        mongo_client=client,
        clock=lambda: datetime(2025, 3, 2, 8, tzinfo=UTC),
    )
    try:
        context = GatewayContext(app.state.runtime, Caller(who))
        return await app.state.schema.execute(
            query, variable_values=variables, context_value=context
        )
    finally:
        await client.close()


async def test_a_digest_date_in_the_future_is_bad_user_input_naming_date(
    stack: qsmo_stack.Stack, mongo_db: Any
) -> None:
    answer = await _graphql(
        stack,
        mongo_db.name,
        "query($d: Date!) { notificationDigest(date: $d) { count } }",
        {"d": "2025-03-03"},
    )
    (error,) = answer.errors
    assert error.extensions == {"code": "BAD_USER_INPUT", "field": "date"}
    assert "2025-03-03 is in the future; ask for 2025-03-02 or an earlier day" in error.message
    assert await mongo_db.list_collection_names() == []  # nothing written


async def test_graphql_creates_and_lists_a_daily_digest_subscription(
    stack: qsmo_stack.Stack, mongo_db: Any
) -> None:
    created = await _graphql(
        stack,
        mongo_db.name,
        'mutation { createNotificationSubscription(qsmo: "cybersecurity", '
        'url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef0123", '
        "delivery: DAILY_DIGEST) { id delivery } }",
        {},
        who=ADMIN,
    )
    assert created.errors is None, created.errors
    assert created.data["createNotificationSubscription"]["delivery"] == "DAILY_DIGEST"
    default = await _graphql(
        stack,
        mongo_db.name,
        'mutation { createNotificationSubscription(qsmo: "cybersecurity", '
        'url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef0123") { delivery } }',
        {},
        who=ADMIN,
    )
    assert default.data["createNotificationSubscription"]["delivery"] == "IMMEDIATE"
    listed = await _graphql(
        stack, mongo_db.name, "{ notificationSubscriptions { id delivery } }", {}, who=ADMIN
    )
    assert sorted(s["delivery"] for s in listed.data["notificationSubscriptions"]) == [
        "DAILY_DIGEST",
        "IMMEDIATE",
    ]
    stored = await mongo_db["notification_subscriptions"].find_one(
        {"_id": created.data["createNotificationSubscription"]["id"]}
    )
    assert stored["delivery"] == "DAILY_DIGEST"
