"""Per-request id, one JSON log line and the request metrics, as a pure ASGI middleware.

Handlers add what they learn (key id, event counts, the error answered) to the
``RequestRecord`` at ``request.state.record``; the middleware times the request, sets
``X-Request-ID`` on the answer and, once it is sent, logs and counts it. The key itself is never
logged, and neither is anything the client sent as a value: an error's details are logged by
position, field path and code only (their messages quote the values sent).
"""

import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.ingest.metrics import IngestMetrics, request_outcome
from services.ingest.schemas import ErrorDetail

log = logging.getLogger("services.ingest.requests")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
LOGGED_DETAILS = 50
"""Error details in one log line (an answer lists up to 1000; ``error_detail_count`` has all)."""
_LOGGED_TEXT = 200
"""Characters of a message or field path logged: both may name fields the client made up."""


@dataclass
class RequestRecord:
    """What one request did, filled in as it is handled."""

    request_id: str
    key_id: str | None = None
    qsmos: Counter[str] | None = None
    """Events by QSMO label, once the body has been read."""
    accepted: int = 0
    error_code: str | None = None
    error_message: str | None = None
    """The answer's message: it names fields and limits, never a value the client sent."""
    error_details: Sequence[ErrorDetail] = ()


def new_request_id(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when it is short and plain; otherwise a fresh one."""
    supplied = Headers(scope=scope).get("x-request-id", "")
    return supplied if _CLIENT_REQUEST_ID.match(supplied) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Wraps the app: request ids for every request, logs and metrics for ``routes``."""

    def __init__(self, app: ASGIApp, metrics: IngestMetrics, routes: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(request_id=new_request_id(scope))
        scope.setdefault("state", {})["record"] = record
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", record.request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, record, status, time.perf_counter() - started)

    def _finish(self, scope: Scope, record: RequestRecord, status: int, duration_s: float) -> None:
        path = scope.get("path", "")
        if path not in self.routes:
            log.debug("%s %s %s", scope.get("method"), path, status)
            return
        self.metrics.observe_request(path, status, duration_s, record.qsmos)
        events = sum(record.qsmos.values()) if record.qsmos is not None else None
        log.info(
            "%s %s %s",
            scope.get("method"),
            path,
            status,
            extra={
                "request_id": record.request_id,
                "key_id": record.key_id,
                "status": status,
                "outcome": request_outcome(status),
                "error_code": record.error_code,
                "error_message": _clipped(record.error_message),
                "error_details": logged_details(record.error_details),
                "error_detail_count": len(record.error_details),
                "events": events,
                "accepted": record.accepted,
                "duration_ms": round(duration_s * 1000, 2),
            },
        )


def logged_details(details: Sequence[ErrorDetail]) -> list[dict[str, Any]]:
    """Where each problem is and what kind it is (``index``, ``line``, ``field``, ``code``).

    Not the ``message`` nor the ``event_id``: those repeat what the client sent, which may be
    anything (a secret pasted into an attribute, personal data). The first ``LOGGED_DETAILS``.
    """
    return [
        {
            "index": detail.index,
            "line": detail.line,
            "field": _clipped(detail.field),
            "code": detail.code,
        }
        for detail in details[:LOGGED_DETAILS]
    ]


def _clipped(text: str | None) -> str | None:
    if text is None or len(text) <= _LOGGED_TEXT:
        return text
    return text[: _LOGGED_TEXT - 1] + "…"
