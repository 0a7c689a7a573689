"""Providers end to end: an admin adds and retires a provider through the real gateway; the real
ingest (following the framework audit log in the real store) then accepts that provider's events
— which reach the store through real Kafka and the measures service — and, once it is retired,
refuses them. The audit log records each change with the provider."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import Keys, Lane, Pipeline, eventually

REFRESH_S = "0.5"
PROVIDER = f"it-{uuid.uuid4().hex[:8]}"
ADD = """mutation($id: ID!) { addProvider(id: $id, name: "Integration Test Provider",
  kind: INDUSTRY, qsmos: ["cybersecurity"], services: ["security operations center"],
  reason: "on the marketplace") { change { kind providerId } provider { id retired } } }"""
RETIRE = """mutation($id: ID!) { retireProvider(id: $id, reason: "contract ended") {
  change { kind providerId changedAt } provider { retired retiredAt } } }"""
ENGAGEMENT = """{ measureValue(measure: "customer-engagement", qsmo: "cybersecurity",
  fiscalYear: 2025) { value count } }"""


@pytest.fixture(scope="module")
async def providers_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """ingest (reading the audit log every 0.5 s), measures and the gateway on a private lane."""
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    fast = {"ingest": {"QSMO_INGEST_QSMO_REFRESH_S": REFRESH_S}}
    services = ("ingest", "measures", "gateway")
    for service in services:
        stack.start_service(
            service,
            extra_env={**lane.env(service), **fast.get(service, {})},
            instance=f"-gw-{lane.tag}",
            timeout_s=120,
        )
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
    finally:
        for service in reversed(services):
            stack.stop(f"{service}-gw-{lane.tag}")


async def post_event(pipeline: Pipeline, number: int, provider: str) -> httpx.Response:
    event: dict[str, Any] = {
        "event_id": f"prov-{pipeline.lane.tag}-{number}",
        "qsmo": "cybersecurity",
        "measure": "customer-engagement",
        "value": 1,
        "occurred_at": "2025-03-01T12:00:00Z",
        "agency": "DHS",
        "provider": provider,
    }
    return await pipeline.http.post(
        pipeline.lane.url("ingest", "/v1/events"),
        json=event,
        headers=pipeline.keys.bearer("cybersecurity"),
    )


def detail_code(response: httpx.Response) -> str:
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] == ["provider"], response.text
    return str(details[0]["code"])


async def test_an_added_provider_is_accepted_and_a_retired_one_refused(
    providers_pipeline: Pipeline,
) -> None:
    pipeline = providers_pipeline
    sent = 0
    before = await post_event(pipeline, sent, PROVIDER)
    assert before.status_code == 422, before.text
    assert detail_code(before) == "unknown_provider"

    added = await pipeline.data(ADD, {"id": PROVIDER}, who="admin")
    assert added["addProvider"]["change"] == {"kind": "PROVIDER_ADDED", "providerId": PROVIDER}

    async def accepted() -> bool:
        nonlocal sent
        sent += 1
        answer = await post_event(pipeline, sent, PROVIDER)
        if answer.status_code == 422:
            assert detail_code(answer) == "unknown_provider"
        return answer.status_code == 202

    await eventually(accepted, 30, "ingest accepting the added provider's events")

    async def stored() -> Any:
        value = (await pipeline.data(ENGAGEMENT))["measureValue"]
        return value if value["count"] == 1 else None

    counted = await eventually(stored, 60, "the accepted event counted in the store")
    assert counted == {"value": 1, "count": 1}

    retired = (await pipeline.data(RETIRE, {"id": PROVIDER}, who="admin"))["retireProvider"]
    assert retired["provider"]["retired"] is True

    async def refused() -> bool:
        nonlocal sent
        sent += 1
        answer = await post_event(pipeline, sent, PROVIDER)
        return answer.status_code == 422 and detail_code(answer) == "provider_retired"

    await eventually(refused, 30, "ingest refusing the retired provider's events")
    sla = await pipeline.graphql(
        'mutation($id: ID!) { setSlaTarget(provider: $id, measure: "customer-engagement", '
        'target: 10, reason: "r") { change { id } } }',
        {"id": PROVIDER},
        who="admin",
    )
    (error,) = sla["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "provider"}

    audit = await pipeline.data(
        "{ auditLog(first: 10) { nodes { kind providerId actor reason } } }", who="viewer"
    )
    assert [(n["kind"], n["providerId"]) for n in audit["auditLog"]["nodes"]] == [
        ("PROVIDER_RETIRED", PROVIDER),
        ("PROVIDER_ADDED", PROVIDER),
    ]
    listed = await pipeline.data(
        '{ providers(qsmo: "cybersecurity", includeRetired: false) { id } }'
    )
    assert PROVIDER not in [p["id"] for p in listed["providers"]]
