"""Has the pipeline caught up? The stale sweep runs only when it has (FRAMEWORK.md rev. 2).

Staleness is judged from the newest ``occurred_at`` the notifications service has seen per
(QSMO, measure); while events are still on their way (a backfill, a restart after an outage)
that newest time is older than the truth, and judging it would raise stale notices for data
the same backfill brings. So the sweep first asks a ``LagProbe``.

``KafkaLagProbe`` reads, with Kafka's admin and consumer APIs, the committed offsets of each
``Lane`` (consumer group, topic) against the topic's end offsets: the ``measures`` group on
``qsmo.events.v1`` (the issue's "measures consumer"), and — because a freshness fact reaches
this service only through a scorecard — the ``scorecard`` group on
``qsmo.measure-values.v1`` and this service's own group on ``qsmo.scorecards.v1``. The
pipeline has caught up when every lane's lag is 0. A partition a group never committed counts
from the partition's first offset. A probe that cannot reach Kafka says "not caught up": no
stale notice is better than a wrong one (the next sweep asks again).

Chosen over a watermark published by the measures service: the offsets already exist, are
exact, cost no change to the measures service, and cover the scorecard stage too.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared import topics
from shared.tasks import raise_if_cancelled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lane:
    """A consumer group reading a topic."""

    group: str
    topic: str


def pipeline_lanes(
    notifications_group: str,
    *,
    measures_group: str = "measures",
    events_topic: str = topics.EVENTS,
    scorecard_group: str = "scorecard",
    values_topic: str = topics.MEASURE_VALUES,
    scorecards_topic: str = topics.SCORECARDS,
) -> tuple[Lane, ...]:
    """The lanes an event travels before its freshness reaches this service."""
    return (
        Lane(measures_group, events_topic),
        Lane(scorecard_group, values_topic),
        Lane(notifications_group, scorecards_topic),
    )


def lane_lag(
    committed: Mapping[int, int | None], beginnings: Mapping[int, int], ends: Mapping[int, int]
) -> int:
    """Records behind the end over every partition of ``ends`` (pure). A partition without a
    committed offset counts from its beginning."""
    lag = 0
    for partition, end in ends.items():
        position = committed.get(partition)
        if position is None:
            position = beginnings.get(partition, 0)
        lag += max(0, end - position)
    return lag


class LagProbe(Protocol):
    async def lags(self) -> dict[str, int]:
        """Records behind per lane (``group@topic``); raises when it cannot tell."""

    async def close(self) -> None: ...


class CaughtUp:
    """A probe for tests and single-stage setups: never lagging."""

    async def lags(self) -> dict[str, int]:
        return {}

    async def close(self) -> None:
        return None


async def caught_up(probe: LagProbe) -> tuple[bool, dict[str, int]]:
    """``(True, lags)`` when every lane is at its end; ``(False, {})`` when the probe fails."""
    try:
        lags = await probe.lags()
    except Exception as error:
        raise_if_cancelled(error)
        log.warning("could not read consumer lags; the stale sweep waits", exc_info=True)
        return False, {}
    return all(lag == 0 for lag in lags.values()), lags


UNKNOWN_TOPIC = 3


async def _partitions(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, list[int]]:
    """Partition numbers per existing topic (an unknown topic is left out; other errors raise)."""
    found: dict[str, list[int]] = {}
    for topic in await admin.describe_topics(names):
        code = topic["error_code"]
        if code == UNKNOWN_TOPIC:
            continue
        if code != 0:
            raise RuntimeError(f"metadata of topic {topic['topic']!r}: Kafka error code {code}")
        found[topic["topic"]] = sorted(p["partition"] for p in topic["partitions"])
    return found


class KafkaLagProbe:
    """Consumer-group lags read from Kafka (clients started on first use, kept open)."""

    def __init__(self, bootstrap: str, lanes: Sequence[Lane], **options: Any) -> None:
        self._bootstrap = bootstrap
        self._lanes = tuple(lanes)
        self._options = options
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._consumer is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap, request_timeout_ms=10_000, **self._options
            )
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap, enable_auto_commit=False, **self._options
            )
            await admin.start()
            try:
                await consumer.start()
            except BaseException:
                await admin.close()
                raise
            self._admin, self._consumer = admin, consumer
        return self._admin, self._consumer

    async def lags(self) -> dict[str, int]:
        admin, consumer = await self._clients()
        partitions = await _partitions(admin, sorted({lane.topic for lane in self._lanes}))
        result: dict[str, int] = {}
        for lane in self._lanes:
            tps = [TopicPartition(lane.topic, p) for p in partitions.get(lane.topic, ())]
            if not tps:  # no such topic: nothing was ever written to it
                result[f"{lane.group}@{lane.topic}"] = 0
                continue
            offsets = await admin.list_consumer_group_offsets(lane.group, partitions=tps)
            committed = {
                tp.partition: (meta.offset if meta.offset >= 0 else None)
                for tp, meta in offsets.items()
            }
            beginnings = await consumer.beginning_offsets(tps)
            ends = await consumer.end_offsets(tps)
            result[f"{lane.group}@{lane.topic}"] = lane_lag(
                committed,
                {tp.partition: o for tp, o in beginnings.items()},
                {tp.partition: o for tp, o in ends.items()},
            )
        return result

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._admin is not None:
            await self._admin.close()
        self._admin = self._consumer = None
