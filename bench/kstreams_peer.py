"""The Kafka Streams peer: events/s from a pre-filled topic to queryable, committed state.

The peer (``bench/kstreams``, see its README) computes what the measures service keeps — per
(QSMO, measure, fiscal year / fiscal quarter / UTC day) count, exact sum, min, max and latest
— with ``processing.guarantee=exactly_once_v2`` and RocksDB stores with changelogs, on the
private stack's broker. Per run: a fresh ``application.id`` and state directory; the clock
runs from starting the JVM until (a) its interactive query answers that the fiscal-year store
counts all EVENTS events and (b) the application's committed offsets reach the end of the
topic (the transaction holding the last state changes is committed). Median of RUNS runs.

``bench.end_to_end`` runs the same measurement in its own run, as the baseline of the
end-to-end figure; ``python -m bench kstreams_peer`` runs it alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from aiokafka.admin import AIOKafkaAdminClient

from bench.harness import REPO, Figure, private_stack, qsmo_stack, report
from bench.workload import backfill_events, fill_topic
from shared.domain.fiscal import fiscal_quarter_of, to_utc
from shared.events import AcceptedEvent

EVENTS = int(os.environ.get("QSMO_BENCH_KSTREAMS_EVENTS", "200000"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
PROJECT = REPO / "bench" / "kstreams"
JAR = PROJECT / "target" / "kstreams-peer.jar"
LIB = PROJECT / "target" / "lib"
MAIN_CLASS = "gov.gsa.qsmo.bench.MeasuresPeer"
PEER_NAME = "Kafka Streams peer (exactly_once_v2, RocksDB + changelogs), topic → queryable state"


def build_jar() -> Path:
    """``mvn -q -B package`` in bench/kstreams unless the jar is newer than its sources."""
    sources = [PROJECT / "pom.xml", *PROJECT.joinpath("src").rglob("*")]
    newest = max(p.stat().st_mtime for p in sources if p.is_file())
    if JAR.exists() and LIB.is_dir() and JAR.stat().st_mtime >= newest:
        return JAR
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("the Kafka Streams peer needs Maven (mvn) and Java 17: install both")
    print("   building the Kafka Streams peer (mvn -q -B package) …", flush=True)
    result = subprocess.run(
        [mvn, "-q", "-B", "-f", str(PROJECT / "pom.xml"), "package"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"building bench/kstreams failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return JAR


def peer_query(port: int, path: str = "/count") -> dict[str, object] | None:
    """The peer's HTTP answer as JSON, or None while it does not answer 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            answer: dict[str, object] = json.loads(response.read())
            return answer
    except (OSError, urllib.error.URLError, ValueError):
        return None


async def committed_offsets(bootstrap: str, group_id: str, topic: str) -> int:
    """The sum of ``group_id``'s committed offsets on ``topic`` (0 before its first commit)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group_id)
        return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic)
    finally:
        await admin.close()


def period_keys(event: AcceptedEvent) -> tuple[str, str, str]:
    """The keys of ``event``'s fiscal-year, fiscal-quarter and day aggregates (as the service's)."""
    at = to_utc(event.occurred_at)
    year, quarter = fiscal_quarter_of(at)
    stream = f"{event.qsmo}|{event.measure}"
    return (
        f"{stream}|fiscal_year|FY{year}",
        f"{stream}|fiscal_quarter|FY{year} Q{quarter}",
        f"{stream}|day|{at.date().isoformat()}",
    )


def check_aggregates(port: int, events: list[AcceptedEvent]) -> None:
    """Compare the peer's aggregates with the events themselves; RuntimeError on a difference.

    Every fiscal-year and fiscal-quarter aggregate (the workload's 90 days cross a fiscal
    year's start, so the calendar's boundaries are checked), and the day aggregates of the
    first event's stream: count, the exact sum (each double's exact value, as the peer's
    ``BigDecimal``), min, max and latest (greatest ``occurred_at``).
    """
    groups: dict[str, list[AcceptedEvent]] = {}
    for event in events:
        for key in period_keys(event):
            groups.setdefault(key, []).append(event)
    first_stream = f"{events[0].qsmo}|{events[0].measure}|day|"
    checked = [k for k in groups if "|day|" not in k or k.startswith(first_stream)]
    years = sum(1 for k in groups if "|fiscal_year|" in k)
    answer = peer_query(port)
    if answer is None or answer.get("keys") != years:
        raise RuntimeError(f"the peer has {answer} fiscal-year aggregates, the events {years}")
    for key in checked:
        mine = groups[key]
        expected = {
            "count": len(mine),
            "sum_exact": sum((Fraction(e.value) for e in mine), Fraction(0)),
            "min": min(e.value for e in mine),
            "max": max(e.value for e in mine),
            "latest": max(mine, key=lambda e: e.occurred_at).value,
        }
        got = _aggregate(port, key)
        if got != expected:
            raise RuntimeError(f"the peer's {key} is {got}, the events give {expected}")


def _aggregate(port: int, key: str) -> dict[str, object] | None:
    answer = peer_query(port, "/aggregate?key=" + urllib.parse.quote(key))
    if answer is None:
        return None
    latest = answer["latest"]
    return {
        "count": answer["count"],
        "sum_exact": Fraction(Decimal(str(answer["sum_exact"]))),
        "min": answer["min"],
        "max": answer["max"],
        "latest": latest["value"] if isinstance(latest, dict) else None,
    }


class PeerRun(NamedTuple):
    """One run of the peer: events/s from starting the JVM, and from its stores being queryable."""

    rate: float
    running_rate: float


def peer_rate(
    stack: qsmo_stack.Stack,
    topic: str,
    events: list[AcceptedEvent],
    run: int,
) -> PeerRun:
    """Start a fresh peer on ``topic`` (holding ``events``); events/s until all are committed state.

    ``rate`` counts from starting the JVM (the figure); ``running_rate`` from the first
    answer of its interactive query (JVM start, group join and opening the stores excluded).

    Before stopping the peer, checks its aggregates against the events (``check_aggregates``).
    """
    total = len(events)
    application_id = f"qsmo-bench-peer-{uuid.uuid4().hex[:8]}"
    state_dir = stack.home / "kstreams" / application_id
    state_dir.mkdir(parents=True)
    port = qsmo_stack.free_port()
    java = shutil.which("java") or "java"
    argv = [
        java,
        "-Xms256m",
        "-Xmx1g",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp",
        f"{JAR}:{LIB}/*",
        MAIN_CLASS,
        *("--bootstrap", stack.kafka_bootstrap, "--topic", topic),
        *("--application-id", application_id, "--state-dir", str(state_dir)),
        *("--port", str(port)),
    ]
    label = f"kstreams-peer{run}"
    deadline = time.monotonic() + max(180.0, total / 200)
    started = time.perf_counter()
    stack.spawn(label, argv)
    queryable: float | None = None
    try:
        while True:
            answer = peer_query(port)
            if answer is not None and queryable is None:
                queryable = time.perf_counter() - started
            if (
                answer is not None
                and answer.get("count") == total
                and asyncio.run(committed_offsets(stack.kafka_bootstrap, application_id, topic))
                == total
            ):
                elapsed = time.perf_counter() - started
                print(
                    f"   peer: queryable after {queryable:.1f} s (JVM start, group join, "
                    f"stores open), every event committed after {elapsed:.1f} s",
                    flush=True,
                )
                check_aggregates(port, events)
                running = elapsed - (queryable or 0.0)
                return PeerRun(total / elapsed, total / running if running > 0 else 0.0)
            if not stack.running(label):
                raise RuntimeError(f"the peer stopped; see {stack.logs / (label + '.log')}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the peer counted {answer} of {total} events before the deadline; "
                    f"see {stack.logs / (label + '.log')}"
                )
            time.sleep(0.2)
    finally:
        stack.stop(label)
        shutil.rmtree(state_dir, ignore_errors=True)


def prefill(stack: qsmo_stack.Stack, total: int) -> tuple[str, list[AcceptedEvent]]:
    """Build the peer; a new topic filled with ``total`` backfill events: the topic and events."""
    build_jar()
    topic = f"bench.kstreams.{uuid.uuid4().hex[:6]}"
    print(f"   filling {topic} with {total:,} events …", flush=True)
    events = backfill_events(total, datetime.now(UTC))
    asyncio.run(fill_topic(stack.kafka_bootstrap, topic, events))
    return topic, events


def measure_peer(stack: qsmo_stack.Stack, total: int, runs: int) -> list[PeerRun]:
    """The peer's runs (``runs`` of them) on a topic pre-filled with ``total`` events."""
    topic, events = prefill(stack, total)
    results = []
    for run in range(runs):
        results.append(peer_rate(stack, topic, events, run))
        print(f"   run {run + 1}: Kafka Streams peer {results[-1].rate:,.0f} events/s", flush=True)
    return results


def peer_figures(total: int, runs: list[PeerRun]) -> list[Figure]:
    """The peer's figure (from JVM start) and, for reference, its rate once running."""
    return [
        Figure(f"{PEER_NAME}, {total:,} events", "events/s", [r.rate for r in runs]),
        Figure(
            f"Kafka Streams peer once its stores are queryable (start excluded), {total:,} events",
            "events/s",
            [r.running_rate for r in runs],
        ),
    ]


def main() -> None:
    with private_stack(mongo=False) as stack:
        runs = measure_peer(stack, EVENTS, RUNS)
    report("kstreams_peer", peer_figures(EVENTS, runs))


if __name__ == "__main__":
    main()
