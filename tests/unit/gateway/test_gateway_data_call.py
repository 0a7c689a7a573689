"""The annual data call through the schema and the gateway's HTTP face, on in-memory stores:
submit by GraphQL or workbook (one validation, all or nothing), review, the audit trail and
its diff, who sees what, the status board and providerComparison's cost columns."""

import copy
import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from gateway_unit_support import KEYS, Harness, error_codes
from openpyxl import load_workbook

from gateway.app import assemble
from gateway.provider_tools.data_call_store import InMemoryDataCallStore
from gateway.provider_tools.workbook import MEDIA_TYPE, columns
from shared.catalog.data_call import example_sections, load_data_call_schema
from shared.domain.data_call import FieldKind

FY = 2024  # the harness's clock is in FY2024
PROVIDER = "doi-ibc"  # offered by financial-management and human-resources
OWN_KEY = f"prov:{PROVIDER}"
REVIEWER = "pub:financial-management"
SCHEMA = load_data_call_schema()

SUBMIT = """mutation($provider: ID!, $sections: JSON!, $reason: String) {
  submitDataCall(provider: $provider, fiscalYear: 2024, sections: $sections, reason: $reason) {
    id status latestVersion acceptedVersion cost { costPerTransaction }
    versions { version status submittedBy reason source templateVersion } } }"""
REVIEW = """mutation($decision: DataCallDecision!, $comments: String, $version: Int) {
  reviewDataCall(id: "doi-ibc|FY2024", decision: $decision, comments: $comments,
                 version: $version) {
    status acceptedVersion cost { costPerTransaction ftePerThousandCustomers totalCost }
    versions { version status review { decision comments reviewedBy } } } }"""
READ = """{ dataCall(provider: "doi-ibc", fiscalYear: 2024) {
  status latestVersion acceptedVersion provider { id }
  versions { version status reason sections changes { section key field kind description } }
  diff(from: 1, to: 2) { description } } }"""
COMPARISON = """{ providerComparison(qsmo: "financial-management", fiscalYear: 2024,
  measures: ["customer-satisfaction"]) {
  rows { provider { id } cost { costPerTransaction ftePerThousandCustomers totalCost } } } }"""


def store_of(harness: Harness) -> InMemoryDataCallStore:
    store = harness.runtime.tools.data_calls.store
    assert isinstance(store, InMemoryDataCallStore)
    return store


async def submit(
    harness: Harness,
    sections: Any = None,
    *,
    who: str = OWN_KEY,
    reason: str | None = None,
    provider: str = PROVIDER,
) -> Any:
    variables = {
        "provider": provider,
        "sections": example_sections(FY) if sections is None else sections,
        "reason": reason,
    }
    return await harness.run(SUBMIT, variables, who=who)


async def accept(harness: Harness) -> None:
    await harness.data(REVIEW, {"decision": "ACCEPT"}, who=REVIEWER)


async def test_the_schema_query_lists_the_six_sections(harness: Harness) -> None:
    data = await harness.data(
        "{ dataCallSchema { version sections { name rows rowKey jsonSchema } } }"
    )
    found = data["dataCallSchema"]
    assert found["version"] == "1.0"
    assert [s["name"] for s in found["sections"]] == [s.name for s in SCHEMA.sections]
    staffing = found["sections"][2]
    assert (staffing["rows"], staffing["rowKey"]) == (True, "function")
    assert staffing["jsonSchema"]["$schema"] == "https://json-schema.org/draft/2020-12/schema"


async def test_submit_then_accept_fills_the_cost_columns(harness: Harness) -> None:
    before = await harness.data(COMPARISON)
    assert all(r["cost"] is None for r in before["providerComparison"]["rows"])
    result = await submit(harness)
    assert result.errors is None, result.errors
    sent = result.data["submitDataCall"]  # type: ignore[index]
    assert (sent["id"], sent["status"], sent["latestVersion"], sent["acceptedVersion"]) == (
        "doi-ibc|FY2024",
        "SUBMITTED",
        1,
        None,
    )
    assert sent["versions"] == [
        {
            "version": 1,
            "status": "SUBMITTED",
            "submittedBy": "t-prov-doi-ibc",
            "reason": None,
            "source": "GRAPHQL",
            "templateVersion": "1.0",
        }
    ]
    assert sent["cost"] is None  # nothing accepted yet
    reviewed = await harness.data(REVIEW, {"decision": "ACCEPT", "version": 1}, who=REVIEWER)
    call = reviewed["reviewDataCall"]
    assert (call["status"], call["acceptedVersion"]) == ("ACCEPTED", 1)
    assert call["cost"] == {
        "costPerTransaction": 8.0,
        "ftePerThousandCustomers": 4.0,
        "totalCost": 12_000_000.0,
    }
    assert call["versions"][0]["review"] == {
        "decision": "ACCEPT",
        "comments": None,
        "reviewedBy": "t-pub-financial-management",
    }
    rows = {
        r["provider"]["id"]: r["cost"]
        for r in (await harness.data(COMPARISON))["providerComparison"]["rows"]
    }
    assert rows[PROVIDER] == call["cost"]
    assert rows["treasury-arc"] is None


async def test_every_problem_is_named_and_nothing_is_stored(harness: Harness) -> None:
    sections = copy.deepcopy(example_sections(FY))
    sections["staffing"][1]["federal_fte"] = "twenty"
    sections["budget"] = [sections["budget"][0]]  # FY2023 only
    result = await submit(harness, sections)
    assert error_codes(result) == ["BAD_USER_INPUT"]
    [error] = result.errors or []
    assert error.extensions is not None
    assert error.extensions["field"] == "sections"
    assert error.extensions["problems"] == [
        {
            "section": "staffing",
            "row": 2,
            "field": "federal_fte",
            "message": "must be a number, not text 'twenty'",
        },
        {
            "section": "budget",
            "row": None,
            "field": "fiscal_year",
            "message": "no row for FY2024, the data call's fiscal year; add it (cost per "
            "transaction is computed from its operating cost)",
        },
    ]
    assert store_of(harness).calls == {}


async def test_a_second_submission_while_one_is_under_review_is_refused(harness: Harness) -> None:
    await submit(harness)
    result = await submit(harness, reason="fixed a typo")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    [error] = result.errors or []
    assert error.extensions is not None
    assert error.extensions["reason"] == "under_review"
    assert "under review since 2024-05-15 12:00 UTC" in error.message
    stored = store_of(harness).calls["doi-ibc|FY2024"]
    assert len(stored.versions) == 1


async def test_a_provider_may_not_submit_for_another_provider(harness: Harness) -> None:
    result = await submit(harness, provider="treasury-arc")
    assert error_codes(result) == ["FORBIDDEN"]
    [error] = result.errors or []
    assert "may not submit a data call for provider 'treasury-arc'" in error.message
    assert "that provider's own key" in error.message
    assert store_of(harness).calls == {}
    for who in ("viewer", REVIEWER):
        assert error_codes(await submit(harness, who=who)) == ["FORBIDDEN"]


async def test_unknown_provider_and_fiscal_year_out_of_range(harness: Harness) -> None:
    unknown = await submit(harness, provider="doi-ibx", who="admin")
    assert error_codes(unknown) == ["NOT_FOUND"]
    assert "did you mean 'doi-ibc'" in (unknown.errors or [])[0].message
    late = await harness.run(
        'mutation($s: JSON!) { submitDataCall(provider: "doi-ibc", fiscalYear: 2030, '
        "sections: $s) { id } }",
        {"s": example_sections(2030)},
        who=OWN_KEY,
    )
    assert error_codes(late) == ["BAD_USER_INPUT"]
    assert "from 2022 (the framework's first) to 2025" in (late.errors or [])[0].message


async def test_return_then_correct_keeps_the_audit_trail_and_the_diff(harness: Harness) -> None:
    await submit(harness)
    no_comments = await harness.run(REVIEW, {"decision": "RETURN"}, who=REVIEWER)
    assert error_codes(no_comments) == ["BAD_USER_INPUT"]
    await harness.data(
        REVIEW, {"decision": "RETURN", "comments": "payroll FTE look low"}, who=REVIEWER
    )
    corrected = copy.deepcopy(example_sections(FY))
    corrected["staffing"][1]["federal_fte"] = 35.5
    without_reason = await submit(harness, corrected)
    assert error_codes(without_reason) == ["BAD_USER_INPUT"]
    assert (without_reason.errors or [])[0].extensions["field"] == "reason"  # type: ignore[index]
    assert (await submit(harness, corrected, reason="counted part-timers")).errors is None
    call = (await harness.data(READ, who=OWN_KEY))["dataCall"]
    assert (call["status"], call["latestVersion"], call["acceptedVersion"]) == (
        "SUBMITTED",
        2,
        None,
    )
    first, second = call["versions"]
    assert (first["status"], first["changes"]) == ("RETURNED", [])
    assert (second["reason"], second["changes"]) == (
        "counted part-timers",
        [
            {
                "section": "staffing",
                "key": "payroll",
                "field": "federal_fte",
                "kind": "CHANGED",
                "description": "staffing 'payroll' federal_fte: 25.5 → 35.5",
            }
        ],
    )
    assert call["diff"] == [{"description": "staffing 'payroll' federal_fte: 25.5 → 35.5"}]


async def test_others_see_the_accepted_versions_only(harness: Harness) -> None:
    await submit(harness)
    assert (await harness.data(READ.replace("diff(from: 1, to: 2) { description }", "")))[
        "dataCall"
    ]["versions"] == []
    await accept(harness)
    changed = copy.deepcopy(example_sections(FY))
    changed["demographics"]["customer_count"] = 40_000
    await submit(harness, changed, reason="customer count restated")
    query = READ.replace("diff(from: 1, to: 2) { description }", "")
    viewer = (await harness.data(query, who="viewer"))["dataCall"]
    assert [v["version"] for v in viewer["versions"]] == [1]
    assert viewer["latestVersion"] == 2
    assert viewer["status"] == "SUBMITTED"
    other_publisher = (await harness.data(query, who="pub:cybersecurity"))["dataCall"]
    assert [v["version"] for v in other_publisher["versions"]] == [1]
    reviewer = (await harness.data(query, who=REVIEWER))["dataCall"]
    assert [v["version"] for v in reviewer["versions"]] == [1, 2]
    hidden = await harness.run(
        '{ dataCall(provider: "doi-ibc", fiscalYear: 2024) { diff(from: 1, to: 2) { kind } } }'
    )
    assert error_codes(hidden) == ["BAD_USER_INPUT"]
    # the comparison keeps showing the accepted version until the correction is accepted
    rows = (await harness.data(COMPARISON))["providerComparison"]["rows"]
    assert (
        next(r for r in rows if r["provider"]["id"] == PROVIDER)["cost"]["ftePerThousandCustomers"]
        == 4.0
    )
    await accept(harness)
    rows = (await harness.data(COMPARISON))["providerComparison"]["rows"]
    assert (
        next(r for r in rows if r["provider"]["id"] == PROVIDER)["cost"]["ftePerThousandCustomers"]
        == 2.0
    )


async def test_review_permissions_and_the_review_queue(harness: Harness) -> None:
    await submit(harness)
    await submit(
        harness, who="prov:cisa-cyber-shared-services", provider="cisa-cyber-shared-services"
    )
    queue = "query($q: ID) { dataCallsToReview(qsmo: $q) { id } }"
    assert [c["id"] for c in (await harness.data(queue, who="admin"))["dataCallsToReview"]] == [
        "cisa-cyber-shared-services|FY2024",
        "doi-ibc|FY2024",
    ]
    mine = await harness.data(queue, who=REVIEWER)
    assert [c["id"] for c in mine["dataCallsToReview"]] == ["doi-ibc|FY2024"]
    narrowed = await harness.data(queue, {"q": "cybersecurity"}, who="admin")
    assert [c["id"] for c in narrowed["dataCallsToReview"]] == ["cisa-cyber-shared-services|FY2024"]
    assert error_codes(await harness.run(queue, who=OWN_KEY)) == ["FORBIDDEN"]
    refused = await harness.run(REVIEW, {"decision": "ACCEPT"}, who="pub:cybersecurity")
    assert error_codes(refused) == ["FORBIDDEN"]
    assert error_codes(await harness.run(REVIEW, {"decision": "ACCEPT"}, who=OWN_KEY)) == [
        "FORBIDDEN"
    ]
    stale = await harness.run(REVIEW, {"decision": "ACCEPT", "version": 2}, who=REVIEWER)
    assert (stale.errors or [])[0].extensions["reason"] == "not_the_version_under_review"  # type: ignore[index]
    missing = await harness.run(
        'mutation { reviewDataCall(id: "doi-ibc|FY2023", decision: ACCEPT) { id } }', who="admin"
    )
    assert error_codes(missing) == ["NOT_FOUND"]


async def test_the_status_board_lists_every_provider_of_the_qsmo(harness: Harness) -> None:
    await submit(harness)
    await accept(harness)
    await submit(harness, who="admin", provider="treasury-arc")
    board = await harness.data(
        '{ dataCallStatus(qsmo: "financial-management", fiscalYear: 2024) { provider { id } '
        "status latestVersion acceptedVersion cost { costPerTransaction } } }"
    )
    rows = {r["provider"]["id"]: r for r in board["dataCallStatus"]}
    assert rows[PROVIDER]["status"] == "ACCEPTED"
    assert rows[PROVIDER]["cost"] == {"costPerTransaction": 8.0}
    assert (rows["treasury-arc"]["status"], rows["treasury-arc"]["cost"]) == ("SUBMITTED", None)
    assert rows["usda-nfc"] == {
        "provider": {"id": "usda-nfc"},
        "status": "NOT_SUBMITTED",
        "latestVersion": None,
        "acceptedVersion": None,
        "cost": None,
    }
    assert "opm-hrs" not in rows  # human-resources only


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=assemble(harness.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


def bearer(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


def filled(template: bytes, sections: dict[str, Any]) -> bytes:
    """The downloaded template with ``sections`` typed in (openpyxl, cell by cell)."""
    workbook = load_workbook(io.BytesIO(template))
    for section in SCHEMA.sections:
        rows = sections[section.name] if section.has_rows else [sections[section.name]]
        for number, row in enumerate(rows, start=2):
            for index, column in enumerate(columns(section), start=1):
                value = row.get(column.field.name)
                if column.choice is not None:
                    value = "yes" if column.choice in value else "no"
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
                elif column.field.kind is FieldKind.DATE:
                    value = date.fromisoformat(value)
                workbook[section.name].cell(number, index, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_template_download_and_workbook_upload(
    client: httpx.AsyncClient, harness: Harness
) -> None:
    response = await client.get(
        f"/v1/data-call/{FY}/template.xlsx", params={"provider": PROVIDER}, headers=bearer(OWN_KEY)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    assert 'filename="data-call-FY2024-doi-ibc.xlsx"' in response.headers["content-disposition"]
    body = filled(response.content, example_sections(FY))
    uploaded = await client.post(
        f"/v1/data-call/{FY}/workbook",
        params={"provider": PROVIDER},
        content=body,
        headers={**bearer(OWN_KEY), "Content-Type": MEDIA_TYPE},
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json() == {
        "id": "doi-ibc|FY2024",
        "provider": PROVIDER,
        "fiscalYear": FY,
        "version": 1,
        "status": "SUBMITTED",
        "submittedAt": "2024-05-15T12:00:00+00:00",
        "templateVersion": "1.0",
        "cost": {"costPerTransaction": 8.0, "ftePerThousandCustomers": 4.0, "totalCost": 12e6},
    }
    stored = store_of(harness).calls["doi-ibc|FY2024"]
    assert stored.latest.sections == example_sections(FY)
    assert stored.latest.source.value == "workbook"


async def test_a_multipart_upload_with_a_reason(
    client: httpx.AsyncClient, harness: Harness
) -> None:
    template = (
        await client.get(f"/v1/data-call/{FY}/template.xlsx", headers=bearer("admin"))
    ).content
    body = filled(template, example_sections(FY))
    first = await client.post(
        f"/v1/data-call/{FY}/workbook?provider={PROVIDER}",
        files={"file": ("data-call.xlsx", body, MEDIA_TYPE)},
        headers=bearer("admin"),
    )
    assert first.status_code == 201, first.text
    await accept(harness)
    second = await client.post(
        f"/v1/data-call/{FY}/workbook?provider={PROVIDER}",
        files={"file": ("data-call.xlsx", body, MEDIA_TYPE)},
        data={"reason": "resubmitted unchanged"},
        headers=bearer("admin"),
    )
    assert second.status_code == 201, second.text
    assert store_of(harness).calls["doi-ibc|FY2024"].latest.reason == "resubmitted unchanged"


async def _template(client: httpx.AsyncClient) -> bytes:
    response = await client.get(
        f"/v1/data-call/{FY}/template.xlsx", params={"provider": PROVIDER}, headers=bearer("admin")
    )
    return response.content


async def _upload(
    client: httpx.AsyncClient, body: bytes, who: str = OWN_KEY, provider: str = PROVIDER, **kw: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/data-call/{FY}/workbook",
        params={"provider": provider},
        content=body,
        headers={**bearer(who), "Content-Type": kw.get("content_type", MEDIA_TYPE)},
    )


async def test_bad_uploads_are_refused_with_json_errors_and_store_nothing(
    client: httpx.AsyncClient, harness: Harness
) -> None:
    template = await _template(client)
    wrong = copy.deepcopy(example_sections(FY))
    wrong["staffing"][0]["function"] = "payrol"
    invalid = await _upload(client, filled(template, wrong))
    assert invalid.status_code == 422
    error = invalid.json()["error"]
    assert error["code"] == "INVALID_WORKBOOK"
    assert [(e["sheet"], e["row"], e["column"], e["field"]) for e in error["errors"]] == [
        ("staffing", 2, "A", "function")
    ]
    assert "did you mean 'payroll'" in error["errors"][0]["message"]
    other = await _upload(client, filled(template, example_sections(FY)), provider="treasury-arc")
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "FORBIDDEN"
    viewer = await _upload(client, b"whatever", who="viewer")
    assert viewer.status_code == 403
    junk = await _upload(client, b"not a workbook")
    assert junk.status_code == 422
    assert "not an .xlsx workbook" in junk.json()["error"]["errors"][0]["message"]
    text = await _upload(client, b"a,b", content_type="text/csv")
    assert text.status_code == 415
    assert text.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    anonymous = await client.post(f"/v1/data-call/{FY}/workbook?provider={PROVIDER}", content=b"")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHENTICATED"
    assert store_of(harness).calls == {}
    good = filled(template, example_sections(FY))
    assert (await _upload(client, good)).status_code == 201
    again = await _upload(client, good)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    assert "under review" in again.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/v1/data-call/20x4/template.xlsx", 400, "four digits"),
        ("/v1/data-call/2019/template.xlsx", 400, "from 2022"),
        ("/v1/data-call/2024/template.xlsx?provider=nobody", 404, "unknown provider 'nobody'"),
        ("/v1/data-call/2024/workbook", 400, "?provider=<provider id>"),
    ],
)
async def test_bad_requests_name_the_fix(
    client: httpx.AsyncClient, path: str, status: int, words: str
) -> None:
    method = client.post if path.endswith("workbook") else client.get
    response = await method(path, headers=bearer("admin"))
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
