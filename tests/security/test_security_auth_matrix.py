"""The auth matrix: every ingest endpoint and every GraphQL mutation, for every kind of caller.

Table-driven: one expected outcome per (operation, caller) cell, checked against the real
ingest and gateway processes. A refused cell must also leave no trace: ingest publishes
nothing (the ledger is checked against the topic at the end), a refused mutation writes
nothing (document counts of every collection a mutation can write are unchanged).
"""

import itertools
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from ingest_kafka_support import event
from security_abuse_support import (
    PUBLIC_HOOK,
    SecurityLane,
    SecurityTally,
    error_codes,
    graphql_answer_problem,
)
from websockets.asyncio.client import connect

from gateway.provider_tools.assessment_store import load_element_catalog
from services.notifications.documents import notification_document
from services.notifications.models import Notification
from shared.catalog.data_call import example_sections
from shared.mongo import create_mongo_client

SECURITY_AREA = "auth matrix"
OWN, OTHER = "cybersecurity", "financial-management"
UNKNOWN = "raw:qsmo_pub_" + secrets.token_urlsafe(24)  # shaped like a key, known to no one
CALLERS = {
    "no key": None,
    "unknown key": UNKNOWN,
    "viewer": "viewer",
    "other QSMO's publisher": OTHER,
    "publisher": OWN,
    "admin": "admin",
}

# ---------------------------------------------------------------- ingest

INGEST_EXPECTED = {
    "no key": (401, "unauthorized"),
    "unknown key": (401, "unauthorized"),
    "viewer": (403, "forbidden"),
    "other QSMO's publisher": (403, "forbidden"),
    "publisher": (202, None),
    "admin": (202, None),
}


def _json_body(event_id: str) -> tuple[str, bytes, str]:
    return "/v1/events", json.dumps(event(event_id=event_id)).encode(), "application/json"


def _csv_body(event_id: str) -> tuple[str, bytes, str]:
    csv = (
        "event_id,qsmo,measure,value,occurred_at\n"
        f"{event_id},cybersecurity,customer-satisfaction,4,2024-05-01T14:30:00Z\n"
    )
    return "/v1/events:csv", csv.encode(), "text/csv"


INGEST_ENDPOINTS = {"POST /v1/events": _json_body, "POST /v1/events:csv": _csv_body}


def _ingest_problem(response: httpx.Response, status: int, code: str | None) -> str | None:
    if response.status_code != status:
        return f"expected {status}, got {response.status_code}: {response.text[:200]}"
    if code is None:
        return None
    if response.json().get("error", {}).get("code") != code:
        return f"expected error code {code}: {response.text[:200]}"
    if status == 401 and not response.headers.get("www-authenticate", "").startswith("Bearer"):
        return "a 401 without WWW-Authenticate: Bearer"
    return None


@pytest.mark.parametrize("endpoint", list(INGEST_ENDPOINTS))
async def test_security_ingest_auth_matrix(
    security_lane: SecurityLane, security_tally: SecurityTally, endpoint: str
) -> None:
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for caller, who in CALLERS.items():
            path, body, content_type = INGEST_ENDPOINTS[endpoint](f"sec-auth-{uuid.uuid4().hex}")
            _, response = await security_lane.post_ingest(
                http, path, body, who=who, content_type=content_type
            )
            problem = _ingest_problem(response, *INGEST_EXPECTED[caller])
            problems.append(
                security_tally.record(SECURITY_AREA, f"{endpoint} as {caller}", problem)
            )
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


MALFORMED_AUTHORIZATION = {
    "Basic scheme": "Basic {key}",
    "Token scheme": "Token {key}",
    "key without scheme": "{key}",
    "Bearer without key": "Bearer",
    "Bearer with a truncated key": "Bearer {truncated}",
    "Bearer with the key twice": "Bearer {key} {key}",
}


async def test_security_malformed_authorization_headers_are_401(
    security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    key = security_lane.keys.publishers[OWN]
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for name, template in MALFORMED_AUTHORIZATION.items():
            header = template.format(key=key, truncated=key[:-1])
            path, body, content_type = _json_body(f"sec-auth-{uuid.uuid4().hex}")
            _, response = await security_lane.post_ingest(
                http,
                path,
                body,
                who=None,
                content_type=content_type,
                headers={"Authorization": header},
            )
            problem = _ingest_problem(response, 401, "unauthorized")
            problems.append(security_tally.record(SECURITY_AREA, f"ingest {name}", problem))
            gql = await http.post(
                security_lane.gateway_url,
                json={"query": "{ viewer { keyId } }"},
                headers={"Authorization": header},
            )
            codes = error_codes(gql.json()) if gql.status_code == 200 else []
            problem = None if codes == ["UNAUTHENTICATED"] else f"gateway answered {gql.text[:200]}"
            problems.append(security_tally.record(SECURITY_AREA, f"gateway {name}", problem))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


# ---------------------------------------------------------------- GraphQL mutations

Prepare = Callable[[SecurityLane, httpx.AsyncClient], Awaitable[dict[str, Any]]]


async def _nothing(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    return {}


async def _new_qsmo_id(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    return {"id": f"sec-{uuid.uuid4().hex[:10]}"}


async def _new_provider_id(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    return {"id": f"sec-provider-{uuid.uuid4().hex[:10]}"}


async def _added_provider(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh provider (added by the admin) for the cell to update or retire."""
    variables = await _new_provider_id(lane, http)
    response = await lane.graphql(
        http,
        'mutation($id: ID!) { addProvider(id: $id, name: "P", kind: INDUSTRY, '
        f'qsmos: ["{OWN}"], reason: "r") {{ change {{ id }} }} }}',
        variables,
        who="admin",
    )
    assert "errors" not in response.json(), response.text
    return variables


async def _admin_data(lane: SecurityLane, http: httpx.AsyncClient, query: str) -> Any:
    response = await lane.graphql(http, query, who="admin")
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def _action(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    created = await _admin_data(
        lane,
        http,
        f'mutation {{ createImprovementAction(qsmo: "{OWN}", measure: "customer-engagement", '
        'title: "More briefings", owner: "Outreach", dueDate: "2024-09-30") { id } }',
    )
    return {"id": created["createImprovementAction"]["id"]}


async def _subscription(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    created = await _admin_data(
        lane,
        http,
        f'mutation {{ createNotificationSubscription(qsmo: "{OWN}", url: "{PUBLIC_HOOK}", '
        'secret: "sec-auth-secret-0123456789") { id } }',
    )
    return {"id": created["createNotificationSubscription"]["id"]}


async def _notification(lane: SecurityLane, _: httpx.AsyncClient) -> dict[str, Any]:
    notification = Notification(
        id=f"ntf_{uuid.uuid4().hex}",
        rule="status_degraded",
        severity="warning",
        state="raised",
        qsmo=OWN,
        message="Customer engagement turned AMBER",
        raised_at=datetime.now(UTC),
    )
    client = create_mongo_client(lane.stack.mongo_url)
    try:
        await client[lane.database]["notifications"].insert_one(notification_document(notification))
    finally:
        await client.close()
    return {"id": notification.id}


ASSESSED = "cisa-cyber-shared-services"  # a provider OWN's marketplace offers
ALL_RATINGS = ", ".join(
    f'{{element: "{e.id}", rating: 4, evidence: "report"}}' for e in load_element_catalog().elements
)


async def _submitted_assessment(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """An assessment under review (submitted again after a returning cell)."""
    found = await _admin_data(
        lane, http, f'{{ selfAssessment(provider: "{ASSESSED}", fiscalYear: 2025) {{ status }} }}'
    )
    if (found["selfAssessment"] or {}).get("status") != "SUBMITTED":
        await _admin_data(
            lane,
            http,
            f'mutation {{ submitSelfAssessment(provider: "{ASSESSED}", fiscalYear: 2025, '
            f"ratings: [{ALL_RATINGS}]) {{ status }} }}",
        )
    return {"id": f"{ASSESSED}|FY2025"}


async def _data_call_sections(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    return {"sections": example_sections(2024)}


async def _submitted_data_call(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """A data call under review (a correction submitted after a returning cell)."""
    found = await _admin_data(
        lane, http, f'{{ dataCall(provider: "{ASSESSED}", fiscalYear: 2025) {{ status }} }}'
    )
    status = (found["dataCall"] or {}).get("status")
    if status != "SUBMITTED":
        response = await lane.graphql(
            http,
            f'mutation($s: JSON!, $r: String) {{ submitDataCall(provider: "{ASSESSED}", '
            "fiscalYear: 2025, sections: $s, reason: $r) { status } }",
            {"s": example_sections(2025), "r": None if status is None else "corrected"},
            who="admin",
        )
        assert "errors" not in response.json(), response.text
    return {"id": f"{ASSESSED}|FY2025"}


SURVEY_FY = datetime.now(UTC).year + (1 if datetime.now(UTC).month >= 10 else 0)
SURVEY_DATES = f'opensOn: "{datetime.now(UTC).date()}", closesOn: "{SURVEY_FY}-09-30"'


async def _new_wave_name(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    return {"name": f"sec {uuid.uuid4().hex[:10]}"}


async def _open_wave(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh open survey wave (created by the admin) for the cell to change."""
    name = (await _new_wave_name(lane, http))["name"]
    created = await _admin_data(
        lane,
        http,
        f'mutation {{ createSurveyWave(fiscalYear: {SURVEY_FY}, name: "{name}", '
        f"{SURVEY_DATES}) {{ id }} }}",
    )
    return {"w": created["createSurveyWave"]["id"]}


async def _proposal(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh revision proposal (by the admin) for the cell to decide."""
    created = await _admin_data(
        lane,
        http,
        f'mutation {{ proposeRevision(qsmo: "{OWN}", measure: "customer-engagement", '
        'kind: TARGET, proposedValue: 35, rationale: "late start") { id } }',
    )
    return {"id": created["proposeRevision"]["id"]}


async def _new_list_id(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    return {"id": f"sec-list-{uuid.uuid4().hex[:10]}"}


async def _stakeholder_list(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh stakeholder list (created by the admin) for the cell to change or delete."""
    variables = await _new_list_id(lane, http)
    response = await lane.graphql(
        http,
        'mutation($id: ID!) { createStakeholderList(id: $id, name: "OSSPI", kind: OSSPI, '
        'members: [{name: "Sam", address: "sam@gsa.example.gov"}]) { id } }',
        variables,
        who="admin",
    )
    assert "errors" not in response.json(), response.text
    return variables


REVIEW_QUARTERS = itertools.cycle(
    [(year, quarter) for year in range(2001, 2021) for quarter in (1, 2, 3, 4)]
)
"""A fresh quarter (long ended) for every review a cell creates: one review per scope and
quarter, so a second one would be a CONFLICT. Shared by the key and the token matrices (each
on its own lane and database, each using far fewer than the 80 quarters), so it cycles
instead of running out — or into quarters that have not ended."""
CREATE_REVIEW = (
    f'createReview(fiscalYear: $fy, quarter: $q, qsmo: "{OWN}", meetingDate: "2030-01-15", '
    'participants: ["CFO"]) { id state }'
)


async def _new_review_year(_: SecurityLane, __: httpx.AsyncClient) -> dict[str, Any]:
    year, quarter = next(REVIEW_QUARTERS)
    return {"fy": year, "q": quarter}


async def _draft_review(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    """A fresh DRAFT review of a long-ended quarter (created by the admin)."""
    variables = await _new_review_year(lane, http)
    response = await lane.graphql(
        http, f"mutation($fy: Int!, $q: Int!) {{ {CREATE_REVIEW} }}", variables, who="admin"
    )
    body = response.json()
    assert "errors" not in body, body
    return {"id": body["data"]["createReview"]["id"]}


async def _ready_review(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, Any]:
    variables = await _draft_review(lane, http)
    await _admin_data(
        lane, http, f'mutation {{ makeReviewReady(id: "{variables["id"]}") {{ state }} }}'
    )
    return variables


@dataclass(frozen=True)
class MutationRow:
    admin_only: bool
    variables: str
    selection: str
    prepare: Prepare = _nothing


MUTATIONS = {
    "setTarget": MutationRow(
        True,
        "",
        f'setTarget(measure: "customer-engagement", target: 45, qsmo: "{OWN}", '
        'reason: "plan") { change { id } }',
    ),
    "setWeight": MutationRow(
        True, "", 'setWeight(dimension: "financial", weight: 1, reason: "r") { change { id } }'
    ),
    "setBaseline": MutationRow(
        True,
        "",
        f'setBaseline(measure: "customer-engagement", value: 20, qsmo: "{OWN}", '
        'reason: "r") { change { id } }',
    ),
    "adoptDimension": MutationRow(
        True,
        "",
        'adoptDimension(dimension: "it-modernization", phase: 3, reason: "r") { change { id } }',
    ),
    "addQsmo": MutationRow(
        True,
        "($id: ID!)",
        'addQsmo(id: $id, name: "Q", leadAgency: "GSA", reason: "r") { change { id } }',
        _new_qsmo_id,
    ),
    "addProvider": MutationRow(
        True,
        "($id: ID!)",
        f'addProvider(id: $id, name: "P", kind: INDUSTRY, qsmos: ["{OWN}"], reason: "r") '
        "{ change { id providerId } provider { id } }",
        _new_provider_id,
    ),
    "updateProvider": MutationRow(
        True,
        "($id: ID!)",
        'updateProvider(id: $id, name: "Renamed", reason: "r") { provider { name } }',
        _added_provider,
    ),
    "retireProvider": MutationRow(
        True,
        "($id: ID!)",
        'retireProvider(id: $id, reason: "r") { provider { retired } }',
        _added_provider,
    ),
    "setSlaTarget": MutationRow(
        True,
        "",
        'setSlaTarget(provider: "doi-ibc", measure: "customer-satisfaction", target: 4.5, '
        'reason: "SLA") { change { id } }',
    ),
    "addCommentary": MutationRow(
        False,
        "",
        f'addCommentary(qsmo: "{OWN}", measure: "customer-engagement", '
        'fiscalYear: 2024, text: "On track") { id }',
    ),
    "createImprovementAction": MutationRow(
        False,
        "",
        f'createImprovementAction(qsmo: "{OWN}", measure: "customer-engagement", '
        'title: "t", owner: "o", dueDate: "2024-09-30") { id }',
    ),
    "updateImprovementAction": MutationRow(
        False, "($id: ID!)", "updateImprovementAction(id: $id, status: DONE) { status }", _action
    ),
    "createNotificationSubscription": MutationRow(
        False,
        "",
        f'createNotificationSubscription(qsmo: "{OWN}", url: "{PUBLIC_HOOK}", '
        'secret: "sec-auth-secret-0123456789") { id }',
    ),
    "deleteNotificationSubscription": MutationRow(
        False, "($id: ID!)", "deleteNotificationSubscription(id: $id)", _subscription
    ),
    "acknowledgeNotification": MutationRow(
        False, "($id: ID!)", "acknowledgeNotification(id: $id) { acknowledged }", _notification
    ),
    # The provider tools: filled in by the provider's own key or an admin (no QSMO key),
    # reviewed by an admin or the publisher of a QSMO offering the provider.
    "saveSelfAssessmentDraft": MutationRow(
        True,
        "",
        f'saveSelfAssessmentDraft(provider: "{ASSESSED}", fiscalYear: 2024, '
        'ratings: [{element: "automation", rating: 2}]) { status }',
    ),
    "submitSelfAssessment": MutationRow(
        True,
        "",
        f'submitSelfAssessment(provider: "{ASSESSED}", fiscalYear: 2023, '
        f"ratings: [{ALL_RATINGS}]) {{ status }}",
    ),
    "reviewSelfAssessment": MutationRow(
        False,
        "($id: ID!)",
        'reviewSelfAssessment(id: $id, decision: RETURN, comments: "cite evidence") { status }',
        _submitted_assessment,
    ),
    "submitDataCall": MutationRow(
        True,
        "($sections: JSON!)",
        f'submitDataCall(provider: "{ASSESSED}", fiscalYear: 2024, sections: $sections) '
        "{ status }",
        _data_call_sections,
    ),
    "reviewDataCall": MutationRow(
        False,
        "($id: ID!)",
        'reviewDataCall(id: $id, decision: RETURN, comments: "budget row missing") { status }',
        _submitted_data_call,
    ),
    # The survey: admin keys only (MANAGE_SURVEYS).
    "createSurveyWave": MutationRow(
        True,
        "($name: String!)",
        f"createSurveyWave(fiscalYear: {SURVEY_FY}, name: $name, {SURVEY_DATES}) {{ id }}",
        _new_wave_name,
    ),
    "setSurveyInvitations": MutationRow(
        True, "($w: ID!)", "setSurveyInvitations(wave: $w, total: 30) { id }", _open_wave
    ),
    "recordSurveyResponse": MutationRow(
        True,
        "($w: ID!)",
        'recordSurveyResponse(wave: $w, response: {role: "manager", agency: "DOI", '
        'function: "cybersecurity", ratings: [{item: "overall", rating: 4}]}) { stored }',
        _open_wave,
    ),
    "closeSurveyWave": MutationRow(
        True, "($w: ID!)", "closeSurveyWave(wave: $w) { status }", _open_wave
    ),
    # Revision proposals (#19): proposed by the QSMO's publisher or an admin, decided by an
    # admin (a decline: the matrix must not change the lane's targets).
    "proposeRevision": MutationRow(
        False,
        "",
        f'proposeRevision(qsmo: "{OWN}", measure: "customer-engagement", kind: TARGET, '
        'proposedValue: 35, rationale: "late start") { id status }',
    ),
    "decideRevision": MutationRow(
        True,
        "($id: ID!)",
        'decideRevision(id: $id, decision: DECLINE, note: "keep it") { status }',
        _proposal,
    ),
    # Stakeholder lists (review distribution): admin keys only (MANAGE_STAKEHOLDERS).
    "createStakeholderList": MutationRow(
        True,
        "($id: ID!)",
        'createStakeholderList(id: $id, name: "OMB", kind: OMB, '
        'members: [{name: "Jane Doe", address: "jane.doe@omb.example.gov"}]) { id }',
        _new_list_id,
    ),
    "updateStakeholderList": MutationRow(
        True,
        "($id: ID!)",
        "updateStakeholderList(id: $id, attachPdf: false) { attachPdf }",
        _stakeholder_list,
    ),
    "deleteStakeholderList": MutationRow(
        True, "($id: ID!)", "deleteStakeholderList(id: $id)", _stakeholder_list
    ),
    # Performance reviews: admin, or the QSMO's publisher (MANAGE_REVIEWS).
    "createReview": MutationRow(False, "($fy: Int!, $q: Int!)", CREATE_REVIEW, _new_review_year),
    "makeReviewReady": MutationRow(
        False, "($id: ID!)", "makeReviewReady(id: $id) { state }", _draft_review
    ),
    "recordReviewMeeting": MutationRow(
        False,
        "($id: ID!)",
        'recordReviewMeeting(id: $id, decisions: [{text: "Second survey wave"}]) { state }',
        _ready_review,
    ),
    "rerenderReviewPacket": MutationRow(
        False, "($id: ID!)", "rerenderReviewPacket(id: $id) { packet { version } }", _draft_review
    ),
}


def expected_code(name: str, row: MutationRow, caller: str) -> str | None:
    """The error code of the cell, or None when the mutation must succeed."""
    if caller in ("no key", "unknown key"):
        return "UNAUTHENTICATED"
    if caller == "admin":
        return None
    if caller == "publisher" and not row.admin_only:
        return None
    if caller == "other QSMO's publisher" and name == "deleteNotificationSubscription":
        return "NOT_FOUND"  # a publisher cannot see another QSMO's subscriptions
    return "FORBIDDEN"


async def _mutation_cell(
    lane: SecurityLane, http: httpx.AsyncClient, name: str, caller: str
) -> str | None:
    row = MUTATIONS[name]
    variables = await row.prepare(lane, http)
    before = await lane.write_counts()
    response = await lane.graphql(
        http, f"mutation{row.variables} {{ {row.selection} }}", variables, who=CALLERS[caller]
    )
    problem = graphql_answer_problem(response)
    if problem is not None:
        return problem
    body = response.json()
    want = expected_code(name, row, caller)
    if want is None:
        if "errors" in body or not body.get("data", {}).get(name):
            return f"expected success: {response.text[:300]}"
        return None
    if error_codes(body) != [want]:
        return f"expected {want}: {response.text[:300]}"
    after = await lane.write_counts()
    if after != before:
        return f"refused but wrote: {before} -> {after}"
    return None


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_security_mutation_auth_matrix(
    security_lane: SecurityLane, security_tally: SecurityTally, name: str
) -> None:
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for caller in CALLERS:  # admin last: adoptDimension succeeds only once
            problem = await _mutation_cell(security_lane, http, name, caller)
            problems.append(security_tally.record(SECURITY_AREA, f"{name} as {caller}", problem))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def test_security_every_mutation_is_in_the_matrix(security_lane: SecurityLane) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await security_lane.graphql(
            http, "{ __schema { mutationType { fields { name } } } }", who="viewer"
        )
    names = {f["name"] for f in response.json()["data"]["__schema"]["mutationType"]["fields"]}
    assert names == set(MUTATIONS)


# ---------------------------------------------------------------- reads, websockets, ops

READS = {
    "introspection": ("{ __schema { queryType { name } } }", {"viewer": None}),
    "viewer": ("{ viewer { keyId role } }", {"viewer": None}),
    "providers": ("{ providers { id slaTargets { target } } }", {"viewer": None}),
    "notificationSubscriptions": (
        "{ notificationSubscriptions { id } }",
        {"viewer": "FORBIDDEN", "publisher": None, "admin": None},
    ),
    "stakeholderLists": (
        "{ stakeholderLists { id memberCount members { name address } } }",
        {"viewer": None, "publisher": None, "admin": None},
    ),
    "reviewDeliveries": (
        '{ reviewDeliveries(reviewId: "FY2026-Q1|cybersecurity") { nodes { id recipient } } }',
        {"viewer": "FORBIDDEN", "publisher": None, "admin": None},
    ),
}


async def test_security_reads_need_a_key(
    security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for name, (query, allowed) in READS.items():
            cells = {"no key": "UNAUTHENTICATED", "unknown key": "UNAUTHENTICATED", **allowed}
            for caller, want in cells.items():
                response = await security_lane.graphql(http, query, who=CALLERS[caller])
                problem = graphql_answer_problem(response)
                if problem is None:
                    body = response.json()
                    codes = error_codes(body)
                    if want is None and (codes or not body.get("data")):
                        problem = f"expected data: {response.text[:200]}"
                    elif want is not None and codes != [want]:
                        problem = f"expected {want}: {response.text[:200]}"
                problems.append(
                    security_tally.record(SECURITY_AREA, f"{name} as {caller}", problem)
                )
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def _websocket_outcome(url: str, payload: dict[str, Any] | None) -> str:
    async with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        try:
            answer = json.loads(await ws.recv())
        except Exception:  # closed: the close code says why
            return f"closed {ws.close_code}"
        return str(answer.get("type"))


async def test_security_websockets_need_a_key(
    security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    url = security_lane.gateway_url.replace("http://", "ws://")
    cells = {
        "no key": (None, "closed 4403"),
        "unknown key": (security_lane.bearer(UNKNOWN), "closed 4403"),
        "viewer": (security_lane.bearer("viewer"), "connection_ack"),
    }
    problems = []
    for caller, (payload, want) in cells.items():
        got = await _websocket_outcome(url, payload)
        problem = None if got == want else f"expected {want}, got {got}"
        problems.append(security_tally.record(SECURITY_AREA, f"websocket as {caller}", problem))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def test_security_health_and_metrics_are_public(
    security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    bases = {"ingest": security_lane.ingest_url, "gateway": security_lane.lane.url("gateway", "")}
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for service, base in bases.items():
            for path in ("/healthz", "/readyz", "/metrics"):
                response = await http.get(base + path)
                problem = None if response.status_code == 200 else f"{response.status_code}"
                problems.append(security_tally.record(SECURITY_AREA, f"{service} {path}", problem))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def test_security_refused_ingest_requests_published_nothing(
    security_lane: SecurityLane, security_tally: SecurityTally, kafka_bootstrap: str
) -> None:
    ledger = security_lane.ledger
    messages = await ledger.topic_messages(kafka_bootstrap, security_lane.events_topic)
    problems = ledger.topic_problems(messages)
    security_tally.record(
        SECURITY_AREA, "topic holds only accepted events", "; ".join(problems) or None
    )
    assert not problems, "\n".join(problems)
