"""Rev. 2 against real Kafka and the real store: the daily re-score and the recompute command.

The consumer runs in-process with an injected clock, so the test moves the day; everything
else is real (broker, topics, consumer group, FerretDB, the Kafka publisher).
"""

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "scorecard"))
from scorecard_pipeline import (
    DEADLINE_S,
    ScorecardLane,
    eventually,
    publish_values,
    read_scorecard_changes,
)
from scorecard_support import value_message

from services.scorecard import documents as docs
from services.scorecard.consumer import ScorecardConsumer
from services.scorecard.handlers import ScorecardContext, process_values, recompute_all
from services.scorecard.metrics import ScorecardMetrics
from services.scorecard.publisher import InMemoryScorecardPublisher, KafkaScorecardPublisher
from services.scorecard.read_model import ScorecardReader
from services.scorecard.repository import MongoScorecardRepository
from shared.catalog import load_catalog
from shared.domain.framework_changes import FrameworkState
from shared.framework_log import MongoFrameworkLog
from shared.kafka import create_consumer, create_producer
from shared.tasks import cancel_and_wait

REPO = Path(__file__).resolve().parents[3]
ENGAGED = datetime(2026, 10, 14, tzinfo=UTC)


async def test_a_new_day_rescores_an_open_year_over_real_kafka_and_the_store(
    kafka_bootstrap: str, mongo_db: Any
) -> None:
    lane = ScorecardLane.new()
    await lane.create_topics(kafka_bootstrap)
    today = [datetime(2026, 11, 30, 9, tzinfo=UTC)]
    repository = MongoScorecardRepository(mongo_db)
    await repository.create_indexes()
    producer = create_producer(kafka_bootstrap)
    await producer.start()
    kafka = create_consumer(kafka_bootstrap, group_id=lane.group, max_poll_records=100)
    consumer = ScorecardConsumer(
        kafka,
        ScorecardContext(
            repository,
            KafkaScorecardPublisher(producer, lane.scorecards),
            load_catalog().framework(),
        ),
        MongoFrameworkLog(mongo_db),
        ScorecardMetrics(CollectorRegistry()),
        values_topic=lane.values,
        framework_topic=lane.framework,
        max_records=100,
        poll_timeout_ms=200,
        retry_backoff_s=0.2,
        framework_check_s=1,
        status_refresh_s=60,
        clock=lambda: today[0],
    )
    task = asyncio.create_task(consumer.run())
    reader = ScorecardReader(mongo_db, clock=lambda: today[0])
    try:
        await publish_values(
            kafka_bootstrap,
            lane.values,
            [
                value_message(
                    "grants-management", "customer-engagement", 2027, [3, 4], first_at=ENGAGED
                )
            ],
        )

        async def first() -> Any:
            return await reader.current(2027, "grants-management")

        view = await eventually(first, DEADLINE_S, "the FY2027 scorecard")
        assert view.measure("customer-engagement").status == "GREEN"  # 7 of 6.68 expected
        assert view.measure("customer-engagement").target == pytest.approx(40 * 61 / 365)

        today[0] = datetime(2026, 12, 5, 0, 1, tzinfo=UTC)  # 7 of 7.23 expected: AMBER

        async def rescored() -> Any:
            found = await reader.history(2027, "grants-management")
            return found if found[0].cause == "rescore" else None

        history = await eventually(rescored, DEADLINE_S, "the 5 Dec re-score version")
        assert [v.version for v in history] == [2, 1]  # history stays append-only
        assert history[0].measure("customer-engagement").status == "AMBER"
        assert history[1].measure("customer-engagement").status == "GREEN"
        changes = await read_scorecard_changes(kafka_bootstrap, lane.scorecards, 2)
        assert [(c.version, c.cause) for c in changes] == [(1, "new_data"), (2, "rescore")]
        moved = [t for t in changes[1].transitions if t.measure == "customer-engagement"]
        assert [(t.from_status, t.to_status) for t in moved] == [("GREEN", "AMBER")]

        # The day's marks are saved after the re-scored versions: poll for them too.
        async def marked() -> set[int] | None:
            marks = await mongo_db[docs.PARTITIONS].find({"_id": {"$regex": "^rescored"}}).to_list()
            days = {m["framework_seq"] for m in marks}
            return days if days == {today[0].date().toordinal()} else None

        await eventually(marked, DEADLINE_S, "every partition marked as re-scored on 5 Dec")
    finally:
        await cancel_and_wait(task)
        await producer.stop()


async def test_recompute_writes_rules_revision_versions_once_on_the_real_store(
    mongo_db: Any,
) -> None:
    repository = MongoScorecardRepository(mongo_db)
    await repository.create_indexes()
    publisher = InMemoryScorecardPublisher()
    context = ScorecardContext(repository, publisher, load_catalog().framework())
    # A version as a pre-rev. 2 service stored it: FY2026 government-wide engagement judged
    # against one QSMO's 40, without annual target, reference time or participants.
    state = FrameworkState()
    inputs = [
        value_message(q, "customer-engagement", 2026, [40], scope=scope)
        for q in ("cybersecurity", "grants-management")
        for scope in ("qsmo", "government")
    ]
    await process_values(inputs, context=context, state=state, now=datetime(2026, 6, 1, tzinfo=UTC))
    for collection in (docs.VERSIONS, docs.CURRENT):
        await mongo_db[collection].update_many(
            {},
            {
                "$unset": {
                    "reference_time": "",
                    "participants": "",
                    "rules_revision": "",
                    "open": "",
                    "elapsed_share": "",
                }
            },
        )
    government = "FY2026|government"
    await mongo_db[docs.CURRENT].update_one(
        {"_id": government},
        {"$set": {"dimensions.0.measures.0.target": 40.0, "overall_status": "GREEN"}},
    )
    await mongo_db[docs.VERSIONS].update_one(
        {"_id": f"{government}|1"},
        {"$set": {"dimensions.0.measures.0.target": 40.0, "overall_status": "GREEN"}},
    )
    old = await ScorecardReader(mongo_db).history(2026, None)
    assert old[0].rules_revision == 1  # old documents still read

    now = datetime(2026, 12, 1, tzinfo=UTC)
    report = await recompute_all(context=context, state=state, now=now)
    assert sorted(v.view.scorecard_id for v in report.versions) == [
        "FY2026|cybersecurity",
        "FY2026|government",
        "FY2026|grants-management",
    ]
    reader = ScorecardReader(mongo_db, clock=lambda: now)
    history = await reader.history(2026, None)
    assert [v.version for v in history] == [2, 1]  # the old version stays
    latest = history[0]
    assert (latest.cause, latest.cause_detail.reason) == ("rules_revision", "rules-revision-2")
    assert latest.rules_revision == 2
    assert latest.measure("customer-engagement").target == 4 * 40  # Σ of the QSMOs' targets
    government = await reader.current(2026, None)
    assert government is not None
    counts = government.measure("customer-engagement").qsmo_status_counts
    assert counts is not None
    assert (counts.green, counts.amber, counts.red, counts.no_data) == (2, 0, 0, 2)
    again = await recompute_all(context=context, state=state, now=now)
    assert again.versions == []  # idempotent
    assert await mongo_db[docs.VERSIONS].count_documents({}) == 6


async def test_the_documented_recompute_command_runs_against_the_real_store(
    kafka_bootstrap: str, mongo_url: str, mongo_db: Any
) -> None:
    """docs/scorecard.md's command, as an operator runs it: a second run writes nothing."""
    repository = MongoScorecardRepository(mongo_db)
    context = ScorecardContext(repository, InMemoryScorecardPublisher(), load_catalog().framework())
    message = value_message("cybersecurity", "customer-engagement", 2026, [40])
    await process_values(
        [message], context=context, state=FrameworkState(), now=datetime(2026, 6, 1, tzinfo=UTC)
    )
    await mongo_db[docs.CURRENT].update_many({}, {"$unset": {"rules_revision": ""}})
    command = "python -m services.scorecard recompute"
    assert command in (REPO / "docs" / "scorecard.md").read_text()
    env = {
        **os.environ,
        "QSMO_MONGO_URL": mongo_url,
        "QSMO_MONGO_DB": mongo_db.name,
        "QSMO_KAFKA_BOOTSTRAP": kafka_bootstrap,
    }
    runs = []
    for _ in range(2):
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.scorecard", "recompute"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0]["changed"] == ["FY2026|cybersecurity"]
    assert runs[1]["versions"] == 0
    latest = await ScorecardReader(mongo_db).history(2026, "cybersecurity")
    assert (latest[0].version, latest[0].cause) == (2, "rules_revision")
