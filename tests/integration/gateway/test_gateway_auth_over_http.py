"""Every mutation against the real gateway and stores: no key, viewer, other publisher, admin."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_pipeline_support import Pipeline
from pymongo import AsyncMongoClient

from services.notifications.documents import notification_document
from services.notifications.models import Notification

OWN, OTHER = "cybersecurity", "financial-management"
Prepare = Callable[[Pipeline], Awaitable[dict[str, Any]]]


async def _nothing(_: Pipeline) -> dict[str, Any]:
    return {}


async def _action(pipeline: Pipeline) -> dict[str, Any]:
    created = await pipeline.data(
        'mutation { createImprovementAction(qsmo: "cybersecurity", measure: "customer-engagement", '
        'title: "More briefings", owner: "Outreach team", dueDate: "2024-09-30") { id } }',
        who="admin",
    )
    return {"id": created["createImprovementAction"]["id"]}


async def _subscription(pipeline: Pipeline) -> dict[str, Any]:
    created = await pipeline.data(
        'mutation { createNotificationSubscription(qsmo: "cybersecurity", '
        'url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef0123") { id } }',
        who="admin",
    )
    return {"id": created["createNotificationSubscription"]["id"]}


def _notification_in(database: str, url: str) -> Prepare:
    async def insert(_: Pipeline) -> dict[str, Any]:
        notification = Notification(
            id=f"ntf_{uuid.uuid4().hex}",
            rule="status_change",
            severity="warning",
            state="raised",
            qsmo=OWN,
            message="Customer engagement turned RED",
            raised_at=datetime.now(UTC),
        )
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
        try:
            await client[database]["notifications"].insert_one(notification_document(notification))
        finally:
            await client.close()
        return {"id": notification.id}

    return insert


def mutations(pipeline: Pipeline, mongo_url: str) -> dict[str, tuple[bool, str, Prepare]]:
    """name → (admin only?, operation, prepare variables)."""
    unique = f"q-{uuid.uuid4().hex[:8]}"
    return {
        "setTarget": (
            True,
            'setTarget(measure: "customer-engagement", target: 45, qsmo: '
            '"cybersecurity", reason: "plan") { change { id } }',
            _nothing,
        ),
        "setWeight": (
            True,
            'setWeight(dimension: "financial", weight: 1, reason: "r") { change { id } }',
            _nothing,
        ),
        "setBaseline": (
            True,
            'setBaseline(measure: "customer-engagement", value: 20, '
            'qsmo: "cybersecurity", reason: "r") { change { id } }',
            _nothing,
        ),
        "adoptDimension": (
            True,
            'adoptDimension(dimension: "it-modernization", phase: 3, '
            'reason: "r") { change { id } }',
            _nothing,
        ),
        "addQsmo": (
            True,
            f'addQsmo(id: "{unique}", name: "Q", leadAgency: "GSA", reason: "r") '
            "{ change { id } }",
            _nothing,
        ),
        "addCommentary": (
            False,
            'addCommentary(qsmo: "cybersecurity", measure: '
            '"customer-engagement", fiscalYear: 2024, text: "On track") { id }',
            _nothing,
        ),
        "createImprovementAction": (
            False,
            'createImprovementAction(qsmo: "cybersecurity", '
            'measure: "customer-engagement", title: "t", owner: "o", '
            'dueDate: "2024-09-30") { id }',
            _nothing,
        ),
        "updateImprovementAction": (
            False,
            "updateImprovementAction(id: $id, status: DONE) { status }",
            _action,
        ),
        "createNotificationSubscription": (
            False,
            "createNotificationSubscription(qsmo: "
            '"cybersecurity", url: "http://127.0.0.1:9/hook", '
            'secret: "0123456789abcdef0123") { id }',
            _nothing,
        ),
        "deleteNotificationSubscription": (
            False,
            "deleteNotificationSubscription(id: $id)",
            _subscription,
        ),
        "acknowledgeNotification": (
            False,
            "acknowledgeNotification(id: $id) { acknowledged }",
            _notification_in(pipeline.lane.database, mongo_url),
        ),
    }


NAMES = [
    "setTarget",
    "setWeight",
    "setBaseline",
    "adoptDimension",
    "addQsmo",
    "addCommentary",
    "createImprovementAction",
    "updateImprovementAction",
    "createNotificationSubscription",
    "deleteNotificationSubscription",
    "acknowledgeNotification",
]


@pytest.mark.parametrize("name", NAMES)
async def test_mutation_auth_matrix(pipeline: Pipeline, mongo_url: str, name: str) -> None:
    admin_only, operation, prepare = mutations(pipeline, mongo_url)[name]
    needs_id = "$id" in operation
    document = f"mutation{'($id: ID!)' if needs_id else ''} {{ {operation} }}"
    refused = {None: "UNAUTHENTICATED", "viewer": "FORBIDDEN", OTHER: "FORBIDDEN"}
    if name == "deleteNotificationSubscription":
        refused[OTHER] = "NOT_FOUND"  # a publisher cannot see another QSMO's subscriptions
    if admin_only:
        refused[OWN] = "FORBIDDEN"
    for who, code in refused.items():
        body = await pipeline.graphql(document, await prepare(pipeline), who=who)
        assert [e["extensions"]["code"] for e in body.get("errors", [])] == [code], (who, body)
    for who in ("admin",) if admin_only else (OWN, "admin"):
        body = await pipeline.graphql(document, await prepare(pipeline), who=who)
        assert "errors" not in body, (who, body)
        assert body["data"][name]
