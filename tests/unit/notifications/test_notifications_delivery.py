"""Signatures, subscription matching, delivery ids and the retry schedule (pure)."""

import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from notifications_builders import T0, subscription

from services.notifications.delivery import (
    backoff_s,
    delivery_id,
    matches,
    notification_event,
    sign,
    verify,
    webhook_body,
)
from services.notifications.models import Notification


def notification(**changes: object) -> Notification:
    fields: dict[str, object] = {
        "id": "ntf_1",
        "rule": "status_degraded",
        "severity": "critical",
        "state": "raised",
        "qsmo": "cybersecurity",
        "dimension": "customer",
        "measure": "customer-satisfaction",
        "fiscal_year": 2025,
        "message": "fell",
        "raised_at": T0,
    }
    return Notification.model_validate({**fields, **changes})


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret-s3cret-s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret-s3cret-s3cret", "1700000000", body) == f"sha256={expected}"
    assert verify("s3cret-s3cret-s3cret", "1700000000", body, f"sha256={expected}")
    assert not verify("other-secret-other", "1700000000", body, f"sha256={expected}")
    assert not verify("s3cret-s3cret-s3cret", "1700000001", body, f"sha256={expected}")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, True),
        ({"qsmo": None}, True),
        ({"qsmo": "grants-management"}, False),
        ({"measure": "customer-satisfaction"}, True),
        ({"measure": "customer-engagement"}, False),
        ({"dimension": "financial"}, False),
        ({"min_severity": "critical"}, True),
    ],
)
def test_matching(filters: dict[str, object], expected: bool) -> None:
    assert matches(subscription(**filters), notification()) is expected  # type: ignore[arg-type]


def test_severity_threshold_and_government_notifications() -> None:
    assert not matches(subscription(min_severity="critical"), notification(severity="warning"))
    assert matches(subscription(min_severity="info"), notification(severity="info"))
    assert not matches(subscription(), notification(qsmo=None))
    assert matches(subscription(qsmo=None), notification(qsmo=None))


def test_body_and_ids_are_stable() -> None:
    event = notification_event(notification())
    first = webhook_body(event, delivery_id("ntf_1", "raised", "sub_1"), "sub_1")
    assert first == webhook_body(event, delivery_id("ntf_1", "raised", "sub_1"), "sub_1")
    parsed = json.loads(first)
    assert parsed["type"] == "notification.raised"
    assert parsed["notification"]["notification_id"] == "ntf_1"
    assert delivery_id("ntf_1", "raised", "sub_1") != delivery_id("ntf_1", "resolved", "sub_1")


def test_a_resolved_event_carries_the_resolution_message() -> None:
    resolved = notification(state="resolved", resolved_at=T0, resolution_message="back to GREEN")
    assert notification_event(resolved).message == "back to GREEN"
    assert notification_event(resolved).state == "resolved"


@given(
    st.integers(1, 80),
    st.floats(0.001, 10),
    st.floats(0.01, 1000),
    st.floats(0, 1, exclude_max=True),
)
def test_property_backoff_is_bounded_and_grows(
    attempt: int, base: float, cap: float, jitter: float
) -> None:
    delay = backoff_s(attempt, base, cap, jitter)
    nominal = min(cap, base * 2.0 ** (attempt - 1))
    assert 0.5 * nominal - 1e-9 <= delay <= nominal
    assert backoff_s(attempt + 1, base, cap, jitter) >= delay - 1e-9
