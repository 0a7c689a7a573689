"""The survey through the schema and the import endpoint, on in-memory fakes.

Waves, web-form responses, CSV/XLSX imports (all or nothing, re-import stores nothing
twice), results only after close with withheld groups, comments for admins and the provider
concerned, and the events a close owes (in the in-memory publisher).
"""

import io
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from gateway_unit_support import KEYS, Harness, error_codes
from openpyxl import Workbook

from gateway.app import assemble
from gateway.provider_tools.events import InMemoryToolEventPublisher

WAVE = "fy2024-spring-pulse"
CREATE = """mutation { createSurveyWave(fiscalYear: 2024, name: "Spring pulse",
  opensOn: "2024-05-01", closesOn: "2024-06-30",
  items: [{id: "overall", text: "Overall?", overall: true}, {id: "ease", text: "Easy?"}])
  { id status items { id overall } } }"""
RECORD = """mutation($r: SurveyResponseInput!) {
  recordSurveyResponse(wave: "fy2024-spring-pulse", response: $r) { received stored alreadyStored } }"""
RESULTS = """query($by: SurveyGroupBy, $provider: ID) {
  surveyResults(wave: "fy2024-spring-pulse", groupBy: $by, provider: $provider) {
    total { respondents withheld withheldReason overallMean responseRate }
    groups { value label withheld withheldReason respondents overallMean itemMeans { itemId mean } } } }"""
HEADER = "role,agency,function,provider,overall,ease,comment\n"


def form(
    role: str = "manager", agency: str = "DOI", overall: int = 4, **extra: Any
) -> dict[str, Any]:
    return {
        "role": role,
        "agency": agency,
        "function": "payroll",
        "provider": "doi-ibc",
        "ratings": [{"item": "overall", "rating": overall}, {"item": "ease", "rating": 3}],
        **extra,
    }


@pytest.fixture
async def client(harness: Harness) -> AsyncIterator[httpx.AsyncClient]:
    await harness.data(CREATE, who="admin")
    transport = httpx.ASGITransport(app=assemble(harness.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def upload(
    client: httpx.AsyncClient, body: bytes, who: str = "admin", content_type: str = "text/csv"
) -> httpx.Response:
    return await client.post(
        f"/v1/surveys/{WAVE}/responses",
        content=body,
        headers={"Authorization": f"Bearer {KEYS[who]}", "Content-Type": content_type},
    )


def published(harness: Harness) -> list[Any]:
    outbox = harness.runtime.tools.events
    publisher = outbox._publisher  # the harness's in-memory publisher
    assert isinstance(publisher, InMemoryToolEventPublisher)
    return publisher.events


async def test_a_wave_from_creation_to_published_results(
    harness: Harness, client: httpx.AsyncClient
) -> None:
    rows = "".join(f"executive,DOI,payroll,doi-ibc,5,4,quick fixes {i}\n" for i in range(3))
    rows += "".join("manager,VA,payroll,doi-ibc,3,3,\n" for _ in range(6))
    first = await upload(client, (HEADER + rows).encode())
    assert first.json() == {"wave": WAVE, "received": 9, "stored": 9, "alreadyStored": 0}
    again = await upload(client, (HEADER + rows).encode())
    assert again.json() == {"wave": WAVE, "received": 9, "stored": 0, "alreadyStored": 9}
    added = await harness.data(RECORD, {"r": form(role="end-user", overall=2)}, who="admin")
    assert added["recordSurveyResponse"] == {"received": 1, "stored": 1, "alreadyStored": 0}
    count = await harness.data(f'{{ surveyWave(id: "{WAVE}") {{ responseCount status }} }}')
    assert count["surveyWave"] == {"responseCount": 10, "status": "OPEN"}

    early = await harness.run(RESULTS, {"by": "ROLE"})
    assert error_codes(early) == ["BAD_USER_INPUT"]
    assert "published when it closes" in early.errors[0].message  # type: ignore[index]

    closed = await harness.data(
        f'mutation {{ closeSurveyWave(wave: "{WAVE}") {{ status closedAt }} }}', who="admin"
    )
    assert closed["closeSurveyWave"]["status"] == "CLOSED"
    events = published(harness)
    assert len(events) == 10
    assert {e.measure for e in events} == {"customer-satisfaction"}
    assert {e.qsmo for e in events} == {"human-resources"}
    assert sum(e.value for e in events) == 3 * 5 + 6 * 3 + 2
    assert all(e.event_id.startswith(f"survey:{WAVE}:") for e in events)
    assert {e.source for e in events} == {"survey"}

    by_role = (await harness.data(RESULTS, {"by": "ROLE"}))["surveyResults"]
    groups = {g["value"]: g for g in by_role["groups"]}
    for small in ("executive", "end-user", "manager"):
        assert groups[small]["withheld"] is True
        assert groups[small]["respondents"] is None
        assert groups[small]["overallMean"] is None
        assert groups[small]["itemMeans"] == []
    # 10 = 6 managers + 4 others: the managers would give the 4 away, so they are withheld
    # beside the small groups, and the total — what a reader needs most — stays published
    assert by_role["total"]["withheld"] is False
    assert by_role["total"]["respondents"] == 10
    assert by_role["total"]["overallMean"] == (3 * 5 + 6 * 3 + 2) / 10

    late = await harness.run(RECORD, {"r": form()}, who="admin")
    assert error_codes(late) == ["BAD_USER_INPUT"]
    assert "takes no more responses" in late.errors[0].message  # type: ignore[index]


async def test_comments_only_to_admins_and_the_provider_concerned(
    harness: Harness, client: httpx.AsyncClient
) -> None:
    await harness.data(RECORD, {"r": form(comment="Slow onboarding")}, who="admin")
    await harness.data(f'mutation {{ closeSurveyWave(wave: "{WAVE}") {{ id }} }}', who="admin")
    query = 'query($p: ID) { surveyComments(wave: "fy2024-spring-pulse", provider: $p) { text } }'
    own = await harness.data(query, {"p": "doi-ibc"}, who="prov:doi-ibc")
    assert own["surveyComments"] == [{"text": "Slow onboarding"}]
    assert (await harness.data(query, who="admin"))["surveyComments"] == [
        {"text": "Slow onboarding"}
    ]
    for who, provider in (
        ("viewer", "doi-ibc"),
        ("pub:human-resources", "doi-ibc"),
        ("prov:cisa-cyber-shared-services", "doi-ibc"),
        ("prov:doi-ibc", None),
    ):
        refused = await harness.run(query, {"p": provider}, who=who)
        assert error_codes(refused) == ["FORBIDDEN"], who


async def test_an_unknown_item_column_refuses_the_whole_file(
    harness: Harness, client: httpx.AsyncClient
) -> None:
    body = "role,agency,function,overall,ease,speed\nmanager,DOI,payroll,4,4,5\n"
    answer = await upload(client, body.encode())
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "BAD_USER_INPUT"
    assert "unknown column 'speed'" in error["message"]
    assert (
        "role, agency, function, provider, comment, response_id, overall, ease"
        in (error["message"])
    )
    assert harness.runtime.tools.surveys.store.waves_by_id[WAVE].batches == frozenset()  # type: ignore[attr-defined]


async def test_a_rating_outside_1_to_5_names_row_and_column_and_stores_nothing(
    harness: Harness, client: httpx.AsyncClient
) -> None:
    body = (
        HEADER
        + "manager,DOI,payroll,,4,4,\nmanager,DOI,payroll,,7,4,\nexecutive,DOI,payroll,,x,4,\n"
    )
    answer = await upload(client, body.encode())
    assert answer.status_code == 400
    errors = answer.json()["error"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "overall"), (4, "overall")]
    assert "'7' is not a rating; give a whole number 1 to 5" in errors[0]["message"]
    assert harness.runtime.tools.surveys.store.documents == {}  # type: ignore[attr-defined]


async def test_an_xlsx_export_is_read_like_csv(harness: Harness, client: httpx.AsyncClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Role", "Agency", "Function", "Provider", "overall", "ease", "response_id"])
    for i in range(5):
        sheet.append(["manager", "DOI", "payroll", None, 4.0, 5, f"R_{i}"])
    data = io.BytesIO()
    book.save(data)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    answer = await upload(client, data.getvalue(), content_type=xlsx)
    assert answer.json()["stored"] == 5, answer.text
    stored = harness.runtime.tools.surveys.store.documents  # type: ignore[attr-defined]
    assert sorted(r.id for r, _ in stored.values()) == [f"R_{i}" for i in range(5)]


async def test_only_admin_keys_import(client: httpx.AsyncClient) -> None:
    answer = await upload(client, HEADER.encode(), who="pub:human-resources")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "FORBIDDEN"
    missing = await client.post(f"/v1/surveys/{WAVE}/responses", content=b"x")
    assert missing.status_code == 401
    unknown = await client.post(
        "/v1/surveys/fy2024-nope/responses",
        content=HEADER.encode(),
        headers={"Authorization": f"Bearer {KEYS['admin']}"},
    )
    assert unknown.status_code == 404
    assert WAVE in unknown.json()["error"]["message"]


async def test_rows_that_differ_only_in_letter_case_are_two_responses_counted_once_each(
    client: httpx.AsyncClient,
) -> None:
    body = HEADER + "Manager,doi,Payroll,,4,4,\nmanager,DOI,payroll,,4,4,\n"
    first = await upload(client, body.encode())
    assert first.json()["stored"] == 2, first.text
    again = await upload(client, body.encode())
    assert again.json()["alreadyStored"] == 2


async def test_a_multipart_upload_reads_the_file_field(client: httpx.AsyncClient) -> None:
    body = HEADER + "manager,DOI,payroll,,4,4,\n"
    answer = await client.post(
        f"/v1/surveys/{WAVE}/responses",
        files={"file": ("responses.csv", body.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {KEYS['admin']}"},
    )
    assert answer.json()["stored"] == 1, answer.text
    missing = await client.post(
        f"/v1/surveys/{WAVE}/responses",
        files={"upload": ("responses.csv", body.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {KEYS['admin']}"},
    )
    assert missing.status_code == 400
    assert "form field 'file'" in missing.json()["error"]["message"]
