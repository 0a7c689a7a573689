"""The auth matrix for sign-in tokens: the same cells as for keys, and every bad token.

Tokens come from the real local OpenID provider (npm's oidc-provider, started by the test
stack) through its own login page, one per development user (``tests/oidc_sign_in.py``). The
matrix of ``test_security_auth_matrix`` runs again with those tokens in place of keys, on a
lane of its own (a fresh database: ``adoptDimension`` succeeds once). Then each way a token
is refused — expired, another issuer, another audience, ``alg: none``, HMAC with the public
key, a tampered signature, an unknown ``kid`` after the refetch, another QSMO's write, claims
that map to no role — is sent to ingest, to GraphQL, to a websocket and to the survey upload,
and must be a 401/403 (``UNAUTHENTICATED``/``FORBIDDEN``) with its message, counted in
``qsmo_<service>_auth_refusals_total`` by reason, with nothing written or published.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import qsmo_stack
from oidc_sign_in import dev_users, token_claims
from security_abuse_support import (
    SecurityLane,
    SecurityTally,
    error_codes,
    graphql_answer_problem,
    start_security_lane,
    stop_security_lane,
)
from security_token_support import USERS, Wallet, bad_tokens, metrics_of
from test_security_auth_matrix import (
    INGEST_ENDPOINTS,
    INGEST_EXPECTED,
    MUTATIONS,
    OTHER,
    OWN,
    _ingest_problem,
    _json_body,
    _websocket_outcome,
    expected_code,
)

SECURITY_AREA = "auth matrix (tokens)"
TOKEN_INGEST_EXPECTED = {
    **{caller: INGEST_EXPECTED[caller] for caller in USERS if caller in INGEST_EXPECTED},
    "provider": (403, "forbidden"),
    "no role": (403, "forbidden"),
}


@pytest.fixture(scope="module")
async def token_lane(stack: qsmo_stack.Stack) -> AsyncIterator[SecurityLane]:
    lane = await start_security_lane(stack)
    try:
        yield lane
    finally:
        stop_security_lane(lane)


@pytest.fixture(scope="module")
def wallet(stack: qsmo_stack.Stack) -> Wallet:
    return Wallet(stack.oidc_issuer, stack.oidc_redirect_uri, {})


async def test_every_development_user_signs_in_through_the_login_page(
    wallet: Wallet, token_lane: SecurityLane
) -> None:
    """Each user's token reaches the gateway as that person with the mapped role."""
    roles = {
        "viewer": ("VIEWER", None),
        "other QSMO's publisher": ("PUBLISHER", OTHER),
        "provider": ("PROVIDER", None),
        "publisher": ("PUBLISHER", OWN),
        "admin": ("ADMIN", None),
    }
    async with httpx.AsyncClient(timeout=30) as http:
        for caller, (role, qsmo) in roles.items():
            token = await wallet.token(caller)
            claims = token_claims(token)
            assert claims["iss"] == wallet.issuer
            assert claims["aud"] == "urn:qsmo:api"
            response = await token_lane.graphql(
                http, "{ viewer { keyId role qsmoId } }", who="raw:" + token
            )
            assert "errors" not in response.json(), response.text
            assert response.json()["data"]["viewer"] == {
                "keyId": f"oidc:local:{USERS[caller]}",
                "role": role,
                "qsmoId": qsmo,
            }, response.text


@pytest.mark.parametrize("endpoint", list(INGEST_ENDPOINTS))
async def test_security_ingest_token_matrix(
    token_lane: SecurityLane, security_tally: SecurityTally, wallet: Wallet, endpoint: str
) -> None:
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for caller in USERS:
            path, body, content_type = INGEST_ENDPOINTS[endpoint](f"sec-tok-{uuid.uuid4().hex}")
            _, response = await token_lane.post_ingest(
                http, path, body, who=await wallet.who(caller), content_type=content_type
            )
            problem = _ingest_problem(response, *TOKEN_INGEST_EXPECTED[caller])
            problems.append(
                security_tally.record(SECURITY_AREA, f"{endpoint} as {caller}", problem)
            )
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def _mutation_cell(
    lane: SecurityLane, http: httpx.AsyncClient, wallet: Wallet, name: str, caller: str
) -> str | None:
    row = MUTATIONS[name]
    variables = await row.prepare(lane, http)
    before = await lane.write_counts()
    response = await lane.graphql(
        http,
        f"mutation{row.variables} {{ {row.selection} }}",
        variables,
        who=await wallet.who(caller),
    )
    problem = graphql_answer_problem(response)
    if problem is not None:
        return problem
    body = response.json()
    # A token gets what a key of the same role gets; provider and no-role tokens: FORBIDDEN
    # (the provider tool cells are for ASSESSED, not the provider user's own usda-nfc).
    want = expected_code(name, row, caller)
    if want is None:
        if "errors" in body or not body.get("data", {}).get(name):
            return f"expected success: {response.text[:300]}"
        return None
    if error_codes(body) != [want]:
        return f"expected {want}: {response.text[:300]}"
    if await lane.write_counts() != before:
        return "refused but wrote"
    return None


@pytest.mark.parametrize("name", list(MUTATIONS))
async def test_security_mutation_token_matrix(
    token_lane: SecurityLane, security_tally: SecurityTally, wallet: Wallet, name: str
) -> None:
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for caller in USERS:
            problem = await _mutation_cell(token_lane, http, wallet, name, caller)
            problems.append(security_tally.record(SECURITY_AREA, f"{name} as {caller}", problem))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def test_the_audit_log_names_the_person_who_changed_the_framework(
    token_lane: SecurityLane, wallet: Wallet
) -> None:
    """The admin token's framework changes (above) carry its ``oidc:local:<sub>`` as actor and
    the person (sub, name, issuer); the only other actor is the admin key the cells'
    preparations use, whose entries name no person."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await token_lane.graphql(
            http,
            "{ auditLog(first: 100) { nodes { actor kind person { sub name issuer } "
            "details { key } } } }",
            who=await wallet.who("viewer"),
        )
    nodes = response.json()["data"]["auditLog"]["nodes"]
    by_token = {node["kind"] for node in nodes if node["actor"] == "oidc:local:dev-admin"}
    assert {"TARGET", "WEIGHT", "BASELINE", "DIMENSION_ADOPTED", "QSMO_ADDED"} <= by_token
    assert {node["actor"] for node in nodes} == {"oidc:local:dev-admin", "dev-admin"}
    admin = dev_users()["dev-admin"]
    for node in nodes:
        person = node["person"]
        if node["actor"] == "dev-admin":
            assert person is None, node
        else:
            assert person == {"sub": "dev-admin", "name": admin.name, "issuer": wallet.issuer}, node
        assert not [d for d in node["details"] if d["key"].startswith("person_")], node


async def test_commentary_and_actions_keep_the_person_in_the_store(
    token_lane: SecurityLane, wallet: Wallet
) -> None:
    """Written with a publisher's token, read back from the real store: the person is there."""
    who = await wallet.who("publisher")
    publisher = dev_users()[USERS["publisher"]]
    person = {"sub": publisher.username, "name": publisher.name, "issuer": wallet.issuer}
    text = f"sec-tok-person-{uuid.uuid4().hex}"
    async with httpx.AsyncClient(timeout=30) as http:
        written = await token_lane.graphql(
            http,
            f'mutation {{ addCommentary(qsmo: "{OWN}", measure: "customer-engagement", '
            f'fiscalYear: 2024, text: "{text}") {{ id }} }}',
            who=who,
        )
        assert "errors" not in written.json(), written.text
        created = await token_lane.graphql(
            http,
            f'mutation {{ createImprovementAction(qsmo: "{OWN}", measure: "customer-engagement", '
            f'title: "{text}", owner: "ops", dueDate: "2030-01-01") {{ id }} }}',
            who=who,
        )
        action_id = created.json()["data"]["createImprovementAction"]["id"]
        read = await token_lane.graphql(
            http,
            f'{{ commentary(qsmo: "{OWN}", first: 50) {{ nodes {{ text author '
            "person { sub name issuer } } } "
            f'improvementActions(qsmo: "{OWN}", first: 50) {{ nodes {{ id '
            "createdByPerson { sub name issuer } history { person { sub } } } } }",
            who=await wallet.who("viewer"),
        )
    data = read.json()["data"]
    mine = [n for n in data["commentary"]["nodes"] if n["text"] == text]
    assert mine == [{"text": text, "author": f"oidc:local:{publisher.username}", "person": person}]
    action = next(n for n in data["improvementActions"]["nodes"] if n["id"] == action_id)
    assert action["createdByPerson"] == person
    assert action["history"] == [{"person": {"sub": publisher.username}}]


# ---------------------------------------------------------------- bad tokens


async def test_security_bad_tokens_are_refused_counted_and_write_nothing(
    stack: qsmo_stack.Stack, token_lane: SecurityLane, security_tally: SecurityTally, wallet: Wallet
) -> None:
    tokens = await bad_tokens(stack, wallet)
    wallet.sent.extend(token for token, _ in tokens.values())
    url = token_lane.gateway_url.replace("http://", "ws://")
    problems = []
    async with httpx.AsyncClient(timeout=30) as http:
        for name, (token, reason) in tokens.items():
            status, code = (403, "FORBIDDEN") if reason == "no_role" else (401, "UNAUTHENTICATED")
            before_metrics = await metrics_of(token_lane, http)
            before = await token_lane.write_counts()
            path, body, content_type = _json_body(f"sec-tok-bad-{uuid.uuid4().hex}")
            _, ingest = await token_lane.post_ingest(
                http, path, body, who="raw:" + token, content_type=content_type
            )
            problem = _ingest_problem(
                ingest, status, code.lower().replace("unauthenticated", "unauthorized")
            )
            gql = await token_lane.graphql(
                http,
                f'mutation {{ setWeight(dimension: "financial", weight: 2, reason: "{name}") '
                "{ change { id } } }",
                who="raw:" + token,
            )
            if problem is None and error_codes(gql.json()) != [code]:
                problem = f"gateway answered {gql.text[:200]}"
            upload = await http.post(
                token_lane.lane.url("gateway", "/v1/surveys/any-wave/responses"),
                content=b"role,agency\n",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
            )
            if problem is None and upload.status_code != status:
                problem = f"survey upload answered {upload.status_code}: {upload.text[:200]}"
            ws = await _websocket_outcome(url, {"Authorization": f"Bearer {token}"})
            if problem is None and ws != "closed 4403":
                problem = f"websocket: {ws}"
            if problem is None and await token_lane.write_counts() != before:
                problem = "refused but wrote"
            after_metrics = await metrics_of(token_lane, http)
            for service in ("ingest", "gateway"):
                grew = after_metrics[service].get(reason, 0) - before_metrics[service].get(
                    reason, 0
                )
                if problem is None and grew < 1:
                    problem = f"{service} did not count a refusal with reason {reason}"
            problems.append(security_tally.record(SECURITY_AREA, f"token {name}", problem))
    assert not [p for p in problems if p], "\n".join(p for p in problems if p)


async def test_security_messages_say_why_a_token_was_refused(
    stack: qsmo_stack.Stack, token_lane: SecurityLane, wallet: Wallet
) -> None:
    tokens = await bad_tokens(stack, wallet)
    words = {
        "expired": "expired at",
        "wrong issuer": "not a trusted identity provider",
        "wrong audience": "not this platform's 'urn:qsmo:api'",
        "alg none": "alg 'none'",
        "HMAC with the public key": "HMAC-signed tokens",
        "tampered signature": "signature does not verify",
        "unknown kid": "'rs256-not-published', which issuer",
        "no role": "none of which is a QSMO platform role",
    }
    async with httpx.AsyncClient(timeout=30) as http:
        for name, phrase in words.items():
            response = await token_lane.graphql(
                http, "{ viewer { keyId } }", who="raw:" + tokens[name][0]
            )
            message = response.json()["errors"][0]["message"]
            assert phrase in message, f"{name}: {message}"


async def test_security_another_qsmos_write_with_a_token_is_forbidden_and_counted(
    token_lane: SecurityLane, wallet: Wallet
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        before = await metrics_of(token_lane, http)
        path, body, content_type = _json_body(f"sec-tok-other-{uuid.uuid4().hex}")
        _, response = await token_lane.post_ingest(
            http,
            path,
            body,
            who=await wallet.who("other QSMO's publisher"),
            content_type=content_type,
        )
        assert response.status_code == 403, response.text
        assert f"may publish only for QSMO '{OTHER}'" in response.json()["error"]["message"]
        gql = await token_lane.graphql(
            http,
            f'mutation {{ addCommentary(qsmo: "{OWN}", measure: "customer-engagement", '
            'fiscalYear: 2024, text: "not mine") { id } }',
            who=await wallet.who("other QSMO's publisher"),
        )
        assert error_codes(gql.json()) == ["FORBIDDEN"], gql.text
        after = await metrics_of(token_lane, http)
    for service in ("ingest", "gateway"):
        assert after[service].get("forbidden", 0) > before[service].get("forbidden", 0), service


async def test_security_websocket_with_a_viewer_token_is_acknowledged(
    token_lane: SecurityLane, wallet: Wallet
) -> None:
    url = token_lane.gateway_url.replace("http://", "ws://")
    token = await wallet.token("viewer")
    assert await _websocket_outcome(url, {"Authorization": f"Bearer {token}"}) == "connection_ack"


async def test_security_refused_token_requests_published_nothing(
    token_lane: SecurityLane, security_tally: SecurityTally, kafka_bootstrap: str
) -> None:
    ledger = token_lane.ledger
    messages = await ledger.topic_messages(kafka_bootstrap, token_lane.events_topic)
    problems = ledger.topic_problems(messages)
    security_tally.record(
        SECURITY_AREA, "topic holds only accepted events", "; ".join(problems) or None
    )
    assert not problems, "\n".join(problems)
    assert any(status == 202 for status, _ in ledger.answers.values())


def test_security_tokens_never_reach_the_logs(
    stack: qsmo_stack.Stack, token_lane: SecurityLane, security_tally: SecurityTally, wallet: Wallet
) -> None:
    """The lane logs at DEBUG; no token, and no token's signature, appears in its logs."""
    assert len(wallet.sent) > 10
    logs = [
        stack.logs / f"{service}{token_lane.label_suffix}.log" for service in ("ingest", "gateway")
    ]
    text = "\n".join(path.read_text(errors="replace") for path in logs)
    assert "oidc:local:dev-admin" in text  # the person's key id is logged, as a key's id is
    leaked = [
        t[:20]
        for t in wallet.sent
        if t in text or (t.rsplit(".", 1)[1] and t.rsplit(".", 1)[1] in text)
    ]
    security_tally.record(
        SECURITY_AREA, "tokens never logged", f"leaked {leaked}" if leaked else None
    )
    assert not leaked
