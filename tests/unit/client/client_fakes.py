"""An in-process fake of the ingest API for the client's unit tests (httpx MockTransport).

It checks requests the way ingest does (key, batch size, repeated ids in one request), stores
events first-wins by ``event_id`` like the platform, and answers from a script: each entry is
an ``httpx.Response`` to send, or an exception to raise (a network error), before falling
back to ``202``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx

KEY = "test-publisher-key"


def error_response(
    status: int,
    code: str,
    *,
    retry_after: str | None = None,
    details: list[dict[str, Any]] | None = None,
    message: str = "refused by the fake",
) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {
        "error": {"code": code, "message": message, "request_id": "req-1", "details": details or []}
    }
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeIngest:
    script: list[httpx.Response | Exception] = field(default_factory=list)
    key: str = KEY
    other_keys: tuple[str, ...] = ()
    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    request_keys: list[str] = field(default_factory=list)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: int = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/readyz":
            return httpx.Response(200, json={"status": "ready"})
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        if key not in (self.key, *self.other_keys):
            return error_response(401, "unauthorized", message="this endpoint needs an API key")
        assert request.url.path == "/v1/events"
        assert request.headers["content-type"] == "application/json"
        events = json.loads(request.content)["events"]
        assert 1 <= len(events) <= 1000, len(events)
        ids = [event["event_id"] for event in events]
        assert len(ids) == len(set(ids)), "repeated event_id in one request"
        self.requests.append(events)
        self.request_keys.append(key)
        if self.script:
            answer = self.script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            if answer.status_code != 202:
                return answer
        self.deliveries += len(events)
        for event in events:
            self.stored.setdefault(event["event_id"], event)
        return httpx.Response(202, json={"accepted": len(events), "event_ids": ids})

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)


@dataclass
class Sleeps:
    """Records the waits the publisher asks for instead of sleeping."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Ticks(threading.Event):
    """A stop signal that lets ``count`` ticks pass without waiting."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def wait(self, timeout: float | None = None) -> bool:
        self.count -= 1
        return self.count < 0
