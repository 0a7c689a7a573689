"""Composition root of the measures service: settings → clients → adapters → consumer."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from services.measures.consumer import events_loop
from services.measures.decoding import RawRecord
from services.measures.handlers import BatchReport, process_batch
from services.measures.metrics import MeasuresMetrics
from services.measures.publisher import KafkaValuePublisher
from services.measures.repository import MongoMeasureRepository
from services.measures.settings import MeasuresSettings
from shared.batch_consumer import BatchLoop, require_running
from shared.catalog import load_catalog
from shared.kafka import connection_options, create_consumer, create_producer
from shared.mongo import create_mongo_client
from shared.settings import PlatformSettings
from shared.tasks import cancel_and_wait, start_logged

log = logging.getLogger(__name__)


@dataclass
class MeasuresService:
    """Everything the running service holds; ``start``/``stop`` bracket its life."""

    settings: MeasuresSettings
    platform: PlatformSettings
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    mongo: Any = None
    producer: AIOKafkaProducer | None = None
    repository: MongoMeasureRepository = field(init=False)
    consumer: BatchLoop[BatchReport] | None = None
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.metrics = MeasuresMetrics(self.registry)
        self.catalog = load_catalog()
        self.mongo = create_mongo_client(self.platform.mongo_url)
        self.repository = MongoMeasureRepository(self.mongo[self.platform.mongo_db])

    async def start(self) -> None:
        await self.repository.create_indexes()
        self.producer = create_producer(
            self.platform.kafka_bootstrap, **connection_options(self.platform)
        )
        await self.producer.start()
        publisher = KafkaValuePublisher(
            self.producer, self.settings.values_topic, self.settings.dlq_topic
        )

        async def process(records: Sequence[RawRecord], now: datetime) -> BatchReport:
            return await process_batch(
                records,
                repository=self.repository,
                publisher=publisher,
                catalog=self.catalog,
                now=now,
            )

        self.consumer = events_loop(
            create_consumer(
                self.platform.kafka_bootstrap,
                group_id=self.settings.group_id,
                max_poll_records=self.settings.max_batch_records,
                **connection_options(self.platform),
            ),
            self.settings.events_topic,
            process,
            self.metrics,
            max_records=self.settings.max_batch_records,
            poll_timeout_ms=self.settings.poll_timeout_ms,
            retry_backoff_s=self.settings.retry_backoff_s,
            forget_states=self.repository.forget_cached_states,
            warm_states=self.repository.warm,
        )
        self.task = start_logged(self.consumer.run(), "measures-consumer")

    def check_running(self) -> None:
        require_running(self.task, self.consumer)

    async def stop(self) -> None:
        await cancel_and_wait(self.task)
        if self.producer is not None:
            await self.producer.stop()
        await self.mongo.close()


def build(
    settings: MeasuresSettings | None = None, platform: PlatformSettings | None = None
) -> MeasuresService:
    """The service from ``QSMO_*`` and ``QSMO_MEASURES_*`` settings; nothing connects yet."""
    return MeasuresService(settings or MeasuresSettings(), platform or PlatformSettings())
