"""Review packets by email through a real SMTP server (aiosmtpd: STARTTLS and AUTH) and by
signed ``review.ready`` webhook, with the real store; failures retried, then ``failed``."""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from notifications_lane import eventually
from notifications_messages import SECRET
from notifications_receiver import Receiver, dead_url
from prometheus_client import CollectorRegistry
from review_mail_support import PDF, READY_AT, attachment, review_ready, smtp_sink

from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import NotificationEngine, Outcome, RuleSettings
from services.notifications.mail import NO_SERVER, SmtpConfig, SmtpEmailSender
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import Delivery
from services.notifications.ports import RawRecord
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.read_model import NotificationReader
from services.notifications.repository import MongoNotificationStore
from services.notifications.senders import WebhookSender
from services.notifications.signals import Names
from services.notifications.write_port import SubscriptionStore, stakeholder_lists
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog
from shared.events import ReviewReady
from shared.review_packets import MongoPacketStore, packet

ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)
REVIEWS = "reviews"
NOW = datetime(2026, 1, 9, 15, 5, tzinfo=UTC)


def _engine(store: MongoNotificationStore, max_attempts: int = 3) -> NotificationEngine:
    return NotificationEngine(
        store,
        InMemoryNotificationPublisher(),
        Names.from_catalog(load_catalog()),
        RuleSettings(
            "scorecards",
            "dlq",
            timedelta(0),
            10,
            timedelta(minutes=5),
            max_attempts,
            reviews_topic=REVIEWS,
            public_url="https://qsmo.example.gov",
        ),
        NotificationsMetrics(CollectorRegistry()),
    )


@contextlib.asynccontextmanager
async def dispatching(
    store: MongoNotificationStore, engine: NotificationEngine, config: SmtpConfig, database: Any
) -> AsyncIterator[None]:
    async with httpx.AsyncClient(trust_env=False) as http:
        dispatcher = DeliveryDispatcher(
            store,
            WebhookSender(http, timeout_s=2.0, allow_private=True),
            NotificationsMetrics(CollectorRegistry()),
            concurrency=4,
            backoff_base_s=0.05,
            backoff_max_s=0.2,
            poll_s=0.2,
            email=SmtpEmailSender(config, MongoPacketStore(database)),
        )
        engine.on_deliveries.append(dispatcher.wake)
        task = asyncio.create_task(dispatcher.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _ready(engine: NotificationEngine, message: ReviewReady, offset: int = 0) -> Outcome:
    record = RawRecord(REVIEWS, 0, offset, None, message.model_dump_json().encode())
    return await engine.process([record], NOW)


async def _settled(database: Any, count: int) -> list[Delivery]:
    found = list(
        await NotificationReader(database).review_deliveries("FY2026-Q1|cybersecurity", 50, None)
    )
    done = [d for d in found if d.status != "pending"]
    return found if len(found) == count and len(done) == count else []


async def test_a_ready_review_emails_each_member_the_stored_pdf_and_signs_a_webhook(
    mongo_db: Any, tmp_path: Path
) -> None:
    store = MongoNotificationStore(mongo_db)
    await store.create_indexes()
    stored = packet("FY2026-Q1|cybersecurity", "pdf", 2, PDF, READY_AT)
    await MongoPacketStore(mongo_db).put(stored)
    lists = stakeholder_lists(mongo_db)
    await lists.create(
        ADMIN,
        name="OMB",
        kind="OMB",
        qsmo=None,
        members=[("Jane Doe", "jane.doe@omb.example.gov"), ("Raj Iyer", "raj@omb.example.gov")],
    )
    await lists.create(
        ADMIN,
        name="Cyber leadership",
        kind="QSMO_LEADERSHIP",
        qsmo="cybersecurity",
        members=[("Ana Ruiz", "ana.ruiz@cisa.example.gov")],
        attach_pdf=False,
    )
    await lists.create(  # another QSMO's leadership: not for this review
        ADMIN,
        name="Grants leadership",
        kind="QSMO_LEADERSHIP",
        qsmo="grants-management",
        members=[("Gus", "gus@hhs.example.gov")],
    )
    receiver = Receiver()
    url = await receiver.start()
    subscriptions = SubscriptionStore(mongo_db, allow_private=True)
    hook = await subscriptions.create(ADMIN, "cybersecurity", None, None, "warning", url, SECRET)
    await subscriptions.create(ADMIN, "grants-management", None, None, "info", url, SECRET)
    engine = _engine(store)
    try:
        async with smtp_sink(tmp_path) as sink, dispatching(store, engine, sink.config(), mongo_db):
            outcome = await _ready(engine, review_ready())
            assert (outcome.deliveries, outcome.review_messages) == (4, 1)
            again = await _ready(engine, review_ready(), offset=1)  # published twice
            assert (again.deliveries, again.review_messages) == (0, 0)
            messages = await sink.wait_for(3, 20)
            (call,) = await receiver.wait_for(1, 20)
            deliveries = await eventually(
                lambda: _settled(mongo_db, 4), 20, "four review deliveries settled"
            )
        assert len(sink.mailbox.received) == 3
        assert len(receiver.calls) == 1
    finally:
        await receiver.stop()

    by_to = {str(m["To"]): m for m in messages}
    assert set(by_to) == {
        "Jane Doe <jane.doe@omb.example.gov>",
        "Raj Iyer <raj@omb.example.gov>",
        "Ana Ruiz <ana.ruiz@cisa.example.gov>",
    }
    jane = by_to["Jane Doe <jane.doe@omb.example.gov>"]
    assert jane["Subject"] == (
        "FY2026 Q1 performance review — Cybersecurity Services QSMO: packet ready — "
        "Overall AMBER (82.4): 2 RED, 3 AMBER measures"
    )
    assert jane["From"] == "QSMO Platform <qsmo@platform.example.gov>"
    assert attachment(jane) == ("review-FY2026-Q1-cybersecurity.pdf", PDF)  # byte for byte
    text = jane.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Cut-off: 2026-01-09T12:00:00+00:00" in text
    assert "Meeting date: 2026-01-15" in text
    ana = by_to["Ana Ruiz <ana.ruiz@cisa.example.gov>"]
    assert attachment(ana) is None  # the list asks for a link
    link = "https://qsmo.example.gov/v1/reviews/FY2026-Q1%7Ccybersecurity/packet.pdf"
    assert link in ana.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert {r.recipients for r in sink.mailbox.received} == {
        ("jane.doe@omb.example.gov",),
        ("raj@omb.example.gov",),
        ("ana.ruiz@cisa.example.gov",),
    }

    assert call.signed_with(SECRET)
    body = json.loads(call.body)
    assert (body["type"], body["subscription_id"]) == ("review.ready", hook.id)
    assert body["review"]["review_id"] == "FY2026-Q1|cybersecurity"
    assert all(d.status == "delivered" and d.attempts == 1 for d in deliveries)
    assert sorted((d.channel, d.recipient, d.kind) for d in deliveries) == [
        ("email", "ana.ruiz@cisa.example.gov", "review"),
        ("email", "jane.doe@omb.example.gov", "review"),
        ("email", "raj@omb.example.gov", "review"),
        ("webhook", url, "review"),
    ]
    email_ids = {d.id for d in deliveries if d.channel == "email"}
    assert {f"<{i}@qsmo-platform>" for i in email_ids} == {m["Message-ID"] for m in messages}


async def _one_failed(database: Any) -> list[Delivery]:
    found = list(await NotificationReader(database).deliveries(None, "failed", 10, None))
    return found if found else []


async def _one_member(database: Any) -> None:
    await stakeholder_lists(database).create(
        ADMIN, name="OMB", kind="OMB", qsmo=None, members=[("Jane", "jane@omb.example.gov")]
    )


async def test_an_unreachable_smtp_server_is_retried_then_failed_with_the_reason(
    mongo_db: Any, tmp_path: Path
) -> None:
    store = MongoNotificationStore(mongo_db)
    await _one_member(mongo_db)
    await MongoPacketStore(mongo_db).put(packet("FY2026-Q1|cybersecurity", "pdf", 1, PDF, NOW))
    port = int(dead_url().rsplit(":", 1)[1].split("/")[0])
    engine = _engine(store, max_attempts=3)
    config = SmtpConfig(host="127.0.0.1", port=port, username="u", password="p", timeout_s=2)
    async with dispatching(store, engine, config, mongo_db):
        await _ready(engine, review_ready())
        (failed,) = await eventually(lambda: _one_failed(mongo_db), 30, "the email failed")
    assert failed.attempts == 3  # retried with the backoff, then given up
    assert failed.last_error is not None
    assert failed.last_error.startswith(f"SMTP connect to 127.0.0.1:{port} failed")
    assert (failed.channel, failed.recipient) == ("email", "jane@omb.example.gov")


async def test_a_wrong_password_fails_naming_the_login(mongo_db: Any, tmp_path: Path) -> None:
    store = MongoNotificationStore(mongo_db)
    await _one_member(mongo_db)
    await MongoPacketStore(mongo_db).put(packet("FY2026-Q1|cybersecurity", "pdf", 1, PDF, NOW))
    engine = _engine(store, max_attempts=2)
    async with smtp_sink(tmp_path) as sink:
        config = sink.config(password="not-the-password")
        async with dispatching(store, engine, config, mongo_db):
            await _ready(engine, review_ready())
            (failed,) = await eventually(lambda: _one_failed(mongo_db), 30, "the email failed")
        assert sink.mailbox.received == []
    assert failed.attempts == 2
    assert "SMTP login as 'qsmo-test'" in (failed.last_error or "")
    assert "refused: 535" in (failed.last_error or "")


async def test_starttls_is_required_and_the_certificate_checked(
    mongo_db: Any, tmp_path: Path
) -> None:
    """Without the sink's certificate as CA the client refuses the server: nothing is sent
    in clear text, the delivery fails naming the TLS problem."""
    store = MongoNotificationStore(mongo_db)
    await _one_member(mongo_db)
    await MongoPacketStore(mongo_db).put(packet("FY2026-Q1|cybersecurity", "pdf", 1, PDF, NOW))
    engine = _engine(store, max_attempts=1)
    async with smtp_sink(tmp_path) as sink:
        async with dispatching(store, engine, sink.config(ca_file=None), mongo_db):
            await _ready(engine, review_ready())
            (failed,) = await eventually(lambda: _one_failed(mongo_db), 30, "the email failed")
        assert sink.mailbox.received == []
    assert "CERTIFICATE_VERIFY_FAILED" in (failed.last_error or ""), failed.last_error


async def test_no_smtp_host_fails_at_once_saying_how_to_configure_it(
    mongo_db: Any, tmp_path: Path
) -> None:
    store = MongoNotificationStore(mongo_db)
    await _one_member(mongo_db)
    engine = _engine(store, max_attempts=5)
    async with dispatching(store, engine, SmtpConfig(host=None), mongo_db):
        await _ready(engine, review_ready())
        (failed,) = await eventually(lambda: _one_failed(mongo_db), 30, "the email failed")
    assert (failed.attempts, failed.last_error) == (1, NO_SERVER)
