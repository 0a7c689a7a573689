"""The annual data call end to end: a provider downloads the Excel template from the real
gateway, fills it in with openpyxl, uploads it over HTTP; the bad uploads of the issue are
each refused with a clear error and store nothing (checked in the real store); a reviewer
accepts it by GraphQL and providerComparison shows its cost columns.

FY2023 and the provider doi-ibc are this module's own: no other test of the session submits
a data call, and providerComparison's cost only ever comes from one.
"""

import io
from datetime import date
from typing import Any

import pytest
from gateway_pipeline_support import Pipeline
from openpyxl import load_workbook

from gateway.provider_tools.data_call_store import COLLECTION
from gateway.provider_tools.workbook import MEDIA_TYPE, columns
from shared.catalog.data_call import example_sections, load_data_call_schema
from shared.domain.data_call import FieldKind
from shared.mongo import create_mongo_client

FY = 2023
PROVIDER = "doi-ibc"
SCHEMA = load_data_call_schema()
COMPARISON = """{ providerComparison(qsmo: "financial-management", fiscalYear: 2023,
  measures: ["customer-satisfaction"]) {
  rows { provider { id } cost { costPerTransaction ftePerThousandCustomers totalCost } } } }"""
AUDIT = """{ dataCall(provider: "doi-ibc", fiscalYear: 2023) {
  status latestVersion acceptedVersion
  versions { version status source submittedBy review { decision reviewedBy } } } }"""


def typed_in(template: bytes, sections: dict[str, Any]) -> Any:
    """The template with ``sections`` typed in cell by cell, as a person would."""
    workbook = load_workbook(io.BytesIO(template))
    for section in SCHEMA.sections:
        rows = sections[section.name] if section.has_rows else [sections[section.name]]
        for number, row in enumerate(rows, start=2):
            for index, column in enumerate(columns(section), start=1):
                value = row.get(column.field.name)
                if column.choice is not None:
                    value = "yes" if column.choice in value else "no"
                elif column.kind is FieldKind.YES_NO:
                    value = "yes" if value else "no"
                elif column.kind is FieldKind.DATE and value is not None:
                    value = date.fromisoformat(value)
                workbook[section.name].cell(number, index, value)
    return workbook


def saved(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def upload(pipeline: Pipeline, body: bytes, who: str) -> Any:
    return await pipeline.http.post(
        pipeline.lane.url("gateway", f"/v1/data-call/{FY}/workbook"),
        params={"provider": PROVIDER},
        content=body,
        headers={**pipeline.keys.bearer(who), "Content-Type": MEDIA_TYPE},
    )


async def stored(pipeline: Pipeline, mongo_url: str) -> list[dict[str, Any]]:
    client = create_mongo_client(mongo_url)
    try:
        collection = client[pipeline.lane.database][COLLECTION]
        return await collection.find({"provider": PROVIDER, "fiscal_year": FY}).to_list()
    finally:
        await client.close()


@pytest.fixture(scope="module")
async def template(pipeline: Pipeline) -> bytes:
    response = await pipeline.http.get(
        pipeline.lane.url("gateway", f"/v1/data-call/{FY}/template.xlsx"),
        params={"provider": PROVIDER},
        headers=pipeline.keys.bearer(f"provider:{PROVIDER}"),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    return response.content


async def test_bad_uploads_are_refused_and_store_nothing(
    pipeline: Pipeline, template: bytes, mongo_url: str
) -> None:
    own = f"provider:{PROVIDER}"
    other_version = typed_in(template, example_sections(FY))
    other_version["README"]["B3"] = "0.9"
    renamed = typed_in(template, example_sections(FY))
    renamed["budget"].title = "Budget FY23"
    text = typed_in(template, example_sections(FY))
    text["staffing"]["B3"] = "25 FTE"
    cases = [  # (workbook, who, status, code, where, words)
        (other_version, own, 422, "INVALID_WORKBOOK", ("README", 3, "B"), "template version '0.9'"),
        (renamed, own, 422, "INVALID_WORKBOOK", ("budget", None, None), "found 'Budget FY23'"),
        (text, own, 422, "INVALID_WORKBOOK", ("staffing", 3, "B"), "in a number column"),
        (
            typed_in(template, example_sections(FY)),
            "provider:treasury-arc",
            403,
            "FORBIDDEN",
            None,
            "may not submit a data call for provider 'doi-ibc'",
        ),
    ]
    for workbook, who, status, code, where, words in cases:
        response = await upload(pipeline, saved(workbook), who)
        assert response.status_code == status, response.text
        error = response.json()["error"]
        assert error["code"] == code
        if where is None:
            assert words in error["message"]
        else:
            [problem] = error["errors"]
            assert (problem["sheet"], problem["row"], problem["column"]) == where
            assert words in problem["message"]
    assert await stored(pipeline, mongo_url) == []
    assert (await pipeline.data(AUDIT, who="admin"))["dataCall"] is None


async def test_upload_review_and_cost_columns(
    pipeline: Pipeline, template: bytes, mongo_url: str
) -> None:
    own = f"provider:{PROVIDER}"
    body = saved(typed_in(template, example_sections(FY)))
    first = await upload(pipeline, body, own)
    assert first.status_code == 201, first.text
    assert (first.json()["id"], first.json()["version"], first.json()["status"]) == (
        "doi-ibc|FY2023",
        1,
        "SUBMITTED",
    )
    second = await upload(pipeline, body, own)
    assert second.status_code == 409
    assert "under review" in second.json()["error"]["message"]
    [document] = await stored(pipeline, mongo_url)
    assert len(document["versions"]) == 1
    assert document["versions"][0]["sections"] == example_sections(FY)

    before = await pipeline.data(COMPARISON)
    assert all(r["cost"] is None for r in before["providerComparison"]["rows"])
    review = await pipeline.graphql(
        'mutation { reviewDataCall(id: "doi-ibc|FY2023", decision: ACCEPT, version: 1) '
        "{ status acceptedVersion } }",
        who="financial-management",
    )
    assert review == {"data": {"reviewDataCall": {"status": "ACCEPTED", "acceptedVersion": 1}}}

    rows = {
        r["provider"]["id"]: r["cost"]
        for r in (await pipeline.data(COMPARISON))["providerComparison"]["rows"]
    }
    assert rows[PROVIDER] == {
        "costPerTransaction": 8.0,
        "ftePerThousandCustomers": 4.0,
        "totalCost": 12_000_000.0,
    }
    assert rows["treasury-arc"] is None
    audit = (await pipeline.data(AUDIT, who=own))["dataCall"]
    assert audit == {
        "status": "ACCEPTED",
        "latestVersion": 1,
        "acceptedVersion": 1,
        "versions": [
            {
                "version": 1,
                "status": "ACCEPTED",
                "source": "WORKBOOK",
                "submittedBy": "dev-provider-doi-ibc",
                "review": {
                    "decision": "ACCEPT",
                    "reviewedBy": "dev-publisher-financial-management",
                },
            }
        ],
    }
