"""The ``sh`` examples of docs/provider-tools.md, run verbatim with bash and curl against a
real pipeline of their own, in the order a provider, its reviewer and the OSSPI admin would
run them: each answers as the doc says (the workbook the provider fills in Excel is filled
here with openpyxl between the download and the upload)."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import qsmo_stack
from data_call_workbook import fill_workbook
from gateway_pipeline_support import (
    Pipeline,
    eventually,
    keys_home,
    run_shell_example,
    running_pipeline,
)

from shared.catalog.data_call import example_sections

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "provider-tools.md"
LOCAL_URL = "http://127.0.0.1:8000"
BLOCKS = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
KEY_LINES = next(b for b in BLOCKS if "PROVIDER=$(" in b)
SIMULATOR = next(b for b in BLOCKS if "qsmo_client.simulator.provider_tools" in b)
RUN: list[str] = []
"""The blocks the tests below ran, to check none was left out."""


def block(marker: str) -> str:
    """The one example containing ``marker``."""
    found = [b for b in BLOCKS if marker in b]
    assert len(found) == 1, (marker, len(found))
    return found[0]


@pytest.fixture(scope="module")
async def pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    async with running_pipeline(stack) as running:
        yield running


@pytest.fixture(scope="module")
def home(stack: qsmo_stack.Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ``.local/api-keys.json``, where the examples read the keys from."""
    return keys_home(stack, tmp_path_factory.mktemp("provider-tools-home"))


def run(marker: str, pipeline: Pipeline, home: Path) -> list[Any]:
    """Run the example containing ``marker`` after the key lines; its JSON answers."""
    example = block(marker)
    RUN.append(example)
    script = (KEY_LINES + example).replace(LOCAL_URL, pipeline.lane.url("gateway", ""))
    return run_shell_example(script, home)


def data(answer: Any) -> Any:
    assert "errors" not in answer, answer
    return answer["data"]


async def test_the_self_assessment_examples(pipeline: Pipeline, home: Path) -> None:
    (catalog,) = run("selfAssessmentElements { version", pipeline, home)
    categories = data(catalog)["selfAssessmentElements"]["categories"]
    assert [c["id"] for c in categories] == [
        "financial",
        "organizational",
        "operational",
        "program-management",
        "technology",
    ]
    elements = sum(len(c["elements"]) for c in categories)
    assert elements == 25

    (draft,) = run("saveSelfAssessmentDraft(", pipeline, home)
    saved = data(draft)["saveSelfAssessmentDraft"]
    assert (saved["id"], saved["status"]) == ("doi-ibc|FY2026", "DRAFT")
    financial = next(c for c in saved["categoryResults"] if c["categoryId"] == "financial")
    assert (financial["ratedElements"], financial["result"]) == (2, 3.5)

    (submitted,) = run(
        "submitSelfAssessment(provider: $p, fiscalYear: 2026, ratings: $r)", pipeline, home
    )
    assessment = data(submitted)["submitSelfAssessment"]
    assert (assessment["status"], assessment["overall"]) == ("SUBMITTED", 4.0)

    (status,) = run(
        "selfAssessment(provider: $p, fiscalYear: 2026) { status revision", pipeline, home
    )
    read = data(status)["selfAssessment"]
    assert read["status"] == "SUBMITTED"
    assert [h["action"] for h in read["history"]] == ["SAVED", "SUBMITTED"]
    assert {h["by"] for h in read["history"]} == {"dev-provider-doi-ibc"}


async def test_the_data_call_examples(pipeline: Pipeline, home: Path) -> None:
    assert run("template.xlsx?provider=doi-ibc", pipeline, home) == []
    workbook = home / "data-call-FY2026.xlsx"
    assert workbook.read_bytes()[:2] == b"PK", "an xlsx file (a zip archive)"
    # What the provider does in Excel.
    workbook.write_bytes(fill_workbook(workbook.read_bytes(), example_sections(2026)))

    (uploaded,) = run("--data-binary @data-call-FY2026.xlsx", pipeline, home)
    assert (uploaded["version"], uploaded["status"]) == (1, "SUBMITTED")
    assert uploaded["cost"]["costPerTransaction"] == 8.0  # example_sections' worked example

    (status,) = run("dataCall(provider: $p, fiscalYear: 2026)", pipeline, home)
    call = data(status)["dataCall"]
    assert (call["status"], call["latestVersion"], call["acceptedVersion"]) == (
        "SUBMITTED",
        1,
        None,
    )
    assert [(v["version"], v["source"]) for v in call["versions"]] == [(1, "WORKBOOK")]


async def test_the_reviewer_examples(pipeline: Pipeline, home: Path) -> None:
    (queue,) = run("selfAssessmentsToReview(qsmo: $q)", pipeline, home)
    waiting = data(queue)
    assert [a["id"] for a in waiting["selfAssessmentsToReview"]] == ["doi-ibc|FY2026"]
    assert [c["id"] for c in waiting["dataCallsToReview"]] == ["doi-ibc|FY2026"]

    (returned,) = run("decision: RETURN", pipeline, home)
    assert data(returned)["reviewSelfAssessment"] == {
        "status": "RETURNED",
        "reviewComments": "Cost recovery: attach the FY2026 fee schedule as evidence.",
    }
    (again,) = run("submitSelfAssessment(provider: $p, fiscalYear: 2026) {", pipeline, home)
    assert data(again)["submitSelfAssessment"]["status"] == "SUBMITTED"

    (accepted,) = run("decision: ACCEPT", pipeline, home)
    reviewed = data(accepted)
    assert reviewed["reviewSelfAssessment"] == {
        "status": "ACCEPTED",
        "overall": 4.0,
        "reviewedBy": "dev-publisher-financial-management",
    }
    assert reviewed["reviewDataCall"] == {
        "status": "ACCEPTED",
        "acceptedVersion": 1,
        "cost": {"costPerTransaction": 8.0, "ftePerThousandCustomers": 4.0},
    }

    async def counted() -> Any:
        (answer,) = run_shell_example(
            (KEY_LINES + block("best-practices-self-assessment")).replace(
                LOCAL_URL, pipeline.lane.url("gateway", "")
            ),
            home,
        )
        value = data(answer)["measureValue"]
        return value if value and value["count"] else None

    value = await eventually(counted, 60, "the accepted assessment counted by the measures")
    assert value == {"value": 4.0, "count": 1}
    RUN.append(block("best-practices-self-assessment"))

    (compared,) = run("selfAssessmentComparison(", pipeline, home)
    rows = {r["providerId"]: r for r in data(compared)["selfAssessmentComparison"]["rows"]}
    assert (rows["doi-ibc"]["status"], rows["doi-ibc"]["overall"]) == ("ACCEPTED", 4.0)
    others = [r for p, r in rows.items() if p != "doi-ibc"]
    assert others
    assert all(r["overall"] is None for r in others)
    costs = {r["provider"]["id"]: r["cost"] for r in data(compared)["providerComparison"]["rows"]}
    assert costs["doi-ibc"] == {"costPerTransaction": 8.0, "ftePerThousandCustomers": 4.0}
    assert all(c is None for p, c in costs.items() if p != "doi-ibc")


async def test_the_survey_examples(pipeline: Pipeline, home: Path) -> None:
    (created,) = run("createSurveyWave(", pipeline, home)
    wave = data(created)
    assert wave["createSurveyWave"]["status"] == "OPEN"
    assert wave["createSurveyWave"]["id"].endswith("-annual-survey")
    assert wave["setSurveyInvitations"]["invitations"]["total"] == 60

    (imported,) = run("--data-binary @responses.csv", pipeline, home)
    assert (imported["received"], imported["stored"], imported["alreadyStored"]) == (10, 10, 0)
    RUN.pop()
    (again,) = run("--data-binary @responses.csv", pipeline, home)
    assert (again["stored"], again["alreadyStored"]) == (0, 10), "the doc: stored 0"

    (closed,) = run("closeSurveyWave(", pipeline, home)
    assert data(closed)["closeSurveyWave"]["status"] == "CLOSED"

    satisfaction = block('measure: \\"customer-satisfaction\\"')

    async def counted() -> Any:
        script = (KEY_LINES + satisfaction).replace(LOCAL_URL, pipeline.lane.url("gateway", ""))
        (answer,) = run_shell_example(script, home)
        value = data(answer)["measureValue"]
        return value if value and value["count"] == 10 else None

    assert await eventually(counted, 60, "the closed wave counted") == {"value": 4.2, "count": 10}
    RUN.append(satisfaction)

    (read,) = run("surveyResults(", pipeline, home)
    results = data(read)["surveyResults"]
    assert results["total"]["respondents"] == 10
    groups = {g["value"]: g for g in results["groups"]}
    for role in ("manager", "executive", "end-user"):
        assert groups[role]["withheld"]
        assert groups[role]["respondents"] is None
        assert groups[role]["itemMeans"] == []
    assert "fewer than 5" in groups["executive"]["withheldReason"]
    assert "cannot be computed" in groups["end-user"]["withheldReason"]
    assert "Here the total (10) is published and every role group is withheld" in DOC.read_text()
    comments = sorted(c["text"] for c in data(read)["surveyComments"])
    assert comments == [
        "Month-end reports arrive on time now.",
        "Onboarding took longer than planned.",
    ]


def test_every_example_was_run() -> None:
    """Runs last (file order): the key lines run with each example, the simulator command in
    tests/integration/client/test_provider_tools_simulator.py."""
    left = [b for b in BLOCKS if b not in RUN and b not in (KEY_LINES, SIMULATOR)]
    assert left == []
