"""Composition root of the notifications service: settings → clients → adapters → tasks.

Three tasks run while the service lives: the Kafka consumer (scorecards, dead letters and
review messages → the engine), the sweeper (stale measures once the pipeline has caught up,
dead-letter windows, cooldowns, daily digests, outbox) and the delivery dispatcher (webhooks
and review emails over SMTP). The
service runs in the consuming services' shell (``shared.worker``); ``clock`` is the rules'
``now``.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from services.notifications.consumer import notifications_loop
from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.lag import KafkaLagProbe, LagProbe, pipeline_lanes
from services.notifications.mail import SmtpConfig, SmtpEmailSender
from services.notifications.metrics import NotificationsMetrics
from services.notifications.publisher import KafkaNotificationPublisher
from services.notifications.repository import MongoNotificationStore
from services.notifications.senders import WebhookSender
from services.notifications.settings import NotificationsSettings
from services.notifications.signals import Names
from shared.catalog import load_catalog
from shared.kafka import connection_options
from shared.review_packets import MongoPacketStore
from shared.settings import (
    PlatformSettings,
    UnsafeInProductionError,
    refuse_unsafe_in_production,
)
from shared.tasks import raise_if_cancelled
from shared.worker import ConsumingService

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
        reviews_topic=settings.reviews_topic,
        public_url=settings.public_url,
    )


def smtp_config(settings: NotificationsSettings) -> SmtpConfig:
    """The email channel's server and credentials from the service settings."""
    password = settings.smtp_password
    return SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        username=settings.smtp_username,
        password=None if password is None else password.get_secret_value(),
        starttls=settings.smtp_starttls,
        ca_file=settings.smtp_ca_file,
        timeout_s=settings.smtp_timeout_s,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


class NotificationsService(ConsumingService[NotificationsSettings]):
    """Everything the running service holds; ``start``/``stop`` bracket its life."""

    running_check = "workers"

    def __init__(
        self,
        settings: NotificationsSettings,
        platform: PlatformSettings,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(settings, platform)
        self.metrics = NotificationsMetrics(self.registry)
        self.store = MongoNotificationStore(self.database)
        self.http: httpx.AsyncClient | None = None
        self.clock = clock
        """The rules' ``now`` (status windows, stale day counts, digest days)."""
        self.probe: LagProbe = KafkaLagProbe(
            platform.kafka_bootstrap,
            pipeline_lanes(
                settings.group_id,
                measures_group=settings.measures_group_id,
                events_topic=settings.events_topic,
                scorecard_group=settings.scorecard_group_id,
                values_topic=settings.values_topic,
                scorecards_topic=settings.scorecards_topic,
            ),
            **connection_options(platform),
        )

    async def start(self) -> None:
        s = self.settings
        await self.prepare_store(self.store.create_indexes)
        engine = NotificationEngine(
            self.store,
            KafkaNotificationPublisher(await self.start_producer(), s.notifications_topic),
            Names.from_catalog(load_catalog()),
            rule_settings(s),
            self.metrics,
            self.probe,
        )
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=s.delivery_concurrency), trust_env=False
        )
        sender = WebhookSender(
            self.http, timeout_s=s.delivery_timeout_s, allow_private=s.allow_private_webhooks
        )
        dispatcher = DeliveryDispatcher(
            self.store,
            sender,
            self.metrics,
            concurrency=s.delivery_concurrency,
            backoff_base_s=s.delivery_backoff_base_s,
            backoff_max_s=s.delivery_backoff_max_s,
            poll_s=s.delivery_poll_s,
            email=SmtpEmailSender(smtp_config(s), MongoPacketStore(self.database)),
        )
        engine.on_deliveries.append(dispatcher.wake)
        consumer = notifications_loop(
            self.create_consumer(s.group_id, s.max_batch_records),
            [s.scorecards_topic, s.dlq_topic, s.reviews_topic],
            engine.process,
            self.metrics,
            max_records=s.max_batch_records,
            poll_timeout_ms=s.poll_timeout_ms,
            retry_backoff_s=s.retry_backoff_s,
            clock=self.clock,
        )
        self.consumer = consumer
        self.run_in_background(consumer.run(), "notifications-consumer")
        self.run_in_background(dispatcher.run(), "notifications-dispatcher")
        self.run_in_background(self._sweep_forever(engine), "notifications-sweeper")

    async def _sweep_forever(self, engine: NotificationEngine) -> None:
        while True:
            try:
                await engine.sweep(self.clock())
                self.metrics.last_sweep.set_to_current_time()
            except Exception as error:
                raise_if_cancelled(error)  # a client library may have swallowed our cancellation
                log.exception("sweep failed; it runs again at the next interval")
                self.metrics.batch_failures.inc()
            await asyncio.sleep(self.settings.sweep_interval_s)

    async def stop(self) -> None:
        await super().stop()
        await self.probe.close()
        if self.http is not None:
            await self.http.aclose()


def build(
    settings: NotificationsSettings | None = None, platform: PlatformSettings | None = None
) -> NotificationsService:
    """The service from ``QSMO_*`` and ``QSMO_NOTIFICATIONS_*`` settings; nothing connects yet.

    Refuses ``QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS=true`` in production: it would let a
    subscription reach the platform's own network (SSRF); and an SMTP server without
    STARTTLS.
    """
    settings = settings or NotificationsSettings()
    platform = platform or PlatformSettings()
    refuse_unsafe_in_production(platform, allow_private_webhooks=settings.allow_private_webhooks)
    if platform.environment == "production" and settings.smtp_host and not settings.smtp_starttls:
        raise UnsafeInProductionError(
            "QSMO_NOTIFICATIONS_SMTP_STARTTLS=false is refused when QSMO_ENVIRONMENT=production: "
            "SMTP credentials and review packets must not cross the network in clear text"
        )
    return NotificationsService(settings, platform)
