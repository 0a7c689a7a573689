"""The provider-tools simulator, as docs/provider-tools.md runs it, against a real gateway and
store: every provider's self-assessment and data call submitted with its own key and accepted
by the admin, the current fiscal year's survey wave imported (a few hundred responses) and
closed; running it again changes nothing."""

import io
import re
import shlex
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import Keys, Lane, Pipeline

from qsmo_client.simulator import provider_tools
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_year_of

DOC = Path(__file__).resolve().parents[3] / "docs" / "provider-tools.md"
COMMAND = shlex.split(
    next(
        line
        for block in re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
        for line in block.splitlines()
        if "qsmo_client.simulator.provider_tools" in line
    )
)
STATUS = """query($p: ID!, $fy: Int!) {
  selfAssessment(provider: $p, fiscalYear: $fy) { status revision overall }
  dataCall(provider: $p, fiscalYear: $fy) { status latestVersion acceptedVersion } }"""
WAVES = """query($fy: Int) { surveyWaves(fiscalYear: $fy) { id name status } }"""
RESULTS = """query($w: ID!) { surveyResults(wave: $w, groupBy: FUNCTION) {
  total { respondents withheld responseRate } groups { value respondents withheld } } }"""


@pytest.fixture(scope="module")
async def gateway(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """The gateway alone on a private lane (the tools are the gateway's own data)."""
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    stack.start_service(
        "gateway", extra_env=lane.env("gateway"), instance=f"-gw-{lane.tag}", timeout_s=120
    )
    try:
        async with httpx.AsyncClient(timeout=20) as http:
            yield Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
    finally:
        stack.stop(f"gateway-gw-{lane.tag}")


def simulate(gateway: Pipeline, stack: qsmo_stack.Stack) -> tuple[int, str]:
    assert COMMAND[:3] == [".venv/bin/python", "-m", "qsmo_client.simulator.provider_tools"]
    args = provider_tools.parse_args(
        [
            *COMMAND[3:],
            "--gateway-url",
            gateway.lane.url("gateway", ""),
            "--keys-file",
            str(stack.plaintext_keys_file),
        ]
    )
    out = io.StringIO()
    return provider_tools.run(args, out=out), out.getvalue()


async def test_the_simulator_plays_a_year_of_the_provider_tools(
    gateway: Pipeline, stack: qsmo_stack.Stack
) -> None:
    fiscal_year = int(COMMAND[COMMAND.index("--fiscal-year") + 1])
    responses = int(COMMAND[COMMAND.index("--responses") + 1])
    status, said = simulate(gateway, stack)
    assert status == 0, said
    providers = [p.id for p in load_catalog().providers if not p.retired]
    assert providers
    before = {}
    for provider in providers:
        read = await gateway.data(STATUS, {"p": provider, "fy": fiscal_year}, who="admin")
        assert read["selfAssessment"]["status"] == "ACCEPTED", provider
        assert 1 <= read["selfAssessment"]["overall"] <= 5
        assert read["dataCall"]["status"] == "ACCEPTED", provider
        assert read["dataCall"]["acceptedVersion"] == 1
        before[provider] = read
    survey_year = fiscal_year_of(datetime.now(UTC))
    waves = (await gateway.data(WAVES, {"fy": survey_year}, who="admin"))["surveyWaves"]
    assert [(w["name"], w["status"]) for w in waves] == [
        (f"FY{survey_year} customer satisfaction survey", "CLOSED")
    ]
    results = (await gateway.data(RESULTS, {"w": waves[0]["id"]}, who="admin"))["surveyResults"]
    published = [g["respondents"] for g in results["groups"] if not g["withheld"]]
    assert sum(published) <= responses
    assert published, "a few hundred responses fill some functions' groups"
    if not results["total"]["withheld"]:
        assert results["total"]["respondents"] == responses
        assert 0 < results["total"]["responseRate"] < 1

    # Again: everything is found where the first run left it; nothing changes.
    status, said = simulate(gateway, stack)
    assert status == 0, said
    assert said.count("self-assessment already accepted") == len(providers)
    assert said.count("data call already accepted") == len(providers)
    assert "already closed" in said
    for provider in providers:
        read = await gateway.data(STATUS, {"p": provider, "fy": fiscal_year}, who="admin")
        assert read == before[provider]
