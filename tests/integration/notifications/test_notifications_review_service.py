"""``python -m services.notifications`` as a real subprocess: a ``ReviewReady`` published
(twice) on the real ``qsmo.reviews.v1`` topic → one email per stakeholder through a real
SMTP server (STARTTLS, AUTH) with the stored PDF attached, and one signed ``review.ready``
webhook."""

import json
import uuid
from pathlib import Path
from typing import Any

import qsmo_stack
from notifications_lane import NotificationsLane, eventually, publish
from notifications_messages import SECRET
from notifications_receiver import Receiver
from review_mail_support import PDF, READY_AT, SMTP_PASSWORD, SMTP_USER, attachment, smtp_sink
from review_mail_support import review_ready as ready_message

from services.notifications.read_model import NotificationReader
from services.notifications.write_port import SubscriptionStore, stakeholder_lists
from shared import topics
from shared.api_keys import Principal, Role
from shared.events import ImprovementActionOverdue
from shared.review_packets import MongoPacketStore, packet

ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)


async def test_a_review_ready_on_the_topic_is_emailed_and_webhooked_once(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, mongo_db: Any, tmp_path: Path
) -> None:
    review_id = f"FY2026-Q1|cybersecurity|{uuid.uuid4().hex[:6]}"  # unique on the shared topic
    message = ready_message(review_id=review_id, title=f"Review {review_id}")
    await MongoPacketStore(mongo_db).put(packet(review_id, "pdf", 1, PDF, READY_AT))
    await stakeholder_lists(mongo_db).create(
        ADMIN,
        name="OMB",
        kind="OMB",
        qsmo=None,
        members=[("Jane Doe", "jane.doe@omb.example.gov"), ("Raj Iyer", "raj@omb.example.gov")],
    )
    receiver = Receiver()
    url = await receiver.start()
    hook = await SubscriptionStore(mongo_db, allow_private=True).create(
        ADMIN, "cybersecurity", None, None, "warning", url, SECRET
    )
    lane = NotificationsLane.new()
    await lane.create_topics(kafka_bootstrap)
    label = f"-{lane.group}"
    try:
        async with smtp_sink(tmp_path) as sink:
            env = lane.env(
                mongo_db.name,
                qsmo_stack.free_port(),
                QSMO_NOTIFICATIONS_REVIEWS_TOPIC=topics.REVIEWS,
                QSMO_NOTIFICATIONS_SMTP_HOST="127.0.0.1",
                QSMO_NOTIFICATIONS_SMTP_PORT=str(sink.port),
                QSMO_NOTIFICATIONS_SMTP_USERNAME=SMTP_USER,
                QSMO_NOTIFICATIONS_SMTP_PASSWORD=SMTP_PASSWORD,
                QSMO_NOTIFICATIONS_SMTP_CA_FILE=str(sink.cert),
                QSMO_NOTIFICATIONS_SMTP_FROM="QSMO <qsmo@platform.example.gov>",
                QSMO_NOTIFICATIONS_PUBLIC_URL="https://qsmo.example.gov",
            )
            stack.start_service("notifications", extra_env=env, instance=label)
            # Published twice, as a retried publish would; then a sentinel on the same
            # partition (same key): once its notice is stored, both copies were consumed.
            sentinel = ImprovementActionOverdue(
                message_id=f"action-overdue:{review_id}",
                action_id=f"act_{uuid.uuid4().hex[:8]}",
                qsmo="cybersecurity",
                measure="customer-satisfaction",
                title="Sentinel",
                owner="CX lead",
                due_date=READY_AT.date(),
                status="OPEN",
                detected_at=READY_AT,
            )
            key = b"cybersecurity"
            await publish(kafka_bootstrap, topics.REVIEWS, [(key, message), (key, message)])
            await publish(kafka_bootstrap, topics.REVIEWS, [(key, sentinel)])
            reader = NotificationReader(mongo_db)

            async def sentinel_seen() -> bool:
                found = await reader.list("cybersecurity", 10, None)
                return any(n.rule == "action_overdue" for n in found)

            await eventually(sentinel_seen, 60, "the sentinel's action_overdue notice")

            # Other tests may publish on the real topic too: only this review counts.
            def ours() -> list[Any]:
                return [m for m in sink.messages() if review_id in m["Subject"]]

            async def two_emails() -> bool:
                return len(ours()) >= 2

            await eventually(two_emails, 60, "two emails of this review")

            async def review_calls() -> list[Any]:
                calls = [json.loads(c.body) for c in receiver.calls]
                return [
                    c
                    for c in calls
                    if c["type"] == "review.ready" and c["review"]["review_id"] == review_id
                ]

            (webhook,) = await eventually(review_calls, 60, "the review.ready webhook")

            async def settled() -> list[Any]:
                found = await reader.review_deliveries(review_id, 10, None)
                done = [d for d in found if d.status == "delivered"]
                return found if len(done) == len(found) == 3 else []

            deliveries = await eventually(settled, 60, "three review deliveries delivered")
        emails = ours()
        assert len(emails) == 2  # once each, though published twice
        assert len(await review_calls()) == 1
    finally:
        stack.stop(f"notifications{label}")
        await receiver.stop()

    assert sorted(str(m["To"]) for m in emails) == [
        "Jane Doe <jane.doe@omb.example.gov>",
        "Raj Iyer <raj@omb.example.gov>",
    ]
    for email in emails:
        assert attachment(email) == (f"review-{review_id.replace('|', '-')}.pdf", PDF)
        assert email["From"] == "QSMO <qsmo@platform.example.gov>"
    review_call = next(
        c
        for c in receiver.calls
        if json.loads(c.body).get("review", {}).get("review_id") == review_id
    )
    assert review_call.signed_with(SECRET)
    assert webhook["subscription_id"] == hook.id
    assert webhook["review"]["review_id"] == review_id
    assert sorted(d.channel for d in deliveries) == ["email", "email", "webhook"]
