"""End to end through real processes: ingest → measures → scorecard → notifications → webhook.

A publisher posts customer-satisfaction scores of 1.0 (target 4.0) to ingest; the measure
turns RED on its scorecard, and a webhook subscribed to that measure hears about it.
"""

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import qsmo_stack
from notifications_lane import NotificationsLane
from notifications_messages import SECRET
from notifications_receiver import Receiver

from services.notifications.write_port import SubscriptionStore
from shared.api_keys import Principal, Role
from shared.kafka import ensure_topics

QSMO, MEASURE = "human-resources", "customer-satisfaction"


async def test_a_red_measure_reaches_a_subscribed_webhook(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, mongo_db: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    events, values, framework = f"t.events.{tag}", f"t.values.{tag}", f"t.framework.{tag}"
    lane = NotificationsLane.new()
    await lane.create_topics(kafka_bootstrap)
    await ensure_topics(kafka_bootstrap, 3, names=(events, values, framework))
    receiver = Receiver()
    url = await receiver.start()
    publisher = Principal(key_id=f"dev-publisher-{QSMO}", role=Role.PUBLISHER, qsmo=QSMO)
    await SubscriptionStore(mongo_db, allow_private=True).create(
        publisher, QSMO, None, MEASURE, "warning", url, SECRET
    )
    ports = {
        name: qsmo_stack.free_port()
        for name in ("ingest", "measures", "scorecard", "notifications")
    }
    common = {"QSMO_MONGO_DB": mongo_db.name}
    services = {
        "ingest": {"QSMO_INGEST_PORT": str(ports["ingest"]), "QSMO_INGEST_TOPIC": events},
        "measures": {
            "QSMO_MEASURES_PORT": str(ports["measures"]),
            "QSMO_MEASURES_EVENTS_TOPIC": events,
            "QSMO_MEASURES_VALUES_TOPIC": values,
            "QSMO_MEASURES_DLQ_TOPIC": lane.dlq,
            "QSMO_MEASURES_GROUP_ID": f"measures-{tag}",
        },
        "scorecard": {
            "QSMO_SCORECARD_PORT": str(ports["scorecard"]),
            "QSMO_SCORECARD_VALUES_TOPIC": values,
            "QSMO_SCORECARD_FRAMEWORK_TOPIC": framework,
            "QSMO_SCORECARD_SCORECARDS_TOPIC": lane.scorecards,
            "QSMO_SCORECARD_GROUP_ID": f"scorecard-{tag}",
            "QSMO_SCORECARD_POLL_TIMEOUT_MS": "200",
        },
        "notifications": lane.env(mongo_db.name, ports["notifications"]),
    }
    started: list[str] = []
    try:
        for name, env in services.items():
            stack.start_service(name, extra_env={**common, **env}, instance=f"-{tag}")
            started.append(f"{name}-{tag}")
        key = json.loads(stack.plaintext_keys_file.read_text())["publishers"][QSMO]
        occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        batch = {
            "events": [
                {
                    "event_id": f"e2e-{tag}-{i}",
                    "qsmo": QSMO,
                    "measure": MEASURE,
                    "value": 1.0,
                    "occurred_at": occurred,
                }
                for i in range(3)
            ]
        }
        async with httpx.AsyncClient(trust_env=False) as http:
            answer = await http.post(
                f"http://127.0.0.1:{ports['ingest']}/v1/events",
                json=batch,
                headers={"Authorization": f"Bearer {key}"},
            )
        assert answer.status_code == 202, answer.text
        (call,) = await receiver.wait_for(1, 90)
        assert call.signed_with(SECRET)
        notification = json.loads(call.body)["notification"]
        assert (notification["rule"], notification["severity"]) == ("status_degraded", "critical")
        assert (notification["qsmo"], notification["measure"]) == (QSMO, MEASURE)
        assert (
            "Customer Satisfaction for Human Resources Management QSMO" in notification["message"]
        )
        assert "1.0 against a target of 4.0" in notification["message"]
    finally:
        for label in reversed(started):
            stack.stop(label)
        await receiver.stop()
