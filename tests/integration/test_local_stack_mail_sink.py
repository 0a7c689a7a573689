"""The SMTP sink ``make up`` runs, as the process ``make up`` starts: the notifications
service's SMTP settings from ``Stack.mail_env`` reach it over STARTTLS with a login, and the
message lands as a file under the home's ``mail/``; plain text and a wrong login are refused."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
import qsmo_stack
from qsmo_local.stack import MAIL_SINK

from services.notifications.bootstrap import smtp_config
from services.notifications.settings import NotificationsSettings

pytestmark = pytest.mark.infra


def _settings(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> NotificationsSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return NotificationsSettings()


async def test_the_make_up_sink_keeps_what_the_notifications_settings_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = qsmo_stack.Stack.with_free_ports(tmp_path / "home")
    stack.die_with_parent = True
    stack.start_mail_sink()
    try:
        config = smtp_config(_settings(stack.mail_env(), monkeypatch))
        assert (config.host, config.port, config.starttls) == (
            "127.0.0.1",
            stack.ports["smtp"],
            True,
        )
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = config.sender, "a@b.example.gov", "hi"
        message.set_content("packet ready\n")
        await aiosmtplib.send(
            message,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            start_tls=True,
            cert_bundle=config.ca_file,
            timeout=10,
        )
        # The sink writes the file before it answers 250: it is there once send returns.
        (kept,) = stack.mail_directory.glob("*.eml")
        assert b"Subject: hi" in kept.read_bytes()
        with pytest.raises(aiosmtplib.SMTPException):  # no STARTTLS: no login, no mail
            await aiosmtplib.send(
                message, hostname=config.host, port=config.port, start_tls=False, timeout=10
            )
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password="wrong",
                start_tls=True,
                cert_bundle=config.ca_file,
                timeout=10,
            )
        assert len(list(stack.mail_directory.glob("*.eml"))) == 1
    finally:
        stack.stop(MAIL_SINK)
