"""FRAMEWORK.md rev. 2 notifications through real Kafka and the real store.

* A backfill of closed years plus the open year, consumed by the real service (in process,
  with an injected clock): no status notification for years closed more than 45 days ago,
  and no stale notice while the measures consumer lags — nor after, for the data the
  backfill brought.
* Restatements of a long-closed year coalesce into one ``restated`` notice a day.

Digests: ``test_notifications_digest.py``.
"""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import qsmo_stack
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from notifications_lane import NotificationsLane, eventually, publish
from notifications_messages import red_measure
from prometheus_client import CollectorRegistry

from services.notifications.bootstrap import NotificationsService
from services.notifications.handlers import NotificationEngine, RuleSettings
from services.notifications.lag import KafkaLagProbe, pipeline_lanes
from services.notifications.metrics import NotificationsMetrics
from services.notifications.ports import RawRecord
from services.notifications.publisher import InMemoryNotificationPublisher
from services.notifications.read_model import NotificationReader
from services.notifications.repository import MongoNotificationStore
from services.notifications.settings import NotificationsSettings
from services.notifications.signals import Names
from shared.api_keys import Principal, Role
from shared.catalog import load_catalog
from shared.events import MeasureQuality, ScorecardChanged, StatusTransition
from shared.settings import PlatformSettings

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
"""Two months into FY2027: FY2024–FY2026 are closed more than 45 days."""
ADMIN = Principal(key_id="dev-admin", role=Role.ADMIN)
VIEWER = Principal(key_id="dev-viewer", role=Role.VIEWER)


def quality(measure: str, dimension: str, last: datetime) -> MeasureQuality:
    return MeasureQuality(
        measure=measure,
        dimension=dimension,
        status="RED",
        value=1.0,
        target=4.0,
        event_count=12,
        restated_count=0,
        last_event_at=last,
        last_ingested_at=NOW,
        reporting_frequency_days=31,
        stale=False,
    )


def backfilled(year: int, measures: list[MeasureQuality]) -> ScorecardChanged:
    """FY ``year`` of cybersecurity, first computed: customer satisfaction NO_DATA → RED."""
    return ScorecardChanged(
        scorecard_id=f"FY{year}|cybersecurity",
        fiscal_year=year,
        qsmo="cybersecurity",
        version=1,
        phase=1,
        computed_at=NOW,
        cause="new_data",
        overall_score=20.0,
        overall_status="RED",
        transitions=[
            StatusTransition(
                level="measure",
                dimension="customer",
                measure="customer-satisfaction",
                from_status="NO_DATA",
                to_status="RED",
                to_score=1.0,
                target=4.0,
            )
        ],
        measures=measures,
    )


async def commit_to_end(bootstrap: str, topic: str, group: str) -> None:
    """Make ``group`` look caught up on ``topic`` (what the measures service does when done)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(3)]  # NotificationsLane's partitions
        consumer.assign(tps)
        await consumer.commit(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


async def test_a_backfill_raises_status_only_for_the_open_year_and_no_stale_notice(
    stack: qsmo_stack.Stack, kafka_bootstrap: str, mongo_db: Any
) -> None:
    lane = NotificationsLane.new()
    await lane.create_topics(kafka_bootstrap)
    # The backfill's events, not yet consumed by the measures service: it lags.
    await publish(kafka_bootstrap, lane.events, [(b"cybersecurity", red_measure())] * 5)
    settings = NotificationsSettings(
        scorecards_topic=lane.scorecards,
        dlq_topic=lane.dlq,
        notifications_topic=lane.notifications,
        group_id=lane.group,
        events_topic=lane.events,
        values_topic=lane.values,
        measures_group_id=lane.measures_group,
        scorecard_group_id=lane.scorecard_group,
        poll_timeout_ms=200,
        sweep_interval_s=0.2,
        cooldown_s=0,
    )
    platform = PlatformSettings(
        mongo_url=stack.mongo_url,
        mongo_db=mongo_db.name,
        kafka_bootstrap=kafka_bootstrap,
        api_keys_file=stack.api_keys_file,
    )
    service = NotificationsService(settings, platform, clock=lambda: NOW)
    observer = KafkaLagProbe(
        kafka_bootstrap,
        pipeline_lanes(
            lane.group,
            measures_group=lane.measures_group,
            events_topic=lane.events,
            scorecard_group=lane.scorecard_group,
            values_topic=lane.values,
            scorecards_topic=lane.scorecards,
        ),
    )
    reader = NotificationReader(mongo_db)
    backfill = [
        backfilled(
            year, [quality("customer-satisfaction", "customer", datetime(year, 8, 1, tzinfo=UTC))]
        )
        for year in (2024, 2025, 2026)
    ]
    backfill.append(
        backfilled(
            2027,
            [
                quality("customer-satisfaction", "customer", NOW - timedelta(days=3)),
                quality("customer-engagement", "customer", NOW - timedelta(days=60)),
            ],
        )
    )

    async def sweeps_after(moment: float) -> bool:
        value = service.registry.get_sample_value("qsmo_notifications_last_sweep_timestamp_seconds")
        return value is not None and value > moment

    await service.start()
    try:
        await publish(
            kafka_bootstrap, lane.scorecards, [(m.scorecard_id.encode(), m) for m in backfill]
        )

        seen: list[dict[str, int]] = []

        async def only_measures_lags() -> dict[str, int] | None:
            try:
                lags = await observer.lags()
            except KafkaError:  # the group coordinator may still be starting up
                return None
            seen.append(lags)
            own = lags[f"{lane.group}@{lane.scorecards}"]
            return lags if own == 0 and lags[f"{lane.measures_group}@{lane.events}"] == 5 else None

        try:
            await eventually(only_measures_lags, 60, "the backfill consumed while measures lags")
        except AssertionError as error:
            raise AssertionError(f"{error}; lags seen last: {seen[-1:]}") from None
        moment = time.time()
        await eventually(lambda: sweeps_after(moment), 10, "a sweep while measures lags")
        found = list(await reader.list(None, 50, None))
        assert [(n.rule, n.fiscal_year) for n in found] == [("status_degraded", 2027)]

        await commit_to_end(kafka_bootstrap, lane.events, lane.measures_group)

        async def stale_notices() -> list[Any]:
            return [n for n in await reader.list(None, 50, None) if n.rule == "measure_stale"]

        (stale,) = await eventually(stale_notices, 30, "the sweep judging once caught up")
        # Only the measure that really is silent (60 days, monthly); not the one the backfill
        # brought up to date, whatever its older years said.
        assert stale.measure == "customer-engagement"
        assert "(60 days;" in stale.message
        moment = time.time()
        await eventually(lambda: sweeps_after(moment), 10, "one more sweep")
        final = sorted(
            (n.rule, n.fiscal_year, n.measure) for n in await reader.list(None, 50, None)
        )
        assert final == [
            ("measure_stale", 2027, "customer-engagement"),
            ("status_degraded", 2027, "customer-satisfaction"),
        ]
    finally:
        await service.stop()
        await observer.close()


def _restatement(version: int, value: float, cause: str) -> ScorecardChanged:
    measure = quality("customer-satisfaction", "customer", datetime(2024, 9, 1, tzinfo=UTC))
    measure = measure.model_copy(update={"value": value, "restated_count": version - 1})
    message = backfilled(2024, [measure]).model_copy(
        update={"version": version, "cause": cause, "transitions": []}
    )
    return message


async def test_restatements_of_a_long_closed_year_coalesce_in_the_real_store(mongo_db: Any) -> None:
    store = MongoNotificationStore(mongo_db)
    await store.create_indexes()
    engine = NotificationEngine(
        store,
        InMemoryNotificationPublisher(),
        Names.from_catalog(load_catalog()),
        RuleSettings("scorecards", "dlq", timedelta(0), 10, timedelta(minutes=5), 3),
        NotificationsMetrics(CollectorRegistry()),
    )

    async def process(message: ScorecardChanged, at: datetime) -> Any:
        record = RawRecord(
            "scorecards", 0, message.version, None, message.model_dump_json().encode()
        )
        return await engine.process([record], at)

    assert (await process(_restatement(1, 4.2, "new_data"), NOW)).raised == []
    (notice,) = (await process(_restatement(2, 3.9, "restatement"), NOW)).raised
    again = await process(_restatement(3, 3.5, "restatement"), NOW + timedelta(hours=2))
    assert again.raised == []
    assert again.updated == [notice.id]
    (stored,) = await NotificationReader(mongo_db).list(None, 10, None)
    assert (stored.id, stored.rule, stored.changed_measures) == (
        notice.id,
        "restated",
        ("customer-satisfaction",),
    )
    assert stored.raised_at == notice.raised_at
