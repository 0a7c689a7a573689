"""The shell every consuming service (measures, scorecard, notifications) runs in.

A worker's work is its background tasks (a Kafka consumer and the like); its HTTP face only
answers health, readiness and metrics. ``create_worker_app`` brackets the worker's life with
the app's lifespan; ``run_worker`` is a service's ``python -m services.<name>``. Each
service's ``bootstrap.py`` builds the worker, a ``ConsumingService`` holding the store and
Kafka clients the three share.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import uvicorn
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from pymongo.errors import PyMongoError

from shared.kafka import connection_options, create_consumer, create_producer
from shared.mongo import create_mongo_client
from shared.observability import ReadinessCheck, health_router
from shared.settings import PlatformSettings, ServiceSettings, WorkerSettings
from shared.structured_logging import configure_logging
from shared.tasks import cancel_and_wait, start_logged

SettingsT = TypeVar("SettingsT", bound=WorkerSettings)
T = TypeVar("T")

log = logging.getLogger(__name__)

START_RETRY_MAX_S = 5.0
"""Longest pause between two attempts of a start-up step (the backoff doubles up to it)."""


async def retry_at_start(
    step: Callable[[], Awaitable[T]],
    what: str,
    *,
    first_backoff_s: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``step()``, tried again while the store or the broker cannot be reached.

    A worker (re)started while the store or Kafka is down (a node restart, the chaos suite's
    "kill the service, then stop the store") waits for them instead of exiting: nothing may
    be there to restart it. Each failed attempt is logged; ``/readyz`` stays unready until
    the worker's consumer runs. Other errors (a bug, bad settings) end the start at once.
    """
    backoff = first_backoff_s
    while True:
        try:
            return await step()
        except (PyMongoError, KafkaError, OSError) as error:
            log.warning(
                "start-up step %s failed (%s: %s); retrying in %.1f s",
                what,
                type(error).__name__,
                error,
                backoff,
            )
            await sleep(backoff)
            backoff = min(backoff * 2, START_RETRY_MAX_S)


class Started(Protocol):
    """A consumer loop (``BatchLoop`` or one wrapping it) that says whether it has started."""

    @property
    def started(self) -> bool: ...


class Worker(Protocol):
    """A consuming service as its shell sees it."""

    @property
    def settings(self) -> ServiceSettings: ...

    @property
    def platform(self) -> PlatformSettings: ...

    @property
    def registry(self) -> CollectorRegistry: ...

    def readiness_checks(self) -> Mapping[str, ReadinessCheck]:
        """What ``/readyz`` runs: the store answers, the background tasks run …"""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ConsumingService(Generic[SettingsT]):
    """Base of a consuming service: its settings, metrics registry, clients and tasks.

    The store's client is made now (it connects lazily); a subclass's ``start`` starts the
    producer (``start_producer``), makes its consumer (``create_consumer``) and runs its loops
    with ``run_in_background``. Ready while the ``consumer`` has started and every task runs;
    ``stop`` cancels the tasks, then closes the producer and the store's client.
    """

    running_check: ClassVar[str] = "consumer"
    """The name of the task check in ``/readyz``."""

    def __init__(self, settings: SettingsT, platform: PlatformSettings) -> None:
        self.settings = settings
        self.platform = platform
        self.registry = CollectorRegistry()
        self.mongo: Any = create_mongo_client(platform.mongo_url)
        self.database: Any = self.mongo[platform.mongo_db]
        self.producer: AIOKafkaProducer | None = None
        self.consumer: Started | None = None
        self.tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        raise NotImplementedError

    async def ping_store(self) -> None:
        await self.database.command("ping")

    async def start_producer(self) -> AIOKafkaProducer:
        """A started producer; waits (``retry_at_start``) while the broker cannot be reached."""
        self.producer = await retry_at_start(self._started_producer, "Kafka producer")
        return self.producer

    async def _started_producer(self) -> AIOKafkaProducer:
        producer = create_producer(
            self.platform.kafka_bootstrap, **connection_options(self.platform)
        )
        try:
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        return producer

    async def prepare_store(self, *steps: Callable[[], Awaitable[None]]) -> None:
        """Run start-up store steps (index creation …), each retried while the store is down."""
        for step in steps:
            await retry_at_start(step, getattr(step, "__qualname__", "store step"))

    def create_consumer(self, group_id: str, max_poll_records: int) -> AIOKafkaConsumer:
        """A consumer in ``group_id`` (not started: the service's batch loop starts it)."""
        return create_consumer(
            self.platform.kafka_bootstrap,
            group_id=group_id,
            max_poll_records=max_poll_records,
            **connection_options(self.platform),
        )

    def run_in_background(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        self.tasks.append(start_logged(coroutine, name))

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        return {"store": self.ping_store, self.running_check: self._check_running}

    async def _check_running(self) -> None:
        if not self.tasks or self.consumer is None or not self.consumer.started:
            raise RuntimeError("the Kafka consumer is not running")
        if any(task.done() for task in self.tasks):
            raise RuntimeError("a background task of the service stopped")

    async def stop(self) -> None:
        await asyncio.gather(*(cancel_and_wait(task) for task in self.tasks))
        if self.producer is not None:
            await self.producer.stop()
        await self.mongo.close()


def create_worker_app(worker: Worker, title: str) -> FastAPI:
    """FastAPI app whose lifespan starts and stops ``worker``, with its health routes."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await worker.start()
        try:
            yield
        finally:
            await worker.stop()

    app = FastAPI(title=title, lifespan=lifespan)
    app.include_router(health_router(worker.registry, worker.readiness_checks()))
    return app


def run_worker(name: str, build: Callable[[], Worker]) -> None:
    """Build the worker from the environment, log as ``name`` and serve until stopped."""
    worker = build()
    configure_logging(name, worker.platform.log_level)
    app = create_worker_app(worker, f"QSMO {name} service")
    uvicorn.run(app, host=worker.settings.host, port=worker.settings.port, log_config=None)
