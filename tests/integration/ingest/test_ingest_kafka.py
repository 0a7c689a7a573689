"""The ingest app in-process against the real broker: what lands on the topic, and what not."""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import qsmo_stack
from aiokafka.partitioner import DefaultPartitioner
from fastapi import FastAPI
from ingest_kafka_support import (
    PARTITIONS,
    PlainKeys,
    create_topic,
    end_offset_total,
    event,
    in_process,
    read_topic,
)

from services.ingest.bootstrap import create_app
from services.ingest.settings import IngestSettings
from shared.events import AcceptedEvent, PerformanceEvent
from shared.settings import PlatformSettings


def ingest_app(stack: qsmo_stack.Stack, **settings: Any) -> FastAPI:
    platform = PlatformSettings(
        kafka_bootstrap=stack.kafka_bootstrap,
        api_keys_file=stack.api_keys_file,
        mongo_url=stack.mongo_url,
    )
    return create_app(IngestSettings(**settings), platform)


@pytest.fixture
async def topic(kafka_bootstrap: str, unique_topic: str) -> str:
    await create_topic(kafka_bootstrap, unique_topic)
    return unique_topic


@pytest.fixture
async def client(stack: qsmo_stack.Stack, topic: str) -> AsyncIterator[httpx.AsyncClient]:
    app = ingest_app(stack, topic=topic, max_events=5, burst=5, rate_per_s=0.01)
    async with in_process(app) as running:
        yield running


async def test_the_published_message_is_the_validated_event_plus_ingest_fields(
    client: httpx.AsyncClient, plain_keys: PlainKeys, kafka_bootstrap: str, topic: str
) -> None:
    documents = [
        event(
            event_id="m-1",
            agency="DOI",
            source="survey-tool",
            attributes={"wave": 3, "final": True},
        ),
        event(
            event_id="m-2",
            measure="customer-engagement",
            value=12,
            occurred_at="2024-05-01T08:00:00Z",
        ),
        event(event_id="m-3", value=1),
    ]
    before = datetime.now(UTC)
    response = await client.post(
        "/v1/events", json={"events": documents}, headers=plain_keys.auth()
    )
    after = datetime.now(UTC)
    assert response.status_code == 202, response.text
    request_id = response.headers["x-request-id"]

    records = await read_topic(kafka_bootstrap, topic, expected=3)
    assert len(records) == 3
    by_id = {json.loads(r.value)["event_id"]: r for r in records}
    for document in documents:
        record = by_id[document["event_id"]]
        assert record.topic == topic
        assert record.key == f"{document['qsmo']}|{document['measure']}".encode()
        # The producer's default (Java-compatible murmur2) partition of the key.
        partition_ids = list(range(PARTITIONS))
        assert record.partition == DefaultPartitioner()(record.key, partition_ids, partition_ids)
        published = AcceptedEvent.model_validate_json(record.value)
        validated = PerformanceEvent.model_validate_json(json.dumps(document))
        assert published.model_dump(exclude={"ingested_at", "request_id"}) == validated.model_dump()
        assert published.request_id == request_id
        assert before <= published.ingested_at <= after
    same_key = {by_id["m-1"].partition, by_id["m-3"].partition}
    assert len(same_key) == 1, "one QSMO-measure pair lives on one partition"


async def test_every_refusal_leaves_the_topic_untouched(
    client: httpx.AsyncClient, plain_keys: PlainKeys, kafka_bootstrap: str, topic: str
) -> None:
    json_type = {"Content-Type": "application/json"}
    viewer = {"Authorization": f"Bearer {plain_keys.viewer}"}
    refusals = {
        401: [await client.post("/v1/events", json=event())],
        403: [
            await client.post("/v1/events", json=event(), headers=viewer),
            await client.post(
                "/v1/events", json=event(qsmo="grants-management"), headers=plain_keys.auth()
            ),
        ],
        413: [
            await client.post(
                "/v1/events",
                json={"events": [event(event_id=f"e{i}") for i in range(6)]},
                headers=plain_keys.auth(),
            ),
            await client.post(
                "/v1/events",
                content=b" " * (1024 * 1024 + 1),
                headers=plain_keys.auth() | json_type,
            ),
        ],
        415: [
            await client.post(
                "/v1/events",
                content=b"{}",
                headers=plain_keys.auth() | {"Content-Type": "text/plain"},
            )
        ],
        422: [
            await client.post("/v1/events", json=event(value=99), headers=plain_keys.auth()),
            await client.post("/v1/events", content=b"{", headers=plain_keys.auth() | json_type),
        ],
    }
    for status, responses in refusals.items():
        for response in responses:
            assert response.status_code == status, response.text
    assert await end_offset_total(kafka_bootstrap, topic) == 0

    admin = {"Authorization": f"Bearer {plain_keys.admin}"}  # a fresh bucket of 5 events
    full = {"events": [event(event_id=f"ok-{i}") for i in range(5)]}
    assert (await client.post("/v1/events", json=full, headers=admin)).status_code == 202
    throttled = await client.post("/v1/events", json=event(event_id="late"), headers=admin)
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert await end_offset_total(kafka_bootstrap, topic) == 5


async def test_503_when_kafka_cannot_confirm_in_time_then_202_once_it_can(
    stack: qsmo_stack.Stack, plain_keys: PlainKeys, kafka_bootstrap: str
) -> None:
    missing = f"test.missing.{uuid.uuid4().hex[:8]}"  # auto-creation is off: sends wait
    app = ingest_app(stack, topic=missing, publish_timeout_s=1, retry_after_s=2)
    body = {"events": [event(event_id=f"late-{i}") for i in range(3)]}
    async with in_process(app) as client:
        started = time.monotonic()
        response = await client.post("/v1/events", json=body, headers=plain_keys.auth())
        assert response.status_code == 503, response.text
        assert time.monotonic() - started < 10
        assert response.headers["retry-after"] == "2"
        assert response.json()["error"]["code"] == "unavailable"
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert missing in ready.text

        await create_topic(kafka_bootstrap, missing)
        deadline = time.monotonic() + 30
        while response.status_code == 503 and time.monotonic() < deadline:
            response = await client.post("/v1/events", json=body, headers=plain_keys.auth())
        assert response.status_code == 202, response.text
        assert response.json()["event_ids"] == ["late-0", "late-1", "late-2"]
        assert (await client.get("/readyz")).status_code == 200
        metrics = (await client.get("/metrics")).text
        assert 'qsmo_ingest_producer_errors_total{reason="timeout"}' in metrics
    records = await read_topic(kafka_bootstrap, missing, expected=3)
    assert {json.loads(r.value)["event_id"] for r in records} == {"late-0", "late-1", "late-2"}


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def test_a_broker_unreachable_at_start_is_connected_to_once_it_answers(
    stack: qsmo_stack.Stack, plain_keys: PlainKeys, kafka_bootstrap: str, topic: str
) -> None:
    """Bootstrap through a port that nothing listens on yet, then open it (a TCP relay)."""
    port = qsmo_stack.free_port()
    app = create_app(
        IngestSettings(topic=topic, reconnect_s=0.2),
        PlatformSettings(
            kafka_bootstrap=f"127.0.0.1:{port}",
            api_keys_file=stack.api_keys_file,
            mongo_url=stack.mongo_url,
        ),
    )
    kafka_host, kafka_port = kafka_bootstrap.split(":")

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(
            kafka_host, int(kafka_port)
        )
        await asyncio.gather(_forward(reader, upstream_writer), _forward(upstream_reader, writer))

    async with in_process(app) as client:
        assert (await client.get("/readyz")).status_code == 503
        refused = await client.post("/v1/events", json=event(), headers=plain_keys.auth())
        assert refused.status_code == 503
        server = await asyncio.start_server(relay, "127.0.0.1", port)
        try:
            deadline = time.monotonic() + 30
            while (await client.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "never connected"
                await asyncio.sleep(0.1)
            accepted = await client.post("/v1/events", json=event(), headers=plain_keys.auth())
            assert accepted.status_code == 202, accepted.text
        finally:
            server.close()
            await server.wait_closed()
