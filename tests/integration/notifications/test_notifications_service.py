"""``python -m services.notifications`` as a real subprocess: Kafka in, webhook and Kafka out."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import qsmo_stack
from notifications_lane import NotificationsLane, eventually, publish, read_notifications
from notifications_messages import AT, SECRET, red_measure
from notifications_receiver import Receiver

from services.notifications.read_model import NotificationReader
from services.notifications.write_port import SubscriptionStore
from shared.api_keys import Principal, Role
from shared.domain.fiscal import fiscal_year_of
from shared.events import DeadLetter

ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)


def letter(i: int) -> DeadLetter:
    return DeadLetter(
        reason="value 9 is outside 1..5",
        code="validation",
        topic="qsmo.events.v1",
        partition=0,
        offset=i,
        key="grants-management|customer-satisfaction",
        payload_base64=base64.b64encode(b"{}").decode(),
        dead_lettered_at=AT,
    )


async def test_scorecard_changes_and_dead_letters_reach_the_webhook_and_the_topic(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, mongo_db: Any
) -> None:
    lane = NotificationsLane.new()
    await lane.create_topics(kafka_bootstrap)
    receiver = Receiver()
    url = await receiver.start()
    subscriptions = SubscriptionStore(mongo_db, allow_private=True)
    await subscriptions.create(ADMIN, None, None, None, "warning", url, SECRET)
    port = qsmo_stack.free_port()
    label = f"-{lane.group}"
    # Dead letters carry their own (old) times: a wide window keeps them in it.
    env = lane.env(
        mongo_db.name,
        port,
        QSMO_NOTIFICATIONS_DEAD_LETTER_SURGE_THRESHOLD="3",
        QSMO_NOTIFICATIONS_DEAD_LETTER_SURGE_WINDOW_S=str(10 * 365 * 86400),
    )
    stack.start_service("notifications", extra_env=env, instance=label)
    try:
        # the open fiscal year: status changes of long-closed years are no news (rev. 2)
        message = red_measure(fiscal_year=fiscal_year_of(datetime.now(UTC)))
        await publish(kafka_bootstrap, lane.scorecards, [(message.scorecard_id.encode(), message)])
        await publish(
            kafka_bootstrap,
            lane.dlq,
            [(b"grants-management|customer-satisfaction", letter(i)) for i in range(3)],
        )
        calls = await receiver.wait_for(2, 60)
        assert all(c.signed_with(SECRET) for c in calls)
        bodies = sorted(
            (json.loads(c.body)["notification"] for c in calls), key=lambda n: n["rule"]
        )
        assert [(n["rule"], n["qsmo"], n["severity"]) for n in bodies] == [
            ("dead_letter_surge", "grants-management", "critical"),
            ("status_degraded", "cybersecurity", "critical"),
        ]
        published = await read_notifications(kafka_bootstrap, lane.notifications, 2)
        assert {p.notification_id for p in published} == {n["notification_id"] for n in bodies}
        found = await NotificationReader(mongo_db).list(None, 10, None)
        assert {n.id for n in found} == {n["notification_id"] for n in bodies}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            assert (await http.get("/healthz")).status_code == 200
            assert (await http.get("/readyz")).status_code == 200

            async def delivered_metrics() -> str | None:
                text = (await http.get("/metrics")).text
                return text if 'deliveries_total{outcome="delivered"} 2.0' in text else None

            metrics = await eventually(
                delivered_metrics, 10, "two delivered deliveries in /metrics"
            )
        assert (
            'qsmo_notifications_raised_total{rule="status_degraded",severity="critical"} 1.0'
            in metrics
        )
    finally:
        stack.stop(f"notifications{label}")
        await receiver.stop()
