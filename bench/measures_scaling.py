"""How the measures service scales: instances (1, 2, 3) and events per day per key.

- Instances: the same pre-filled topic (6 partitions) drained by 1, 2 and 3 instances of
  one consumer group into one database; events/s to durable values.
- Density: the same number of events spread over fewer days, i.e. more events per
  (QSMO, measure, day) key. Each new day is a new state document, so sparse data costs more
  store writes per event than dense data.
Each figure is the median of RUNS runs; the baseline of each series is its first point.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.harness import Figure, private_stack, qsmo_stack, report
from bench.workload import backfill_events as _events
from bench.workload import counted_events as _counted
from bench.workload import fill_topic as _fill

EVENTS = int(os.environ.get("QSMO_BENCH_SCALING_EVENTS", "30000"))
RUNS = int(os.environ.get("QSMO_BENCH_RUNS", "3"))
STALL_S = 300
"""A drain slower than this is reported as stalled (FerretDB can stall with several writers)."""


async def _drain(stack: qsmo_stack.Stack, topic: str, instances: int, total: int) -> float:
    database = f"scale_{uuid.uuid4().hex[:6]}"
    env = {
        "QSMO_MONGO_DB": database,
        "QSMO_MEASURES_EVENTS_TOPIC": topic,
        "QSMO_MEASURES_GROUP_ID": database,
    }
    labels = [f"-scale{i}" for i in range(instances)]
    started = time.perf_counter()
    for label in labels:
        stack.start_service(
            "measures",
            extra_env={**env, "QSMO_MEASURES_PORT": str(qsmo_stack.free_port())},
            instance=label,
        )
    try:
        deadline = time.monotonic() + STALL_S
        while await _counted(stack.mongo_url, database) < total:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{instances} instance(s) did not drain {total:,} events in {STALL_S} s"
                )
            await asyncio.sleep(0.5)
        return total / (time.perf_counter() - started)
    finally:
        for label in labels:
            stack.stop(f"measures{label}")


def _dense(count: int, days: int) -> list:  # type: ignore[type-arg]
    now = datetime.now(UTC)
    events = _events(count, now)
    span = timedelta(days=days).total_seconds()
    return [
        e.model_copy(
            update={"occurred_at": now - timedelta(seconds=(i * 7919 % count) / count * span)}
        )
        for i, e in enumerate(events)
    ]


def main() -> None:
    figures = []
    with private_stack() as stack:
        topic = f"bench.scale.{uuid.uuid4().hex[:6]}"
        asyncio.run(_fill(stack.kafka_bootstrap, topic, _events(EVENTS, datetime.now(UTC))))
        by_instances: dict[int, list[float]] = {}
        for n in (1, 2, 3):
            try:
                by_instances[n] = [
                    asyncio.run(_drain(stack, topic, n, EVENTS)) for _ in range(RUNS)
                ]
            except TimeoutError as stalled:
                print(f"   stalled: {stalled} (see bench/NOTES.md)", flush=True)
        for n in by_instances:
            figures.append(
                Figure(
                    f"measures, {n} instance(s), {EVENTS:,} events",
                    "events/s",
                    by_instances[n],
                    "1 instance",
                    by_instances[1],
                )
            )
        by_density = {}
        for days in (90, 9, 1):
            dense_topic = f"bench.dense{days}.{uuid.uuid4().hex[:6]}"
            asyncio.run(_fill(stack.kafka_bootstrap, dense_topic, _dense(EVENTS, days)))
            by_density[days] = [
                asyncio.run(_drain(stack, dense_topic, 1, EVENTS)) for _ in range(RUNS)
            ]
        keys = 4 * 19
        for days in (90, 9, 1):
            per_key_day = EVENTS / (keys * days)
            figures.append(
                Figure(
                    f"measures, ~{per_key_day:,.0f} events per key per day ({days} days)",
                    "events/s",
                    by_density[days],
                    "90 days",
                    by_density[90],
                )
            )
    report("measures_scaling", figures)


if __name__ == "__main__":
    main()
