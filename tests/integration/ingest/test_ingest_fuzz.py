"""Property-based fuzzing of request bodies against the real broker.

Whatever the body — arbitrary JSON, mutated events, NaN/Infinity, 1e308, -0.0, huge strings,
wrong types, random bytes or CSV — the answer is never a 5xx, a refused request publishes
nothing, and an accepted one publishes exactly its events.
"""

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest
import qsmo_stack
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ingest_kafka_support import PlainKeys, create_topic, end_offset_total, in_process

from services.ingest.bootstrap import create_app
from services.ingest.ports import EventPublisher
from services.ingest.publisher import KafkaEventPublisher
from services.ingest.settings import IngestSettings
from shared.csv_events import EVENT_FIELDS
from shared.events import AcceptedEvent
from shared.kafka import create_producer
from shared.settings import PlatformSettings


class CountingPublisher(EventPublisher):
    """Wraps the real publisher and counts the events it confirmed."""

    def __init__(self, inner: EventPublisher) -> None:
        self.inner = inner
        self.confirmed = 0

    async def start(self) -> None:
        await self.inner.start()

    async def stop(self) -> None:
        await self.inner.stop()

    async def publish(self, events: Sequence[AcceptedEvent]) -> None:
        await self.inner.publish(events)
        self.confirmed += len(events)

    async def check_ready(self) -> None:
        await self.inner.check_ready()


SPECIAL_NUMBERS = st.sampled_from(
    [
        float("nan"),
        float("inf"),
        float("-inf"),
        1e308,
        -1e308,
        -0.0,
        5e-324,
        10**30,
        -1,
        0,
        1,
        5,
        100,
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | SPECIAL_NUMBERS
    | st.text(max_size=40)
    | st.sampled_from(["", "2024-05-01T12:00:00", "2024-05-01T12:00:00Z", "9999-12-31T23:59:59Z"])
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=16,
)
HUGE_STRINGS = st.sampled_from([2_000, 70_000, 600_000]).map(lambda n: "x" * n)
FIELDS = [*EVENT_FIELDS, "valeu", "events", ""]
MEASURES = st.sampled_from(
    [
        ("customer-satisfaction", 1, 5),
        ("price-transparency", 0, 100),
        ("cost-avoidance", 0, 1e12),
        ("system-resiliency", 0, 100),
    ]
)


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    measure, low, high = draw(MEASURES)
    return {
        "event_id": str(draw(st.uuids())),
        "qsmo": "cybersecurity",
        "measure": measure,
        "value": draw(st.floats(low, high)),
        "occurred_at": draw(
            st.sampled_from(["2024-05-01T12:00:00Z", "2023-01-31T23:59:59.5-05:00"])
        ),
        "attributes": draw(
            st.dictionaries(st.sampled_from(["a", "b.c", "d_e"]), SCALARS, max_size=3)
        ),
    }


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    document = draw(valid_events())
    for _ in range(draw(st.integers(0, 3))):
        field = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            document.pop(field, None)
        else:
            document[field] = draw(JSON_VALUES | HUGE_STRINGS | SPECIAL_NUMBERS)
    return document


def as_json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def as_csv(documents: list[dict[str, Any]]) -> bytes:
    columns = sorted({key for document in documents for key in document if key != "attributes"})
    rows = [",".join(columns)]
    for document in documents:
        cells = [json.dumps(document.get(c, ""), allow_nan=True).strip('"') for c in columns]
        rows.append(",".join(cells))
    return "\n".join(rows).encode()


JSON_BODIES = st.one_of(
    JSON_VALUES.map(as_json),
    mutated_events().map(as_json),
    st.lists(mutated_events(), max_size=25).map(lambda events: as_json({"events": events})),
    st.lists(valid_events(), min_size=1, max_size=25).map(
        lambda events: as_json({"events": events})
    ),
    st.binary(max_size=300),
)
CSV_BODIES = st.one_of(
    st.lists(mutated_events(), min_size=1, max_size=10).map(as_csv),
    st.lists(valid_events(), min_size=1, max_size=10).map(as_csv),
    st.text(max_size=300).map(str.encode),
)
REQUESTS = st.one_of(
    st.tuples(st.just("/v1/events"), st.just("application/json"), JSON_BODIES),
    st.tuples(st.just("/v1/events:csv"), st.just("text/csv"), CSV_BODIES),
)


@pytest.fixture(scope="module")
async def fuzz_target(
    stack: qsmo_stack.Stack,
) -> AsyncIterator[tuple[httpx.AsyncClient, CountingPublisher, str]]:
    topic = f"test.fuzz.{uuid.uuid4().hex[:8]}"
    await create_topic(stack.kafka_bootstrap, topic)
    ingest = IngestSettings(topic=topic, rate_per_s=1e9, burst=10**9)
    platform = PlatformSettings(
        kafka_bootstrap=stack.kafka_bootstrap,
        api_keys_file=stack.api_keys_file,
        mongo_url=stack.mongo_url,
    )
    kafka = KafkaEventPublisher(lambda: create_producer(stack.kafka_bootstrap), topic, timeout_s=10)
    counting = CountingPublisher(kafka)
    async with in_process(create_app(ingest, platform, publisher=counting)) as client:
        yield client, counting, topic


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=REQUESTS)
async def test_no_body_causes_a_5xx_and_refused_requests_publish_nothing(
    fuzz_target: tuple[httpx.AsyncClient, CountingPublisher, str],
    plain_keys: PlainKeys,
    request: tuple[str, str, bytes],
) -> None:
    client, counting, _ = fuzz_target
    path, content_type, body = request
    before = counting.confirmed
    headers = plain_keys.auth() | {"Content-Type": content_type}
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code == 202:
        assert counting.confirmed - before == response.json()["accepted"] > 0
        event(f"accepted {path}")
    else:
        assert response.status_code in (413, 422, 403), response.text
        assert set(response.json()) == {"error"}
        assert counting.confirmed == before
        event(f"{response.status_code} {response.json()['error']['code']}")


async def test_the_topic_holds_exactly_the_confirmed_events(
    fuzz_target: tuple[httpx.AsyncClient, CountingPublisher, str], kafka_bootstrap: str
) -> None:
    _, counting, topic = fuzz_target
    assert await end_offset_total(kafka_bootstrap, topic) == counting.confirmed
