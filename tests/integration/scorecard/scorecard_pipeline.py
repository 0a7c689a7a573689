"""Helpers for driving the real scorecard service: private topics and database per lane."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import qsmo_stack

from shared.codecs import encode
from shared.events import MeasureValueChanged, ScorecardChanged
from shared.kafka import create_consumer, create_producer, ensure_topics

DEADLINE_S = 90.0
"""How long a test waits for the pipeline (a deadline: polls return as soon as it is done).
Generous because other suites share this 2-core machine."""
START_S = 120.0


@dataclass(frozen=True)
class ScorecardLane:
    """Private values, framework and scorecards topics, a consumer group and a database."""

    values: str
    framework: str
    scorecards: str
    group: str
    database: str

    @classmethod
    def new(cls) -> ScorecardLane:
        tag = uuid.uuid4().hex[:8]
        return cls(
            f"t.values.{tag}",
            f"t.framework.{tag}",
            f"t.scorecards.{tag}",
            f"scorecard-{tag}",
            f"s_{tag}",
        )

    def env(self, port: int) -> dict[str, str]:
        return {
            "QSMO_MONGO_DB": self.database,
            "QSMO_SCORECARD_PORT": str(port),
            "QSMO_SCORECARD_VALUES_TOPIC": self.values,
            "QSMO_SCORECARD_FRAMEWORK_TOPIC": self.framework,
            "QSMO_SCORECARD_SCORECARDS_TOPIC": self.scorecards,
            "QSMO_SCORECARD_GROUP_ID": self.group,
            "QSMO_SCORECARD_POLL_TIMEOUT_MS": "200",
        }

    async def create_topics(self, bootstrap: str, partitions: int = 6) -> None:
        await ensure_topics(
            bootstrap, partitions, names=(self.values, self.framework, self.scorecards)
        )


def start_scorecard(stack: qsmo_stack.Stack, lane: ScorecardLane, instance: str) -> int:
    """Start one scorecard instance as a real subprocess; returns its HTTP port."""
    port = qsmo_stack.free_port()
    stack.start_service("scorecard", extra_env=lane.env(port), instance=instance, timeout_s=START_S)
    return port


async def publish_values(
    bootstrap: str, topic: str, messages: Sequence[MeasureValueChanged]
) -> None:
    """Publish as the measures service does: keyed by QSMO, or ``government``; wait for acks."""
    producer = create_producer(bootstrap)
    await producer.start()
    try:
        futures = [
            await producer.send(
                topic,
                encode(m),
                key=(b"government" if m.scope == "government" else m.qsmo.encode()),
            )
            for m in messages
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def read_scorecard_changes(
    bootstrap: str, topic: str, wanted: int, timeout_s: float = 30
) -> list[ScorecardChanged]:
    """Read the topic from the start until ``wanted`` messages arrived (or the deadline)."""
    consumer = create_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    found: list[ScorecardChanged] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(found) < wanted and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            found += [
                ScorecardChanged.model_validate_json(r.value) for rs in batch.values() for r in rs
            ]
    finally:
        await consumer.stop()
    return found


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float, what: str) -> Any:
    """Poll ``check`` until it returns a truthy value; fail naming ``what`` after the deadline."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout_s} s (last: {last!r})")
