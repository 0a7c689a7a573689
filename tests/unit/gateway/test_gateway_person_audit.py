"""Changes made with a sign-in token name the person (sub, name, issuer): the framework audit
log, commentary and improvement actions (with each status change), and ``viewer``; a key's
changes name none. And the dashboard's ``/dashboard/config.json`` from the settings."""

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gateway_unit_support import Harness, build_harness
from pydantic import ValidationError

from gateway.context import Caller, GatewayContext
from gateway.dashboard import mount_dashboard, sign_in_options
from shared.api_keys import Person, Principal, Role
from shared.identity.people import as_recorded, person_details, person_from_details
from shared.identity.settings import IdentitySettings

ISSUER = "https://login.agency.example/oauth2/qsmo"
DOC = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
SECTION = (
    DOC.read_text().split("\n### Who did it: people in the audit trail\n")[1].split("\n## ")[0]
)
ADA = Person(
    sub="00u1ada", name="Ada Admin", issuer=ISSUER, expires_at=datetime(2030, 1, 1, tzinfo=UTC)
)
PAT = Person(sub="00u2pat", name="Pat Publisher", issuer=ISSUER)
RECORDED = {"sub": "00u1ada", "name": "Ada Admin", "issuer": ISSUER}


async def run_as(harness: Harness, principal: Principal, query: str) -> dict[str, Any]:
    result = await harness.schema.execute(
        query, context_value=GatewayContext(harness.runtime, Caller(principal))
    )
    assert result.errors is None, [e.formatted for e in result.errors or ()]
    assert result.data is not None
    return result.data


def admin_token() -> Principal:
    return Principal(key_id="oidc:agency:00u1ada", role=Role.ADMIN, person=ADA)


def publisher_token() -> Principal:
    return Principal(
        key_id="oidc:agency:00u2pat", role=Role.PUBLISHER, qsmo="cybersecurity", person=PAT
    )


def test_person_details_round_trip_without_the_expiry() -> None:
    details = person_details(ADA)
    assert details == {"person_sub": "00u1ada", "person_name": "Ada Admin", "person_issuer": ISSUER}
    assert person_from_details({**details, "seq": "3"}) == as_recorded(ADA)
    assert as_recorded(ADA) == Person(sub="00u1ada", name="Ada Admin", issuer=ISSUER)
    assert person_details(None) == {}
    assert person_from_details({"seq": "3"}) is None
    nameless = Person(sub="s", issuer=ISSUER)
    assert person_from_details(person_details(nameless)) == nameless


async def test_the_audit_log_names_the_person_and_not_a_keys() -> None:
    harness = build_harness()
    change = (
        'mutation { setTarget(measure: "customer-engagement", target: 7, reason: "%s") '
        "{ change { actor person { sub name issuer } } } }"
    )
    by_token = await run_as(harness, admin_token(), change % "by token")
    assert by_token["setTarget"]["change"] == {"actor": "oidc:agency:00u1ada", "person": RECORDED}
    by_key = await harness.data(change % "by key", who="admin")
    assert by_key["setTarget"]["change"]["person"] is None
    log = await harness.data(
        "{ auditLog(first: 10) { nodes { reason person { sub } details { key } } } }"
    )
    nodes = {n["reason"]: n for n in log["auditLog"]["nodes"]}
    assert nodes["by token"]["person"] == {"sub": "00u1ada"}
    assert nodes["by key"]["person"] is None
    assert not [d for n in nodes.values() for d in n["details"] if d["key"].startswith("person")]
    stored = [
        c for c in [r.change for r in harness.framework_log.records] if c.reason == "by token"
    ]
    assert "person_issuer" in stored[0].details  # recorded with the change, not looked up


async def test_commentary_and_actions_name_the_person() -> None:
    harness = build_harness()
    publisher = publisher_token()
    commentary = await run_as(
        harness,
        publisher,
        'mutation { addCommentary(qsmo: "cybersecurity", measure: "customer-engagement", '
        'fiscalYear: 2026, text: "why") { author person { sub name issuer } } }',
    )
    pat = {"sub": "00u2pat", "name": "Pat Publisher", "issuer": ISSUER}
    assert commentary["addCommentary"] == {"author": "oidc:agency:00u2pat", "person": pat}
    created = await run_as(
        harness,
        publisher,
        'mutation { createImprovementAction(qsmo: "cybersecurity", measure: '
        '"customer-engagement", title: "Fix", owner: "Ops", dueDate: "2026-12-31") '
        "{ id createdByPerson { sub } history { person { sub } } } }",
    )
    action = created["createImprovementAction"]
    assert action["createdByPerson"] == {"sub": "00u2pat"}
    assert action["history"] == [{"person": {"sub": "00u2pat"}}]
    updated = await run_as(
        harness,
        admin_token(),
        f'mutation {{ updateImprovementAction(id: "{action["id"]}", status: IN_PROGRESS) '
        "{ createdByPerson { sub } history { by person { name } } } }",
    )
    history = updated["updateImprovementAction"]["history"]
    assert history[-1] == {"by": "oidc:agency:00u1ada", "person": {"name": "Ada Admin"}}
    by_key = await harness.data(
        'mutation { addCommentary(qsmo: "cybersecurity", measure: "customer-engagement", '
        'fiscalYear: 2026, text: "key") { person { sub } } }',
        who="admin",
    )
    assert by_key["addCommentary"]["person"] is None


async def test_the_viewer_names_the_signed_in_person() -> None:
    harness = build_harness()
    data = await run_as(harness, admin_token(), "{ viewer { keyId person { name issuer } } }")
    assert data["viewer"] == {
        "keyId": "oidc:agency:00u1ada",
        "person": {"name": "Ada Admin", "issuer": ISSUER},
    }
    assert (await harness.data("{ viewer { person { sub } } }"))["viewer"]["person"] is None


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        return await http.get(path)


async def test_the_dashboard_config_names_the_providers_with_a_dashboard_client() -> None:
    identity = IdentitySettings(
        oidc_providers=[
            {
                "name": "agency",
                "issuer": ISSUER,
                "audience": "api://qsmo",
                "dashboard": {"client_id": "0oa-dash", "label": "Sign in with the agency"},
            },
            {"name": "api-only", "issuer": "https://other.example", "audience": "api://qsmo"},
        ]
    )
    app = FastAPI()
    mount_dashboard(app, sign_in_options(identity))
    response = await get(app, "/dashboard/config.json")
    assert response.status_code == 200
    assert response.json() == {
        "signIn": [
            {
                "provider": "agency",
                "label": "Sign in with the agency",
                "issuer": ISSUER,
                "clientId": "0oa-dash",
                "scope": "openid profile",
                "resource": None,
            }
        ],
        "apiKeys": True,
    }
    assert (await get(app, "/dashboard/app.js")).status_code == 200  # files still served


async def test_no_provider_no_sign_in_option() -> None:
    app = FastAPI()
    mount_dashboard(app)
    assert (await get(app, "/dashboard/config.json")).json()["signIn"] == []


@pytest.mark.parametrize(
    ("dashboard", "field"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_id": "c", "scope": "profile"}, "'openid' first"),
        ({"client_id": "c", "scope": "openid  profile"}, "single spaces"),
        ({"client_id": "c", "secret": "x"}, "secret"),
    ],
)
def test_a_bad_dashboard_client_names_its_field(dashboard: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        IdentitySettings(
            oidc_providers=[
                {"name": "a", "issuer": ISSUER, "audience": "x", "dashboard": dashboard}
            ]
        )
    assert field in str(error.value)


async def test_the_documented_audit_query_names_the_person() -> None:
    """docs/operations.md's audit-log query, run after a token's change and a key's."""
    [document] = re.findall(r"```graphql\n(.*?)```", SECTION, re.DOTALL)
    harness = build_harness()
    change = 'mutation { setTarget(measure: "customer-engagement", target: 7, reason: "%s") { change { id } } }'
    await run_as(harness, admin_token(), change % "token")
    await harness.data(change % "key", who="admin")
    nodes = (await harness.data(document))["auditLog"]["nodes"]
    assert [(n["reason"], n["person"]) for n in nodes] == [("key", None), ("token", RECORDED)]
