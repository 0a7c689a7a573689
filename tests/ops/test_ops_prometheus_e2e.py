"""End to end: every service as a real process on the test stack, a real Prometheus scraping
them every second with the platform's rule files, and N events pushed through ingest with a
publisher key. Prometheus's HTTP API must show every target up, the pipeline counters moved by
exactly N, downstream services reading, every rule healthy, and only series the metrics
classes define. Private topics, consumer groups and database keep it apart from other tests.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import qsmo_stack
from ops_support import REPO, exported_series_names

from shared.kafka import ensure_topics

N_EVENTS = 25
QSMO, MEASURE = "cybersecurity", "customer-satisfaction"
DEADLINE_S = 90


async def _eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE_S
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {DEADLINE_S} s (last: {last!r})")


def _service_env(tag: str, database: str, ports: dict[str, int]) -> dict[str, dict[str, str]]:
    t = {kind: f"t.{kind}.{tag}" for kind in ("events", "dlq", "values", "scorecards", "ntf", "fw")}
    env = {
        "ingest": {"QSMO_INGEST_TOPIC": t["events"]},
        "measures": {
            "QSMO_MEASURES_EVENTS_TOPIC": t["events"],
            "QSMO_MEASURES_VALUES_TOPIC": t["values"],
            "QSMO_MEASURES_DLQ_TOPIC": t["dlq"],
            "QSMO_MEASURES_GROUP_ID": f"measures-{tag}",
        },
        "scorecard": {
            "QSMO_SCORECARD_VALUES_TOPIC": t["values"],
            "QSMO_SCORECARD_FRAMEWORK_TOPIC": t["fw"],
            "QSMO_SCORECARD_SCORECARDS_TOPIC": t["scorecards"],
            "QSMO_SCORECARD_GROUP_ID": f"scorecard-{tag}",
            "QSMO_SCORECARD_POLL_TIMEOUT_MS": "200",
        },
        "notifications": {
            "QSMO_NOTIFICATIONS_SCORECARDS_TOPIC": t["scorecards"],
            "QSMO_NOTIFICATIONS_DLQ_TOPIC": t["dlq"],
            "QSMO_NOTIFICATIONS_NOTIFICATIONS_TOPIC": t["ntf"],
            "QSMO_NOTIFICATIONS_GROUP_ID": f"notifications-{tag}",
            "QSMO_NOTIFICATIONS_POLL_TIMEOUT_MS": "200",
        },
        "gateway": {
            "QSMO_GATEWAY_SCORECARDS_TOPIC": t["scorecards"],
            "QSMO_GATEWAY_NOTIFICATIONS_TOPIC": t["ntf"],
            "QSMO_GATEWAY_FRAMEWORK_TOPIC": t["fw"],
        },
    }
    return {
        name: {"QSMO_MONGO_DB": database, f"QSMO_{name.upper()}_PORT": str(port), **env[name]}
        for name, port in ports.items()
    } | {"_topics": t}


def _events(tag: str) -> dict[str, Any]:
    occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    return {
        "events": [
            {
                "event_id": f"ops-e2e-{tag}-{i}",
                "qsmo": QSMO,
                "measure": MEASURE,
                "value": 3.0 + (i % 3) * 0.5,
                "occurred_at": occurred,
            }
            for i in range(N_EVENTS)
        ]
    }


class PrometheusApi:
    """The few HTTP API calls the test needs."""

    def __init__(self, http: httpx.AsyncClient, port: int) -> None:
        self._http, self._base = http, f"http://127.0.0.1:{port}/api/v1"

    async def get(self, path: str, **params: str) -> Any:
        answer = await self._http.get(f"{self._base}/{path}", params=params)
        answer.raise_for_status()
        body = answer.json()
        assert body["status"] == "success", body
        return body["data"]

    async def vector(self, query: str) -> dict[str, float]:
        """An instant query's samples, keyed by their ``job`` label (or '' without one)."""
        data = await self.get("query", query=query)
        return {s["metric"].get("job", ""): float(s["value"][1]) for s in data["result"]}


async def test_prometheus_scrapes_every_service_and_counts_the_events(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, mongo_db: Any, prometheus_binary: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    services = ["ingest", "measures", "scorecard", "notifications"]
    if (REPO / "gateway" / "__main__.py").exists():
        services.append("gateway")
    ports = {name: qsmo_stack.free_port() for name in services}
    env = _service_env(tag, mongo_db.name, ports)
    await ensure_topics(kafka_bootstrap, 3, names=tuple(env.pop("_topics").values()))
    started: list[str] = []
    try:
        for name in services:
            stack.start_service(name, extra_env=env[name], instance=f"-{tag}", wait=False)
            started.append(f"{name}-{tag}")
        prometheus_port = qsmo_stack.free_port()
        await asyncio.to_thread(stack.start_prometheus, ports, "1s", f"-{tag}", prometheus_port)
        started.append(f"prometheus-{tag}")
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            api = PrometheusApi(http, prometheus_port)

            async def all_up() -> bool:
                up = await api.vector("up")
                return set(up) == set(services) and all(v == 1 for v in up.values())

            await _eventually(all_up, f"up == 1 for {services}")
            key = json.loads(stack.plaintext_keys_file.read_text())["publishers"][QSMO]
            answer = await http.post(
                f"http://127.0.0.1:{ports['ingest']}/v1/events",
                json=_events(tag),
                headers={"Authorization": f"Bearer {key}"},
            )
            assert answer.status_code == 202, answer.text

            async def counted_n() -> dict[str, float] | None:
                accepted = await api.vector('sum(qsmo_ingest_events_total{outcome="accepted"})')
                counted = await api.vector('sum(qsmo_measures_events_total{outcome="counted"})')
                seen = {"accepted": accepted.get("", 0), "counted": counted.get("", 0)}
                return seen if set(seen.values()) == {N_EVENTS} else None

            await _eventually(counted_n, f"ingest accepted and measures counted == {N_EVENTS}")

            async def downstream_read() -> bool:
                scorecard = await api.vector('sum(qsmo_scorecard_messages_total{kind="values"})')
                notified = await api.vector(
                    'sum(qsmo_notifications_records_total{kind="scorecard"})'
                )
                return scorecard.get("", 0) > 0 and notified.get("", 0) > 0

            await _eventually(downstream_read, "scorecard and notifications reading")

            async def rules_healthy() -> list[str] | None:
                groups = (await api.get("rules"))["groups"]
                health = {r["name"]: r["health"] for g in groups for r in g["rules"]}
                return sorted(health) if health and set(health.values()) == {"ok"} else None

            healthy = await _eventually(rules_healthy, "every recording and alert rule evaluated")
            assert "platform:qsmo_measures_event_to_value_seconds:p95_5m" in healthy
            names = await api.get("label/__name__/values")
            platform_series = {n for n in names if n.startswith("qsmo_") and ":" not in n}
            assert platform_series, "Prometheus holds no platform series"
            assert platform_series - exported_series_names() == set()
    finally:
        for label in reversed(started):
            stack.stop(label)
