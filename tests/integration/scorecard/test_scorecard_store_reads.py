"""The handlers against the real store, read back through ScorecardReader (no broker)."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "scorecard"))
from scorecard_support import both_scopes

from gateway.framework_admin import FrameworkAdmin
from gateway.framework_announcer import InMemoryFrameworkAnnouncer
from services.scorecard.handlers import (
    ScorecardContext,
    apply_framework_changes,
    process_values,
)
from services.scorecard.publisher import InMemoryScorecardPublisher
from services.scorecard.read_model import ScorecardReader
from services.scorecard.repository import MongoScorecardRepository
from shared.catalog import load_catalog
from shared.framework_log import MongoFrameworkLog

T0 = datetime(2025, 10, 10, 9, tzinfo=UTC)
"""After FY2025 closed: its versions are judged against whole annual targets at any time."""


async def test_history_as_of_diff_phase_and_all_current_on_the_real_store(mongo_db: Any) -> None:
    repository = MongoScorecardRepository(mongo_db)
    await repository.create_indexes()
    context = ScorecardContext(repository, InMemoryScorecardPublisher(), load_catalog().framework())
    store = FrameworkAdmin(MongoFrameworkLog(mongo_db), InMemoryFrameworkAnnouncer())
    state = await store.state()
    await process_values(
        [
            *both_scopes("cybersecurity", "customer-engagement", 2025, [20]),
            *both_scopes("cybersecurity", "return-on-investment", 2025, [15], aggregation="latest"),
            *both_scopes("grants-management", "customer-engagement", 2025, [40]),
        ],
        context=context,
        state=state,
        now=T0,
    )
    await process_values(
        both_scopes("cybersecurity", "customer-engagement", 2025, [20, 16], restated=True),
        context=context,
        state=state,
        now=T0 + timedelta(hours=1),
    )
    change = await store.set_target(
        "customer-engagement", 36, qsmo="cybersecurity", actor="osspi-admin", reason="revised plan"
    )
    state = await store.state()
    await apply_framework_changes(
        state.changes,
        owns=lambda _: True,
        context=context,
        state=state,
        now=T0 + timedelta(hours=2),
    )

    reader = ScorecardReader(mongo_db)
    current = await reader.current(2025, "cybersecurity")
    assert current is not None
    assert (current.version, current.cause) == (3, "framework_change")
    assert current.measure("customer-engagement").target == 36
    assert current.overall_score == pytest.approx(100.0)
    assert current.measure("customer-engagement").quality.event_count == 2
    before = await reader.as_of(2025, "cybersecurity", T0 + timedelta(minutes=30))
    assert before is not None
    assert before.version == 1
    assert before.measure("customer-engagement").value == 20
    assert before.overall_score == pytest.approx(75.0)
    assert await reader.as_of(2025, "cybersecurity", T0 - timedelta(seconds=1)) is None

    restated = await reader.diff(
        2025, "cybersecurity", T0 + timedelta(minutes=30), T0 + timedelta(minutes=90)
    )
    assert [(m.id, m.old_value, m.new_value, m.causes) for m in restated.measures] == [
        ("customer-engagement", 20, 36, ("restatement",))
    ]
    assert restated.causes == ("restatement",)
    assert [d.id for d in restated.dimensions] == ["customer"]
    whole = await reader.diff(
        2025, "cybersecurity", T0 + timedelta(minutes=30), T0 + timedelta(hours=3)
    )
    assert whole.causes == ("restatement", "framework_change")
    assert (
        whole.from_version,
        whole.to_version,
    ) == (1, 3)

    history = await reader.history(2025, "cybersecurity", 2)
    assert [v.version for v in history] == [3, 2]
    crawl = await reader.current(2025, "cybersecurity", phase=1)
    assert crawl is not None
    assert crawl.phase == 1
    assert crawl.version == 3
    assert crawl.dimension("financial").status == "NO_DATA"  # ROI counts from phase 3
    everything = await reader.all_current(2025)
    assert [v.qsmo for v in everything] == ["cybersecurity", "grants-management", None]
    government = everything[-1]
    engagement = government.measure("customer-engagement")
    assert engagement.value == 76  # 36 + 40
    # Rev. 2: the per-QSMO target is part of the government-wide sum target (36 + 3 × 40).
    assert government.version == 3
    assert government.cause == "framework_change"
    assert engagement.target == 36 + 3 * 40
    counts = engagement.qsmo_status_counts
    assert counts is not None
    assert (counts.green, counts.red, counts.no_data) == (2, 0, 2)  # 36 of 36, 40 of 40
    assert (await store.audit_log(5))[0].change_id == change.change_id
