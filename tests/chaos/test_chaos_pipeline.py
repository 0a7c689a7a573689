"""Fault injection: the whole pipeline loses nothing acknowledged and counts nothing twice.

A stream of events goes through the real ingest API (≈5% client retries of already
acknowledged events, ≈10% late events) while the test SIGKILLs the measures service five
times, SIGKILLs and restarts the scorecard service, stops and restarts the Kafka broker
(ingest answers 503 meanwhile and the client retries) and stops and restarts the store.
Afterwards every measure value and every scorecard must equal a reference computed here from
what ingest acknowledged with 202. Most events name a provider (one the event's QSMO offers,
from the catalog's registry) and an agency, so the values checked include every provider's
and agency's slice of each QSMO and each agency's government-wide slice. The test runs on a
private stack, so stopping its broker and store disturbs no other test.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import qsmo_stack
from chaos_reference import SliceKey, reference_scorecards, reference_slice_values, reference_values

from services.measures.read_model import MeasureValuesReader
from services.scorecard.read_model import ScorecardReader
from shared.catalog import load_catalog
from shared.domain.providers import Slice
from shared.mongo import create_mongo_client

EVENTS = int(os.environ.get("QSMO_CHAOS_EVENTS", "50000"))
BATCH = 500
CATALOG = load_catalog()
FRAMEWORK = CATALOG.framework()
PROVIDERS = {q: [p.id for p in CATALOG.providers if p.serves(q)] for q in CATALOG.qsmo_ids}
AGENCIES = [a.id for a in CATALOG.agencies][:8]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def private_stack() -> Iterator[qsmo_stack.Stack]:
    home = Path(tempfile.mkdtemp(prefix="chaos-", dir=REPO / ".local" / "test-runs"))
    stack = qsmo_stack.Stack.with_free_ports(home)
    stack.die_with_parent = True
    try:
        stack.ensure_api_keys()
        stack.start_mongo()
        stack.start_kafka()
        stack.create_topics()
        yield stack
    finally:
        stack.down()
        if os.environ.get("QSMO_KEEP_TEST_RUNS") != "1":
            shutil.rmtree(home, ignore_errors=True)


def _stream(count: int, seed: int) -> list[dict[str, Any]]:
    """Events for every QSMO and scored measure over FY2024–FY2025; 10% backdated.

    ≈70% name a provider of their QSMO, ≈80% an agency (the sender's customer).
    """
    rng = random.Random(seed)
    measures = [m for m in FRAMEWORK.measures if m.phase is not None]
    start = datetime(2023, 10, 1, tzinfo=UTC)
    span = (datetime(2025, 9, 30, tzinfo=UTC) - start).total_seconds()
    events = []
    for i in range(count):
        measure = rng.choice(measures)
        low, high = measure.value_range.min, measure.value_range.max
        high = high if high is not None else measure.default_target * 2
        at = start + timedelta(seconds=span * i / count)
        if rng.random() < 0.10:
            at = max(start, at - timedelta(days=rng.randint(30, 300)))
        qsmo = rng.choice(CATALOG.qsmo_ids)
        event = {
            "event_id": f"chaos-{seed}-{i}",
            "qsmo": qsmo,
            "measure": measure.id,
            "value": round(rng.uniform(low, high), 3),
            "occurred_at": (at + timedelta(microseconds=i)).isoformat(),
        }
        if rng.random() < 0.7:
            event["provider"] = rng.choice(PROVIDERS[qsmo])
        if rng.random() < 0.8:
            event["agency"] = rng.choice(AGENCIES)
        events.append(event)
    return events


class Client:
    """A QSMO system that retries until its batch is acknowledged (same event ids)."""

    def __init__(self, url: str, keys: dict[str, Any]) -> None:
        self._url = url
        self._keys = keys
        self.acknowledged: dict[str, dict[str, Any]] = {}
        self.retries = Counter[str]()

    async def send(self, http: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
        by_qsmo: dict[str, list[dict[str, Any]]] = {}
        for event in batch:
            by_qsmo.setdefault(event["qsmo"], []).append(event)
        for qsmo, events in by_qsmo.items():
            await self._send_until_accepted(http, qsmo, events)

    async def _send_until_accepted(
        self, http: httpx.AsyncClient, qsmo: str, events: list[dict[str, Any]]
    ) -> None:
        key = self._keys["publishers"][qsmo]
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                response = await http.post(
                    f"{self._url}/v1/events",
                    json={"events": events},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=30,
                )
            except httpx.TransportError:
                self.retries["network"] += 1
                await asyncio.sleep(0.5)
                continue
            if response.status_code == 202:
                for event in events:
                    self.acknowledged.setdefault(event["event_id"], event)
                return
            assert response.status_code in (429, 503), response.text
            self.retries[str(response.status_code)] += 1
            await asyncio.sleep(min(float(response.headers.get("Retry-After", "1")), 1.0))
        raise AssertionError("a batch was never acknowledged")


async def _counted(database: Any) -> int:
    streams = await database["measure_streams"].find({}, {"event_count": 1}).to_list()
    return sum(s["event_count"] for s in streams)


async def _until(check: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if await check():
                return
        except Exception:  # the store may be restarting: keep polling
            pass
        await asyncio.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {timeout_s} s")


async def test_faults_lose_nothing_acknowledged_and_count_nothing_twice(
    private_stack: qsmo_stack.Stack, terminal_line: Callable[[str], None]
) -> None:
    stack = private_stack
    env = {
        "QSMO_INGEST_RATE_PER_S": "100000",
        "QSMO_INGEST_BURST": "100000",
        "QSMO_INGEST_PUBLISH_TIMEOUT_S": "3",
    }
    for name in ("ingest", "measures", "scorecard"):
        stack.start_service(name, extra_env=env)
    keys = json.loads(stack.plaintext_keys_file.read_text())
    client = Client(f"http://127.0.0.1:{stack.ports['ingest']}", keys)
    events = _stream(EVENTS, seed=2024)
    rng = random.Random(5)
    faults = Counter[str]()
    mongo = create_mongo_client(stack.mongo_url)
    database = mongo["qsmo"]

    async with httpx.AsyncClient() as http:
        plan = {
            int(EVENTS * share): fault
            for share, fault in (
                (0.10, "kill measures"),
                (0.20, "kill measures"),
                (0.30, "stop kafka"),
                (0.40, "kill scorecard"),
                (0.50, "kill measures"),
                (0.60, "stop store"),
                (0.70, "kill measures"),
                (0.85, "kill measures"),
            )
        }
        resent = 0
        for start in range(0, EVENTS, BATCH):
            batch = events[start : start + BATCH]
            if client.acknowledged and rng.random() < 0.5:  # ≈5% of events: resends of
                again = rng.sample(list(client.acknowledged.values()), BATCH // 10)  # acked ones
                batch = batch + again
                resent += len(again)
            await client.send(http, batch)
            for at, fault in plan.items():
                if start <= at < start + BATCH:
                    await _inject(stack, fault, client, http, events)
                    faults[fault] += 1

    distinct = len(client.acknowledged)
    try:
        await _until(lambda: _at_least(database, distinct), 300, f"{distinct} events counted")
        assert await _counted(database) == distinct
        acknowledged = list(client.acknowledged.values())
        values = reference_values(acknowledged, FRAMEWORK)
        slice_values = reference_slice_values(acknowledged, FRAMEWORK)
        value_mismatches = await _value_mismatches(database, values)
        value_mismatches += await _slice_mismatches(database, slice_values)
        scorecards = reference_scorecards(values, FRAMEWORK, CATALOG.qsmo_ids)
        card_mismatches: list[str] = []
        await _until(
            lambda: _cards_match(database, scorecards, card_mismatches), 120, "scorecards settle"
        )
        card_mismatches = await _card_mismatches(database, scorecards)
    finally:
        await mongo.close()
    for line in (
        "chaos summary",
        "| faults injected | events acknowledged | acknowledged events resent "
        "| requests retried | values checked (of them slices) | scorecards checked | mismatches |",
        "|---|---|---|---|---|---|---|",
        f"| {', '.join(f'{n}× {f}' for f, n in sorted(faults.items()))} | {distinct} "
        f"| {resent} ({resent / distinct:.1%}) | {sum(client.retries.values())} "
        f"({dict(client.retries)}) | {len(values) + len(slice_values)} ({len(slice_values)}) "
        f"| {len(scorecards)} "
        f"| {len(value_mismatches) + len(card_mismatches)} |",
    ):
        terminal_line(line)
    assert faults["kill measures"] >= 5
    assert resent >= 0.03 * distinct
    assert len(slice_values) > len(values)
    assert value_mismatches == []
    assert card_mismatches == []


async def _inject(
    stack: qsmo_stack.Stack,
    fault: str,
    client: Client,
    http: httpx.AsyncClient,
    events: list[dict[str, Any]],
) -> None:
    if fault == "kill measures":
        stack.kill("measures")
        stack.start_service("measures", wait=False)
    elif fault == "kill scorecard":
        stack.kill("scorecard")
        stack.start_service("scorecard", wait=False)
    elif fault == "stop kafka":
        stack.stop("kafka")
        # Ingest must refuse (503) while the broker is down; the client keeps retrying.
        key = json.loads(stack.plaintext_keys_file.read_text())["publishers"]["cybersecurity"]
        probe = {
            "event_id": "chaos-probe",
            "qsmo": "cybersecurity",
            "measure": "customer-engagement",
            "value": 1,
            "occurred_at": "2025-01-01T00:00:00+00:00",
        }
        response = await http.post(
            f"http://127.0.0.1:{stack.ports['ingest']}/v1/events",
            json=probe,
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        assert response.status_code == 503
        assert "Retry-After" in response.headers
        sender = asyncio.create_task(client.send(http, events[:200]))  # retried through the outage
        await asyncio.sleep(2)
        await asyncio.to_thread(stack.start_kafka)
        await sender
        # A 503 promises nothing either way (the broker may still get it), so a client resends.
        await client.send(http, [probe])
    elif fault == "stop store":
        stack.stop("mongo")
        await asyncio.sleep(2)
        await asyncio.to_thread(stack.start_mongo)


async def _at_least(database: Any, count: int) -> bool:
    return await _counted(database) >= count


async def _value_mismatches(
    database: Any, values: dict[tuple[str | None, str, int], float]
) -> list[str]:
    reader = MeasureValuesReader(database)
    problems = []
    for (qsmo, measure, year), expected in sorted(values.items(), key=str):
        aggregation = FRAMEWORK.measure(measure).aggregation
        reading = await reader.fiscal_value(qsmo, measure, aggregation, year)
        if reading.value != expected:
            problems.append(f"{qsmo} {measure} FY{year}: {reading.value} != {expected}")
    return problems


async def _slice_mismatches(database: Any, values: dict[SliceKey, float]) -> list[str]:
    reader = MeasureValuesReader(database)
    problems = []
    for (qsmo, label, measure, year), expected in sorted(values.items(), key=str):
        aggregation = FRAMEWORK.measure(measure).aggregation
        reading = await reader.fiscal_value(
            qsmo, measure, aggregation, year, slice=Slice.parse(label), qsmos=CATALOG.qsmo_ids
        )
        if reading.value != expected:
            problems.append(f"{qsmo} {label} {measure} FY{year}: {reading.value} != {expected}")
    return problems


async def _card_mismatches(database: Any, cards: dict[tuple[str | None, int], Any]) -> list[str]:
    reader = ScorecardReader(database)
    problems = []
    for (qsmo, year), expected in cards.items():
        view = await reader.current(year, qsmo)
        got = (
            None if view is None else (view.overall_score, {d.id: d.score for d in view.dimensions})
        )
        want = (expected.score, {d.id: d.score for d in expected.dimensions})
        if got != want:
            problems.append(f"{qsmo} FY{year}: {got} != {want}")
    return problems


async def _cards_match(
    database: Any, cards: dict[tuple[str | None, int], Any], _: list[str]
) -> bool:
    return not await _card_mismatches(database, cards)
