"""The HTTP contract through the ASGI app with the in-memory publisher (no network)."""

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ingest_support import DevKeys, FakeClock, IngestHarness, build_harness, event, events

from services.ingest.settings import IngestSettings
from shared.structured_logging import JsonFormatter


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "request_id", "details"}
    assert error["code"] == code
    assert error["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return dict(error)


async def test_accepted_answer(harness: IngestHarness) -> None:
    response = await harness.post({"events": events(2)})
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 2,
        "event_ids": ["cyber-0000", "cyber-0001"],
        "request_id": response.headers["x-request-id"],
    }
    assert [e.request_id for e in harness.publisher.published] == [
        response.headers["x-request-id"]
    ] * 2


async def test_a_plain_client_request_id_is_kept(harness: IngestHarness) -> None:
    response = await harness.post(event(), headers={"X-Request-ID": "client-42"})
    assert response.headers["x-request-id"] == "client-42"
    assert response.json()["request_id"] == "client-42"
    junk = await harness.post(event(event_id="c-2"), headers={"X-Request-ID": "x" * 200})
    assert junk.headers["x-request-id"] != "x" * 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not-a-key", "bearer  "],
)
async def test_missing_or_unknown_keys_are_401_with_www_authenticate(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await client.post("/v1/events", json=event(), headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("who", "qsmo", "status"),
    [
        ("publisher:cybersecurity", "cybersecurity", 202),
        ("publisher:cybersecurity", "grants-management", 403),
        ("publisher:grants-management", "grants-management", 202),
        ("admin", "human-resources", 202),
        ("viewer", "cybersecurity", 403),
    ],
)
async def test_who_may_publish_what(
    harness: IngestHarness, who: str, qsmo: str, status: int
) -> None:
    keys = harness.keys
    role, _, own = who.partition(":")
    key = keys.publishers[own] if role == "publisher" else getattr(keys, role)
    response = await harness.client.post(
        "/v1/events", json=event(qsmo=qsmo), headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == status, response.text
    if status == 403:
        assert_error(response, 403, "forbidden")
        assert harness.publisher.published == []


@pytest.mark.parametrize(
    ("content_type", "path"),
    [
        ("text/plain", "/v1/events"),
        ("application/x-www-form-urlencoded", "/v1/events"),
        ("application/json; charset=latin-1", "/v1/events"),
        ("text/csv", "/v1/events"),
        ("application/json", "/v1/events:csv"),
        (None, "/v1/events"),
    ],
)
async def test_other_content_types_are_415(
    harness: IngestHarness, content_type: str | None, path: str
) -> None:
    headers = harness.keys.auth() | ({"Content-Type": content_type} if content_type else {})
    response = await harness.client.post(path, content=json.dumps(event()), headers=headers)
    assert_error(response, 415, "unsupported_media_type")


async def test_json_with_utf8_charset_is_fine(harness: IngestHarness) -> None:
    headers = harness.keys.auth() | {"Content-Type": "Application/JSON; charset=UTF-8"}
    response = await harness.client.post("/v1/events", content=json.dumps(event()), headers=headers)
    assert response.status_code == 202


async def test_bodies_over_the_limit_are_413_by_header_and_by_stream(
    harness: IngestHarness,
) -> None:
    big = json.dumps({"events": [event(source="x" * 200, event_id=f"c-{i}") for i in range(5000)]})
    assert len(big) > 1024 * 1024
    declared = await harness.client.post(
        "/v1/events",
        content=big,
        headers=harness.keys.auth() | {"Content-Type": "application/json"},
    )
    assert_error(declared, 413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536].encode()

    streamed = await harness.client.post(
        "/v1/events",
        content=chunks(),
        headers=harness.keys.auth() | {"Content-Type": "application/json"},
    )
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "payload_too_large")
    assert harness.publisher.published == []


async def test_too_many_events_is_413(harness: IngestHarness) -> None:
    response = await harness.post({"events": events(1001)})
    error = assert_error(response, 413, "payload_too_large")
    assert "1001 events" in error["message"]


async def test_invalid_bodies_are_422_with_details(harness: IngestHarness) -> None:
    response = await harness.post({"events": [event(), event(event_id="c-2", value=9)]})
    error = assert_error(response, 422, "invalid_events")
    assert error["details"] == [
        {
            "index": 1,
            "line": None,
            "event_id": "c-2",
            "field": "value",
            "code": "value_out_of_range",
            "message": error["details"][0]["message"],
        }
    ]
    malformed = await harness.client.post(
        "/v1/events",
        content=b'{"events": [',
        headers=harness.keys.auth() | {"Content-Type": "application/json"},
    )
    assert_error(malformed, 422, "invalid_request")
    assert harness.publisher.published == []


async def test_csv_errors_name_the_line(harness: IngestHarness) -> None:
    body = (
        "event_id,qsmo,measure,value,occurred_at\n"
        "c-1,cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z\n"
        "c-2,cybersecurity,customer-satisfaction,6,2024-05-01T12:00:00Z\n"
    )
    headers = harness.keys.auth() | {"Content-Type": "text/csv; charset=utf-8"}
    response = await harness.client.post("/v1/events:csv", content=body, headers=headers)
    error = assert_error(response, 422, "invalid_events")
    assert [(d["line"], d["index"], d["code"]) for d in error["details"]] == [
        (3, 1, "value_out_of_range")
    ]
    fixed = await harness.client.post(
        "/v1/events:csv", content=body.replace(",6,", ",5,"), headers=headers
    )
    assert fixed.status_code == 202
    assert fixed.json()["event_ids"] == ["c-1", "c-2"]


async def test_over_the_rate_is_429_with_retry_after(keys: DevKeys, clock: FakeClock) -> None:
    settings = IngestSettings(rate_per_s=100, burst=1000, max_events=1000)
    async with build_harness(keys, clock, settings) as harness:
        assert (await harness.post({"events": events(1000)})).status_code == 202
        throttled = await harness.post({"events": events(300)})
        assert_error(throttled, 429, "rate_limited")
        assert throttled.headers["retry-after"] == "3"
        clock.advance(3)
        assert (await harness.post({"events": events(300)})).status_code == 202


async def test_broker_trouble_is_503_with_retry_after(harness: IngestHarness) -> None:
    harness.publisher.available = False
    response = await harness.post(event())
    assert_error(response, 503, "unavailable")
    assert response.headers["retry-after"] == "5"
    ready = await harness.client.get("/readyz")
    assert ready.status_code == 503
    harness.publisher.available = True
    assert (await harness.post(event())).status_code == 202
    assert (await harness.client.get("/readyz")).status_code == 200


async def test_unknown_paths_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/v1/nothing"), 404, "not_found")
    assert_error(await client.get("/v1/events"), 405, "method_not_allowed")


async def test_metrics_count_events_by_qsmo_and_outcome(harness: IngestHarness) -> None:
    await harness.post({"events": events(3)})
    await harness.post({"events": [event(event_id="x", value=9), event(event_id="y")]})
    await harness.post({"events": [event(qsmo="grants-management"), event(qsmo="made-up")]})
    admin = {"Authorization": f"Bearer {harness.keys.admin}"}
    await harness.client.post("/v1/events", json=event(qsmo="made-up"), headers=admin)
    await harness.client.post("/v1/events", json=event())
    text = (await harness.client.get("/metrics")).text
    for qsmo, outcome, count in [
        ("cybersecurity", "accepted", 3),
        ("cybersecurity", "invalid", 2),
        ("grants-management", "forbidden", 1),
        ("other", "forbidden", 1),
        ("other", "invalid", 1),
        ("human-resources", "throttled", 0),
    ]:
        assert f'qsmo_ingest_events_total{{outcome="{outcome}",qsmo="{qsmo}"}} {count}.0' in text
    assert 'qsmo_ingest_requests_total{outcome="unauthorized",route="/v1/events"} 1.0' in text
    assert "qsmo_ingest_batch_size_events_count 4.0" in text
    assert 'qsmo_ingest_request_duration_seconds_count{route="/v1/events"} 5.0' in text
    assert "made-up" not in text
    assert "cyber-0000" not in text


def request_log_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        JsonFormatter("ingest").format(r)
        for r in caplog.records
        if r.name == "services.ingest.requests"
    ]


async def test_one_log_line_per_request_with_key_id_never_the_key(
    harness: IngestHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.ingest.requests")
    response = await harness.post({"events": events(2)})
    lines = request_log_lines(caplog)
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["key_id"], line["events"], line["accepted"], line["outcome"]) == (
        "dev-publisher-cybersecurity",
        2,
        2,
        "accepted",
    )
    assert harness.keys.publishers["cybersecurity"] not in lines[0]


async def test_the_request_log_has_each_422s_details_but_never_a_value_sent(
    harness: IngestHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.ingest.requests")
    secret = "sk-live-4f0c2a9e5d8b4c1e"
    body = {
        "events": [
            event(event_id="cyber-ok"),
            event(event_id="cyber-bad-1", value=7),
            event(event_id="cyber-bad-2", occurred_at="2024-05-01T12:00:00", valeu=secret),
            event(event_id="cyber-bad-3", attributes={"token": [secret]}),
        ]
    }
    response = await harness.post(body)
    assert_error(response, 422, "invalid_events")
    [text] = request_log_lines(caplog)
    line = json.loads(text)
    assert line["request_id"] == response.headers["x-request-id"]
    assert (line["status"], line["error_code"]) == (422, "invalid_events")
    assert line["error_message"] == response.json()["error"]["message"]
    assert line["error_detail_count"] == 4
    assert line["error_details"] == [
        {"index": 1, "line": None, "field": "value", "code": "value_out_of_range"},
        {"index": 2, "line": None, "field": "occurred_at", "code": "timestamp_without_offset"},
        {"index": 2, "line": None, "field": "valeu", "code": "unknown_field"},
        {"index": 3, "line": None, "field": "attributes.token", "code": "invalid_attribute"},
    ]
    assert secret in response.text  # the answer quotes it back to its sender …
    for sent in (secret, "cyber-bad", "2024-05-01T12:00:00", "7 is outside"):
        assert sent not in text  # … the log never does
    assert harness.keys.publishers["cybersecurity"] not in text


async def test_the_request_log_of_a_csv_422_names_lines_and_caps_long_lists(
    harness: IngestHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="services.ingest.requests")
    rows = "".join(f"c-{i},cybersecurity\n" for i in range(60))
    response = await harness.client.post(
        "/v1/events:csv",
        content=f"event_id,qsmo,measure,value,occurred_at\n{rows}",
        headers={**harness.keys.auth("cybersecurity"), "Content-Type": "text/csv"},
    )
    assert_error(response, 422, "invalid_request")
    line = json.loads(request_log_lines(caplog)[0])
    assert line["error_detail_count"] == 60
    assert len(line["error_details"]) == 50
    assert line["error_details"][0] == {
        "index": 0,
        "line": 2,
        "field": None,
        "code": "ragged_row",
    }
    assert "c-0" not in json.dumps(line)


async def test_openapi_documents_every_answer_with_an_example(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    for path in ("/v1/events", "/v1/events:csv"):
        operation = document["paths"][path]["post"]
        assert set(operation["responses"]) >= {
            "202",
            "401",
            "403",
            "413",
            "415",
            "422",
            "429",
            "503",
        }
        for status, answer in operation["responses"].items():
            assert answer["content"]["application/json"]["examples"], (path, status)
        assert operation["requestBody"]["content"]
    assert "PerformanceEvent" in document["components"]["schemas"]
    assert (await client.get("/docs")).status_code == 200


async def test_openapi_declares_what_the_service_answers_at_the_limits(
    harness: IngestHarness,
) -> None:
    """A fuzzer reading the document expects these answers (schemathesis found them missing)."""
    document = (await harness.client.get("/openapi.json")).json()
    csv_headers = harness.keys.auth() | {"Content-Type": "text/csv"}
    rows = "".join(
        f"c-{i},cybersecurity,customer-satisfaction,4,2024-05-01T12:00:00Z\n" for i in range(1001)
    )
    answers = {
        "/v1/events": await harness.post({"events": events(1001)}),
        "/v1/events:csv": await harness.client.post(
            "/v1/events:csv",
            content=f"event_id,qsmo,measure,value,occurred_at\n{rows}",
            headers=csv_headers,
        ),
    }
    for path, answer in answers.items():
        error = assert_error(answer, 413, "payload_too_large")
        declared = document["paths"][path]["post"]["responses"]["413"]["content"]
        schema = declared["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorResponse"}
        examples = [
            e["value"]["error"]["message"]
            for e in declared["application/json"]["examples"].values()
        ]
        assert path == "/v1/events" or error["message"] in examples
    empty = await harness.client.post("/v1/events:csv", content=b"", headers=csv_headers)
    assert_error(empty, 422, "invalid_request")
    body = document["paths"]["/v1/events:csv"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["text/csv"]["schema"]["minLength"] == 1
    batch = document["components"]["schemas"]["EventBatch"]["properties"]["events"]
    assert batch["maxItems"] == 1000


async def test_health_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready", "failures": {}}
