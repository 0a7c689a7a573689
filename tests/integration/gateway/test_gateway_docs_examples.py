"""The ``sh`` examples of docs/graphql.md, run verbatim with bash and curl against a real
pipeline of their own (so the admin change of the examples stays in that lane): every answer
is free of errors, and the diff example shows the change the setTarget example makes."""

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import qsmo_stack
from gateway_pipeline_support import (
    Pipeline,
    eventually,
    keys_home,
    run_shell_example,
    running_pipeline,
)

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "graphql.md"
LOCAL_URL = "http://127.0.0.1:8000"
BLOCKS = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
KEY_LINES = next(b for b in BLOCKS if "KEY=$(" in b)
DIFF = next(b for b in BLOCKS if "scorecardDiff" in b)
SET_TARGET = next(b for b in BLOCKS if "setTarget(" in b)
SERIES = next(b for b in BLOCKS if "measureSeries(" in b)
ADD_PROVIDER = next(b for b in BLOCKS if "addProvider(" in b)
RETIRE_PROVIDER = next(b for b in BLOCKS if "retireProvider(" in b)
READ_PROVIDERS = next(b for b in BLOCKS if "providers(qsmo: $q, includeRetired: false)" in b)
PROVIDER_BLOCKS = (ADD_PROVIDER, RETIRE_PROVIDER, READ_PROVIDERS)
OTHERS = [b for b in BLOCKS if "curl" in b and b not in (DIFF, SET_TARGET, *PROVIDER_BLOCKS)]
CYBER_2025 = """{ scorecard(fiscalYear: 2025, qsmo: "cybersecurity") {
  version measure(id: "customer-engagement") { value target } } }"""


TIER = next(b for b in BLOCKS if "providerComparison(" in b)
TIER_SCORECARDS = next(b for b in BLOCKS if "provider: scorecard(" in b)
TIER_EVENTS = [
    (4.6, "doi-ibc", "DOI"),
    (3.4, "treasury-arc", "DOI"),
    (4.2, "treasury-arc", "TREAS"),
]
TIER_CHECK = """{ scorecard(fiscalYear: 2025, qsmo: "financial-management", provider: "treasury-arc")
  { measure(id: "customer-satisfaction") { dataQuality { eventCount } } } }"""


async def send_sliced(pipeline: Pipeline, n: int, value: float, provider: str, agency: str) -> None:
    """A Financial Management customer-satisfaction event naming a provider and an agency."""
    event = {
        "event_id": f"docs-tier-{pipeline.lane.tag}-{n}",
        "qsmo": "financial-management",
        "measure": "customer-satisfaction",
        "value": value,
        "occurred_at": f"2025-02-0{n + 3}T12:00:00Z",
        "provider": provider,
        "agency": agency,
    }
    response = await pipeline.http.post(
        pipeline.lane.url("ingest", "/v1/events"),
        json=event,
        headers=pipeline.keys.bearer("financial-management"),
    )
    assert response.status_code == 202, response.text


@pytest.fixture(scope="module")
async def docs_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """A lane with FY2025 data of Cybersecurity, the year and QSMO the examples use."""
    async with running_pipeline(stack) as running:
        await running.send(
            "cybersecurity", "customer-satisfaction", 4.4, "2025-01-15T10:00:00-05:00"
        )
        await running.send("cybersecurity", "customer-engagement", 30, "2025-03-01T12:00:00Z")

        async def scored() -> bool:
            card = (await running.data(CYBER_2025))["scorecard"]
            return card is not None and card["measure"]["value"] == 30

        await eventually(scored, 60, "the FY2025 scorecard of Cybersecurity")
        for n, (value, provider, agency) in enumerate(TIER_EVENTS):
            await send_sliced(running, n, value, provider, agency)

        async def sliced() -> bool:
            data = await running.data(TIER_CHECK)
            return data["scorecard"]["measure"]["dataQuality"]["eventCount"] == 2

        await eventually(sliced, 60, "the FY2025 treasury-arc slice of Financial Management")
        yield running


@pytest.fixture(scope="module")
def home(stack: qsmo_stack.Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ``.local/api-keys.json``, where the examples read the keys from."""
    return keys_home(stack, tmp_path_factory.mktemp("docs-home"))


def run(block: str, pipeline: Pipeline, home: Path, **env: str) -> list[dict[str, Any]]:
    """Run ``block`` after the key lines with bash against the lane's gateway; its answers."""
    gateway = pipeline.lane.url("gateway", "")
    script = (KEY_LINES + block).replace(LOCAL_URL, gateway)
    return run_shell_example(script, home, env)


def first_field(block: str) -> str:
    found = re.search(r"\{\s*(\w+)", block.split('"query": "', 1)[1])
    return found.group(1) if found else "?"


@pytest.mark.parametrize("block", OTHERS, ids=first_field)
async def test_a_doc_example_answers_without_errors(
    block: str, docs_pipeline: Pipeline, home: Path
) -> None:
    answers = run(block, docs_pipeline, home)
    assert answers
    for answer in answers:
        assert "errors" not in answer, answer
        action = answer["data"].get("createImprovementAction")
        if action is not None:  # due in 90 days: not overdue from the start
            assert action["dueDate"] == (date.today() + timedelta(days=90)).isoformat()
            assert action["overdue"] is False


async def test_the_series_example_reads_as_the_doc_says(
    docs_pipeline: Pipeline, home: Path
) -> None:
    """Runs before the setTarget example (file order): Cybersecurity's target is still 40."""
    (answer,) = run(SERIES, docs_pipeline, home)
    months, to_date = answer["data"]["months"], answer["data"]["toDate"]
    assert months["annualTarget"] == 40
    march = months["points"][5]
    assert (march["period"]["label"], march["value"], march["status"]) == ("2025-03", 30, "GREEN")
    assert march["target"] == pytest.approx(40 * 31 / 365, rel=1e-12)
    assert f"`target` {40 * 31 / 365:.2f} (40 × 31/365)" in DOC.read_text()
    assert {p["status"] for i, p in enumerate(months["points"]) if i != 5} == {"NO_DATA"}
    points = to_date["points"]
    assert [p["value"] for p in points] == [None] * 5 + [30] * 7
    assert [p["status"] for p in points] == ["NO_DATA"] * 5 + ["GREEN"] * 4 + ["AMBER"] + [
        "RED"
    ] * 2
    assert [round(p["target"], 1) for p in points[5:]] == [19.9, 23.2, 26.6, 29.9, 33.3, 36.7, 40]


async def test_the_diff_example_shows_the_change_of_the_set_target_example(
    docs_pipeline: Pipeline, home: Path
) -> None:
    assert "FY" not in SET_TARGET  # a target has no fiscal year: its reason names none
    before_lines, after_lines = DIFF.split("# … run the setTarget example under Mutations", 1)
    before = run(before_lines + 'printf \'{"BEFORE": "%s"}\' "$BEFORE"\n', docs_pipeline, home)
    version = (await docs_pipeline.data(CYBER_2025))["scorecard"]["version"]
    (changed,) = run(SET_TARGET, docs_pipeline, home)
    assert "errors" not in changed, changed

    async def recomputed() -> bool:
        card = (await docs_pipeline.data(CYBER_2025))["scorecard"]
        return card["version"] > version and card["measure"]["target"] == 50

    await eventually(recomputed, 60, "the scorecard recomputed with the new target")
    (answer,) = run(after_lines.split("\n", 1)[1], docs_pipeline, home, **before[0])
    assert "errors" not in answer, answer
    diff = answer["data"]["scorecardDiff"]
    assert (diff["fromVersion"], diff["toVersion"]) == (version, version + 1)
    assert diff["causes"] == ["FRAMEWORK_CHANGE"]
    engagement = next(m for m in diff["measures"] if m["id"] == "customer-engagement")
    assert (engagement["oldTarget"], engagement["newTarget"]) == (40, 50)
    assert "`oldTarget: 40`, `newTarget: 50`" in DOC.read_text()


async def test_the_provider_examples_add_retire_and_read_as_the_doc_says(
    docs_pipeline: Pipeline, home: Path
) -> None:
    (added,) = run(ADD_PROVIDER, docs_pipeline, home)
    assert "errors" not in added, added
    provider = added["data"]["addProvider"]["provider"]
    assert (provider["id"], provider["retired"], provider["addedByAdmin"]) == (
        "acme-fm-cloud",
        False,
        True,
    )
    sla = added["data"]["setSlaTarget"]
    assert sla["change"] == {
        "kind": "SLA_TARGET",
        "providerId": "acme-fm-cloud",
        "measureId": "customer-satisfaction",
        "value": 4.5,
    }
    assert [t["target"] for t in sla["provider"]["slaTargets"]] == [4.5]
    (retired,) = run(RETIRE_PROVIDER, docs_pipeline, home)
    assert "errors" not in retired, retired
    assert retired["data"]["updateProvider"]["provider"]["services"] == [
        "core financial management",
        "travel",
    ]
    assert retired["data"]["retireProvider"]["provider"]["retired"] is True
    (read,) = run(READ_PROVIDERS, docs_pipeline, home)
    assert "errors" not in read, read
    on_offer = [p["id"] for p in read["data"]["providers"]]
    assert "acme-fm-cloud" not in on_offer
    assert {"doi-ibc", "treasury-arc", "usda-nfc"} <= set(on_offer)
    kinds = [(n["kind"], n["providerId"]) for n in read["data"]["auditLog"]["nodes"]][:4]
    assert kinds == [
        ("PROVIDER_RETIRED", "acme-fm-cloud"),
        ("PROVIDER_UPDATED", "acme-fm-cloud"),
        ("SLA_TARGET", "acme-fm-cloud"),
        ("PROVIDER_ADDED", "acme-fm-cloud"),
    ]


async def test_the_tier_examples_read_as_the_doc_says(docs_pipeline: Pipeline, home: Path) -> None:
    text = DOC.read_text()
    (cards,) = run(TIER_SCORECARDS, docs_pipeline, home)
    provider, agency = cards["data"]["provider"], cards["data"]["agency"]
    assert (provider["stored"], provider["version"]) == (False, 0)
    assert provider["measure"]["value"] == 4.6
    assert provider["measure"]["target"] == 4
    assert provider["measure"]["status"] == "GREEN"
    assert "`value: 4.6`, `target: 4`, `GREEN`" in text
    assert agency["measure"]["value"] == pytest.approx(4.0)
    assert agency["measure"]["status"] == "GREEN"
    counts = agency["measure"]["qsmoStatusCounts"]
    assert counts["green"] == 1
    assert counts["amber"] == counts["red"] == 0
    (answer,) = run(TIER, docs_pipeline, home)
    rows = {r["provider"]["id"]: r for r in answer["data"]["providerComparison"]["rows"]}
    arc = rows["treasury-arc"]
    satisfaction = arc["measures"][0]
    assert arc["customerAgencies"] == 2
    assert rows["doi-ibc"]["customerAgencies"] == 1
    assert satisfaction["value"] == pytest.approx(3.8)
    assert satisfaction["status"] == "AMBER"
    assert satisfaction["trend"] == [None, pytest.approx(3.8), None, None]
    assert "`customerAgencies: 2`, customer satisfaction `value: 3.8`, `AMBER`" in text
    assert rows["usda-nfc"]["overallStatus"] == "NO_DATA"
