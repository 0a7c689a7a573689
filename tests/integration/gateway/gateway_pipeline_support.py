"""A private pipeline for the gateway's integration tests: ingest → measures → scorecard → gateway.

Each run gets its own topics, consumer groups and database (a *lane*), so it never sees
other tests' data; every service is the real ``python -m …`` subprocess on free ports.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import qsmo_stack

from shared.kafka import ensure_topics
from shared.mongo import create_mongo_client


@dataclass(frozen=True)
class Keys:
    admin: str
    viewer: str
    publishers: dict[str, str]
    providers: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Keys:
        raw = json.loads(path.read_text())
        return cls(
            raw["admin"], raw["viewer"], dict(raw["publishers"]), dict(raw.get("providers", {}))
        )

    def bearer(self, who: str | None) -> dict[str, str]:
        """Headers for ``admin``, ``viewer``, a QSMO id (its publisher) or ``provider:<id>``."""
        if who is None:
            return {}
        if who.startswith("provider:"):
            key = self.providers[who.removeprefix("provider:")]
        else:
            key = {"admin": self.admin, "viewer": self.viewer}.get(who) or self.publishers[who]
        return {"Authorization": f"Bearer {key}"}


@dataclass(frozen=True)
class Lane:
    """Private topics, groups and database of one pipeline."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    ports: dict[str, int] = field(
        default_factory=lambda: {
            name: qsmo_stack.free_port() for name in ("ingest", "measures", "scorecard", "gateway")
        }
    )

    def topic(self, name: str) -> str:
        return f"gw.{name}.{self.tag}"

    @property
    def database(self) -> str:
        return f"gw_{self.tag}"

    def env(self, service: str) -> dict[str, str]:
        common = {
            "QSMO_MONGO_DB": self.database,
            f"QSMO_{service.upper()}_PORT": str(self.ports[service]),
        }
        specific = {
            "ingest": {"QSMO_INGEST_TOPIC": self.topic("events")},
            "measures": {
                "QSMO_MEASURES_EVENTS_TOPIC": self.topic("events"),
                "QSMO_MEASURES_VALUES_TOPIC": self.topic("values"),
                "QSMO_MEASURES_DLQ_TOPIC": self.topic("dlq"),
                "QSMO_MEASURES_GROUP_ID": f"measures-{self.tag}",
            },
            "scorecard": {
                "QSMO_SCORECARD_VALUES_TOPIC": self.topic("values"),
                "QSMO_SCORECARD_FRAMEWORK_TOPIC": self.topic("framework"),
                "QSMO_SCORECARD_SCORECARDS_TOPIC": self.topic("scorecards"),
                "QSMO_SCORECARD_GROUP_ID": f"scorecard-{self.tag}",
            },
            "gateway": {
                "QSMO_GATEWAY_SCORECARDS_TOPIC": self.topic("scorecards"),
                "QSMO_GATEWAY_NOTIFICATIONS_TOPIC": self.topic("notifications"),
                "QSMO_GATEWAY_FRAMEWORK_TOPIC": self.topic("framework"),
                "QSMO_GATEWAY_EVENTS_TOPIC": self.topic("events"),
                "QSMO_GATEWAY_REVIEWS_TOPIC": self.topic("reviews"),
                "QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS": "true",
            },
        }
        return {**common, **specific[service]}

    async def create_topics(self, bootstrap: str) -> None:
        names = ("events", "values", "dlq", "scorecards", "framework", "notifications", "reviews")
        await ensure_topics(bootstrap, 3, names=tuple(self.topic(n) for n in names))

    def url(self, service: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"


def start_pipeline(stack: qsmo_stack.Stack, lane: Lane) -> None:
    """Start the four services of the lane (each waits for its ``/readyz``)."""
    for service in ("ingest", "measures", "scorecard", "gateway"):
        stack.start_service(
            service, extra_env=lane.env(service), instance=f"-gw-{lane.tag}", timeout_s=120
        )


def stop_pipeline(stack: qsmo_stack.Stack, lane: Lane) -> None:
    for service in ("gateway", "scorecard", "measures", "ingest"):
        stack.stop(f"{service}-gw-{lane.tag}")


@asynccontextmanager
async def running_pipeline(stack: qsmo_stack.Stack) -> AsyncIterator[Pipeline]:
    """The four services on a new private lane, with the stack's keys; stopped on exit."""
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    start_pipeline(stack, lane)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
    finally:
        stop_pipeline(stack, lane)


def start_tools_gateway(stack: qsmo_stack.Stack, lane: Lane) -> None:
    """The lane's gateway with its provider-tools outbox sweeping (and waves closing) every
    0.5 s."""
    env = {**lane.env("gateway"), "QSMO_GATEWAY_OUTBOX_INTERVAL_S": "0.5"}
    stack.start_service("gateway", extra_env=env, instance=f"-gw-{lane.tag}", timeout_s=120)


@asynccontextmanager
async def running_tools_pipeline(
    stack: qsmo_stack.Stack, http_timeout_s: float = 10
) -> AsyncIterator[Pipeline]:
    """The measures service and the tools gateway (``start_tools_gateway``) on a new private
    lane: what the provider tools' events go through; stopped on exit."""
    lane = Lane()
    await lane.create_topics(stack.kafka_bootstrap)
    stack.start_service(
        "measures", extra_env=lane.env("measures"), instance=f"-gw-{lane.tag}", timeout_s=120
    )
    start_tools_gateway(stack, lane)
    try:
        async with httpx.AsyncClient(timeout=http_timeout_s) as http:
            yield Pipeline(lane, Keys.load(stack.plaintext_keys_file), http)
    finally:
        stack.stop(f"gateway-gw-{lane.tag}")
        stack.stop(f"measures-gw-{lane.tag}")


def keys_home(stack: qsmo_stack.Stack, directory: Path) -> Path:
    """``directory`` with ``.local/api-keys.json``, where documented examples read keys from."""
    (directory / ".local").mkdir()
    shutil.copy(stack.plaintext_keys_file, directory / ".local" / "api-keys.json")
    return directory


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float, what: str) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout_s} s (last: {last!r})")


@dataclass
class Pipeline:
    """The running lane and clients for its HTTP APIs."""

    lane: Lane
    keys: Keys
    http: httpx.AsyncClient
    sent: int = 0

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, *, who: str | None = "viewer"
    ) -> dict[str, Any]:
        response = await self.http.post(
            self.lane.url("gateway", "/graphql"),
            json={"query": query, "variables": variables or {}},
            headers=self.keys.bearer(who),
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        body = await self.graphql(query, variables, **kw)
        assert "errors" not in body, body
        return body["data"]

    async def send(self, qsmo: str, measure: str, value: float, occurred_at: str) -> None:
        """Publish one event through the real ingest API (the QSMO's publisher key)."""
        self.sent += 1
        event = {
            "event_id": f"gw-{self.lane.tag}-{self.sent}",
            "qsmo": qsmo,
            "measure": measure,
            "value": value,
            "occurred_at": occurred_at,
        }
        response = await self.http.post(
            self.lane.url("ingest", "/v1/events"), json=event, headers=self.keys.bearer(qsmo)
        )
        assert response.status_code == 202, response.text


def run_shell_example(script: str, cwd: Path, env: dict[str, str] | None = None) -> list[Any]:
    """Run a documented ``sh`` example with bash (``-euo pipefail``) in ``cwd``; the JSON
    answers it printed, in order. Fails with its stderr when it exits non-zero."""
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers, decoder, text = [], json.JSONDecoder(), result.stdout.strip()
    while text:
        answer, end = decoder.raw_decode(text)
        answers.append(answer)
        text = text[end:].strip()
    return answers


def notifications_env(lane: Lane, port: int, **extra: str) -> dict[str, str]:
    """The notifications service on the lane's topics and database (it sends review packets),
    with ``extra`` settings (e.g. its SMTP server)."""
    return {
        "QSMO_MONGO_DB": lane.database,
        "QSMO_NOTIFICATIONS_PORT": str(port),
        "QSMO_NOTIFICATIONS_GROUP_ID": f"notifications-{lane.tag}",
        "QSMO_NOTIFICATIONS_SCORECARDS_TOPIC": lane.topic("scorecards"),
        "QSMO_NOTIFICATIONS_DLQ_TOPIC": lane.topic("dlq"),
        "QSMO_NOTIFICATIONS_NOTIFICATIONS_TOPIC": lane.topic("notifications"),
        "QSMO_NOTIFICATIONS_EVENTS_TOPIC": lane.topic("events"),
        "QSMO_NOTIFICATIONS_VALUES_TOPIC": lane.topic("values"),
        "QSMO_NOTIFICATIONS_REVIEWS_TOPIC": lane.topic("reviews"),
        "QSMO_NOTIFICATIONS_MEASURES_GROUP_ID": f"measures-{lane.tag}",
        "QSMO_NOTIFICATIONS_SCORECARD_GROUP_ID": f"scorecard-{lane.tag}",
        **extra,
    }


ADJUST_SWEEPS = re.compile(r'^qsmo_gateway_adjust_sweeps_total\{outcome="ok"\} ([0-9.e+]+)$', re.M)


async def adjust_sweeps(pipeline: Pipeline) -> float:
    """The lane gateway's successful Adjust-loop sweeps so far (from its /metrics)."""
    response = await pipeline.http.get(pipeline.lane.url("gateway", "/metrics"))
    found = ADJUST_SWEEPS.search(response.text)
    return float(found.group(1)) if found else 0.0


async def more_adjust_sweeps(pipeline: Pipeline, count: int) -> None:
    """Wait until the lane gateway's Adjust loop has swept ``count`` more times."""
    start = await adjust_sweeps(pipeline)

    async def swept() -> bool:
        return await adjust_sweeps(pipeline) >= start + count

    await eventually(swept, 30, f"{count} more Adjust-loop sweeps")


async def drafted_entries(stack: qsmo_stack.Stack, lane: Lane) -> list[str]:
    """The ids of the lane's ``action.drafted`` activity-log entries."""
    client = create_mongo_client(stack.mongo_url)
    try:
        found = (
            await client[lane.database]["gateway_activity_log"]
            .find({"action": "action.drafted"})
            .to_list()
        )
    finally:
        await client.close()
    return [d["_id"] for d in found]
