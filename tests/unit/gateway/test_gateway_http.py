"""The HTTP face in-process: /graphql with keys, GraphiQL, health and metrics."""

from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_unit_support import KEYS, Harness

from gateway.app import assemble


@pytest.fixture
async def client(seeded: Harness) -> AsyncIterator[httpx.AsyncClient]:
    app = assemble(seeded.runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


async def test_query_with_a_bearer_key(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql",
        json={"query": "query Cards { scorecards(fiscalYear: 2024) { qsmoId overallStatus } }"},
        headers=bearer("viewer"),
    )
    assert response.status_code == 200
    assert len(response.json()["data"]["scorecards"]) == 4


async def test_no_key_is_unauthenticated_and_no_trace_leaks(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": "{ qsmos { id } }"})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Traceback" not in response.text


async def test_graphiql_is_served_to_browsers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_the_dashboard_page_is_served_at_the_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).status_code == 200
    await client.post(
        "/graphql",
        json={"query": "query Cards { scorecards(fiscalYear: 2024) { id } }"},
        headers=bearer("viewer"),
    )
    await client.post(
        "/graphql",
        json={
            "query": 'mutation Target { anyAlias: setTarget(measure: "customer-satisfaction", '
            'target: 4.5, reason: "r") { change { id } } }'
        },
        headers=bearer("viewer"),
    )
    text = (await client.get("/metrics")).text
    assert (
        'qsmo_gateway_request_duration_seconds_count{operation="Cards",outcome="ok",'
        'type="query"} 1.0' in text
    )
    assert (
        'qsmo_gateway_request_duration_seconds_count{operation="Target",outcome="forbidden",'
        'type="mutation"} 1.0' in text
    )
    assert 'qsmo_gateway_resolver_errors_total{code="FORBIDDEN",field="setTarget"} 1.0' in text
    assert "qsmo_gateway_active_subscriptions" in text
