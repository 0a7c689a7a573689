"""The real thing: ``python -m services.ingest`` as ``make up`` runs it, over HTTP on its port."""

import asyncio
import json
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import qsmo_stack
from ingest_kafka_support import PlainKeys, create_topic, event, read_topic


@dataclass(frozen=True)
class Server:
    label: str
    url: str
    topic: str
    log_file: Path


def start_server(stack: qsmo_stack.Stack, **env: str) -> Server:
    topic = f"test.server.{uuid.uuid4().hex[:8]}"
    asyncio.run(create_topic(stack.kafka_bootstrap, topic))
    port = qsmo_stack.free_port()
    instance = f"-it-{uuid.uuid4().hex[:6]}"
    extra = {"QSMO_INGEST_TOPIC": topic, "QSMO_INGEST_PORT": str(port), **env}
    stack.start_service("ingest", extra_env=extra, instance=instance)
    label = f"ingest{instance}"
    return Server(label, f"http://127.0.0.1:{port}", topic, stack.logs / f"{label}.log")


@pytest.fixture(scope="module")
def server(stack: qsmo_stack.Stack) -> Iterator[Server]:
    running = start_server(stack)
    try:
        yield running
    finally:
        stack.stop(running.label)


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


async def test_json_and_csv_events_land_on_the_topic(
    http: httpx.AsyncClient, server: Server, plain_keys: PlainKeys, kafka_bootstrap: str
) -> None:
    batch = {"events": [event(event_id=f"srv-{i}", value=1 + i % 5) for i in range(10)]}
    response = await http.post("/v1/events", json=batch, headers=plain_keys.auth())
    assert response.status_code == 202, response.text
    csv = (
        "event_id,qsmo,measure,value,occurred_at,attributes.site\n"
        "srv-csv-1,cybersecurity,customer-engagement,3,2024-05-01T09:00:00Z,east\n"
    )
    headers = plain_keys.auth() | {"Content-Type": "text/csv"}
    assert (await http.post("/v1/events:csv", content=csv, headers=headers)).status_code == 202
    records = await read_topic(kafka_bootstrap, server.topic, expected=11)
    values = [json.loads(r.value) for r in records]
    assert sorted(v["event_id"] for v in values) == sorted(
        [*(f"srv-{i}" for i in range(10)), "srv-csv-1"]
    )
    assert {v["request_id"] for v in values} == {
        response.headers["x-request-id"],
        next(v["request_id"] for v in values if v["event_id"] == "srv-csv-1"),
    }


async def test_errors_over_real_http(http: httpx.AsyncClient, plain_keys: PlainKeys) -> None:
    missing = await http.post("/v1/events", json=event())
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    big = b'{"events": [' + b" " * (1024 * 1024) + b"]}"
    too_big = await http.post(
        "/v1/events", content=big, headers=plain_keys.auth() | {"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"
    invalid = await http.post("/v1/events", json=event(measure="nope"), headers=plain_keys.auth())
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"][0]["code"] == "unknown_measure"


async def test_operations_endpoints_and_request_log(
    http: httpx.AsyncClient, server: Server, plain_keys: PlainKeys
) -> None:
    accepted = await http.post(
        "/v1/events", json=event(event_id="log-me"), headers=plain_keys.auth()
    )
    assert accepted.status_code == 202
    assert (await http.get("/healthz")).status_code == 200
    assert (await http.get("/readyz")).json()["status"] == "ready"
    assert "qsmo_ingest_events_total" in (await http.get("/metrics")).text
    assert (await http.get("/openapi.json")).json()["info"]["title"] == "QSMO ingest API"
    assert "swagger" in (await http.get("/docs")).text.lower()
    request_id = accepted.headers["x-request-id"]
    lines = [
        json.loads(line)
        for line in server.log_file.read_text().splitlines()
        if line.startswith("{")
    ]
    [logged] = [line for line in lines if line.get("request_id") == request_id]
    assert (logged["key_id"], logged["status"], logged["service"]) == (
        "dev-publisher-cybersecurity",
        202,
        "ingest",
    )
    assert plain_keys.publishers["cybersecurity"] not in server.log_file.read_text()


def test_sigterm_shuts_the_server_down_gracefully(stack: qsmo_stack.Stack) -> None:
    running = start_server(stack)
    process = stack.processes[running.label]
    stack.stop(running.label)  # SIGTERM; SIGKILL only after 20 s
    # uvicorn finishes in-flight requests and the lifespan (producer flush), then re-raises
    # the signal so that supervisors see why it stopped.
    assert process.returncode in (0, -signal.SIGTERM)
    messages = [json.loads(line)["msg"] for line in running.log_file.read_text().splitlines()]
    assert messages[-2:] == [
        "Application shutdown complete.",
        f"Finished server process [{process.pid}]",
    ]
