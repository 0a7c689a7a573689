"""Composition root of the notifications service: settings → clients → adapters → tasks.

Three tasks run while the service lives: the Kafka consumer (scorecards and dead letters →
the engine), the sweeper (stale measures, dead-letter windows, cooldowns, outbox) and the
delivery dispatcher (webhooks).
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from services.notifications.consumer import notifications_loop
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.metrics import NotificationsMetrics
from services.notifications.publisher import KafkaNotificationPublisher
from services.notifications.repository import MongoNotificationStore
from services.notifications.senders import WebhookSender
from services.notifications.settings import NotificationsSettings
from services.notifications.signals import Names
from shared.batch_consumer import BatchLoop
from shared.catalog import load_catalog
from shared.kafka import connection_options, create_consumer, create_producer
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings, refuse_unsafe_in_production
from shared.tasks import cancel_and_wait, raise_if_cancelled

log = logging.getLogger(__name__)


def rule_settings(settings: NotificationsSettings) -> RuleSettings:
    """The engine's knobs from the service settings."""
    return RuleSettings(
        scorecards_topic=settings.scorecards_topic,
        dlq_topic=settings.dlq_topic,
        cooldown=timedelta(seconds=settings.cooldown_s),
        surge_threshold=settings.dead_letter_surge_threshold,
        surge_window=timedelta(seconds=settings.dead_letter_surge_window_s),
        max_attempts=settings.delivery_max_attempts,
    )


@dataclass
class NotificationsService:
    """Everything the running service holds; ``start``/``stop`` bracket its life."""

    settings: NotificationsSettings
    platform: PlatformSettings
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    mongo: Any = None
    producer: AIOKafkaProducer | None = None
    http: httpx.AsyncClient | None = None
    consumer: BatchLoop[object] | None = None
    dispatcher: DeliveryDispatcher | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.metrics = NotificationsMetrics(self.registry)
        self.mongo = create_mongo_client(self.platform.mongo_url)
        self.store = MongoNotificationStore(self.mongo[self.platform.mongo_db])

    async def start(self) -> None:
        s = self.settings
        await self.store.create_indexes()
        self.producer = create_producer(
            self.platform.kafka_bootstrap, **connection_options(self.platform)
        )
        await self.producer.start()
        engine = NotificationEngine(
            self.store,
            KafkaNotificationPublisher(self.producer, s.notifications_topic),
            Names.from_catalog(load_catalog()),
            rule_settings(s),
            self.metrics,
        )
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=s.delivery_concurrency), trust_env=False
        )
        sender = WebhookSender(
            self.http, timeout_s=s.delivery_timeout_s, allow_private=s.allow_private_webhooks
        )
        self.dispatcher = DeliveryDispatcher(
            self.store,
            sender,
            self.metrics,
            concurrency=s.delivery_concurrency,
            backoff_base_s=s.delivery_backoff_base_s,
            backoff_max_s=s.delivery_backoff_max_s,
            poll_s=s.delivery_poll_s,
        )
        engine.on_deliveries.append(self.dispatcher.wake)
        self.consumer = notifications_loop(
            create_consumer(
                self.platform.kafka_bootstrap,
                group_id=s.group_id,
                max_poll_records=s.max_batch_records,
                **connection_options(self.platform),
            ),
            [s.scorecards_topic, s.dlq_topic],
            engine.process,
            self.metrics,
            max_records=s.max_batch_records,
            poll_timeout_ms=s.poll_timeout_ms,
            retry_backoff_s=s.retry_backoff_s,
        )
        self.tasks = [
            asyncio.create_task(self.consumer.run(), name="notifications-consumer"),
            asyncio.create_task(self.dispatcher.run(), name="notifications-dispatcher"),
            asyncio.create_task(self._sweep_forever(engine), name="notifications-sweeper"),
        ]
        for task in self.tasks:
            task.add_done_callback(_log_exit)

    async def _sweep_forever(self, engine: NotificationEngine) -> None:
        while True:
            try:
                await engine.sweep(datetime.now(UTC))
                self.metrics.last_sweep.set_to_current_time()
            except Exception as error:
                raise_if_cancelled(error)  # a client library may have swallowed our cancellation
                log.exception("sweep failed; it runs again at the next interval")
                self.metrics.batch_failures.inc()
            await asyncio.sleep(self.settings.sweep_interval_s)

    def check_running(self) -> None:
        """Raise unless the consumer, dispatcher and sweeper all run."""
        if not self.tasks or any(t.done() for t in self.tasks):
            raise RuntimeError("a background task of the service stopped")
        if self.consumer is None or not self.consumer.started:
            raise RuntimeError("the Kafka consumer is not running")

    async def stop(self) -> None:
        await asyncio.gather(*(cancel_and_wait(task) for task in self.tasks))
        if self.http is not None:
            await self.http.aclose()
        if self.producer is not None:
            await self.producer.stop()
        await self.mongo.close()


def _log_exit(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s stopped", task.get_name(), exc_info=task.exception())


def build(
    settings: NotificationsSettings | None = None, platform: PlatformSettings | None = None
) -> NotificationsService:
    """The service from ``QSMO_*`` and ``QSMO_NOTIFICATIONS_*`` settings; nothing connects yet.

    Refuses ``QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS=true`` in production: it would let a
    subscription reach the platform's own network (SSRF).
    """
    settings = settings or NotificationsSettings()
    platform = platform or PlatformSettings()
    refuse_unsafe_in_production(platform, allow_private_webhooks=settings.allow_private_webhooks)
    return NotificationsService(settings, platform)
