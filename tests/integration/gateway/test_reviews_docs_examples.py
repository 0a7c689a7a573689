"""The ``sh`` examples of docs/reviews.md, run verbatim with bash and curl against a real
pipeline of their own holding the simulator's FY2026 history, in the order a QSMO's program
manager and OSSPI would run them: each answers as the doc says."""

import asyncio
import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import qsmo_stack
from gateway_pipeline_support import (
    Pipeline,
    eventually,
    keys_home,
    notifications_env,
    run_shell_example,
    running_pipeline,
)

from qsmo_client import Publisher
from qsmo_client.simulator.history import generate_history
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.provider_tools_api import ToolsApi
from qsmo_client.simulator.reviews_flow import Quarter, expected_events, history_scored
from shared.catalog import load_catalog

REPO = Path(__file__).resolve().parents[3]
DOC = REPO / "docs" / "reviews.md"
LOCAL_URL = "http://127.0.0.1:8000"
BLOCKS = re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)
KEY_LINES = next(b for b in BLOCKS if "PUBLISHER=$(" in b)
SEED = 2022
FM = "FY2026-Q4|financial-management"
RUN: list[str] = []
"""The blocks the tests below ran, to check none was left out."""


def block(marker: str) -> str:
    """The one example containing ``marker``."""
    found = [b for b in BLOCKS if marker in b]
    assert len(found) == 1, (marker, len(found))
    return found[0]


@pytest.fixture(scope="module")
async def pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """A pipeline with the simulator's FY2026 history scored in it, and the notifications
    service beside it."""
    async with running_pipeline(stack) as running:
        label = f"-gw-{running.lane.tag}"
        env = notifications_env(running.lane, qsmo_stack.free_port())
        stack.start_service("notifications", extra_env=env, instance=label, timeout_s=120)
        catalog = load_catalog()
        start = datetime(2025, 10, 1, tzinfo=UTC)
        end = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)
        deliveries = generate_history(
            SEED,
            catalog.qsmo_ids,
            start,
            end,
            catalog.framework(),
            Marketplace(SEED, catalog.providers),
        )
        for qsmo in catalog.qsmo_ids:
            events = [d.event for d in deliveries if d.event.qsmo == qsmo]
            with Publisher(running.keys.publishers[qsmo], running.lane.url("ingest", "")) as sender:
                assert sender.publish(events).ok
        expected = expected_events(SEED, catalog, [Quarter(2026, 4)])
        with ToolsApi(running.lane.url("gateway", "")) as api:

            async def scored() -> bool:
                return await asyncio.to_thread(history_scored, api, running.keys.admin, expected)

            await eventually(scored, 180, "the FY2026 history scored")
        try:
            yield running
        finally:
            stack.stop(f"notifications{label}")


@pytest.fixture(scope="module")
def home(stack: qsmo_stack.Stack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ``.local/api-keys.json``, where the examples read the keys from."""
    return keys_home(stack, tmp_path_factory.mktemp("reviews-home"))


def run(marker: str, pipeline: Pipeline, home: Path) -> list[Any]:
    """Run the example containing ``marker`` after the key lines; its JSON answers."""
    example = block(marker)
    RUN.append(example)
    script = (KEY_LINES + example).replace(LOCAL_URL, pipeline.lane.url("gateway", ""))
    return run_shell_example(script, home)


def data(answer: Any) -> Any:
    assert "errors" not in answer, answer
    return answer["data"]


async def packet_done(pipeline: Pipeline, ident: str, version: int = 1) -> dict[str, Any]:
    async def done() -> Any:
        review = (
            await pipeline.data(
                "query($id: ID!) { review(id: $id) { packet { status version error } } }",
                {"id": ident},
            )
        )["review"]
        packet = review["packet"]
        assert packet["status"] != "FAILED", packet
        return packet if packet["status"] == "DONE" and packet["version"] >= version else None

    found: dict[str, Any] = await eventually(done, 120, f"the packet of {ident} rendered")
    return found


async def test_creating_reviews(pipeline: Pipeline, home: Path) -> None:
    (created,) = run('meetingDate: \\"2026-10-20\\"', pipeline, home)
    review = data(created)["createReview"]
    assert review["id"] == FM
    assert review["title"] == "FY2026 Q4 performance review — Core Financial Management QSMO"
    assert review["state"] == "DRAFT"
    assert review["packet"]["status"] in ("PENDING", "RENDERING", "DONE")

    (again,) = run('meetingDate: \\"2026-10-21\\"', pipeline, home)
    assert again["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert again["data"] is None

    (government,) = run('meetingDate: \\"2026-10-27\\"', pipeline, home)
    assert data(government)["createReview"] == {
        "id": "FY2026-Q4|government",
        "title": "FY2026 Q4 performance review — government-wide",
        "state": "DRAFT",
    }

    (listed,) = run("reviews(fiscalYear: 2026)", pipeline, home)
    nodes = data(listed)["reviews"]["nodes"]
    assert {n["id"] for n in nodes} == {FM, "FY2026-Q4|government"}
    assert {n["qsmoId"] for n in nodes} == {"financial-management", None}


async def test_the_packet_and_its_urls(pipeline: Pipeline, home: Path) -> None:
    await packet_done(pipeline, FM)
    (read,) = run("sha256Pdf error", pipeline, home)
    review = data(read)["review"]
    packet = review["packet"]
    assert packet["status"] == "DONE"
    assert packet["pdfUrl"].endswith("/v1/reviews/FY2026-Q4%7Cfinancial-management/packet.pdf")
    assert packet["pages"] >= 3
    assert review["scorecard"]["overallStatus"] in ("GREEN", "AMBER", "RED")

    assert run("-o FY2026-Q4-financial-management.pdf", pipeline, home) == []
    pdf = (home / "FY2026-Q4-financial-management.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert (home / "FY2026-Q4-financial-management.xlsx").read_bytes()[:2] == b"PK"
    table = list(csv.reader(io.StringIO((home / "FY2026-Q4-financial-management.csv").read_text())))
    assert table[0][0] == "section"

    (missing,) = run("no-such-qsmo", pipeline, home)
    assert missing["error"]["code"] == "NOT_FOUND", missing


async def test_ready_and_held(pipeline: Pipeline, home: Path) -> None:
    # The stakeholder list first (docs: "Stakeholder lists and distribution"), so the READY
    # packet goes to it.
    (created,) = run("createStakeholderList(", pipeline, home)
    listed = data(created)["createStakeholderList"]
    assert listed["id"] == "fm-leadership"
    assert listed["members"] == [{"name": "FM QSMO director", "address": "fm-director@example.gov"}]

    (readied,) = run("makeReviewReady(", pipeline, home)
    review = data(readied)["makeReviewReady"]
    assert (review["id"], review["state"]) == (FM, "READY")
    frozen = await packet_done(pipeline, FM, review["packet"]["version"])
    assert frozen["version"] == review["packet"]["version"]

    (held,) = run("recordReviewMeeting(", pipeline, home)
    meeting = data(held)["recordReviewMeeting"]
    assert meeting["state"] == "HELD"
    assert meeting["decisions"] == [
        {
            "text": "Recover price transparency by Q2",
            "owner": "FM operations lead",
            "dueDate": "2027-03-31",
        },
        {"text": "Keep the cost per transaction target", "owner": None, "dueDate": None},
    ]
    assert [h["state"] for h in meeting["history"]] == ["DRAFT", "READY", "HELD"]
    assert {h["by"] for h in meeting["history"]} == {"dev-publisher-financial-management"}


async def test_the_adjust_loop_and_revision_examples(pipeline: Pipeline, home: Path) -> None:
    (actions,) = run("status: DRAFT) { nodes { id measureId", pipeline, home)
    for action in data(actions)["improvementActions"]["nodes"]:
        assert action["status"] == "DRAFT"
        assert action["origin"] == "ADJUST_LOOP"

    (proposed,) = run("proposeRevision(", pipeline, home)
    proposal = data(proposed)["proposeRevision"]
    assert (proposal["status"], proposal["kind"], proposal["proposedValue"]) == (
        "PROPOSED",
        "TARGET",
        85.0,
    )

    (decided,) = run("decideRevision(", pipeline, home)
    assert data(decided)["decideRevision"] == {"id": proposal["id"], "status": "ACCEPTED"}
    measure = await pipeline.data(
        '{ framework { measure(id: "price-transparency") '
        '{ targetFor(qsmo: "financial-management") } } }'
    )
    assert measure["framework"]["measure"]["targetFor"] == 85.0, "accepting applied the target"


async def test_the_distribution_examples(pipeline: Pipeline, home: Path) -> None:
    """The READY packet's email to the list made above: this lane has no SMTP server, so it
    failed at once with the reason (the review stays READY, then HELD)."""

    async def listed() -> Any:
        (answer,) = run_shell_example(
            (KEY_LINES + block("reviewDeliveries(")).replace(
                LOCAL_URL, pipeline.lane.url("gateway", "")
            ),
            home,
        )
        nodes = data(answer)["reviewDeliveries"]["nodes"]
        return nodes if nodes and all(n["status"] != "PENDING" for n in nodes) else None

    deliveries = await eventually(listed, 60, "the packet's email delivery")
    RUN.append(block("reviewDeliveries("))
    assert [(d["channel"], d["recipient"], d["status"]) for d in deliveries] == [
        ("EMAIL", "fm-director@example.gov", "FAILED")
    ]
    assert "no SMTP server configured" in deliveries[0]["lastError"]


async def test_the_activity_log(pipeline: Pipeline, home: Path) -> None:
    (log,) = run("activityLog(", pipeline, home)
    actions = [e["action"] for e in data(log)["activityLog"]["nodes"]]
    for step in ("review.created", "review.ready", "review.held", "packet.rendered"):
        assert step in actions, (step, actions)


async def test_the_simulator_example(pipeline: Pipeline, home: Path) -> None:
    """The doc's command, with the lane's gateway (``QSMO_GATEWAY_URL``): the FY2026 Q4
    reviews that exist are left alone, the others are created, readied and held."""
    example = block("qsmo_client.simulator.reviews")
    RUN.append(example)
    env = {
        **os.environ,
        "QSMO_GATEWAY_URL": pipeline.lane.url("gateway", ""),
        "PYTHONPATH": str(REPO),
    }
    script = example.replace("python ", f"{sys.executable} ")
    done = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"reviews: {FM}: already held" in done.stdout
    assert "reviews: 10 of 10 packets rendered" in done.stdout
    listed = await pipeline.data("{ reviews(fiscalYear: 2026, first: 100) { nodes { id state } } }")
    states = {n["id"]: n["state"] for n in listed["reviews"]["nodes"]}
    assert states[FM] == "HELD"
    assert states["FY2026-Q3|cybersecurity"] == "HELD"
    assert states["FY2026-Q4|government"] == "HELD"


def test_every_example_was_run() -> None:
    """Runs last (file order): the key lines run with each example."""
    left = [b for b in BLOCKS if b not in RUN and b != KEY_LINES]
    assert left == []
