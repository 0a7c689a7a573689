"""The README's ``sh`` examples, run verbatim with bash and curl against a real pipeline of
their own (the fixed local ports are swapped for the lane's): the event is accepted as the
README shows, and the scorecards query then answers with it, without errors."""

import json
import re
from collections.abc import AsyncIterator
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
README = (REPO / "README.md").read_text()
BLOCKS = [b for b in re.findall(r"```sh\n(.*?)```", README, re.DOTALL) if "curl" in b]
EVENT = next(b for b in BLOCKS if "/v1/events" in b)
SCORECARDS = next(b for b in BLOCKS if "scorecards(" in b)
DOCUMENTED_ANSWER = json.loads(re.search(r"# → 202 (\{.*\})", EVENT).group(1))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
async def readme_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    async with running_pipeline(stack) as running:
        yield running


@pytest.fixture(scope="module")
def home(stack: qsmo_stack.Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ``.local/api-keys.json``, where the examples read the keys from."""
    return keys_home(stack, tmp_path_factory.mktemp("readme-home"))


def run(block: str, pipeline: Pipeline, home: Path) -> list[Any]:
    """Run ``block`` with bash in ``home`` against the lane's ports; the JSON answers it printed."""
    script = block.replace("http://127.0.0.1:8001", pipeline.lane.url("ingest", "")).replace(
        "http://127.0.0.1:8000", pipeline.lane.url("gateway", "")
    )
    return run_shell_example(script, home)


async def test_the_readme_event_is_accepted_and_reaches_the_scorecards(
    readme_pipeline: Pipeline, home: Path
) -> None:
    (accepted,) = run(EVENT, readme_pipeline, home)
    assert {k: v for k, v in accepted.items() if k != "request_id"} == {
        k: v for k, v in DOCUMENTED_ANSWER.items() if k != "request_id"
    }
    assert accepted["request_id"]

    async def answered() -> bool:
        (answer,) = run(SCORECARDS, readme_pipeline, home)
        assert "errors" not in answer, answer
        cards = {c["qsmo"]["id"]: c for c in answer["data"]["scorecards"]}
        return cards.get("cybersecurity", {}).get("overallScore") is not None

    await eventually(answered, 60, "the README's scorecards query to show the README's event")

    slice_query = """{ scorecard(fiscalYear: 2025, qsmo: "cybersecurity",
      provider: "cisa-cyber-shared-services") { measure(id: "customer-satisfaction") { value } } }"""
    assert "cisa-cyber-shared-services" in README
    data = await readme_pipeline.data(slice_query)
    assert data["scorecard"]["measure"]["value"] == 4.4
