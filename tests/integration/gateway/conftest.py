"""Fixtures of the gateway integration tests: one private real pipeline for the session."""

from collections.abc import AsyncIterator

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import Keys, Lane, Pipeline, eventually, start_pipeline, stop_pipeline

SCORECARD_VALUE = """query($qsmo: ID) { scorecard(fiscalYear: 2024, qsmo: $qsmo) {
  version measure(id: "customer-satisfaction") { value } } }"""


@pytest.fixture(scope="session")
async def pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """ingest → measures → scorecard → gateway on a private lane, with FY2024 data in it."""
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    start_pipeline(stack, lane)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            running = Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
            await running.send(
                "cybersecurity", "customer-satisfaction", 4.4, "2024-01-15T10:00:00-05:00"
            )
            await running.send(
                "cybersecurity", "customer-satisfaction", 4.0, "2024-02-15T10:00:00Z"
            )
            await running.send("cybersecurity", "customer-engagement", 30, "2024-03-01T12:00:00Z")
            await running.send(
                "grants-management", "customer-satisfaction", 3.0, "2024-03-02T12:00:00Z"
            )

            async def both_scored() -> bool:
                cyber = await running.data(SCORECARD_VALUE, {"qsmo": "cybersecurity"})
                grants = await running.data(SCORECARD_VALUE, {"qsmo": "grants-management"})
                cards = (cyber["scorecard"], grants["scorecard"])
                return all(cards) and [c["measure"]["value"] for c in cards] == [4.2, 3.0]

            await eventually(both_scored, 60, "scorecards built from the ingested events")
            yield running
    finally:
        stop_pipeline(stack, lane)
