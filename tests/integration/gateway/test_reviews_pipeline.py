"""Reviews through the real gateway app, the real store (FerretDB) and real Kafka.

The gateway runs in process (``create_app`` with its lifespan: the packet worker sweeps in the
background) with a gated fake packet builder (the real one renders with typst; its own tests
check the content). A review is created, its preview rendered by the worker, made ready, and
``ReviewReady`` read back from the lane's reviews topic: exactly once, although the first
publish failed and the sweep published again.
"""

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import qsmo_stack
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from gateway_pipeline_support import Keys, eventually, running_pipeline

from gateway.bootstrap import create_app
from gateway.reviews import Reviews
from gateway.reviews.worker import ReviewMessagePublisher
from gateway.settings import GatewaySettings
from shared.domain.fiscal import fiscal_quarter_of
from shared.domain.reviews import Review, previous_quarter, quarter_end
from shared.events import ImprovementActionOverdue, ReviewReady
from shared.kafka import ensure_topics
from shared.review_packets import RenderedPacket
from shared.settings import PlatformSettings

OWN = "cybersecurity"
PARTITIONS = 3


async def topic_records(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Every message the topic holds: read up to each partition's end offset."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + 30
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            assert time.monotonic() < deadline, f"could not read {topic} to its end"
            for batch in (await consumer.getmany(*partitions, timeout_ms=300)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


@dataclass
class GatedPacketBuilder:
    """Renders only once ``gate`` is set (so a test sees the packet not rendered yet)."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    built: list[tuple[str, str]] = field(default_factory=list)

    async def build(self, review: Review, previous: Review | None) -> RenderedPacket:
        await self.gate.wait()
        self.built.append((review.id, review.state.value))
        text = f"{review.title} {review.state.value} {review.cut_off.isoformat()}"
        return RenderedPacket(
            pdf=b"%PDF-1.7\n" + text.encode(),
            xlsx=b"PK\x03\x04" + text.encode(),
            csv=f"section,measure,value\ncover,,{text}\n".encode(),
            pages=2,
            summary="Overall NO_DATA: 0 RED, 0 AMBER measures",
        )


@dataclass
class FailingFirst:
    """Kafka away for the first publish (it raises before sending), then the real one."""

    real: ReviewMessagePublisher
    failed: int = 0

    async def publish(self, message: ReviewReady | ImprovementActionOverdue) -> None:
        if self.failed == 0:
            self.failed += 1
            raise ConnectionError("Kafka is away")
        await self.real.publish(message)


@asynccontextmanager
async def reviews_gateway(
    stack: qsmo_stack.Stack, topic: str, builder: GatedPacketBuilder
) -> AsyncIterator[tuple[httpx.AsyncClient, Reviews]]:
    settings = GatewaySettings(reviews_topic=topic, packet_interval_s=0.2)
    platform = PlatformSettings(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongo_url=stack.mongo_url,
        mongo_db=f"rv_{uuid.uuid4().hex[:8]}",
        api_keys_file=stack.api_keys_file,
    )
    app = create_app(settings, platform, packet_builder=builder)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30) as http,
    ):
        yield http, app.state.runtime.reviews


async def _graphql(
    http: httpx.AsyncClient, keys: Keys, query: str, variables: dict[str, Any], who: str
) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=keys.bearer(who)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


CREATE = """mutation($fy: Int!, $q: Int!) { createReview(fiscalYear: $fy, quarter: $q,
  qsmo: "cybersecurity", meetingDate: "2030-01-15", participants: ["CFO"]) {
  id state packet { status } } }"""
PACKET = """query($id: ID!) { review(id: $id) { state packet { status version pdfUrl xlsxUrl
  csvUrl sha256Pdf } } }"""


async def test_a_review_is_rendered_made_ready_and_announced_once(
    stack: qsmo_stack.Stack,
) -> None:
    topic = f"reviews.it.{uuid.uuid4().hex[:8]}"
    await ensure_topics(stack.kafka_bootstrap, PARTITIONS, names=(topic,))
    keys = Keys.load(stack.plaintext_keys_file)
    fiscal_year, quarter = previous_quarter(*fiscal_quarter_of(datetime.now(UTC)))
    builder = GatedPacketBuilder()
    async with reviews_gateway(stack, topic, builder) as (http, reviews):
        flaky = FailingFirst(reviews.worker.publisher)
        reviews.worker.publisher = flaky
        variables = {"fy": fiscal_year, "q": quarter}
        created = (await _graphql(http, keys, CREATE, variables, f"{OWN}"))["data"]
        review_id = created["createReview"]["id"]
        assert review_id == f"FY{fiscal_year}-Q{quarter}|{OWN}"
        assert created["createReview"]["state"] == "DRAFT"
        second = await _graphql(http, keys, CREATE, variables, "admin")
        assert [e["extensions"]["code"] for e in second["errors"]] == ["CONFLICT"]

        path = f"/v1/reviews/{review_id.replace('|', '%7C')}/packet"
        anonymous = await http.get(f"{path}.pdf")
        assert anonymous.status_code == 401
        unknown = await http.get(
            "/v1/reviews/FY1999-Q1%7Cnone/packet.pdf", headers=keys.bearer("viewer")
        )
        assert unknown.status_code == 404
        waiting = await http.get(f"{path}.pdf", headers=keys.bearer("viewer"))
        assert waiting.status_code == 409  # the builder is held at its gate
        assert waiting.json()["error"]["code"] == "PACKET_NOT_READY"
        assert waiting.json()["error"]["message"].startswith("the packet's status is ")

        builder.gate.set()

        async def packet_done() -> dict[str, Any] | None:
            body = await _graphql(http, keys, PACKET, {"id": review_id}, "viewer")
            packet: dict[str, Any] = body["data"]["review"]["packet"]
            return packet if packet["status"] == "DONE" else None

        preview = await eventually(packet_done, 30, "the DRAFT preview rendered by the worker")
        assert preview["version"] == 1
        for fmt, media_type, start in (
            ("pdf", "application/pdf", b"%PDF"),
            ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
            ("csv", "text/csv; charset=utf-8", b"section,measure,value"),
        ):
            assert preview[f"{fmt}Url"] == f"{path}.{fmt}"
            served = await http.get(preview[f"{fmt}Url"], headers=keys.bearer("viewer"))
            assert served.status_code == 200, served.text
            assert served.headers["content-type"] == media_type
            assert served.content.startswith(start)
            assert b" DRAFT " in served.content

        ready = await _graphql(
            http,
            keys,
            "mutation($id: ID!) { makeReviewReady(id: $id) { state } }",
            {"id": review_id},
            OWN,
        )
        assert ready["data"]["makeReviewReady"]["state"] == "READY"

        async def announced() -> bool:
            stored = await reviews.store.get(review_id)
            return stored is not None and stored.announced

        await eventually(announced, 30, "ReviewReady published and the review flagged")
        assert flaky.failed == 1  # the first publish failed; a later sweep published it
        frozen = await eventually(packet_done, 5, "the READY packet")
        assert frozen["version"] == 2
        pdf = await http.get(frozen["pdfUrl"], headers=keys.bearer("viewer"))
        assert b" READY " in pdf.content
        assert await reviews.worker.sweep() == (0, 0)  # nothing owed any more

    records = await topic_records(stack.kafka_bootstrap, topic)
    messages = [json.loads(r.value) for r in records]
    assert [m["message_id"] for m in messages] == [f"review-ready:{review_id}"]
    message = messages[0]
    assert message["type"] == "review.ready"
    assert message["qsmo"] == OWN
    assert message["summary"] == "Overall NO_DATA: 0 RED, 0 AMBER measures"
    assert message["packet_links"] == {fmt: f"{path}.{fmt}" for fmt in ("pdf", "xlsx", "csv")}
    assert records[0].key == OWN.encode()
    assert builder.built == [(review_id, "DRAFT"), (review_id, "READY")]


async def test_the_gateway_process_renders_a_real_packet(stack: qsmo_stack.Stack) -> None:
    """``python -m gateway`` with its own packet builder (typst in the render pool)."""
    fiscal_year, quarter = previous_quarter(*fiscal_quarter_of(datetime.now(UTC)))
    async with running_pipeline(stack) as pipeline:
        occurred = quarter_end(fiscal_year, quarter) - timedelta(days=5)
        await pipeline.send(OWN, "customer-satisfaction", 4.1, occurred.isoformat())
        scorecard = (
            'query($fy: Int!) { scorecard(fiscalYear: $fy, qsmo: "cybersecurity") { version } }'
        )

        async def scored() -> bool:
            body = await pipeline.graphql(scorecard, {"fy": fiscal_year})
            return bool(body["data"]["scorecard"])

        await eventually(scored, 60, "the event scored")  # so the packet has figures
        created = await pipeline.graphql(CREATE, {"fy": fiscal_year, "q": quarter}, who="admin")
        review_id = created["data"]["createReview"]["id"]

        async def settled() -> dict[str, Any] | None:
            body = await pipeline.graphql(PACKET, {"id": review_id})
            packet: dict[str, Any] = body["data"]["review"]["packet"]
            return packet if packet["status"] in ("DONE", "FAILED") else None

        packet = await eventually(settled, 120, "the packet rendered by the gateway's worker")
        assert packet["status"] == "DONE", packet
        url = pipeline.lane.url("gateway", packet["pdfUrl"])
        pdf = await pipeline.http.get(url, headers=pipeline.keys.bearer("viewer"))
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert hashlib.sha256(pdf.content).hexdigest() == packet["sha256Pdf"]
        xlsx = await pipeline.http.get(
            pipeline.lane.url("gateway", packet["xlsxUrl"]), headers=pipeline.keys.bearer("viewer")
        )
        assert xlsx.status_code == 200
        assert xlsx.content.startswith(b"PK")
