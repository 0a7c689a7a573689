"""Shared pieces of the abuse suite: the tally, the security lane and its HTTP helpers.

The *lane* is the real ingest and gateway, each ``python -m …`` on a free port, on private
topics and a private database (``gateway_pipeline_support.Lane``). Every request the suite
sends to ingest goes through ``IngestLedger``: it sets its own ``X-Request-ID`` and records
the answer, so ``IngestLedger.topic_problems`` can prove that the topic holds exactly the
events of the ``202`` answers — nothing from a refused request.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import qsmo_stack
from gateway_pipeline_support import Keys, Lane
from ingest_kafka_support import end_offset_total, read_topic

from shared.mongo import create_mongo_client

TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', '.py", line ')
WRITE_COLLECTIONS = (
    "framework_changes",
    "gateway_commentary",
    "gateway_improvement_actions",
    "notification_subscriptions",
    "notification_acks",
    "provider_self_assessments",
    "provider_data_calls",
    "survey_waves",
    "survey_responses",
    "gateway_reviews",
    "gateway_activity_log",
    "review_packets",
    "gateway_revision_proposals",
    "notification_stakeholder_lists",
)
"""Everything a gateway mutation can write (audit log, activity, webhooks, acknowledgements).
Not ``gateway_activity_log``: the Adjust loop records overdue actions there in the background
(a revision's entries follow its proposal, which is counted)."""
SERVICE_ENV = {
    "ingest": {
        "QSMO_LOG_LEVEL": "DEBUG",
        # The suite measures abuse handling, not the rate limit (the auth matrix checks 429s).
        "QSMO_INGEST_RATE_PER_S": "1000000",
        "QSMO_INGEST_BURST": "10000000",
    },
    "gateway": {
        "QSMO_LOG_LEVEL": "DEBUG",
        # The SSRF guard as in production: no loopback or private webhook targets.
        "QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS": "false",
        # The review packet worker and the Adjust loop sweep once at start only: the document
        # counts the auth matrix compares then change only by what a mutation itself writes.
        "QSMO_GATEWAY_PACKET_INTERVAL_S": "3600",
        "QSMO_GATEWAY_ADJUST_INTERVAL_S": "3600",
    },
}
PUBLIC_HOOK = "https://93.184.215.14/qsmo-hook"
"""A literal public address: passes the SSRF guard without DNS; nothing ever calls it."""


# ---------------------------------------------------------------- the tally


@dataclass
class AreaCount:
    tried: int = 0
    failures: list[str] = field(default_factory=list)


class SecurityTally:
    """Cases tried and failures per area (``security: <area>: N cases tried, M failures``)."""

    def __init__(self) -> None:
        self.areas: dict[str, AreaCount] = defaultdict(AreaCount)

    def record(self, area: str, case: str, problem: str | None) -> str | None:
        """Count one case; returns ``"<case>: <problem>"`` when it failed, else None."""
        count = self.areas[area]
        count.tried += 1
        if problem is None:
            return None
        failure = f"{case}: {problem}"
        count.failures.append(failure)
        return failure

    def line(self, area: str) -> str:
        count = self.areas[area]
        return f"security: {area}: {count.tried} cases tried, {len(count.failures)} failures"

    def table(self) -> list[str]:
        if not self.areas:
            return []
        width = max(len(area) for area in self.areas)
        rows = [f"{'area':<{width}}  {'tried':>6}  {'failures':>8}"]
        for area, count in sorted(self.areas.items()):
            rows.append(f"{area:<{width}}  {count.tried:>6}  {len(count.failures):>8}")
        total_tried = sum(c.tried for c in self.areas.values())
        total_failed = sum(len(c.failures) for c in self.areas.values())
        rows.append(f"{'total':<{width}}  {total_tried:>6}  {total_failed:>8}")
        return ["", "security summary", *rows]


# ---------------------------------------------------------------- ingest and its ledger


@dataclass
class IngestLedger:
    """Every answer ingest gave this suite, by the request id the suite chose."""

    answers: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)

    @staticmethod
    def new_request_id() -> str:
        return f"sec-{uuid.uuid4().hex}"

    def record(self, request_id: str, status: int, body: bytes) -> None:
        accepted: tuple[str, ...] = ()
        if status == 202:
            accepted = tuple(json.loads(body)["event_ids"])
        self.answers[request_id] = (status, accepted)

    async def topic_messages(self, bootstrap: str, topic: str) -> list[dict[str, Any]]:
        """Every message on the topic, decoded (a 202 means Kafka already holds them all)."""
        total = await end_offset_total(bootstrap, topic)
        records = await read_topic(bootstrap, topic, expected=total, timeout_s=30)
        assert len(records) == total, f"read {len(records)} of {total} messages"
        return [json.loads(record.value) for record in records]

    def topic_problems(self, messages: list[dict[str, Any]]) -> list[str]:
        """What on the topic does not belong to a 202 answer, or is missing from it."""
        stored: dict[str, list[str]] = defaultdict(list)
        for message in messages:
            stored[str(message.get("request_id"))].append(str(message.get("event_id")))
        problems = []
        for request_id, event_ids in stored.items():
            status, accepted = self.answers.get(request_id, (None, ()))
            if status != 202:
                problems.append(
                    f"request {request_id} was answered {status} but stored events {event_ids[:5]}"
                )
            elif sorted(event_ids) != sorted(accepted):
                problems.append(
                    f"request {request_id}: stored {event_ids[:5]}, accepted {accepted[:5]}"
                )
        for request_id, (status, _) in self.answers.items():
            if status == 202 and request_id not in stored:
                problems.append(f"request {request_id} was accepted but nothing is on the topic")
        return problems


@dataclass
class SecurityLane:
    """The running ingest and gateway of the suite, its keys and its ingest ledger."""

    stack: qsmo_stack.Stack
    lane: Lane
    keys: Keys
    ledger: IngestLedger = field(default_factory=IngestLedger)

    @property
    def label_suffix(self) -> str:
        return f"-sec-{self.lane.tag}"

    @property
    def ingest_url(self) -> str:
        return self.lane.url("ingest", "")

    @property
    def gateway_url(self) -> str:
        return self.lane.url("gateway", "/graphql")

    @property
    def events_topic(self) -> str:
        return self.lane.topic("events")

    @property
    def database(self) -> str:
        return self.lane.database

    def bearer(self, who: str | None) -> dict[str, str]:
        """``who``: None, "admin", "viewer", a QSMO id (its publisher) or ``raw:<key>``."""
        if who is not None and who.startswith("raw:"):
            return {"Authorization": f"Bearer {who[4:]}"}
        return self.keys.bearer(who)

    async def post_ingest(
        self,
        http: httpx.AsyncClient,
        path: str,
        body: bytes,
        *,
        who: str | None = "cybersecurity",
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[str, httpx.Response]:
        """POST to ingest with a fresh request id, recorded in the ledger."""
        request_id = self.ledger.new_request_id()
        sent = {"Content-Type": content_type, "X-Request-ID": request_id, **self.bearer(who)}
        response = await http.post(
            self.ingest_url + path, content=body, headers={**sent, **(headers or {})}
        )
        self.ledger.record(request_id, response.status_code, response.content)
        return request_id, response

    async def graphql(
        self,
        http: httpx.AsyncClient,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        who: str | None = "viewer",
    ) -> httpx.Response:
        body = {"query": query, "variables": dict(variables or {})}
        return await http.post(self.gateway_url, json=body, headers=self.bearer(who))

    async def write_counts(self) -> dict[str, int]:
        """Documents in every collection a gateway mutation writes to."""
        client = create_mongo_client(self.stack.mongo_url)
        try:
            database = client[self.database]
            return {name: await database[name].count_documents({}) for name in WRITE_COLLECTIONS}
        finally:
            await client.close()

    def write_counts_sync(self) -> dict[str, int]:
        """``write_counts`` for synchronous tests (schemathesis)."""
        from pymongo import MongoClient

        client: MongoClient[dict[str, Any]] = MongoClient(self.stack.mongo_url)
        try:
            database = client[self.database]
            return {name: database[name].count_documents({}) for name in WRITE_COLLECTIONS}
        finally:
            client.close()


async def start_security_lane(stack: qsmo_stack.Stack) -> SecurityLane:
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    running = SecurityLane(stack, lane, Keys.load(stack.plaintext_keys_file))
    for service in ("ingest", "gateway"):
        stack.start_service(
            service,
            extra_env={**lane.env(service), **SERVICE_ENV[service]},
            instance=running.label_suffix,
            timeout_s=120,
        )
    return running


def stop_security_lane(running: SecurityLane) -> None:
    for service in ("gateway", "ingest"):
        running.stack.stop(f"{service}{running.label_suffix}")


# ---------------------------------------------------------------- GraphQL answers


def error_codes(body: Mapping[str, Any]) -> list[str]:
    return [str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or ()]


def graphql_answer_problem(response: httpx.Response | Any) -> str | None:
    """Why a gateway answer breaks the rules (None when it is fine).

    Rules: no 5xx; a JSON object; every error has an ``extensions.code`` and is never
    ``INTERNAL_SERVER_ERROR``; no stack trace anywhere in the body.
    """
    status = response.status_code
    text = response.text
    if status >= 500:
        return f"HTTP {status}: {text[:300]}"
    if any(marker in text for marker in TRACE_MARKERS):
        return f"a stack trace in the answer: {text[:300]}"
    if status != 200:
        return None  # a plain HTTP refusal (400/405/413/415) is fine
    try:
        body = json.loads(text)
    except ValueError:
        return f"HTTP 200 but not JSON: {text[:200]}"
    if not isinstance(body, dict):
        return f"HTTP 200 but not a JSON object: {text[:200]}"
    codes = error_codes(body)
    if "None" in codes:
        return f"an error without extensions.code: {text[:300]}"
    if "INTERNAL_SERVER_ERROR" in codes:
        return f"INTERNAL_SERVER_ERROR: {text[:300]}"
    return None
