"""The self-assessment end to end: through the real gateway, real Kafka, the real measures
service and the real store.

An accepted assessment moves ``best-practices-self-assessment`` for the provider's slice of
its lead QSMO by exactly its overall result, once — also when the gateway crashed between
writing the acceptance and publishing (the restarted gateway's outbox sweep publishes it) and
when it crashed between publishing and taking the event off the document (the sweep publishes
it again; the measures service counts the event id once). The refusals the issue lists for the
self-assessment name the field and the fix and store nothing.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import qsmo_stack
from gateway_pipeline_support import (
    Pipeline,
    eventually,
    running_tools_pipeline,
    start_tools_gateway,
)

from gateway.provider_tools.assessment_store import (
    ASSESSMENTS,
    MongoAssessmentStore,
    load_element_catalog,
)
from gateway.provider_tools.assessments import SelfAssessments
from gateway.provider_tools.events import (
    PENDING_EVENTS,
    InMemoryToolEventPublisher,
    ToolEventOutbox,
)
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog
from shared.domain.providers import ProviderRegistry
from shared.domain.self_assessment import Decision, Rating
from shared.mongo import create_mongo_client

ELEMENTS = load_element_catalog()
FY = 2026  # ended 30 Sep 2026: the event is dated 2026-09-30 12:00 UTC
QSMO = "financial-management"  # the lead QSMO of doi-ibc, treasury-arc and dot-esc
CATEGORY_RATINGS = {
    "financial": [5, 5, 4, 4, 3],  # 4.2
    "organizational": [4, 4, 4, 4, 4],  # 4.0
    "operational": [3, 3, 3, 3, 3],  # 3.0
    "program-management": [5, 4, 4, 3, 4],  # 4.0
    "technology": [2, 2, 2, 2, 2],  # 2.0
}
EXPECTED = 3.44  # (4.2 + 4 + 3 + 4 + 2) / 5
SUBMIT = """mutation($p: ID!, $r: [SelfAssessmentRatingInput!]) {
  submitSelfAssessment(provider: $p, fiscalYear: 2026, ratings: $r) { id status } }"""
REVIEW = """mutation($id: ID!) { reviewSelfAssessment(id: $id, decision: ACCEPT) {
  status overall } }"""
VALUE = """query($p: ID) { measureValue(measure: "best-practices-self-assessment",
  qsmo: "financial-management", provider: $p, fiscalYear: 2026) { value count } }"""


def ratings(shift: int = 0) -> list[dict[str, Any]]:
    return [
        {"element": e.id, "rating": max(1, value - shift), "evidence": "FY2026 annual report"}
        for c, values in CATEGORY_RATINGS.items()
        for e, value in zip(ELEMENTS.elements_of(c), values, strict=True)
    ]


@pytest.fixture(scope="module")
async def tools_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """The measures service and the gateway (outbox sweep every 0.5 s) on a private lane."""
    async with running_tools_pipeline(stack) as running:
        yield running


@pytest.fixture
async def database(stack: qsmo_stack.Stack, tools_pipeline: Pipeline) -> AsyncIterator[Any]:
    client = create_mongo_client(stack.mongo_url)
    try:
        yield client[tools_pipeline.lane.database]
    finally:
        await client.close()


async def slice_value(pipeline: Pipeline, provider: str | None) -> dict[str, Any]:
    found: dict[str, Any] = (await pipeline.data(VALUE, {"p": provider}))["measureValue"]
    return found


async def counted(pipeline: Pipeline, provider: str, value: float) -> dict[str, Any]:
    async def check() -> bool:
        return await slice_value(pipeline, provider) == {"value": value, "count": 1}

    await eventually(check, 60, f"{provider}'s assessment counted in the measure")
    return await slice_value(pipeline, provider)


def errors_of(body: dict[str, Any]) -> tuple[str, str, str]:
    [error] = body["errors"]
    return error["extensions"]["code"], error["extensions"].get("field"), error["message"]


async def stored(database: Any, provider: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = await database[ASSESSMENTS].find_one(
        {"_id": f"{provider}|FY{FY}"}
    )
    return found


async def test_refusals_name_the_field_and_fix_and_store_nothing(
    tools_pipeline: Pipeline, database: Any
) -> None:
    bad = ratings()
    bad[0]["rating"] = 0
    body = await tools_pipeline.graphql(
        SUBMIT, {"p": "usda-nfc", "r": bad}, who="provider:usda-nfc"
    )
    code, field, message = errors_of(body)
    assert (code, field) == ("BAD_USER_INPUT", "ratings[0].rating")
    assert "rating 0 for element 'cost-model' is outside 1..5" in message
    assert "give a whole number from 1" in message
    body = await tools_pipeline.graphql(
        SUBMIT, {"p": "usda-nfc", "r": ratings()}, who="provider:doi-ibc"
    )
    code, field, message = errors_of(body)
    assert (code, field) == ("FORBIDDEN", "provider")
    assert "for provider 'usda-nfc': that needs an admin key or that provider's own key" in message
    assert await stored(database, "usda-nfc") is None


async def test_an_accepted_assessment_moves_the_measure_once(
    tools_pipeline: Pipeline, database: Any
) -> None:
    sent = await tools_pipeline.data(
        SUBMIT, {"p": "doi-ibc", "r": ratings()}, who="provider:doi-ibc"
    )
    assert sent["submitSelfAssessment"] == {"id": "doi-ibc|FY2026", "status": "SUBMITTED"}
    again = await tools_pipeline.graphql(
        SUBMIT, {"p": "doi-ibc", "r": ratings(1)}, who="provider:doi-ibc"
    )
    code, field, message = errors_of(again)
    assert (code, field) == ("BAD_USER_INPUT", "provider")
    assert "is under review since" in message
    assert "wait for the review, or ask the reviewer to return it" in message
    assert (await stored(database, "doi-ibc") or {})["revision"] == 1  # nothing stored
    reviewed = await tools_pipeline.data(REVIEW, {"id": "doi-ibc|FY2026"}, who=QSMO)
    assert reviewed["reviewSelfAssessment"] == {"status": "ACCEPTED", "overall": EXPECTED}
    assert await counted(tools_pipeline, "doi-ibc", EXPECTED) == {"value": EXPECTED, "count": 1}
    assert (await stored(database, "doi-ibc") or {})[PENDING_EVENTS] == []


async def _registry() -> ProviderRegistry:
    return ProviderRegistry(load_catalog().providers)


async def accept_while_kafka_is_away(database: Any, provider: str) -> dict[str, Any]:
    """Submit and accept with a gateway whose publisher fails: the acceptance and its owed
    event are stored, nothing is published (what a crash right after the write leaves)."""
    catalog = load_catalog()
    store = MongoAssessmentStore(database)
    down = InMemoryToolEventPublisher()
    down.available = False
    outbox = ToolEventOutbox(down, [("self-assessment", store)], clock=lambda: datetime.now(UTC))

    async def qsmo_ids() -> list[str]:
        return list(catalog.qsmo_ids)

    tool = SelfAssessments(
        store,
        outbox,
        catalog=catalog,
        elements=ELEMENTS,
        providers=_registry,
        qsmo_ids=qsmo_ids,
        clock=lambda: datetime.now(UTC),
    )
    admin = Principal(key_id="it-admin", role=Role.ADMIN)
    given = [Rating.model_validate(r) for r in ratings()]
    submitted = await tool.submit(admin, provider, FY, given)
    await tool.review(admin, submitted.id, Decision.ACCEPT, None)
    document = await stored(database, provider)
    assert document is not None
    assert document["status"] == "ACCEPTED"
    assert [e["event_id"] for e in document[PENDING_EVENTS]] == [
        f"self-assessment:{provider}:FY{FY}"
    ]
    assert down.events == []
    return document


async def test_owed_events_survive_a_crash_and_count_once_when_published_again(
    stack: qsmo_stack.Stack, tools_pipeline: Pipeline, database: Any
) -> None:
    lane = tools_pipeline.lane
    stack.stop(f"gateway-gw-{lane.tag}")  # the gateway is down ...
    document = await accept_while_kafka_is_away(database, "treasury-arc")  # ... mid-acceptance
    start_tools_gateway(stack, lane)  # restarted: its outbox sweep publishes what is owed
    assert await counted(tools_pipeline, "treasury-arc", EXPECTED) == {
        "value": EXPECTED,
        "count": 1,
    }
    await eventually(
        lambda: _pending_is_empty(database, "treasury-arc"), 30, "the owed event pulled"
    )
    # A crash after publishing but before the pull: the event is owed again and re-published.
    await database[ASSESSMENTS].update_one(
        {"_id": "treasury-arc|FY2026"}, {"$set": {PENDING_EVENTS: document[PENDING_EVENTS]}}
    )
    await eventually(
        lambda: _pending_is_empty(database, "treasury-arc"), 30, "the re-published event pulled"
    )
    # A later event on the same key (so the same partition, counted after the duplicate):
    marker = await tools_pipeline.data(SUBMIT, {"p": "dot-esc", "r": ratings()}, who="admin")
    assert marker["submitSelfAssessment"]["status"] == "SUBMITTED"
    await tools_pipeline.data(REVIEW, {"id": "dot-esc|FY2026"}, who="admin")
    await counted(tools_pipeline, "dot-esc", EXPECTED)
    assert await slice_value(tools_pipeline, "treasury-arc") == {"value": EXPECTED, "count": 1}
    whole_qsmo = await slice_value(tools_pipeline, None)
    assert whole_qsmo["count"] == len(
        [d async for d in database[ASSESSMENTS].find({"status": "ACCEPTED"})]
    )
    assert whole_qsmo["value"] == EXPECTED


async def _pending_is_empty(database: Any, provider: str) -> bool:
    document = await stored(database, provider)
    return document is not None and document[PENDING_EVENTS] == []
