"""The result cache on the real pipeline: a cached grid answer changes when a new event's
``ScorecardChanged`` arrives, not when the TTL runs out (this gateway's TTL is an hour)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import Pipeline, eventually

GRID = """query DashboardGrid($fy: Int!, $phase: Int) {
  scorecards(fiscalYear: $fy, phase: $phase, includeGovernmentWide: true) {
    qsmoId version phase overallScore overallStatus dimensions { id score status } } }"""
QSMO = "human-resources"
YEAR = 2023  # no other test of the session sends events for this fiscal year


@pytest.fixture
async def long_ttl_gateway(stack: qsmo_stack.Stack, pipeline: Pipeline) -> AsyncIterator[str]:
    """A second gateway on the pipeline's lane whose cache would keep answers for an hour."""
    port = qsmo_stack.free_port()
    env = {
        **pipeline.lane.env("gateway"),
        "QSMO_GATEWAY_PORT": str(port),
        "QSMO_GATEWAY_CACHE_TTL_S": "3600",
    }
    instance = f"-cache-{pipeline.lane.tag}"
    stack.start_service("gateway", extra_env=env, instance=instance, timeout_s=120)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stack.stop(f"gateway{instance}")


async def _grid(pipeline: Pipeline, base: str) -> dict[str | None, Any]:
    response = await pipeline.http.post(
        f"{base}/graphql",
        json={"query": GRID, "variables": {"fy": YEAR}, "operationName": "DashboardGrid"},
        headers=pipeline.keys.bearer("viewer"),
    )
    body = response.json()
    assert "errors" not in body, body
    return {card["qsmoId"]: card for card in body["data"]["scorecards"]}


async def _cache_count(http: httpx.AsyncClient, base: str, result: str) -> float:
    text = (await http.get(f"{base}/metrics")).text
    for line in text.splitlines():
        if line.startswith(f'qsmo_gateway_result_cache_total{{result="{result}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_a_cached_grid_changes_when_the_scorecard_changes(
    pipeline: Pipeline, long_ttl_gateway: str
) -> None:
    before = await _grid(pipeline, long_ttl_gateway)
    assert before == {}
    assert await _grid(pipeline, long_ttl_gateway) == before
    assert await _cache_count(pipeline.http, long_ttl_gateway, "hit") >= 1

    await pipeline.send(QSMO, "customer-engagement", 35, "2023-03-05T12:00:00Z")

    async def grid_shows_it() -> Any:
        return (await _grid(pipeline, long_ttl_gateway)).get(QSMO)

    card = await eventually(grid_shows_it, 60, f"{QSMO} on the cached grid")
    assert card["version"] >= 1
    assert card["overallStatus"] != "NO_DATA"
