"""``accept_events`` with the in-memory publisher: all or nothing, and why not."""

import json
from typing import Any

import pytest
from ingest_support import NOW, FakeClock, event, events

from services.ingest.errors import (
    ForbiddenError,
    InvalidEventsError,
    ThrottledError,
    UnavailableError,
)
from services.ingest.handlers import IngestContext, accept_events, duplicate_ids
from services.ingest.publisher import InMemoryEventPublisher
from services.ingest.rate_limit import RateLimiter
from services.ingest.validation import Submission, parse_json_body
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog
from shared.events import AcceptedEvent

PUBLISHER = Principal(
    key_id="dev-publisher-cybersecurity", role=Role.PUBLISHER, qsmo="cybersecurity"
)
ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)
VIEWER = Principal(key_id="dev-viewer", role=Role.VIEWER)


@pytest.fixture
def publisher() -> InMemoryEventPublisher:
    return InMemoryEventPublisher()


@pytest.fixture
def context(publisher: InMemoryEventPublisher) -> IngestContext:
    return IngestContext(
        catalog=load_catalog(),
        publisher=publisher,
        limiter=RateLimiter(rate_per_s=10, burst=20),
        clock=FakeClock(),
        retry_after_s=7,
    )


def submit(*documents: Any) -> Submission:
    return parse_json_body(json.dumps({"events": list(documents)}).encode(), 1000)


async def test_accepted_events_are_published_with_ingest_time_and_request_id(
    context: IngestContext, publisher: InMemoryEventPublisher
) -> None:
    batch = await accept_events(submit(*events(3)), PUBLISHER, "req-1", context)
    assert batch.event_ids == ("cyber-0000", "cyber-0001", "cyber-0002")
    assert [e.event_id for e in publisher.published] == list(batch.event_ids)
    first = publisher.published[0]
    assert isinstance(first, AcceptedEvent)
    assert (first.ingested_at, first.request_id, first.value) == (NOW, "req-1", 4.5)


async def test_one_bad_event_publishes_nothing_and_lists_every_problem(
    context: IngestContext, publisher: InMemoryEventPublisher
) -> None:
    documents = [
        event(event_id="a"),
        event(event_id="b", value=7),  # outside 1..5
        event(event_id="c", measure="customer-satisfacton"),  # typo
        event(event_id="d", occurred_at="2024-06-01T13:00:00Z"),  # an hour in the future
        event(event_id="e", value="x"),  # type error
    ]
    with pytest.raises(InvalidEventsError) as caught:
        await accept_events(submit(*documents), PUBLISHER, "req", context)
    found = [(d.index, d.event_id, d.field, d.code) for d in caught.value.details]
    assert found == [
        (1, "b", "value", "value_out_of_range"),
        (2, "c", "measure", "unknown_measure"),
        (3, "d", "occurred_at", "timestamp_in_future"),
        (4, "e", "value", "wrong_type"),
    ]
    assert "4 of 5 event(s) are invalid" in caught.value.message
    assert "did you mean 'customer-satisfaction'" in caught.value.details[1].message
    assert publisher.published == []


async def test_repeated_event_ids_in_one_request_are_refused(context: IngestContext) -> None:
    with pytest.raises(InvalidEventsError) as caught:
        await accept_events(submit(event(), event(value=2)), PUBLISHER, "req", context)
    [detail] = caught.value.details
    assert (detail.index, detail.code) == (1, "duplicate_event_id")
    assert "already used by event 0" in detail.message


def test_duplicate_ids_reports_every_repeat_after_the_first() -> None:
    found = duplicate_ids(["a", "b", "a", None, None, "a"])
    assert [(d.index, d.event_id) for d in found] == [(2, "a"), (5, "a")]


async def test_publishers_send_only_for_their_qsmo_admins_for_any(
    context: IngestContext, publisher: InMemoryEventPublisher
) -> None:
    mixed = submit(event(), event(event_id="g-1", qsmo="grants-management"))
    with pytest.raises(ForbiddenError) as caught:
        await accept_events(mixed, PUBLISHER, "req", context)
    assert [(d.index, d.event_id, d.code) for d in caught.value.details] == [
        (1, "g-1", "qsmo_not_allowed")
    ]
    assert publisher.published == []
    await accept_events(mixed, ADMIN, "req", context)
    assert len(publisher.published) == 2
    with pytest.raises(ForbiddenError, match="viewer key"):
        await accept_events(submit(event()), VIEWER, "req", context)


async def test_rate_is_per_key_in_events_and_refusals_say_when_to_retry(
    context: IngestContext, publisher: InMemoryEventPublisher
) -> None:
    await accept_events(submit(*events(20)), PUBLISHER, "r1", context)
    with pytest.raises(ThrottledError) as caught:
        await accept_events(submit(*events(5)), PUBLISHER, "r2", context)
    assert caught.value.retry_after_s == 1  # 5 tokens at 10/s
    assert caught.value.headers() == {"Retry-After": "1"}
    await accept_events(submit(*events(5)), ADMIN, "r3", context)  # another key's bucket
    assert isinstance(context.clock, FakeClock)
    context.clock.advance(0.5)
    await accept_events(submit(*events(5)), PUBLISHER, "r4", context)
    assert len(publisher.published) == 30


async def test_an_unavailable_broker_is_503_and_nothing_is_reported_accepted(
    context: IngestContext, publisher: InMemoryEventPublisher
) -> None:
    publisher.available = False
    with pytest.raises(UnavailableError) as caught:
        await accept_events(submit(event()), PUBLISHER, "req", context)
    assert caught.value.status == 503
    assert caught.value.headers() == {"Retry-After": "7"}
    assert "same event_ids" in caught.value.message
