"""What ``qsmo.reviews.v1`` messages become, pure: review deliveries and overdue notices.

``ReviewReady`` → one **email** delivery per (review, stakeholder list, address) and one
signed **webhook** delivery (``review.ready``) per subscription that hears the review's scope
(a subscription without a QSMO hears every review, the government-wide one included; one
with a QSMO hears that QSMO's reviews; dimension, measure and severity filters do not apply:
a review is about the whole scope). Delivery ids are derived (``review_delivery_id``), so a
message handled twice stores nothing new. Every review delivery has ``kind`` ``review`` and
``notification_id`` ``review:<review id>``.

``ImprovementActionOverdue`` → one ``action_overdue`` notification (``warning``), its id
derived from the action and due date: raised once.

No I/O and no clock (``now`` is an argument).
"""

import hashlib
import json
from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from services.notifications.models import (
    Delivery,
    Notification,
    StakeholderList,
    StakeholderMember,
    Subscription,
)
from services.notifications.rules import notification_id
from services.notifications.signals import Names
from shared.events import ImprovementActionOverdue, ReviewReady

REVIEW_READY = "review.ready"
ACTION_OVERDUE = "action_overdue"


class EmailContent(BaseModel):
    """What every attempt of one email delivery sends (stored as its body, JSON).

    ``attach_pdf``: attach the review's stored PDF packet (``shared.review_packets``);
    else ``text`` carries the link."""

    model_config = ConfigDict(frozen=True)

    review_id: str
    to_name: str
    to: str
    subject: str
    text: str
    attach_pdf: bool


def review_notification_id(review_id: str) -> str:
    return f"review:{review_id}"


def review_delivery_id(review_id: str, channel: str, target: str) -> str:
    """``dlv_`` + sha256 of ``review|<review>|<channel>|<list:address or subscription>``."""
    key = f"review|{review_id}|{channel}|{target}"
    return f"dlv_{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def hears_review(subscription: Subscription, qsmo: str | None) -> bool:
    return subscription.qsmo is None or subscription.qsmo == qsmo


def packet_link(path: str, public_url: str | None) -> str:
    """``https://qsmo.example.gov/v1/reviews/FY2025-Q2%7Ccybersecurity/packet.pdf`` with a
    public URL, else the path; percent-encoded (a review id's ``|``) so mail clients link it
    whole (an escape already there stays)."""
    quoted = quote(path, safe="/%")
    return f"{public_url.rstrip('/')}{quoted}" if public_url else quoted


def review_email(
    message: ReviewReady, member: StakeholderMember, attach_pdf: bool, public_url: str | None
) -> EmailContent:
    """Subject ``<title>: packet ready — <summary>``; a plain-text body with the cut-off,
    the meeting date, the summary and the packet's links."""
    links = [
        f"  {fmt.upper()}: {packet_link(path, public_url)}"
        for fmt, path in sorted(message.packet_links.items())
    ]
    scope = "government-wide" if message.qsmo is None else message.qsmo
    lines = [
        f"Dear {member.name},",
        "",
        f"The packet of {message.title} is ready.",
        "",
        f"Scope: {scope}",
        f"Fiscal year and quarter: FY{message.fiscal_year} Q{message.quarter}",
        f"Meeting date: {message.meeting_date.isoformat()}",
        f"Cut-off: {message.cut_off.isoformat()} (scorecards as reported at that moment)",
        f"Summary: {message.summary}",
        "",
        "The packet is attached as a PDF." if attach_pdf else "Open the packet:",
        *(["Also available:"] if attach_pdf and links else []),
        *links,
        "",
        "-- QSMO Performance Platform (automated message; replies are not read)",
    ]
    return EmailContent(
        review_id=message.review_id,
        to_name=member.name,
        to=member.address,
        subject=f"{message.title}: packet ready — {message.summary}",
        text="\n".join(lines) + "\n",
        attach_pdf=attach_pdf,
    )


def review_webhook_body(message: ReviewReady, delivery: str, subscription_id: str) -> str:
    """The exact JSON text every attempt of a ``review.ready`` webhook sends."""
    return json.dumps(
        {
            "type": REVIEW_READY,
            "delivery_id": delivery,
            "subscription_id": subscription_id,
            "review": message.model_dump(mode="json"),
        },
        separators=(",", ":"),
        sort_keys=True,
    )


def _delivery(
    identifier: str,
    message: ReviewReady,
    channel: str,
    owner: str,
    url: str,
    recipient: str,
    now: datetime,
    max_attempts: int,
) -> Delivery:
    return Delivery(
        id=identifier,
        notification_id=review_notification_id(message.review_id),
        notification_state="raised",
        subscription_id=owner,
        qsmo=message.qsmo,
        url=url,
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
        kind="review",
        channel="email" if channel == "email" else "webhook",
        recipient=recipient,
    )


def review_deliveries(
    message: ReviewReady,
    lists: list[StakeholderList],
    subscriptions: list[Subscription],
    now: datetime,
    max_attempts: int,
    public_url: str | None,
) -> list[tuple[Delivery, str]]:
    """Every delivery (with its body) a ready review makes: emails to ``lists`` (already
    chosen, ``stakeholders.lists_for_review``), webhooks to the subscriptions that hear it."""
    made: list[tuple[Delivery, str]] = []
    for stakeholders in lists:
        for member in stakeholders.members:
            target = f"{stakeholders.id}:{member.address}"
            identifier = review_delivery_id(message.review_id, "email", target)
            email = review_email(message, member, stakeholders.attach_pdf, public_url)
            delivery = _delivery(
                identifier,
                message,
                "email",
                stakeholders.id,
                f"mailto:{member.address}",
                member.address,
                now,
                max_attempts,
            )
            made.append((delivery, email.model_dump_json()))
    for subscription in subscriptions:
        if not hears_review(subscription, message.qsmo):
            continue
        identifier = review_delivery_id(message.review_id, "webhook", subscription.id)
        delivery = _delivery(
            identifier,
            message,
            "webhook",
            subscription.id,
            subscription.url,
            subscription.url,
            now,
            max_attempts,
        )
        made.append((delivery, review_webhook_body(message, identifier, subscription.id)))
    return made


def overdue_notification(message: ImprovementActionOverdue, names: Names) -> Notification:
    """The ``action_overdue`` notice of one action and due date (id derived: raised once)."""
    key = f"action-overdue|{message.action_id}|{message.due_date.isoformat()}"
    text = (
        f"Improvement action {message.title!r} on {names.measure(message.measure)} for "
        f"{names.qsmo(message.qsmo)} (owner: {message.owner}) was due on "
        f"{message.due_date.isoformat()} and is still {message.status}"
    )
    return Notification(
        id=notification_id(ACTION_OVERDUE, key, 1, "warning"),
        rule=ACTION_OVERDUE,
        severity="warning",
        state="raised",
        qsmo=message.qsmo,
        dimension=names.dimension_of.get(message.measure),
        measure=message.measure,
        message=text,
        links={
            "action": f"action:{message.action_id}",
            "qsmo": f"qsmo:{message.qsmo}",
            "measure": f"measure:{message.measure}",
        },
        raised_at=message.detected_at,
    )
