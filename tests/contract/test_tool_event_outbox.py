"""One suite, two outbox sources: in memory and a collection on the real store.

Owed events are published once per sweep or flush, then taken off the document; an entry owed
after the read stays; a failed publish leaves everything pending for the next sweep.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from gateway.metrics import GatewayMetrics
from gateway.provider_tools.events import (
    PENDING_EVENTS,
    InMemoryOutboxSource,
    InMemoryToolEventPublisher,
    MongoOutboxSource,
    ToolEventOutbox,
)
from shared.events import AcceptedEvent

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
LATER = datetime(2025, 3, 1, 12, 5, tzinfo=UTC)


def _entry(event_id: str, value: float = 4.0) -> dict[str, Any]:
    return AcceptedEvent(
        event_id=event_id,
        qsmo="financial-management",
        measure="best-practices-self-assessment",
        value=value,
        occurred_at=NOW,
        provider="doi-ibc",
        source="self-assessment",
        ingested_at=NOW,
        request_id="tool:self-assessment:x",
    ).model_dump(mode="json")


class Owing:
    """Writes owed events the way each backend's stores do."""

    def __init__(self, source: Any, collection: Any | None) -> None:
        self.source = source
        self._collection = collection

    async def owe(self, doc_id: str, *entries: dict[str, Any]) -> None:
        if self._collection is None:
            self.source.owe(doc_id, entries)
            return
        await self._collection.update_one(
            {"_id": doc_id},
            {"$push": {PENDING_EVENTS: {"$each": list(entries)}}, "$set": {"status": "x"}},
            upsert=True,
        )


@pytest.fixture(params=["in-memory", "mongo"])
def owing(request: pytest.FixtureRequest) -> Owing:
    if request.param == "in-memory":
        return Owing(InMemoryOutboxSource(), None)
    collection = request.getfixturevalue("mongo_db")["tool_docs"]
    return Owing(MongoOutboxSource(collection), collection)


def _outbox(owing: Owing, publisher: InMemoryToolEventPublisher) -> ToolEventOutbox:
    return ToolEventOutbox(
        publisher,
        [("self-assessment", owing.source)],
        clock=lambda: LATER,
        metrics=GatewayMetrics(CollectorRegistry()),
    )


async def test_flush_publishes_one_documents_events_once(owing: Owing) -> None:
    publisher = InMemoryToolEventPublisher()
    outbox = _outbox(owing, publisher)
    await owing.owe("a", _entry("e1"), _entry("e2"))
    await owing.owe("b", _entry("e3"))
    assert await outbox.flush("self-assessment", "a") == 2
    assert [e.event_id for e in publisher.events] == ["e1", "e2"]
    assert all(e.ingested_at == LATER for e in publisher.events)
    assert await outbox.flush("self-assessment", "a") == 0
    assert [d.doc_id for d in await owing.source.pending()] == ["b"]


async def test_sweep_publishes_everything_pending_then_nothing(owing: Owing) -> None:
    publisher = InMemoryToolEventPublisher()
    outbox = _outbox(owing, publisher)
    await owing.owe("a", _entry("e1"))
    await owing.owe("b", _entry("e2"), _entry("e3"))
    assert await outbox.sweep() == 3
    assert sorted(e.event_id for e in publisher.events) == ["e1", "e2", "e3"]
    assert await owing.source.pending() == []
    assert await outbox.sweep() == 0


async def test_a_failed_publish_leaves_the_events_for_the_next_sweep(owing: Owing) -> None:
    publisher = InMemoryToolEventPublisher()
    outbox = _outbox(owing, publisher)
    await owing.owe("a", _entry("e1"))
    publisher.available = False
    assert await outbox.flush("self-assessment", "a") == 0
    assert await outbox.sweep() == 0
    assert [d.doc_id for d in await owing.source.pending()] == ["a"]
    publisher.available = True
    assert await outbox.sweep() == 1
    assert [e.event_id for e in publisher.events] == ["e1"]


async def test_an_entry_owed_after_the_read_stays_pending(owing: Owing) -> None:
    await owing.owe("a", _entry("e1"))
    [document] = await owing.source.pending("a")
    await owing.owe("a", _entry("e2"))
    await owing.source.remove_published("a", document.events)
    [left] = await owing.source.pending("a")
    assert [e["event_id"] for e in left.events] == ["e2"]
