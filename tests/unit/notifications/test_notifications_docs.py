"""The examples of docs/notifications.md (revision 2 parts) are what the code does."""

import json
import re
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import build_schema, parse, validate

from services.notifications.delivery import notification_event, sign
from services.notifications.digest import digest_body
from services.notifications.models import Notification, Subscription
from services.notifications.restated import restated_message
from services.notifications.signals import Freshness, Names, stale_signal, tells_status
from shared.catalog import load_catalog

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "notifications.md").read_text()
NAMES = Names.from_catalog(load_catalog())


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_restated_example_is_the_message_the_rule_writes() -> None:
    message = restated_message(
        "cybersecurity",
        2024,
        date(2026, 11, 30),
        ["cost-avoidance", "customer-satisfaction"],
        NAMES,
    )
    assert f'*"{message}"*' in _flat(DOC)


def test_the_stale_example_counts_days_from_the_newest_event() -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    freshness = Freshness(
        qsmo="cybersecurity",
        measure="customer-satisfaction",
        dimension="customer",
        fiscal_year=2027,
        scorecard_id="FY2027|cybersecurity",
        last_event_at=now - timedelta(days=39),
        reporting_frequency_days=31,
    )
    signal = stale_signal(freshness, now, NAMES)
    text = signal.draft.message  # type: ignore[union-attr]
    documented = "is stale: no event since 2026-10-22 (39 days; expected at least every 31 days)"
    assert text.endswith(documented)
    assert documented in _flat(DOC)


def test_the_45_day_boundary_of_the_example() -> None:
    assert "until 2026-11-14 23:59:59 and not from 2026-11-15 00:00 on" in _flat(DOC)
    assert tells_status(2026, datetime(2026, 11, 14, 23, 59, 59, tzinfo=UTC))
    assert not tells_status(2026, datetime(2026, 11, 15, tzinfo=UTC))
    assert tells_status(2027, datetime(2026, 11, 30, tzinfo=UTC))


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, re.DOTALL)


def test_the_digest_body_example_has_the_fields_the_code_sends() -> None:
    (example,) = [b for b in _blocks("json") if "notification.digest" in b]
    documented: dict[str, Any] = json.loads(example)
    at = datetime(2025, 3, 1, 12, tzinfo=UTC)
    notification = Notification(
        id="ntf_1",
        rule="status_degraded",
        severity="critical",
        state="raised",
        qsmo="cybersecurity",
        message="m",
        raised_at=at,
    )
    subscription = Subscription(
        id="sub_1",
        qsmo="cybersecurity",
        url="https://hooks.example.com/qsmo",
        created_at=at,
        created_by="dev-admin",
        delivery="DAILY_DIGEST",
    )
    sent = json.loads(digest_body("dlv_1", subscription, date(2025, 3, 1), [notification]))
    assert set(documented) == set(sent)
    assert set(documented["notifications"][0]) <= set(sent["notifications"][0])
    assert set(sent["notifications"][0]) == set(notification_event(notification).model_dump())
    assert documented["count"] == len(documented["notifications"])


def test_the_verify_example_accepts_a_signed_digest() -> None:
    (code,) = [b for b in _blocks("python") if "def verify" in b]
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # the documented receiver code, run as written
    body = b'{"type":"notification.digest","count":0,"notifications":[]}'
    timestamp = str(int(time.time()))
    headers = {"X-QSMO-Timestamp": timestamp, "X-QSMO-Signature": sign("s" * 16, timestamp, body)}
    assert namespace["verify"]("s" * 16, headers, body)
    assert not namespace["verify"]("t" * 16, headers, body)


def test_the_graphql_examples_are_valid_against_the_committed_schema() -> None:
    schema = build_schema((REPO / "gateway" / "schema.graphql").read_text())
    examples = _blocks("graphql")
    assert any("notificationDigest" in e for e in examples)
    assert any("DAILY_DIGEST" in e for e in examples)
    for example in examples:
        assert validate(schema, parse(example)) == [], example


def _review_ready() -> Any:
    from shared.events import ReviewReady

    return ReviewReady(
        message_id="review-ready:FY2025-Q2|cybersecurity",
        review_id="FY2025-Q2|cybersecurity",
        qsmo="cybersecurity",
        fiscal_year=2025,
        quarter=2,
        title="FY2025 Q2 performance review — Cybersecurity Services QSMO",
        meeting_date=date(2025, 4, 15),
        cut_off=datetime(2025, 4, 1, tzinfo=UTC),
        packet_links={"pdf": "/v1/reviews/FY2025-Q2|cybersecurity/packet.pdf"},
        summary="Overall AMBER (82.4): 2 RED, 3 AMBER measures",
        ready_at=datetime(2025, 3, 1, 12, tzinfo=UTC),
    )


def test_the_review_ready_body_example_is_what_the_code_sends() -> None:
    from services.notifications.reviews import review_webhook_body

    (example,) = [b for b in _blocks("json") if '"review.ready"' in b]
    documented: dict[str, Any] = json.loads(example)
    sent = json.loads(review_webhook_body(_review_ready(), "dlv_5b…", "sub_9a…"))
    assert documented == sent


def test_the_review_email_subject_and_the_missing_server_reason_are_the_codes() -> None:
    from services.notifications.mail import NO_SERVER
    from services.notifications.models import StakeholderMember
    from services.notifications.reviews import review_email

    member = StakeholderMember(name="Jane Doe", address="jane.doe@omb.example.gov")
    content = review_email(_review_ready(), member, attach_pdf=True, public_url=None)
    assert f'*"{content.subject}"*' in _flat(DOC)
    assert NO_SERVER.startswith("no SMTP server configured: set QSMO_NOTIFICATIONS_SMTP_HOST")
    assert '*"no SMTP server configured: set QSMO_NOTIFICATIONS_SMTP_HOST …"*' in _flat(DOC)


def test_the_action_overdue_example_and_id_are_what_the_rule_raises() -> None:
    import hashlib

    from services.notifications.reviews import overdue_notification
    from shared.events import ImprovementActionOverdue

    message = ImprovementActionOverdue(
        message_id="action-overdue:act_1:2025-02-28",
        action_id="act_1",
        qsmo="cybersecurity",
        measure="customer-satisfaction",
        title="Run a second survey wave",
        owner="CX lead",
        due_date=date(2025, 2, 28),
        status="OPEN",
        detected_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    notice = overdue_notification(message, NAMES)
    assert f'*"{notice.message}"*' in _flat(DOC)
    key = "action_overdue|action-overdue|act_1|2025-02-28|1|warning"
    assert notice.id == "ntf_" + hashlib.sha256(key.encode()).hexdigest()[:32]
    assert "`action_overdue|action-overdue|<action id>|<due date>|1|warning`" in DOC


def test_the_invalid_address_example_is_the_refusal_the_rules_write() -> None:
    import pytest

    from services.notifications.stakeholders import InvalidStakeholderList, checked_members

    members = [("Jane", "jane@omb.example.gov"), ("Raj", "raj@omb.example.gov"), ("T", "x@")]
    with pytest.raises(InvalidStakeholderList) as refused:
        checked_members(members)
    assert refused.value.field == "members[2].address"
    assert f'*"{refused.value}"*' in _flat(DOC)


def test_the_stakeholder_graphql_examples_are_there() -> None:
    examples = _blocks("graphql")
    for name in ("createStakeholderList", "updateStakeholderList", "stakeholderLists"):
        assert any(name in e for e in examples), name
    assert any("reviewDeliveries" in e for e in examples)
