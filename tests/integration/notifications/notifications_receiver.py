"""A real HTTP webhook receiver for tests: a tiny asyncio server on a free 127.0.0.1 port.

It answers each request with the next scripted status (200 once the script is used up),
optionally after a delay, and closes the connection; every request is recorded.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field

from services.notifications.delivery import verify


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def signed_with(self, secret: str) -> bool:
        return verify(
            secret, self.headers["x-qsmo-timestamp"], self.body, self.headers["x-qsmo-signature"]
        )


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    calls: list[Call] = field(default_factory=list)
    _server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_for(self, count: int, timeout_s: float) -> list[Call]:
        deadline = time.monotonic() + timeout_s
        while len(self.calls) < count:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} webhook calls within {timeout_s} s, got {len(self.calls)}"
                )
            await asyncio.sleep(0.05)
        return self.calls

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (ln.split(":", 1) for ln in lines if ":" in ln)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status = self.statuses.pop(0) if self.statuses else 200
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            self.calls.append(Call(request_line.split(" ")[1], headers, body, status))
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def dead_url() -> str:
    """A URL on a port nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
