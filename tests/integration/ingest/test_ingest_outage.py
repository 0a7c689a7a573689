"""A broker outage: 503 with Retry-After while Kafka is down, then the same request is accepted.

Runs its own broker (a private stack on free ports), so stopping it disturbs no other test.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import qsmo_stack
from ingest_kafka_support import PlainKeys, event, in_process, read_topic

from services.ingest.bootstrap import create_app
from services.ingest.settings import IngestSettings
from shared import topics
from shared.settings import PlatformSettings


@pytest.fixture
def private_stack(tmp_path: Path) -> Iterator[qsmo_stack.Stack]:
    stack = qsmo_stack.Stack.with_free_ports(tmp_path / "stack")
    stack.die_with_parent = True
    try:
        stack.ensure_api_keys()
        stack.start_kafka()
        stack.create_topics()
        yield stack
    finally:
        stack.down()


async def _poll_until(
    send: Callable[[], Awaitable[httpx.Response]], status: int, timeout_s: float
) -> httpx.Response:
    """Repeat ``send`` until it answers ``status`` or the deadline passes; the last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = await send()
        if response.status_code == status or time.monotonic() > deadline:
            return response


async def test_broker_down_is_503_and_the_same_request_is_accepted_once_it_is_back(
    private_stack: qsmo_stack.Stack,
) -> None:
    keys = PlainKeys.load(private_stack.plaintext_keys_file)
    platform = PlatformSettings(
        kafka_bootstrap=private_stack.kafka_bootstrap, api_keys_file=private_stack.api_keys_file
    )
    # Kafka only on this stack: no store to read added QSMOs from.
    app = create_app(
        IngestSettings(publish_timeout_s=2, retry_after_s=3, qsmo_refresh_s=0), platform
    )
    body = {"events": [event(event_id=f"outage-{i}") for i in range(20)]}
    async with in_process(app) as client:
        warm = await client.post("/v1/events", json=event(event_id="before"), headers=keys.auth())
        assert warm.status_code == 202, warm.text

        await asyncio.to_thread(private_stack.stop, "kafka")
        started = time.monotonic()
        down = await client.post("/v1/events", json=body, headers=keys.auth())
        assert down.status_code == 503, down.text
        assert time.monotonic() - started < 10, "the deadline bounds the wait"
        assert down.headers["retry-after"] == "3"
        assert down.json()["error"]["code"] == "unavailable"
        assert (await client.get("/readyz")).status_code == 503

        await asyncio.to_thread(private_stack.start_kafka)

        async def send() -> httpx.Response:
            return await client.post("/v1/events", json=body, headers=keys.auth())

        back = await _poll_until(send, 202, timeout_s=90)
        assert back.status_code == 202, back.text
        assert back.json()["event_ids"] == [f"outage-{i}" for i in range(20)]
        ready = await _poll_until(lambda: client.get("/readyz"), 200, timeout_s=30)
        assert ready.status_code == 200, ready.text

    records = await read_topic(private_stack.kafka_bootstrap, topics.EVENTS, expected=21)
    ids = [json.loads(r.value)["event_id"] for r in records]
    # The refused attempt may have been written too: event ids make the repeat harmless.
    assert set(ids) == {"before", *(f"outage-{i}" for i in range(20))}
