"""The customer-satisfaction survey end to end: through the real gateway, real Kafka, the
real measures service and the real store.

Responses imported as CSV and as XLSX (each imported twice: nothing stored twice), then the
wave closed: ``customer-satisfaction`` moves for each QSMO (and for a provider's slice) by
exactly the responses' count and mean, once — also when the outbox publishes the same events
again (as after a crash between publishing and taking them off the wave). Bad files (an
unknown item column, a rating outside 1..5) are refused with row and column and store
nothing; a results group below 5 comes back withheld without figures; a wave past its close
date closes by itself.
"""

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import Pipeline, eventually, running_tools_pipeline
from openpyxl import Workbook

from gateway.provider_tools.events import PENDING_EVENTS
from gateway.provider_tools.survey_store import RESPONSES, WAVES
from shared.domain.fiscal import fiscal_year_of
from shared.mongo import create_mongo_client

TODAY = datetime.now(UTC).date()
FY = fiscal_year_of(datetime.now(UTC))
WAVE = f"fy{FY}-customer-survey"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CREATE = """mutation($fy: Int!, $name: String!, $opens: Date!, $closes: Date!) {
  createSurveyWave(fiscalYear: $fy, name: $name, opensOn: $opens, closesOn: $closes,
    items: [{id: "overall", text: "Overall satisfaction", overall: true},
            {id: "ease", text: "Ease of doing business"}]) { id status } }"""
VALUE = """query($q: ID!, $p: ID, $fy: Int!) { measureValue(measure: "customer-satisfaction",
  qsmo: $q, provider: $p, fiscalYear: $fy) { value count } }"""
HEADER = "role,agency,function,provider,overall,ease,comment\n"
CSV_ROWS = (
    # payroll → human-resources; usda-nfc's slice: 10 responses, sum 39 → 3.9
    ["executive,DOI,payroll,usda-nfc,5,4,Quick answers"] * 2
    + ["manager,DOI,payroll,usda-nfc,4,4,"] * 6  # identical rows: six responses
    + ["end-user,VA,payroll,usda-nfc,3,3,", "end-user,VA,payroll,usda-nfc,2,3,Slow fixes"]
    # human-resources without a provider: 5 × 3
    + ["manager,GSA,human-resources,,3,3,"] * 5
    # financial-management, doi-ibc: 5 × 2
    + ["manager,ED,financial-management,doi-ibc,2,2,"] * 5
)
CSV_FILE = (HEADER + "\n".join(CSV_ROWS) + "\n").encode()
QSMO_OF = {
    "payroll": "human-resources",
    "human-resources": "human-resources",
    "financial-management": "financial-management",
}
SENTINEL_FY = 2023
SENTINEL_AT = "2023-03-01T12:00:00Z"
EXPECTED = {  # (qsmo, provider) → (count, mean), once the wave is closed
    ("human-resources", None): (15, 3.6),  # (39 + 15) / 15
    ("human-resources", "usda-nfc"): (10, 3.9),
    ("financial-management", None): (10, 3.0),  # (10 + 20) / 10, with the workbook's five 4s
    ("financial-management", "doi-ibc"): (10, 3.0),
}


def workbook() -> bytes:
    """A survey tool's XLSX export: five end users of ED (doi-ibc) rating 4, with ids."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Responses"
    sheet.append(["response_id", "Role", "Agency", "Function", "Provider", "overall", "ease"])
    for i in range(5):
        sheet.append([f"R-{i}", "end-user", "ED", "financial-management", "doi-ibc", 4, 5])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


@pytest.fixture(scope="module")
async def survey_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """The measures service and the gateway (outbox and close loop every 0.5 s), private lane."""
    async with running_tools_pipeline(stack, http_timeout_s=20) as running:
        yield running


@pytest.fixture
async def database(stack: qsmo_stack.Stack, survey_pipeline: Pipeline) -> AsyncIterator[Any]:
    client = create_mongo_client(stack.mongo_url)
    try:
        yield client[survey_pipeline.lane.database]
    finally:
        await client.close()


async def upload(
    pipeline: Pipeline, body: bytes, content_type: str = "text/csv", wave: str = WAVE
) -> httpx.Response:
    return await pipeline.http.post(
        pipeline.lane.url("gateway", f"/v1/surveys/{wave}/responses"),
        content=body,
        headers={**pipeline.keys.bearer("admin"), "Content-Type": content_type},
    )


async def values(pipeline: Pipeline, fiscal_year: int) -> dict[tuple[str, str | None], Any]:
    found = {}
    for qsmo, provider in EXPECTED:
        variables = {"q": qsmo, "p": provider, "fy": fiscal_year}
        value = (await pipeline.data(VALUE, variables))["measureValue"]
        found[(qsmo, provider)] = None if value is None else (value["count"], value["value"])
    return found


async def test_imported_responses_count_once_at_close(
    survey_pipeline: Pipeline, database: Any
) -> None:
    pipeline = survey_pipeline
    variables = {
        "fy": FY,
        "name": "Customer survey",
        "opens": TODAY.isoformat(),
        "closes": date(FY, 9, 30).isoformat(),
    }
    created = await pipeline.data(CREATE, variables, who="admin")
    assert created["createSurveyWave"] == {"id": WAVE, "status": "OPEN"}

    first = await upload(pipeline, CSV_FILE)
    assert first.json() == {"wave": WAVE, "received": 20, "stored": 20, "alreadyStored": 0}
    again = await upload(pipeline, CSV_FILE)
    assert again.json() == {"wave": WAVE, "received": 20, "stored": 0, "alreadyStored": 20}
    book = await upload(pipeline, workbook(), XLSX)
    assert book.json() == {"wave": WAVE, "received": 5, "stored": 5, "alreadyStored": 0}
    book_again = await upload(pipeline, workbook(), XLSX)
    assert book_again.json()["alreadyStored"] == 5
    assert await database[RESPONSES].count_documents({"wave": WAVE}) == 25

    closed = await pipeline.data(
        f'mutation {{ closeSurveyWave(wave: "{WAVE}") {{ status closedAt }} }}', who="admin"
    )
    assert closed["closeSurveyWave"]["status"] == "CLOSED"
    counted_in = fiscal_year_of(datetime.fromisoformat(closed["closeSurveyWave"]["closedAt"]))

    seen: list[object] = []

    async def all_counted() -> bool:
        seen.append(await values(pipeline, counted_in))
        return seen[-1] == EXPECTED

    try:
        await eventually(all_counted, 60, "the survey's responses counted")
    except AssertionError as late:
        raise AssertionError(f"{late}; last values {seen[-1:]}") from None

    # As after a crash between publishing and taking the events off the wave: the outbox
    # publishes them all again; the measures service counts each event id once. A sentinel
    # per QSMO (FY2023, same partition key, after the repeats) shows they were all read.
    events = await _owed_again(database)
    assert len(events) == 25

    async def sentinels_counted() -> bool:
        for qsmo in ("human-resources", "financial-management"):
            variables = {"q": qsmo, "p": None, "fy": SENTINEL_FY}
            found = (await pipeline.data(VALUE, variables))["measureValue"]
            if found is None or found["count"] != 1:
                return False
        return True

    await eventually(sentinels_counted, 60, "the repeated events and the sentinels read")
    assert await values(pipeline, counted_in) == EXPECTED
    wave = await database[WAVES].find_one({"_id": WAVE})
    assert not wave.get(PENDING_EVENTS)

    late = await upload(pipeline, CSV_FILE)
    assert late.status_code == 400
    assert "takes no more responses" in late.json()["error"]["message"]

    # The measure's agency slices are survey groups too: VA's 2 payroll responses read as no
    # data (as the results withhold them), DOI's 8 as they are.
    by_agency = """query($a: ID!, $fy: Int!) { measureValue(measure: "customer-satisfaction",
      qsmo: "human-resources", agency: $a, fiscalYear: $fy) { value count } }"""
    va = (await pipeline.data(by_agency, {"a": "VA", "fy": counted_in}))["measureValue"]
    doi = (await pipeline.data(by_agency, {"a": "DOI", "fy": counted_in}))["measureValue"]
    assert (va["value"], va["count"]) == (None, 0)
    assert (doi["value"], doi["count"]) == (34 / 8, 8)


async def _owed_again(database: Any) -> list[dict[str, Any]]:
    """Put the wave's events back on it as the close wrote them (from the stored responses),
    followed by one FY2023 sentinel per QSMO."""
    wave = await database[WAVES].find_one({"_id": WAVE})
    assert wave is not None
    assert not wave.get(PENDING_EVENTS)
    committed = {"wave": WAVE, "batch": {"$in": wave["batches"]}}
    responses = await database[RESPONSES].find(committed).to_list()
    closed_at = wave["closed_at"]
    events = [
        _event(
            f"survey:{WAVE}:{r['response_id']}",
            QSMO_OF[r["function"]],
            r["ratings"]["overall"],
            closed_at,
            r["agency"],
            r["provider"],
        )
        for r in responses
    ]
    sentinels = [
        _event(f"survey:{WAVE}:sentinel-{q}", q, 3, SENTINEL_AT, None, None)
        for q in ("human-resources", "financial-management")
    ]
    await database[WAVES].update_one({"_id": WAVE}, {"$set": {PENDING_EVENTS: events + sentinels}})
    return events


def _event(
    event_id: str, qsmo: str, value: float, at: str, agency: str | None, provider: str | None
) -> dict[str, Any]:
    return {
        "schema_version": 2,
        "event_id": event_id,
        "qsmo": qsmo,
        "measure": "customer-satisfaction",
        "value": float(value),
        "occurred_at": at,
        "agency": agency,
        "provider": provider,
        "source": "survey",
        "attributes": {},
        "ingested_at": at,
        "request_id": f"tool:survey:{WAVE}",
    }


async def test_bad_files_are_refused_with_row_and_column_and_store_nothing(
    survey_pipeline: Pipeline, database: Any
) -> None:
    pipeline = survey_pipeline
    name = "Bad files"
    variables = {
        "fy": FY,
        "name": name,
        "opens": TODAY.isoformat(),
        "closes": date(FY, 9, 30).isoformat(),
    }
    wave = (await pipeline.data(CREATE, variables, who="admin"))["createSurveyWave"]["id"]
    unknown = (HEADER.rstrip("\n") + ",speed\n" + "manager,DOI,payroll,,4,4,,5\n").encode()
    answer = await upload(pipeline, unknown, wave=wave)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "BAD_USER_INPUT"
    assert "unknown column 'speed'" in error["message"]
    assert "known columns are role, agency, function, provider, comment" in error["message"]

    out_of_range = (HEADER + "manager,DOI,payroll,,4,4,\nmanager,DOI,payroll,,9,4,\n").encode()
    answer = await upload(pipeline, out_of_range, wave=wave)
    assert answer.status_code == 400
    [problem] = answer.json()["error"]["errors"]
    assert (problem["row"], problem["column"]) == (3, "overall")
    assert "'9' is not a rating; give a whole number 1 to 5" in problem["message"]
    assert await database[RESPONSES].count_documents({"wave": wave}) == 0


async def test_small_groups_are_withheld(survey_pipeline: Pipeline) -> None:
    pipeline = survey_pipeline
    query = """query($w: ID!) { surveyResults(wave: $w, groupBy: ROLE) {
      total { withheld }
      groups { value withheld withheldReason respondents overallMean itemMeans { mean } } } }"""

    async def results() -> Any:
        body = await pipeline.graphql(query, {"w": WAVE})
        return None if "errors" in body else body["data"]["surveyResults"]

    found = await eventually(results, 30, "the closed wave's results")
    groups = {g["value"]: g for g in found["groups"]}
    executive = groups["executive"]
    assert executive["withheld"] is True
    assert executive["withheldReason"] == "fewer than 5 respondents"
    assert (executive["respondents"], executive["overallMean"], executive["itemMeans"]) == (
        None,
        None,
        [],
    )
    assert groups["manager"]["respondents"] == 16
    assert groups["manager"]["withheld"] is False


async def test_a_wave_past_its_close_date_closes_by_itself(survey_pipeline: Pipeline) -> None:
    pipeline = survey_pipeline
    yesterday = TODAY - timedelta(days=1)
    fy = fiscal_year_of(datetime.combine(yesterday, datetime.min.time(), tzinfo=UTC))
    variables = {
        "fy": fy,
        "name": "Past",
        "opens": (yesterday - timedelta(days=7)).isoformat(),
        "closes": yesterday.isoformat(),
    }
    wave = (await pipeline.data(CREATE, variables, who="admin"))["createSurveyWave"]["id"]

    async def closed() -> bool:
        found = await pipeline.data("query($w: ID!) { surveyWave(id: $w) { status } }", {"w": wave})
        return bool(found["surveyWave"]["status"] == "CLOSED")

    await eventually(closed, 30, "the past wave closing by itself")
    refused = await upload(pipeline, CSV_FILE, wave=wave)
    assert refused.status_code == 400
    assert "takes no more responses" in refused.json()["error"]["message"]
