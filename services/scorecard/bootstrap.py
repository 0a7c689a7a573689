"""Composition root of the scorecard service: settings → clients → adapters → consumer."""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from services.scorecard.consumer import ScorecardConsumer
from services.scorecard.handlers import ScorecardContext
from services.scorecard.metrics import ScorecardMetrics
from services.scorecard.publisher import KafkaScorecardPublisher
from services.scorecard.repository import MongoScorecardRepository
from services.scorecard.settings import ScorecardSettings
from shared.batch_consumer import require_running
from shared.catalog import load_catalog
from shared.framework_log import MongoFrameworkLog
from shared.kafka import connection_options, create_consumer, create_producer
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings
from shared.tasks import cancel_and_wait, start_logged

log = logging.getLogger(__name__)


@dataclass
class ScorecardService:
    """Everything the running service holds; ``start``/``stop`` bracket its life."""

    settings: ScorecardSettings
    platform: PlatformSettings
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    mongo: Any = None
    producer: AIOKafkaProducer | None = None
    repository: MongoScorecardRepository = field(init=False)
    consumer: ScorecardConsumer | None = None
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.metrics = ScorecardMetrics(self.registry)
        self.catalog = load_catalog()
        self.mongo = create_mongo_client(self.platform.mongo_url)
        self.database = self.mongo[self.platform.mongo_db]
        self.repository = MongoScorecardRepository(self.database)
        self.framework_log = MongoFrameworkLog(self.database)

    async def start(self) -> None:
        await self.repository.create_indexes()
        await self.framework_log.create_indexes()
        self.producer = create_producer(
            self.platform.kafka_bootstrap, **connection_options(self.platform)
        )
        await self.producer.start()
        settings = self.settings
        context = ScorecardContext(
            repository=self.repository,
            publisher=KafkaScorecardPublisher(self.producer, settings.scorecards_topic),
            framework=self.catalog.framework(),
        )
        self.consumer = ScorecardConsumer(
            create_consumer(
                self.platform.kafka_bootstrap,
                group_id=settings.group_id,
                max_poll_records=settings.max_batch_records,
                **connection_options(self.platform),
            ),
            context,
            self.framework_log,
            self.metrics,
            values_topic=settings.values_topic,
            framework_topic=settings.framework_topic,
            max_records=settings.max_batch_records,
            poll_timeout_ms=settings.poll_timeout_ms,
            retry_backoff_s=settings.retry_backoff_s,
            framework_check_s=settings.framework_check_s,
            status_refresh_s=settings.status_refresh_s,
        )
        self.task = start_logged(self.consumer.run(), "scorecard-consumer")

    async def check_running(self) -> None:
        """Readiness: raises unless the consumer loop is running."""
        require_running(self.task, self.consumer)

    async def stop(self) -> None:
        await cancel_and_wait(self.task)
        if self.producer is not None:
            await self.producer.stop()
        await self.mongo.close()


def build(
    settings: ScorecardSettings | None = None, platform: PlatformSettings | None = None
) -> ScorecardService:
    """The service from ``QSMO_*`` and ``QSMO_SCORECARD_*`` settings; nothing connects yet."""
    return ScorecardService(settings or ScorecardSettings(), platform or PlatformSettings())
