"""The email channel behind the ``EmailSender`` port: SMTP with aiosmtplib, and a fake.

``SmtpEmailSender`` turns a stored email delivery (``reviews.EmailContent``) into a MIME
message — the review's PDF packet attached (read from ``shared.review_packets``) when the
list asks for it — and sends it over SMTP: STARTTLS required unless switched off, the
server's certificate checked (against ``ca_file`` if given, else the system's CAs), login
with the configured credentials. The ``Message-ID`` is derived from the delivery id, so a
retry that reaches an inbox twice is recognisably the same message. Every failure of the
server is an outcome naming what failed (connect, STARTTLS, login, recipient); none raises.
"""

import email.utils
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib

from services.notifications.models import Delivery
from services.notifications.ports import SendOutcome
from services.notifications.reviews import EmailContent
from shared.review_packets import PacketStore

NO_SERVER = (
    "no SMTP server configured: set QSMO_NOTIFICATIONS_SMTP_HOST (and _PORT, _USERNAME, "
    "_PASSWORD, _FROM) for the notifications service"
)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send (from ``NotificationsSettings``); the password never shows."""

    host: str | None
    port: int = 587
    sender: str = "QSMO Performance Platform <qsmo-platform@localhost>"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ca_file: str | None = None
    timeout_s: float = 10.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def email_message(
    content: EmailContent, delivery_id: str, sender: str, at: datetime
) -> EmailMessage:
    """The MIME message of one email delivery, without attachment."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.utils.formataddr((content.to_name, content.to))
    message["Subject"] = content.subject
    message["Date"] = email.utils.format_datetime(at)
    message["Message-ID"] = f"<{delivery_id}@qsmo-platform>"
    message.set_content(content.text)
    return message


class SmtpEmailSender:
    """Sends email deliveries through one SMTP server."""

    def __init__(
        self, config: SmtpConfig, packets: PacketStore, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._config = config
        self._packets = packets
        self._clock = clock
        self._tls = ssl.create_default_context(cafile=config.ca_file)

    async def send(self, delivery: Delivery, body: str) -> SendOutcome:
        config = self._config
        if config.host is None:
            return SendOutcome(ok=False, error=NO_SERVER, permanent=True)
        content = EmailContent.model_validate_json(body)
        message = email_message(content, delivery.id, config.sender, self._clock())
        if content.attach_pdf:
            stored = await self._packets.get(content.review_id, "pdf")
            if stored is None:
                return SendOutcome(
                    ok=False, error=f"the PDF packet of review {content.review_id!r} is not stored"
                )
            message.add_attachment(
                stored.content, maintype="application", subtype="pdf", filename=stored.filename()
            )
        return await self._deliver(message)

    async def _deliver(self, message: EmailMessage) -> SendOutcome:
        config = self._config
        where = f"{config.host}:{config.port}"
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                start_tls=config.starttls,
                tls_context=self._tls if config.starttls else None,
                timeout=config.timeout_s,
            )
        except (aiosmtplib.SMTPConnectTimeoutError, aiosmtplib.SMTPTimeoutError) as error:
            return _failed(f"SMTP server {where} timed out: {error}")
        except aiosmtplib.SMTPConnectError as error:
            return _failed(f"SMTP connect to {where} failed: {error}")
        except aiosmtplib.SMTPAuthenticationError as error:
            return _failed(
                f"SMTP login as {config.username!r} at {where} refused: "
                f"{error.code} {error.message}"
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients)
            return _failed(f"SMTP server {where} refused the recipient: {refused}")
        except aiosmtplib.SMTPResponseException as error:
            return _failed(f"SMTP server {where} answered {error.code} {error.message}")
        except (aiosmtplib.SMTPException, ssl.SSLError, OSError) as error:
            return _failed(f"SMTP with {where} failed: {type(error).__name__}: {error}")
        return SendOutcome(ok=True, status_code=250)


def _failed(reason: str) -> SendOutcome:
    return SendOutcome(ok=False, error=reason[:500])


@dataclass
class InMemoryEmailSender:
    """Records every email delivery; ``script`` gives the outcomes in order (then success)."""

    script: list[SendOutcome] = field(default_factory=list)
    sent: list[tuple[Delivery, EmailContent]] = field(default_factory=list)

    async def send(self, delivery: Delivery, body: str) -> SendOutcome:
        self.sent.append((delivery, EmailContent.model_validate_json(body)))
        return self.script.pop(0) if self.script else SendOutcome(ok=True, status_code=250)
