"""Publish performance events to the ingest API: batches, retries, stable ids, clear errors.

    with Publisher(api_key, "http://127.0.0.1:8001") as publisher:
        report = publisher.publish(events)
    if not report.ok:
        for problem in report.problems:
            print(problem)

- **Batches** of at most 1000 events and ~900 KB (ingest takes 1000 and 1 MiB); an event id
  that repeats within a batch starts a new request (ingest refuses repeats in one request;
  across requests a repeat is acknowledged and ignored downstream). A 413 splits the batch.
- **Retries** on 429/5xx/network errors with the same body, honouring ``Retry-After``, else
  exponential back-off with jitter (``qsmo_client.retry``). Event ids are never changed, so
  a retry can never double count.
- **Errors**: a refused request yields one ``Problem`` per event and field, naming where the
  event came from (``events.csv line 4``). Other batches are still sent. A bad key (401, or a
  403 that is not about single events) raises ``AuthenticationError`` at once.

This module needs only httpx and the standard library, so a QSMO system can vendor it.
"""

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import httpx

from qsmo_client.events import Publishable
from qsmo_client.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger("qsmo_client")

DEFAULT_INGEST_URL = "http://127.0.0.1:8001"
EVENTS_PATH = "/v1/events"
MAX_EVENTS_PER_REQUEST = 1000
DEFAULT_MAX_REQUEST_BYTES = 900_000
"""Below ingest's 1 MiB, leaving room for headers and proxies."""


class PublishError(Exception):
    """Publishing cannot go on; the message says why and what to do."""


class AuthenticationError(PublishError):
    """The key is missing, unknown or may not publish at all (401, or 403 for the whole key)."""


@dataclass(frozen=True)
class Problem:
    """Why ingest refused one event (or a whole request, when ``event_id`` is None)."""

    status: int
    code: str
    message: str
    field: str | None = None
    event_id: str | None = None
    where: str | None = None
    request_id: str | None = None

    def __str__(self) -> str:
        place = self.where or (f"event {self.event_id!r}" if self.event_id else "request")
        if self.where and self.event_id:
            place += f" (event_id {self.event_id!r})"
        subject = f", field {self.field!r}" if self.field else ""
        return f"{place}{subject}: {self.code} — {self.message}"


@dataclass
class PublishReport:
    """What happened to the events handed to ``Publisher.publish``."""

    accepted: int = 0
    rejected: int = 0
    """Events in refused requests (fix them and send again)."""
    unsent: int = 0
    """Events never acknowledged because publishing stopped (send again: ids are stable)."""
    requests: int = 0
    retries: int = 0
    problems: list[Problem] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return self.rejected == 0 and self.unsent == 0 and self.stopped is None

    @property
    def handled(self) -> int:
        return self.accepted + self.rejected + self.unsent


@dataclass(frozen=True)
class _Item:
    event: Publishable
    body: bytes


def plan_batches(
    events: Iterable[Publishable], max_events: int, max_bytes: int
) -> Iterator[list[_Item]]:
    """Group events, in order, into requests of at most ``max_events`` events and about
    ``max_bytes`` bytes, starting a new request where an event id repeats."""
    batch: list[_Item] = []
    ids: set[str] = set()
    size = 0
    for event in events:
        body = json.dumps(event.to_document(), separators=(",", ":"), ensure_ascii=False).encode()
        full = len(batch) >= max_events or (batch and size + len(body) + 1 > max_bytes)
        if full or (event.event_id and event.event_id in ids):
            yield batch
            batch, ids, size = [], set(), 0
        batch.append(_Item(event, body))
        ids.add(event.event_id)
        size += len(body) + 1
    if batch:
        yield batch


class Publisher:
    """Sends events with one API key (a QSMO's publisher key) to one ingest service."""

    def __init__(
        self,
        api_key: str,
        ingest_url: str = DEFAULT_INGEST_URL,
        *,
        retry: RetryPolicy | None = None,
        max_events: int = MAX_EVENTS_PER_REQUEST,
        max_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        timeout_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random_unit: Callable[[], float] = random.random,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_progress: Callable[[PublishReport], None] | None = None,
    ) -> None:
        if not api_key:
            raise AuthenticationError("no API key given: pass the QSMO's publisher key")
        if not 1 <= max_events <= MAX_EVENTS_PER_REQUEST:
            raise ValueError(f"max_events must be 1..{MAX_EVENTS_PER_REQUEST}")
        self._retry = retry or RetryPolicy()
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._sleep = sleep
        self._random = random_unit
        self._clock = clock
        self._on_progress = on_progress
        self._http = httpx.Client(
            base_url=ingest_url.rstrip("/"),
            transport=transport,
            timeout=timeout_s,
            headers={
                "Authorization": f"Bearer {api_key}",
                "Content-Type": "application/json",
                "User-Agent": "qsmo-client/0.1",
            },
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def publish(
        self, events: Iterable[Publishable], *, skip_invalid: bool = False
    ) -> PublishReport:
        """Send ``events`` in order; never raises for refused events (see the report).

        ``skip_invalid``: after a 422 listing single events, send the rest of that request
        again without them (by default the whole request stays refused, as ingest answers).
        Raises ``AuthenticationError`` for a bad key.
        """
        report = PublishReport()
        for batch in plan_batches(events, self._max_events, self._max_bytes):
            if report.stopped is not None:
                report.unsent += len(batch)
                continue
            self._publish_batch(batch, report, skip_invalid)
            if self._on_progress is not None:
                self._on_progress(report)
        return report

    def _publish_batch(self, batch: list[_Item], report: PublishReport, skip_invalid: bool) -> None:
        response = self._send_with_retries(batch, report)
        if response is None:
            return
        status = response.status_code
        if status == 202:
            report.accepted += len(batch)
            report.accepted_ids.extend(item.event.event_id for item in batch)
            return
        if status == 413 and len(batch) > 1:
            middle = len(batch) // 2
            self._publish_batch(batch[:middle], report, skip_invalid)
            self._publish_batch(batch[middle:], report, skip_invalid)
            return
        problems, indices = problems_from(response, [item.event for item in batch])
        if status == 401 or (status == 403 and not indices):
            raise AuthenticationError("; ".join(p.message for p in problems))
        report.problems.extend(problems)
        rest = [item for index, item in enumerate(batch) if index not in indices]
        if skip_invalid and status == 422 and indices and rest:
            report.rejected += len(batch) - len(rest)
            self._publish_batch(rest, report, skip_invalid)
        else:
            report.rejected += len(batch)

    def _send_with_retries(
        self, batch: list[_Item], report: PublishReport
    ) -> httpx.Response | None:
        body = b'{"events":[' + b",".join(item.body for item in batch) + b"]}"
        attempt = 0
        while True:
            attempt += 1
            report.requests += 1
            retry_after: float | None = None
            try:
                response = self._http.post(EVENTS_PATH, content=body)
            except httpx.TransportError as error:
                reason = f"network error ({type(error).__name__}: {error})"
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                reason = f"HTTP {response.status_code} {_error_code(response)}"
                retry_after = parse_retry_after(response.headers.get("retry-after"), self._clock())
            if attempt >= self._retry.max_attempts:
                report.unsent += len(batch)
                report.stopped = (
                    f"gave up after {attempt} attempts ({reason}); the events not acknowledged "
                    "can be sent again as they are: their event ids are stable, so nothing is "
                    "counted twice"
                )
                return None
            delay = self._retry.delay_s(attempt, retry_after, self._random())
            log.warning(
                "ingest: %s; sending the same %d events again in %.1f s (attempt %d of %d)",
                reason,
                len(batch),
                delay,
                attempt + 1,
                self._retry.max_attempts,
            )
            report.retries += 1
            self._sleep(delay)


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "error"


def problems_from(
    response: httpx.Response, events: Sequence[Publishable]
) -> tuple[list[Problem], set[int]]:
    """The problems of a refused request, and the batch positions of the events they name."""
    status = response.status_code
    try:
        error: dict[str, Any] = response.json()["error"]
        message = str(error["message"])
    except (ValueError, KeyError, TypeError):
        text = response.text[:300] or response.reason_phrase
        return [Problem(status, "http_error", f"HTTP {status}: {text}")], set()
    request_id = error.get("request_id")
    details = error.get("details") or []
    if not details:
        return [
            Problem(status, str(error.get("code", "error")), message, request_id=request_id)
        ], set()
    problems: list[Problem] = []
    indices: set[int] = set()
    for detail in details:
        index = detail.get("index")
        event = events[index] if isinstance(index, int) and 0 <= index < len(events) else None
        if event is not None and isinstance(index, int):
            indices.add(index)
        problems.append(
            Problem(
                status=status,
                code=str(detail.get("code", error.get("code", "error"))),
                message=str(detail.get("message", message)),
                field=detail.get("field"),
                event_id=detail.get("event_id") or (event.event_id if event else None),
                where=event.where if event else None,
                request_id=request_id,
            )
        )
    return problems, indices
