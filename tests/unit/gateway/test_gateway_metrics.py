"""The request metric counts every outcome, refusals for a missing or unknown key included."""

from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_unit_support import KEYS, Harness

from gateway.app import assemble

SERIES = "qsmo_gateway_request_duration_seconds_count"


@pytest.fixture
async def client(seeded: Harness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=assemble(seeded.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def count(client: httpx.AsyncClient, operation: str, outcome: str) -> float:
    """The request count of ``operation`` with ``outcome`` on /metrics (0 when absent)."""
    labels = f'{{operation="{operation}",outcome="{outcome}",type="query"}}'
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith(SERIES + labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no key"),
        pytest.param({"Authorization": "Bearer not-a-key-the-platform-knows"}, id="unknown key"),
        pytest.param({"Authorization": f"Basic {KEYS['viewer']}"}, id="not a bearer key"),
    ],
)
async def test_a_request_refused_for_its_key_is_counted_unauthenticated(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(
        "/graphql", json={"query": "query Names { qsmos { id } }"}, headers=headers
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await count(client, "Names", "unauthenticated") == 1.0
    assert await count(client, "Names", "ok") == 0.0


async def test_refused_and_accepted_requests_are_counted_apart(
    client: httpx.AsyncClient,
) -> None:
    query = {"query": "query Names { qsmos { id } }"}
    for _ in range(2):
        await client.post("/graphql", json=query)
    await client.post("/graphql", json=query, headers={"Authorization": f"Bearer {KEYS['viewer']}"})
    assert await count(client, "Names", "unauthenticated") == 2.0
    assert await count(client, "Names", "ok") == 1.0


async def test_an_invalid_query_without_a_key_is_rejected_before_the_key_is_asked_for(
    client: httpx.AsyncClient,
) -> None:
    # Validation runs before execution, so the outcome is the validation error's.
    response = await client.post("/graphql", json={"query": "query Typo { qsmoz { id } }"})
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await count(client, "Typo", "rejected") == 1.0
    assert await count(client, "Typo", "unauthenticated") == 0.0
