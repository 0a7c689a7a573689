"""The whole review loop, end to end, every service a real process: a measure RED at two
quarter ends through ingest → the Adjust loop drafts one action → a review of the quarter
lists it in its packet → the review is made READY → the notifications service emails the
frozen packet to the stakeholder list through a real SMTP server (STARTTLS, AUTH).

Issue #19's "Done when": RED for two quarters through ingest → draft action created once →
review READY → email received by the local SMTP server with the packet.
"""

import asyncio
import email
import email.policy
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import qsmo_stack
from gateway_pipeline_support import (
    Keys,
    Lane,
    Pipeline,
    drafted_entries,
    eventually,
    more_adjust_sweeps,
    notifications_env,
)
from qsmo_local.mail_sink import Mailbox, start_sink

from shared.domain.adjust_rules import latest_ended_quarters
from shared.domain.fiscal import fiscal_quarter_period

QSMO = "cybersecurity"
MEASURE = "customer-engagement"  # sum, higher is better, 40 a year: 1 a quarter is RED
SMTP_USER, SMTP_PASSWORD = "qsmo-e2e", "e2e-smtp-password-42"
ADDRESS = "cio-council@omb.example.gov"
ACTIONS = """{ improvementActions(qsmo: "cybersecurity", measure: "customer-engagement") {
  nodes { id status owner origin reviewId title } } }"""
REVIEW = """query($id: ID!) { review(id: $id) { id state cutOff
  packet { status version pages sha256Pdf pdfUrl } } }"""
DELIVERIES = """query($id: ID!) { reviewDeliveries(reviewId: $id) {
  nodes { channel recipient status attempts lastError } } }"""


@dataclass
class Loop:
    pipeline: Pipeline
    mailbox: Mailbox
    stack: qsmo_stack.Stack


def _services_env(lane: Lane, smtp_port: int, cert: Path) -> dict[str, dict[str, str]]:
    notifications = notifications_env(
        lane,
        qsmo_stack.free_port(),
        QSMO_NOTIFICATIONS_SMTP_HOST="127.0.0.1",
        QSMO_NOTIFICATIONS_SMTP_PORT=str(smtp_port),
        QSMO_NOTIFICATIONS_SMTP_USERNAME=SMTP_USER,
        QSMO_NOTIFICATIONS_SMTP_PASSWORD=SMTP_PASSWORD,
        QSMO_NOTIFICATIONS_SMTP_CA_FILE=str(cert),
        QSMO_NOTIFICATIONS_SMTP_FROM="QSMO Performance Platform <qsmo@platform.example.gov>",
        QSMO_NOTIFICATIONS_PUBLIC_URL="https://qsmo.example.gov",
    )
    gateway = {
        **lane.env("gateway"),
        "QSMO_GATEWAY_ADJUST_INTERVAL_S": "0.5",
        "QSMO_GATEWAY_PACKET_INTERVAL_S": "0.5",
    }
    return {
        "ingest": lane.env("ingest"),
        "measures": lane.env("measures"),
        "scorecard": lane.env("scorecard"),
        "notifications": notifications,
        "gateway": gateway,
    }


@pytest.fixture
async def loop(stack: qsmo_stack.Stack, tmp_path: Path) -> AsyncIterator[Loop]:
    """ingest → measures → scorecard → notifications and the gateway (Adjust loop and packet
    worker every 0.5 s) on a private lane, the SMTP sink beside them."""
    server, mailbox, smtp_port = await start_sink(
        tmp_path / "mail", tmp_path / "tls", SMTP_USER, SMTP_PASSWORD
    )
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    started: list[str] = []
    try:
        for service, env in _services_env(lane, smtp_port, tmp_path / "tls" / "cert.pem").items():
            instance = f"-e2e-{lane.tag}"
            stack.start_service(service, extra_env=env, instance=instance, timeout_s=120)
            started.append(f"{service}{instance}")
        async with httpx.AsyncClient(timeout=20) as http:
            yield Loop(Pipeline(lane, Keys.load(stack.plaintext_keys_file), http), mailbox, stack)
    finally:
        for name in reversed(started):
            stack.stop(name)
        server.close()
        await server.wait_closed()


def _zulu(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _pdf_text(pdf: bytes, directory: Path) -> str:
    path = directory / "packet.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


async def _messages(mailbox: Mailbox, timeout_s: float) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout_s
    while not mailbox.received:
        if time.monotonic() > deadline:
            raise AssertionError(f"no email reached the SMTP server within {timeout_s} s")
        await asyncio.sleep(0.1)
    return [
        email.message_from_bytes(r.content, policy=email.policy.default) for r in mailbox.received
    ]


async def test_red_for_two_quarters_drafts_an_action_and_the_ready_packet_is_emailed(
    loop: Loop, tmp_path: Path
) -> None:
    pipeline = loop.pipeline
    earlier, later = latest_ended_quarters(datetime.now(UTC))
    for quarter in (earlier, later):
        middle = fiscal_quarter_period(*quarter).start + timedelta(days=40)
        await pipeline.send(QSMO, MEASURE, 1, _zulu(middle))
    expected_action = f"auto:{QSMO}:{MEASURE}:FY{later[0]}Q{later[1]}"

    # The stakeholders: OMB's list for every review, the packet attached.
    await pipeline.data(
        """mutation($address: String!) { createStakeholderList(id: "omb-e2e", name: "OMB RMO",
          kind: OMB, members: [{name: "CIO Council desk", address: $address}], attachPdf: true)
          { id } }""",
        {"address": ADDRESS},
        who="admin",
    )

    # RED at both quarter ends through ingest → one draft action, by the Adjust loop.
    async def drafted() -> list[dict[str, Any]]:
        nodes: list[dict[str, Any]] = (await pipeline.data(ACTIONS))["improvementActions"]["nodes"]
        return nodes

    [action] = await eventually(drafted, 90, "the Adjust loop's draft action")
    assert (action["id"], action["status"], action["origin"]) == (
        expected_action,
        "DRAFT",
        "ADJUST_LOOP",
    )
    assert action["owner"] == "QSMO customer engagement lead"

    # The review of the later quarter (ended): its packet lists the drafted action.
    meeting = (datetime.now(UTC) + timedelta(days=7)).date()
    created = await pipeline.data(
        """mutation($fy: Int!, $q: Int!, $meeting: Date!) {
          createReview(fiscalYear: $fy, quarter: $q, qsmo: "cybersecurity",
            meetingDate: $meeting, participants: ["QSMO executive director", "OSSPI analyst"])
          { id state } }""",
        {"fy": later[0], "q": later[1], "meeting": meeting.isoformat()},
        who=QSMO,
    )
    review_id = created["createReview"]["id"]
    assert created["createReview"]["state"] == "DRAFT"

    async def packet_done(version: int) -> dict[str, Any] | None:
        review = (await pipeline.data(REVIEW, {"id": review_id}))["review"]
        packet = review["packet"]
        done = packet["status"] == "DONE" and packet["version"] == version
        return review if done else None

    await eventually(lambda: packet_done(1), 120, "the draft packet rendered")
    ready = await pipeline.data(
        "mutation($id: ID!) { makeReviewReady(id: $id) { state } }", {"id": review_id}, who=QSMO
    )
    assert ready["makeReviewReady"]["state"] == "READY"
    frozen = await eventually(lambda: packet_done(2), 120, "the READY packet rendered")

    served = await pipeline.http.get(
        pipeline.lane.url("gateway", frozen["packet"]["pdfUrl"]),
        headers=pipeline.keys.bearer("viewer"),
    )
    assert served.status_code == 200
    text = _pdf_text(served.content, tmp_path)
    assert action["title"] in " ".join(text.split())  # the drafted action is in the packet

    # The READY packet reaches the stakeholder by email, through the real SMTP server.
    [message] = await _messages(loop.mailbox, 120)
    assert ADDRESS in str(message["To"])
    assert "packet ready" in message["Subject"]
    [attached] = list(message.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_payload(decode=True) == served.content

    async def delivered() -> list[dict[str, Any]]:
        nodes = (await pipeline.data(DELIVERIES, {"id": review_id}, who="admin"))[
            "reviewDeliveries"
        ]["nodes"]
        return [n for n in nodes if n["channel"] == "EMAIL" and n["status"] == "DELIVERED"]

    [delivery] = await eventually(delivered, 60, "the email delivery recorded as delivered")
    assert delivery["recipient"] == ADDRESS

    # Once: three more sweeps draft nothing more, and the email went out once.
    await more_adjust_sweeps(pipeline, 3)
    assert len(await drafted()) == 1
    assert await drafted_entries(loop.stack, pipeline.lane) == [f"action.drafted:{expected_action}"]
    assert len(loop.mailbox.received) == 1
