"""A real SMTP server (the local sink: STARTTLS + AUTH) and review messages for the tests."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

from qsmo_local.mail_sink import Mailbox, start_sink

from services.notifications.mail import SmtpConfig
from shared.events import ReviewReady

SMTP_USER, SMTP_PASSWORD = "qsmo-test", "smtp-password-0123"
READY_AT = datetime(2026, 1, 9, 15, tzinfo=UTC)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"


@dataclass
class Sink:
    mailbox: Mailbox
    port: int
    cert: Path

    def config(self, **changes: object) -> SmtpConfig:
        fields: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.port,
            "sender": "QSMO Platform <qsmo@platform.example.gov>",
            "username": SMTP_USER,
            "password": SMTP_PASSWORD,
            "starttls": True,
            "ca_file": str(self.cert),
            "timeout_s": 5.0,
            **changes,
        }
        return SmtpConfig(**fields)  # type: ignore[arg-type]

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(r.content, policy=email.policy.default)  # type: ignore[misc]
            for r in self.mailbox.received
        ]

    async def wait_for(self, count: int, timeout_s: float) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout_s
        while len(self.mailbox.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} emails within {timeout_s} s, got "
                    f"{len(self.mailbox.received)}"
                )
            await asyncio.sleep(0.05)
        return self.messages()


@contextlib.asynccontextmanager
async def smtp_sink(directory: Path) -> AsyncIterator[Sink]:
    """The local sink on a free port, with a fresh self-signed certificate."""
    server, mailbox, port = await start_sink(
        directory / "mail", directory / "tls", SMTP_USER, SMTP_PASSWORD
    )
    try:
        yield Sink(mailbox, port, directory / "tls" / "cert.pem")
    finally:
        server.close()
        await server.wait_closed()


def review_ready(
    review_id: str = "FY2026-Q1|cybersecurity",
    qsmo: str | None = "cybersecurity",
    stakeholder_lists: tuple[str, ...] = (),
    title: str = "FY2026 Q1 performance review — Cybersecurity Services QSMO",
) -> ReviewReady:
    return ReviewReady(
        message_id=f"review-ready:{review_id}",
        review_id=review_id,
        qsmo=qsmo,
        fiscal_year=2026,
        quarter=1,
        title=title,
        meeting_date=date(2026, 1, 15),
        cut_off=datetime(2026, 1, 9, 12, tzinfo=UTC),
        stakeholder_lists=stakeholder_lists,
        packet_links={
            fmt: f"/v1/reviews/{review_id}/packet.{fmt}" for fmt in ("pdf", "xlsx", "csv")
        },
        summary="Overall AMBER (82.4): 2 RED, 3 AMBER measures",
        ready_at=READY_AT,
    )


def attachment(message: EmailMessage) -> tuple[str | None, bytes] | None:
    """``(filename, bytes)`` of the message's one attachment, or None."""
    found = list(message.iter_attachments())
    if not found:
        return None
    (part,) = found
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return part.get_filename(), payload
