"""Ingest → measures → scorecard as real processes: events over HTTP, a scorecard out."""

import json
import uuid
from typing import Any

import httpx
import pytest
import qsmo_stack
from scorecard_pipeline import DEADLINE_S, START_S, ScorecardLane, eventually

from services.scorecard.read_model import ScorecardReader
from services.scorecard.views import ScorecardView
from shared.kafka import ensure_topics
from shared.mongo import create_mongo_client


async def test_events_sent_to_ingest_reach_the_scorecard(
    stack: qsmo_stack.Stack, kafka_bootstrap: str
) -> None:
    lane = ScorecardLane.new()
    tag = uuid.uuid4().hex[:8]
    events_topic, dlq = f"t.events.{tag}", f"t.dlq.{tag}"
    await ensure_topics(kafka_bootstrap, 6, names=(events_topic, dlq))
    await lane.create_topics(kafka_bootstrap)
    ingest_port, measures_port, scorecard_port = (qsmo_stack.free_port() for _ in range(3))
    labels = [f"ingest-e2e{tag}", f"measures-e2e{tag}", f"scorecard-e2e{tag}"]
    try:
        stack.start_service(
            "ingest",
            instance=labels[0].removeprefix("ingest"),
            timeout_s=START_S,
            extra_env={"QSMO_INGEST_PORT": str(ingest_port), "QSMO_INGEST_TOPIC": events_topic},
        )
        stack.start_service(
            "measures",
            instance=labels[1].removeprefix("measures"),
            timeout_s=START_S,
            extra_env={
                "QSMO_MONGO_DB": lane.database,
                "QSMO_MEASURES_PORT": str(measures_port),
                "QSMO_MEASURES_EVENTS_TOPIC": events_topic,
                "QSMO_MEASURES_VALUES_TOPIC": lane.values,
                "QSMO_MEASURES_DLQ_TOPIC": dlq,
                "QSMO_MEASURES_GROUP_ID": f"measures-{tag}",
            },
        )
        stack.start_service(
            "scorecard",
            instance=labels[2].removeprefix("scorecard"),
            timeout_s=START_S,
            extra_env=lane.env(scorecard_port),
        )
        key = json.loads(stack.plaintext_keys_file.read_text())["publishers"]["cybersecurity"]
        events = [
            ("customer-engagement", 25, "2025-01-15T10:00:00-05:00"),
            ("customer-engagement", 15, "2025-02-15T10:00:00-05:00"),
            ("customer-satisfaction", 3.6, "2025-01-20T10:00:00Z"),
            ("price-transparency", 45, "2025-03-01T10:00:00Z"),
        ]
        documents = [
            {
                "event_id": f"e2e-{tag}-{i}",
                "qsmo": "cybersecurity",
                "measure": m,
                "value": v,
                "occurred_at": at,
            }
            for i, (m, v, at) in enumerate(events)
        ]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ingest_port}") as client:
            response = await client.post(
                "/v1/events", json={"events": documents}, headers={"Authorization": f"Bearer {key}"}
            )
        assert response.status_code in (200, 201, 202), response.text

        mongo = create_mongo_client(stack.mongo_url)
        try:
            reader = ScorecardReader(mongo[lane.database])

            async def scored() -> ScorecardView | None:
                view = await reader.current(2025, "cybersecurity")
                done = view is not None and view.measure("price-transparency").value == 45
                return view if done and view.measure("customer-engagement").value == 40 else None

            view: Any = await eventually(scored, DEADLINE_S, "the FY2025 cybersecurity scorecard")
            assert view.dimension("customer").score == pytest.approx(95.0)  # (1 + 0.9) / 2
            assert view.dimension("financial").score == pytest.approx(50.0)  # 45 / 90
            assert view.overall_score == pytest.approx(72.5)
            assert view.overall_status == "RED"
            assert view.measure("customer-engagement").quality.event_count == 2

            async def government_wide() -> ScorecardView | None:
                found = await reader.current(2025, None)
                ready = found is not None and found.overall_score is not None
                # Rev. 2: engagement 40 of the four QSMOs' 4 × 40 → customer (0.25 + 0.9) / 2.
                expected = (100 * (0.25 + 0.9) / 2 + 50) / 2
                return found if ready and abs(found.overall_score - expected) < 1e-9 else None

            government = await eventually(
                government_wide, DEADLINE_S, "the government-wide scorecard"
            )
            engagement = government.measure("customer-engagement")
            assert (engagement.value, engagement.target) == (40, 160)
            counts = engagement.qsmo_status_counts
            assert counts is not None
            assert (counts.green, counts.amber, counts.red, counts.no_data) == (1, 0, 0, 3)
        finally:
            await mongo.close()
    finally:
        for label in labels:
            stack.stop(label)
