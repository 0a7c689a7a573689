"""Composition root of the measures service: settings → clients → adapters → consumer.

The service runs in the consuming services' shell (``shared.worker``).
"""

from collections.abc import Sequence
from datetime import datetime

from services.measures.consumer import events_loop
from services.measures.decoding import RawRecord
from services.measures.handlers import BatchReport, process_batch
from services.measures.metrics import MeasuresMetrics
from services.measures.publisher import KafkaValuePublisher
from services.measures.repository import MongoMeasureRepository
from services.measures.settings import MeasuresSettings
from shared.catalog import load_catalog
from shared.settings import PlatformSettings
from shared.worker import ConsumingService


class MeasuresService(ConsumingService[MeasuresSettings]):
    """Everything the running service holds; ``start``/``stop`` bracket its life."""

    def __init__(self, settings: MeasuresSettings, platform: PlatformSettings) -> None:
        super().__init__(settings, platform)
        self.metrics = MeasuresMetrics(self.registry)
        self.catalog = load_catalog()
        self.repository = MongoMeasureRepository(
            self.database,
            max_cached_states=settings.state_cache_max_states,
            metrics=self.metrics,
        )

    async def start(self) -> None:
        settings = self.settings
        await self.prepare_store(self.repository.create_indexes)
        publisher = KafkaValuePublisher(
            await self.start_producer(), settings.values_topic, settings.dlq_topic
        )

        async def process(records: Sequence[RawRecord], now: datetime) -> BatchReport:
            return await process_batch(
                records,
                repository=self.repository,
                publisher=publisher,
                catalog=self.catalog,
                now=now,
            )

        consumer = events_loop(
            self.create_consumer(settings.group_id, settings.max_batch_records),
            settings.events_topic,
            process,
            self.metrics,
            max_records=settings.max_batch_records,
            linger_ms=settings.batch_linger_ms,
            poll_timeout_ms=settings.poll_timeout_ms,
            retry_backoff_s=settings.retry_backoff_s,
            forget_states=self.repository.forget_cached_states,
            warm_states=self.repository.warm,
        )
        self.consumer = consumer
        self.run_in_background(consumer.run(), "measures-consumer")


def build(
    settings: MeasuresSettings | None = None, platform: PlatformSettings | None = None
) -> MeasuresService:
    """The service from ``QSMO_*`` and ``QSMO_MEASURES_*`` settings; nothing connects yet."""
    return MeasuresService(settings or MeasuresSettings(), platform or PlatformSettings())
