"""A local SMTP sink: aiosmtpd with STARTTLS and AUTH, every message kept as a file.

``make up`` runs it (``python deploy/local/qsmo_local/mail_sink.py``) so the notifications
service has a real mail server to send review packets to; the tests run the same server in
their own event loop (``start_sink``). It accepts any recipient and delivers nothing onward:
each message is written, byte for byte as received, to ``<directory>/<n>-<time>.eml`` (open
it with any mail client). STARTTLS is required before login, login before mail, with a
self-signed certificate for ``localhost`` and ``127.0.0.1`` made by the ``openssl`` command
(``self_signed_certificate``); clients trust that certificate as their CA file.

Runs as a script (no imports from the platform's packages): standard library and aiosmtpd.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

CERT_NAME, KEY_NAME = "cert.pem", "key.pem"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """``(cert, key)`` in ``directory``, made once with ``openssl`` (valid 10 years)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / CERT_NAME, directory / KEY_NAME
    if cert.exists() and key.exists():
        return cert, key
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "3650",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


@dataclass(frozen=True)
class Received:
    """One message the sink kept: envelope and the file with the bytes received."""

    sender: str
    recipients: tuple[str, ...]
    path: Path

    @property
    def content(self) -> bytes:
        return self.path.read_bytes()


class Mailbox:
    """aiosmtpd handler: writes every message to ``directory`` and remembers it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.received: list[Received] = []
        self._numbers = itertools.count(1)
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(  # noqa: N802 - the name aiosmtpd calls
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        content = envelope.original_content or b""
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        path = self.directory / f"{next(self._numbers):05d}-{stamp}-{os.getpid()}.eml"
        path.write_bytes(content)
        self.received.append(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), path))
        return "250 Message accepted for delivery"


def _authenticator(username: str, password: str) -> Any:
    def authenticate(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == username.encode()
            and data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


async def start_sink(
    directory: Path,
    tls_directory: Path,
    username: str,
    password: str,
    host: str = "127.0.0.1",
    port: int = 0,
) -> tuple[asyncio.Server, Mailbox, int]:
    """Serve in the running loop: ``(server, mailbox, port)`` (``port`` 0: a free one)."""
    cert, key = self_signed_certificate(tls_directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox(directory)

    def factory() -> SMTP:
        return SMTP(
            mailbox,
            hostname="localhost",
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=_authenticator(username, password),
        )

    server = await asyncio.get_running_loop().create_server(factory, host, port)
    return server, mailbox, int(server.sockets[0].getsockname()[1])


async def _serve(args: argparse.Namespace) -> None:
    server, _, port = await start_sink(
        Path(args.directory), Path(args.tls_directory), args.username, args.password,
        port=args.port,
    )  # fmt: skip
    print(
        f"SMTP sink on 127.0.0.1:{port} (STARTTLS, AUTH), messages in {args.directory}", flush=True
    )
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", required=True, help="where messages are written")
    parser.add_argument("--tls-directory", required=True, help="the certificate and key")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", default=os.environ.get("QSMO_MAIL_SINK_PASSWORD", ""))
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
