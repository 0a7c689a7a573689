"""Composition root of the scorecard service: settings → clients → adapters → consumer.

The service runs in the consuming services' shell (``shared.worker``).
"""

from services.scorecard.cache import CachedScorecardRepository
from services.scorecard.consumer import ScorecardConsumer
from services.scorecard.handlers import ScorecardContext
from services.scorecard.metrics import ScorecardMetrics
from services.scorecard.publisher import KafkaScorecardPublisher
from services.scorecard.repository import MongoScorecardRepository
from services.scorecard.settings import ScorecardSettings
from shared.catalog import load_catalog
from shared.framework_log import MongoFrameworkLog
from shared.settings import PlatformSettings
from shared.worker import ConsumingService


class ScorecardService(ConsumingService[ScorecardSettings]):
    """Everything the running service holds; ``start``/``stop`` bracket its life."""

    def __init__(self, settings: ScorecardSettings, platform: PlatformSettings) -> None:
        super().__init__(settings, platform)
        self.metrics = ScorecardMetrics(self.registry)
        self.catalog = load_catalog()
        self.repository = MongoScorecardRepository(self.database)
        self.framework_log = MongoFrameworkLog(self.database)

    async def start(self) -> None:
        settings = self.settings
        await self.prepare_store(self.repository.create_indexes, self.framework_log.create_indexes)
        context = ScorecardContext(
            repository=CachedScorecardRepository(self.repository),
            publisher=KafkaScorecardPublisher(
                await self.start_producer(), settings.scorecards_topic
            ),
            framework=self.catalog.framework(),
            catalog_qsmos=self.catalog.qsmo_ids,
        )
        consumer = ScorecardConsumer(
            self.create_consumer(settings.group_id, settings.max_batch_records),
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
        self.consumer = consumer
        self.run_in_background(consumer.run(), "scorecard-consumer")


def build(
    settings: ScorecardSettings | None = None, platform: PlatformSettings | None = None
) -> ScorecardService:
    """The service from ``QSMO_*`` and ``QSMO_SCORECARD_*`` settings; nothing connects yet."""
    return ScorecardService(settings or ScorecardSettings(), platform or PlatformSettings())
