"""Review messages through the engine and dispatcher on in-memory fakes, and the pure rules
of stakeholder lists: which lists a review goes to, valid addresses, dedup on message_id."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from notifications_builders import DLQ, SCORECARDS, T0, Clock, subscription
from prometheus_client import CollectorRegistry

from services.notifications.dispatcher import DeliveryDispatcher
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.mail import InMemoryEmailSender, email_message
from services.notifications.metrics import NotificationsMetrics
from services.notifications.models import StakeholderList, StakeholderMember
from services.notifications.ports import RawRecord, SendOutcome
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.repository import InMemoryNotificationStore
from services.notifications.reviews import EmailContent, review_email
from services.notifications.senders import InMemorySender
from services.notifications.signals import Names
from services.notifications.stakeholders import (
    InvalidStakeholderList,
    checked_members,
    lists_for_review,
    masked,
    slug_of,
)
from shared.catalog import load_catalog
from shared.events import ImprovementActionOverdue, ReviewReady

REVIEWS = "t.reviews"
SECRET = "secret-secret-secret"


def stakeholders(
    list_id: str, qsmo: str | None, *addresses: str, attach: bool = True
) -> StakeholderList:
    return StakeholderList(
        id=list_id,
        name=list_id.upper(),
        kind="QSMO_LEADERSHIP" if qsmo else "OMB",
        qsmo=qsmo,
        members=tuple(StakeholderMember(name=a.split("@")[0], address=a) for a in addresses),
        attach_pdf=attach,
        created_at=T0,
        created_by="dev-admin",
        updated_at=T0,
        updated_by="dev-admin",
    )


def ready(qsmo: str | None = "cybersecurity", lists: tuple[str, ...] = ()) -> ReviewReady:
    scope = qsmo or "government"
    return ReviewReady(
        message_id=f"review-ready:FY2025-Q2|{scope}",
        review_id=f"FY2025-Q2|{scope}",
        qsmo=qsmo,
        fiscal_year=2025,
        quarter=2,
        title="FY2025 Q2 performance review — Cybersecurity Services QSMO",
        meeting_date=date(2025, 4, 15),
        cut_off=datetime(2025, 4, 1, tzinfo=UTC),
        stakeholder_lists=lists,
        packet_links={"pdf": f"/v1/reviews/FY2025-Q2|{scope}/packet.pdf"},
        summary="Overall AMBER (82.4): 2 RED, 3 AMBER measures",
        ready_at=T0,
    )


def overdue(message_id: str = "action-overdue:act_1:2025-02-28") -> ImprovementActionOverdue:
    return ImprovementActionOverdue(
        message_id=message_id,
        action_id="act_1",
        qsmo="cybersecurity",
        measure="customer-satisfaction",
        title="Run a second survey wave",
        owner="CX lead",
        due_date=date(2025, 2, 28),
        status="OPEN",
        detected_at=T0,
    )


def record(message: ReviewReady | ImprovementActionOverdue, offset: int = 0) -> RawRecord:
    return RawRecord(REVIEWS, 0, offset, None, message.model_dump_json().encode())


@pytest.fixture
def store() -> InMemoryNotificationStore:
    found = InMemoryNotificationStore()
    found.lists = {
        "omb": stakeholders("omb", None, "jane@omb.example.gov", "raj@omb.example.gov"),
        "cyber": stakeholders("cyber", "cybersecurity", "ana@cisa.example.gov", attach=False),
        "grants": stakeholders("grants", "grants-management", "gus@hhs.example.gov"),
    }
    found.subscription_list = [
        (subscription("sub_all", qsmo=None, measure="customer-satisfaction"), SECRET),
        (subscription("sub_cyber", qsmo="cybersecurity", min_severity="critical"), SECRET),
        (subscription("sub_grants", qsmo="grants-management"), SECRET),
    ]
    return found


def engine(store: InMemoryNotificationStore) -> NotificationEngine:
    return NotificationEngine(
        store,
        InMemoryNotificationPublisher(),
        Names.from_catalog(load_catalog()),
        RuleSettings(SCORECARDS, DLQ, timedelta(0), 5, timedelta(minutes=5), 3, REVIEWS),
        NotificationsMetrics(CollectorRegistry()),
    )


def targets(store: InMemoryNotificationStore) -> list[tuple[str, str]]:
    return sorted((p.delivery.channel, p.delivery.to) for p in store.deliveries.values())


async def test_a_qsmo_review_goes_to_lists_for_all_and_its_qsmo_and_to_hearing_webhooks(
    store: InMemoryNotificationStore,
) -> None:
    outcome = await engine(store).process([record(ready())], T0)
    assert (outcome.deliveries, outcome.review_messages) == (5, 1)
    assert targets(store) == [
        ("email", "ana@cisa.example.gov"),
        ("email", "jane@omb.example.gov"),
        ("email", "raj@omb.example.gov"),
        ("webhook", "https://hooks.example.com/qsmo"),  # sub_all: filters do not apply
        ("webhook", "https://hooks.example.com/qsmo"),  # sub_cyber, whatever its severity
    ]
    assert {p.delivery.notification_id for p in store.deliveries.values()} == {
        "review:FY2025-Q2|cybersecurity"
    }
    assert {p.delivery.kind for p in store.deliveries.values()} == {"review"}
    webhook = next(p for p in store.deliveries.values() if p.delivery.subscription_id == "sub_all")
    body = json.loads(webhook.body)
    assert (body["type"], body["delivery_id"]) == ("review.ready", webhook.delivery.id)
    assert body["review"]["summary"] == "Overall AMBER (82.4): 2 RED, 3 AMBER measures"
    ana = next(p for p in store.deliveries.values() if p.delivery.to == "ana@cisa.example.gov")
    assert EmailContent.model_validate_json(ana.body).attach_pdf is False


async def test_a_message_published_twice_is_handled_once(
    store: InMemoryNotificationStore,
) -> None:
    engine_ = engine(store)
    first = await engine_.process([record(ready()), record(ready(), 1)], T0)
    assert (first.deliveries, first.review_messages) == (5, 1)
    store.lists["late"] = stakeholders("late", None, "late@omb.example.gov")
    again = await engine_.process([record(ready(), 2)], T0 + timedelta(hours=1))
    assert (again.deliveries, again.review_messages) == (0, 0)  # dedup on message_id
    assert len(store.deliveries) == 5
    assert store.review_messages == {"review-ready:FY2025-Q2|cybersecurity"}


async def test_the_government_wide_review_and_a_review_naming_its_lists(
    store: InMemoryNotificationStore,
) -> None:
    await engine(store).process([record(ready(qsmo=None))], T0)
    assert targets(store) == [
        ("email", "jane@omb.example.gov"),
        ("email", "raj@omb.example.gov"),
        ("webhook", "https://hooks.example.com/qsmo"),  # only sub_all: no QSMO
    ]
    named = InMemoryNotificationStore()
    named.lists = dict(store.lists)
    await engine(named).process([record(ready(lists=("grants", "deleted-since")))], T0)
    assert targets(named) == [("email", "gus@hhs.example.gov")]


async def test_an_overdue_action_raises_one_warning_notification(
    store: InMemoryNotificationStore,
) -> None:
    engine_ = engine(store)
    outcome = await engine_.process([record(overdue())], T0)
    (notification,) = outcome.raised
    assert (notification.rule, notification.severity, notification.qsmo) == (
        "action_overdue",
        "warning",
        "cybersecurity",
    )
    assert notification.message == (
        "Improvement action 'Run a second survey wave' on Customer Satisfaction for "
        "Cybersecurity Services QSMO (owner: CX lead) was due on 2025-02-28 and is still OPEN"
    )
    assert notification.dimension == "customer"
    assert outcome.published == 1
    # sub_all hears the measure; sub_cyber wants critical only; sub_grants another QSMO
    assert [p.delivery.subscription_id for p in store.deliveries.values()] == ["sub_all"]
    stored = dict(store.deliveries)
    replay = await engine_.process([record(overdue("action-overdue:act_1:again"))], T0)
    assert replay.raised == []  # same action and due date: raised once
    assert store.deliveries == stored  # the replay's deliveries have the same ids: no new one
    assert store.notifications[notification.id] == notification


async def test_email_deliveries_retry_then_fail_with_the_reason_and_permanent_ones_at_once(
    store: InMemoryNotificationStore,
) -> None:
    await engine(store).process([record(ready(lists=("omb",)))], T0)
    clock = Clock(T0)
    refused = SendOutcome(ok=False, error="SMTP connect to mail.example:587 failed: refused")
    email = InMemoryEmailSender(script=[refused] * 6)
    dispatcher = DeliveryDispatcher(
        store,
        InMemorySender(),
        NotificationsMetrics(CollectorRegistry()),
        concurrency=4,
        backoff_base_s=1,
        backoff_max_s=10,
        poll_s=1,
        clock=clock,
        jitter=lambda: 0.0,
        email=email,
    )
    for _ in range(5):
        await dispatcher.dispatch_due()
        await dispatcher.drain()
        clock.now += timedelta(seconds=10)
    settled = [p.delivery for p in store.deliveries.values() if p.delivery.channel == "email"]
    assert [(d.status, d.attempts, d.last_error) for d in settled] == [
        ("failed", 3, refused.error),
        ("failed", 3, refused.error),
    ]
    assert len(email.sent) == 6

    permanent = InMemoryNotificationStore()
    permanent.lists = {"omb": store.lists["omb"]}
    await engine(permanent).process([record(ready())], T0)
    no_host = SendOutcome(ok=False, error="no SMTP server configured", permanent=True)
    dispatcher = DeliveryDispatcher(
        permanent,
        InMemorySender(),
        NotificationsMetrics(CollectorRegistry()),
        concurrency=4,
        backoff_base_s=1,
        backoff_max_s=10,
        poll_s=1,
        clock=clock,
        email=InMemoryEmailSender(script=[no_host, no_host]),
    )
    await dispatcher.dispatch_due()
    await dispatcher.drain()
    assert [(p.delivery.status, p.delivery.attempts) for p in permanent.deliveries.values()] == [
        ("failed", 1),
        ("failed", 1),
    ]


@pytest.mark.parametrize(
    ("members", "field", "words"),
    [
        ([("A", "a@b.gov"), ("B", "x@")], "members[1].address", "'x@' is not an email address"),
        ([("A", "not an address")], "members[0].address", "is not an email address"),
        ([("A", "a@b.gov"), ("B", "a@B.GOV")], "members[1].address", "already on the list"),
        ([("  ", "a@b.gov")], "members[0].name", "must not be empty"),
    ],
)
def test_invalid_members_name_the_field(
    members: list[tuple[str, str]], field: str, words: str
) -> None:
    with pytest.raises(InvalidStakeholderList) as refused:
        checked_members(members)
    assert refused.value.field == field
    assert words in refused.value.message


def test_addresses_are_normalised_and_masked() -> None:
    (member,) = checked_members([(" Jane  Doe ", "Jane.Doe@OMB.Example.GOV")])
    assert (member.name, member.address) == ("Jane Doe", "Jane.Doe@omb.example.gov")
    assert masked("jane.doe@omb.example.gov") == "j…@omb.example.gov"
    assert slug_of("OMB (RMO) — leadership") == "omb-rmo-leadership"


def test_lists_for_review_table() -> None:
    lists = [
        stakeholders("omb", None),
        stakeholders("cyber", "cybersecurity"),
        stakeholders("grants", "grants-management"),
    ]
    cases = {
        ("cybersecurity", ()): ["cyber", "omb"],
        (None, ()): ["omb"],
        ("cybersecurity", ("grants",)): ["grants"],
        ("cybersecurity", ("gone",)): [],
    }
    for (qsmo, requested), expected in cases.items():
        assert [s.id for s in lists_for_review(lists, qsmo, requested)] == expected


def test_the_email_message_carries_subject_recipient_and_a_stable_message_id() -> None:
    member = StakeholderMember(name="Jane Doe", address="jane@omb.example.gov")
    content = review_email(ready(), member, attach_pdf=False, public_url="https://q.example.gov/")
    message = email_message(content, "dlv_abc", "QSMO <q@example.gov>", T0)
    assert message["To"] == "Jane Doe <jane@omb.example.gov>"
    assert message["Message-ID"] == "<dlv_abc@qsmo-platform>"
    assert message["Subject"] == (
        "FY2025 Q2 performance review — Cybersecurity Services QSMO: packet ready — "
        "Overall AMBER (82.4): 2 RED, 3 AMBER measures"
    )
    text = message.get_content()
    assert "PDF: https://q.example.gov/v1/reviews/FY2025-Q2%7Ccybersecurity/packet.pdf" in text
    assert "Cut-off: 2025-04-01T00:00:00+00:00" in text


class CrashingOnce(InMemoryNotificationStore):
    """Fails the first ``add_deliveries``: a crash after the notice was saved."""

    crashed = False

    async def add_deliveries(self, deliveries: Any) -> None:
        if not self.crashed and deliveries:
            self.crashed = True
            raise RuntimeError("the store went away")
        await super().add_deliveries(deliveries)


async def test_a_replay_after_a_crash_stores_what_the_first_run_missed() -> None:
    store = CrashingOnce()
    store.subscription_list = [(subscription("sub_all", qsmo=None), SECRET)]
    engine_ = engine(store)
    with pytest.raises(RuntimeError):
        await engine_.process([record(overdue())], T0)
    assert len(store.notifications) == 1
    assert store.deliveries == {}
    assert store.review_messages == set()  # not marked: the batch is not committed
    replay = await engine_.process([record(overdue())], T0)
    assert replay.raised == []
    assert [p.delivery.subscription_id for p in store.deliveries.values()] == ["sub_all"]
    assert store.review_messages == {"action-overdue:act_1:2025-02-28"}
