"""The tool-event outbox: how a provider tool's decisions reach the measures pipeline.

A tool (the self-assessment, the survey) owes events when its state changes (an assessment is
accepted, a wave closes). It writes them **in the same single-document update** as that
change, as ``pending_events`` on the document (``AcceptedEvent`` dicts in JSON mode, built and
checked by ``owed_event``). ``ToolEventOutbox`` then publishes them on ``qsmo.events.v1`` —
exactly as ingest does, keyed ``"<qsmo>|<measure>"`` — and pulls the published entries:

- ``flush(name, doc_id)`` right after the mutation (a failure is only logged);
- ``run()`` sweeps every source every ``interval_s`` and publishes whatever is still pending.

A crash between the state write and the publish, or between the publish and the pull, only
means the next sweep publishes again; the measures service counts each ``event_id`` once,
forever, and tool event ids are derived from the document, so nothing counts twice.

Sources are ``(name, OutboxSource)`` pairs; ``MongoOutboxSource(collection)`` adapts a
collection whose documents carry ``pending_events``; in-memory stores implement the two
methods themselves.
"""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aiokafka import AIOKafkaProducer

from gateway.metrics import GatewayMetrics
from shared.domain.catalog import Catalog
from shared.domain.providers import ProviderRegistry
from shared.domain.validation import FieldError, validate_observation, validate_provider
from shared.events import EVENT_SCHEMA_VERSION, AcceptedEvent
from shared.topics import event_key

__all__ = [
    "PENDING_EVENTS",
    "InMemoryOutboxSource",
    "InMemoryToolEventPublisher",
    "KafkaToolEventPublisher",
    "MongoOutboxSource",
    "OutboxSource",
    "PendingDocument",
    "ToolEventInvalidError",
    "ToolEventOutbox",
    "ToolEventPublisher",
    "owed_event",
]
log = logging.getLogger(__name__)

PENDING_EVENTS = "pending_events"
"""The document field holding the events a tool owes (JSON-mode ``AcceptedEvent`` dicts)."""
RETRY_S = 2.0
PUBLISH_TIMEOUT_S = 10.0
SWEEP_BATCH = 200

JsonEvent = dict[str, Any]


class ToolEventInvalidError(ValueError):
    """An event a tool would owe breaks a catalog rule (a bug or a stale catalog)."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = tuple(errors)


def owed_event(
    catalog: Catalog,
    registry: ProviderRegistry,
    *,
    tool: str,
    doc_id: str,
    event_id: str,
    qsmo: str,
    measure: str,
    value: float,
    occurred_at: datetime,
    now: datetime,
    provider: str | None = None,
    agency: str | None = None,
    known_qsmos: Sequence[str] | None = None,
) -> JsonEvent:
    """The ``pending_events`` entry for one event a tool owes, checked as ingest checks events.

    ``request_id`` is ``tool:<tool>:<doc id>``, ``source`` the tool's name; ``ingested_at`` is
    ``now`` here and replaced by the publish time when the outbox publishes it. Raises
    ``ToolEventInvalidError`` when the catalog refuses the observation or the provider.
    """
    errors = validate_observation(
        catalog,
        qsmo=qsmo,
        measure=measure,
        value=value,
        occurred_at=occurred_at,
        now=now,
        known_qsmos=known_qsmos,
        framework_version=catalog.framework_for_measure(measure).version,
    )
    errors += validate_provider(registry, provider=provider, qsmo=qsmo)
    if errors:
        raise ToolEventInvalidError(errors)
    event = AcceptedEvent(
        schema_version=EVENT_SCHEMA_VERSION,
        event_id=event_id,
        qsmo=qsmo,
        measure=measure,
        value=float(value),
        occurred_at=occurred_at,
        agency=agency,
        provider=provider,
        source=tool,
        ingested_at=now,
        request_id=f"tool:{tool}:{doc_id}",
    )
    return event.model_dump(mode="json")


class ToolEventPublisher(Protocol):
    """Publishes events on the events topic; returns once the broker acknowledged them."""

    async def publish_tool_events(self, events: Sequence[AcceptedEvent]) -> None: ...


class KafkaToolEventPublisher:
    """Publishes on ``qsmo.events.v1`` with an idempotent ``acks=all`` producer.

    The producer connects in the background and keeps trying while Kafka is away; until then
    a publish fails and the events stay pending for the next sweep.
    """

    def __init__(self, make_producer: Callable[[], AIOKafkaProducer], topic: str) -> None:
        self._make_producer = make_producer
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._producer is not None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._connect(), name="gateway-tool-event-producer")

    async def _connect(self) -> None:
        while True:
            producer = self._make_producer()
            try:
                await producer.start()
                self._producer = producer
                return
            except Exception as error:  # Kafka away: keep trying in the background
                log.warning("tool-event producer cannot connect", extra={"error": str(error)})
                with contextlib.suppress(Exception):
                    await producer.stop()
                await asyncio.sleep(RETRY_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def publish_tool_events(self, events: Sequence[AcceptedEvent]) -> None:
        producer = self._producer
        if producer is None:
            raise RuntimeError("the Kafka producer is not connected yet")
        async with asyncio.timeout(PUBLISH_TIMEOUT_S):
            sent = [
                await producer.send(
                    self._topic,
                    event.model_dump_json().encode(),
                    key=event_key(event.qsmo, event.measure),
                )
                for event in events
            ]
            for delivery in sent:
                await delivery


class InMemoryToolEventPublisher:
    """Keeps published events, for tests; ``available = False`` simulates Kafka away."""

    def __init__(self) -> None:
        self.events: list[AcceptedEvent] = []
        self.available = True

    async def publish_tool_events(self, events: Sequence[AcceptedEvent]) -> None:
        if not self.available:
            raise RuntimeError("the in-memory broker is switched off")
        self.events.extend(events)


@dataclass(frozen=True)
class PendingDocument:
    """One document's owed events, as stored."""

    doc_id: str
    events: tuple[JsonEvent, ...]


class OutboxSource(Protocol):
    """Where a tool keeps documents with ``pending_events``."""

    async def pending(
        self, doc_id: str | None = None, limit: int = SWEEP_BATCH
    ) -> list[PendingDocument]:
        """Documents with owed events (only ``doc_id``'s when given), at most ``limit``."""
        ...

    async def remove_published(self, doc_id: str, events: Sequence[JsonEvent]) -> None:
        """Take these published entries off the document's ``pending_events``."""
        ...


class MongoOutboxSource:
    """``OutboxSource`` over a collection whose documents may carry ``pending_events``."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    async def pending(
        self, doc_id: str | None = None, limit: int = SWEEP_BATCH
    ) -> list[PendingDocument]:
        query: dict[str, Any] = {f"{PENDING_EVENTS}.0": {"$exists": True}}
        if doc_id is not None:
            query["_id"] = doc_id
        cursor = self._collection.find(query, {PENDING_EVENTS: 1}).sort("_id", 1).limit(limit)
        return [
            PendingDocument(str(d["_id"]), tuple(d.get(PENDING_EVENTS) or ()))
            for d in await cursor.to_list()
        ]

    async def remove_published(self, doc_id: str, events: Sequence[JsonEvent]) -> None:
        # Pull the exact entries read (``$pullAll``: FerretDB matches whole documents there,
        # not ``$pull`` conditions): an entry owed meanwhile stays.
        await self._collection.update_one(
            {"_id": doc_id}, {"$pullAll": {PENDING_EVENTS: list(events)}}
        )


class InMemoryOutboxSource:
    """``OutboxSource`` over a dict of document id → pending entries (for tests)."""

    def __init__(self) -> None:
        self.documents: dict[str, list[JsonEvent]] = {}

    def owe(self, doc_id: str, events: Sequence[JsonEvent]) -> None:
        self.documents.setdefault(doc_id, []).extend(events)

    async def pending(
        self, doc_id: str | None = None, limit: int = SWEEP_BATCH
    ) -> list[PendingDocument]:
        found = [
            PendingDocument(key, tuple(events))
            for key, events in sorted(self.documents.items())
            if events and (doc_id is None or key == doc_id)
        ]
        return found[:limit]

    async def remove_published(self, doc_id: str, events: Sequence[JsonEvent]) -> None:
        self.documents[doc_id] = [e for e in self.documents.get(doc_id, []) if e not in events]


class ToolEventOutbox:
    """Publishes the events tools owe, right away (``flush``) and by sweeping (``run``)."""

    def __init__(
        self,
        publisher: ToolEventPublisher,
        sources: Sequence[tuple[str, OutboxSource]],
        *,
        clock: Callable[[], datetime],
        interval_s: float = 5.0,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._publisher = publisher
        self._sources: Mapping[str, OutboxSource] = dict(sources)
        self._clock = clock
        self._interval_s = interval_s
        self._metrics = metrics
        self._task: asyncio.Task[None] | None = None

    @property
    def tools(self) -> tuple[str, ...]:
        return tuple(self._sources)

    @property
    def publisher(self) -> ToolEventPublisher:
        return self._publisher

    async def flush(self, name: str, doc_id: str) -> int:
        """Publish ``doc_id``'s pending events now; the number published (0 on failure,
        which is only logged: the sweep tries again)."""
        try:
            documents = await self._sources[name].pending(doc_id)
            return sum([await self._publish(name, document) for document in documents])
        except Exception as error:
            log.warning(
                "tool events not published yet; the sweep retries",
                extra={"tool": name, "doc_id": doc_id, "error": str(error)},
            )
            return 0

    async def sweep(self) -> int:
        """One pass over every source: publish what is pending; the number published."""
        published = 0
        for name, source in self._sources.items():
            left = 0
            try:
                for document in await source.pending():
                    try:
                        published += await self._publish(name, document)
                    except Exception as error:
                        left += len(document.events)
                        log.warning(
                            "tool events not published; next sweep retries",
                            extra={"tool": name, "doc_id": document.doc_id, "error": str(error)},
                        )
            except Exception as error:  # store away: try again next sweep
                log.warning("outbox sweep cannot read", extra={"tool": name, "error": str(error)})
            if self._metrics is not None:
                self._metrics.tool_events_pending.labels(kind=name).set(left)
        return published

    async def run(self) -> None:
        """Sweep every ``interval_s`` until cancelled."""
        while True:
            await self.sweep()
            await asyncio.sleep(self._interval_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="gateway-tool-event-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _publish(self, name: str, document: PendingDocument) -> int:
        if not document.events:
            return 0
        now = self._clock()
        events = [
            AcceptedEvent.model_validate_json(json.dumps(entry)).model_copy(
                update={"ingested_at": now}
            )
            for entry in document.events
        ]
        await self._publisher.publish_tool_events(events)
        await self._sources[name].remove_published(document.doc_id, document.events)
        if self._metrics is not None:
            self._metrics.tool_events_published.labels(kind=name).inc(len(events))
        return len(events)
