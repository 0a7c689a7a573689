"""The handlers with in-memory fakes: hand-computed scores, versions, causes, replays."""

from datetime import UTC, datetime, timedelta

import pytest
from scorecard_support import both_scopes, stored_current, stored_versions, value_message

from gateway.framework_admin import FrameworkAdmin
from services.scorecard.handlers import (
    ScorecardContext,
    apply_framework_changes,
    process_values,
    rescore_open_scorecards,
)
from services.scorecard.publisher import InMemoryScorecardPublisher
from services.scorecard.repository import InMemoryScorecardRepository
from shared.catalog import load_catalog
from shared.domain.framework_changes import FrameworkState
from shared.events import MeasureValueChanged
from shared.framework_log import InMemoryFrameworkLog

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
NO_FRAMEWORK_CHANGES = FrameworkState()


@pytest.fixture
def context() -> ScorecardContext:
    return ScorecardContext(
        InMemoryScorecardRepository(), InMemoryScorecardPublisher(), load_catalog().framework()
    )


async def _process(
    context: ScorecardContext,
    messages: list[MeasureValueChanged],
    now: datetime = NOW,
    state: FrameworkState = NO_FRAMEWORK_CHANGES,
) -> None:
    await process_values(messages, context=context, state=state, now=now)


def _fy2022() -> list[MeasureValueChanged]:
    return [
        *both_scopes("cybersecurity", "customer-engagement", 2022, [20, 10]),
        *both_scopes("cybersecurity", "customer-satisfaction", 2022, [4.0, 5.0]),
        *both_scopes("cybersecurity", "price-transparency", 2022, [81]),
        *both_scopes("cybersecurity", "solution-adoption", 2022, [5]),  # phase 2: shown, not scored
        *both_scopes("grants-management", "customer-engagement", 2022, [50]),
        *both_scopes("grants-management", "customer-satisfaction", 2022, [3.0]),
        *both_scopes("grants-management", "m3-playbook-utilization", 2022, [85]),
    ]


async def test_fy2022_scores_phase_one_only_for_a_qsmo_and_government_wide(
    context: ScorecardContext,
) -> None:
    await _process(context, _fy2022())
    repo = context.repository
    cyber = stored_current(repo, 2022, "cybersecurity")
    assert cyber is not None
    assert cyber.phase == 1
    assert cyber.measure("customer-engagement").value == 30
    assert cyber.measure("customer-engagement").attainment == 0.75
    assert cyber.measure("customer-satisfaction").value == 4.5
    assert cyber.measure("price-transparency").status == "AMBER"
    assert cyber.measure("m3-playbook-utilization").status == "NO_DATA"
    assert cyber.measure("solution-adoption").value == 5
    assert not cyber.measure("solution-adoption").active
    assert cyber.dimension("customer").score == pytest.approx(87.5)
    assert cyber.dimension("financial").score == pytest.approx(90.0)
    assert cyber.dimension("standards-adoption").status == "NO_DATA"
    assert cyber.dimension("marketplace-operations").score is None  # no phase-1 measure at all
    assert cyber.overall_score == pytest.approx(88.75)
    assert cyber.overall_status == "AMBER"

    grants = stored_current(repo, 2022, "grants-management")
    assert grants is not None
    assert grants.dimension("customer").score == pytest.approx(87.5)
    assert grants.dimension("standards-adoption").score == pytest.approx(100.0)
    assert grants.overall_score == pytest.approx(93.75)
    assert grants.overall_status == "GREEN"

    government = stored_current(repo, 2022, None)
    assert government is not None
    assert government.qsmo is None
    assert government.measure("customer-engagement").value == 80  # pooled sum
    assert government.measure("customer-satisfaction").value == pytest.approx(4.0)  # (4+5+3)/3
    # Rev. 2: the government-wide sum target is Σ of the four catalog QSMOs' targets (4 × 40),
    # so 80 pooled engagements reach half of it: customer = 100 × (0.5 + 1) / 2.
    assert government.measure("customer-engagement").target == 160
    assert government.participants == load_catalog().qsmo_ids
    assert government.dimension("customer").score == pytest.approx(75.0)
    assert government.overall_score == pytest.approx((75 + 90 + 100) / 3)
    assert stored_current(repo, 2022, "human-resources") is None  # no data, no scorecard


async def test_fy2023_phase_two_with_baselines_from_fy2022(context: ScorecardContext) -> None:
    await _process(context, _fy2022())
    await _process(
        context,
        [
            *both_scopes("cybersecurity", "customer-engagement", 2023, [40]),
            *both_scopes("cybersecurity", "customer-satisfaction", 2023, [3.6]),
            *both_scopes("cybersecurity", "solution-adoption", 2023, [5]),
            *both_scopes("cybersecurity", "technical-innovation", 2023, [6]),
            *both_scopes("cybersecurity", "return-on-investment", 2023, [20], aggregation="latest"),
        ],
    )
    view = stored_current(context.repository, 2023, "cybersecurity")
    assert view is not None
    assert view.phase == 2
    assert view.dimension("customer").score == pytest.approx(80.0)
    assert view.dimension("customer").status == "AMBER"
    assert view.dimension("financial").status == "NO_DATA"  # ROI is phase 3
    assert view.dimension("marketplace-operations").score == pytest.approx(50.0)
    assert view.overall_score == pytest.approx(65.0)
    assert view.overall_status == "RED"
    engagement = view.measure("customer-engagement")
    assert (engagement.baseline, engagement.change) == (30, 10)  # FY2022 is its baseline year
    assert view.measure("solution-adoption").baseline == 5  # phase 2: FY2023 itself


async def test_fy2024_phase_three_lower_is_better_latest_and_government(
    context: ScorecardContext,
) -> None:
    early, late = datetime(2023, 11, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    await _process(
        context,
        [
            *both_scopes("cybersecurity", "customer-engagement", 2024, [20]),
            *both_scopes("cybersecurity", "torb-timeliness", 2024, [60]),
            *both_scopes("cybersecurity", "return-on-investment", 2024, [10, 20], first_at=early),
            *both_scopes("grants-management", "return-on-investment", 2024, [10], first_at=late),
            *both_scopes("grants-management", "torb-timeliness", 2024, [0]),
        ],
    )
    cyber = stored_current(context.repository, 2024, "cybersecurity")
    assert cyber is not None
    assert cyber.phase == 3
    assert cyber.measure("torb-timeliness").attainment == 0.5  # 30 / 60
    assert cyber.measure("return-on-investment").value == 20  # the later event
    assert cyber.dimension("customer").score == pytest.approx(50.0)
    assert cyber.dimension("financial").score == pytest.approx(100.0)
    assert cyber.dimension("standards-adoption").status == "NO_DATA"
    assert cyber.overall_score == pytest.approx(200 / 3)
    grants = stored_current(context.repository, 2024, "grants-management")
    assert grants is not None
    assert grants.measure("torb-timeliness").attainment == 1.0  # value 0 gives 1
    assert grants.overall_score == pytest.approx((100 * 10 / 15 + 100) / 2)
    government = stored_current(context.repository, 2024, None)
    assert government is not None
    assert government.measure("return-on-investment").value == 15  # mean of latest values
    assert government.measure("torb-timeliness").value == 30  # pooled mean
    # Rev. 2: 20 engagements of the four QSMOs' 160 → customer 12.5.
    assert government.dimension("customer").score == pytest.approx(12.5)
    assert government.overall_score == pytest.approx((12.5 + 100 + 100) / 3)
    assert government.overall_status == "RED"


async def test_a_batch_recomputes_each_scorecard_once_and_publishes_first_transitions(
    context: ScorecardContext,
) -> None:
    measures = [m.id for m in context.framework.measures if m.unit == "%"]
    messages = [value_message("cybersecurity", m, 2024, [80]) for m in measures]
    report = await process_values(messages, context=context, state=NO_FRAMEWORK_CHANGES, now=NOW)
    assert report.recomputed == 1
    assert len(report.versions) == 1
    published = context.publisher.changes  # type: ignore[attr-defined]
    assert [(c.scorecard_id, c.version, c.cause) for c in published] == [
        ("FY2024|cybersecurity", 1, "new_data")
    ]
    overall = [t for t in published[0].transitions if t.level == "overall"]
    assert overall[0].from_status == "NO_DATA"
    assert overall[0].to_status == published[0].overall_status
    assert {q.measure for q in published[0].measures} == set(context.framework.measure_ids)


async def test_redelivery_and_quarter_messages_make_no_new_version(
    context: ScorecardContext,
) -> None:
    batch = _fy2022()
    await _process(context, batch)
    published = len(context.publisher.changes)  # type: ignore[attr-defined]
    await _process(context, batch, now=NOW + timedelta(hours=1))
    await _process(
        context, [value_message("cybersecurity", "customer-engagement", 2022, [999], quarter=2)]
    )
    assert [v.version for v in stored_versions(context.repository, 2022, "cybersecurity")] == [1]
    assert len(context.publisher.changes) == published  # type: ignore[attr-defined]
    late = both_scopes("cybersecurity", "customer-engagement", 2022, [20, 10, 1], restated=True)
    await _process(context, late)
    await _process(
        context, [*late, *both_scopes("cybersecurity", "customer-satisfaction", 2022, [4.0])]
    )
    versions = stored_versions(context.repository, 2022, "cybersecurity")
    assert [(v.version, v.cause) for v in versions] == [
        (1, "new_data"),
        (2, "restatement"),
        (3, "new_data"),
    ]
    assert versions[-1].cause_detail.measures == (
        "customer-satisfaction",
    )  # the redelivery is no cause


async def test_late_data_makes_a_restatement_version_and_keeps_the_earlier_one(
    context: ScorecardContext,
) -> None:
    await _process(context, _fy2022())
    await _process(
        context,
        both_scopes(
            "cybersecurity",
            "customer-engagement",
            2022,
            [20, 10, 10],
            restated=True,
            restated_count=1,
        ),
        now=NOW + timedelta(days=1),
    )
    versions = stored_versions(context.repository, 2022, "cybersecurity")
    assert [(v.version, v.cause) for v in versions] == [(1, "new_data"), (2, "restatement")]
    assert versions[0].measure("customer-engagement").value == 30
    assert versions[1].measure("customer-engagement").value == 40
    assert versions[1].cause_detail.restated_measures == ("customer-engagement",)
    assert versions[1].measure("customer-engagement").quality.restated_count == 1
    later = stored_current(context.repository, 2023, "cybersecurity")
    assert later is None  # no FY2023 inputs: no FY2023 scorecard


async def test_a_baseline_year_change_moves_later_years(context: ScorecardContext) -> None:
    await _process(context, _fy2022())
    await _process(context, both_scopes("cybersecurity", "customer-engagement", 2023, [40]))
    await _process(
        context,
        both_scopes("cybersecurity", "customer-engagement", 2022, [20, 10, 5], restated=True),
    )
    fy2023 = stored_versions(context.repository, 2023, "cybersecurity")
    assert [(v.version, v.cause) for v in fy2023] == [(1, "new_data"), (2, "restatement")]
    assert fy2023[-1].measure("customer-engagement").baseline == 35


async def test_a_crash_between_storing_and_announcing_is_repaired_on_replay(
    context: ScorecardContext,
) -> None:
    class Failing(InMemoryScorecardPublisher):
        async def publish(self, changes: object) -> None:
            raise ConnectionError("broker gone")

    broken = ScorecardContext(context.repository, Failing(), context.framework)
    with pytest.raises(ConnectionError):
        await _process(broken, _fy2022())
    await _process(context, _fy2022(), now=NOW + timedelta(minutes=5))  # the replay
    assert [v.version for v in stored_versions(context.repository, 2022, "cybersecurity")] == [1]
    published = context.publisher.changes  # type: ignore[attr-defined]
    assert sorted(c.scorecard_id for c in published) == [
        "FY2022|cybersecurity",
        "FY2022|government",
        "FY2022|grants-management",
    ]
    assert all(c.version == 1 for c in published)
    await _process(context, _fy2022(), now=NOW + timedelta(minutes=10))
    assert len(context.publisher.changes) == 3  # type: ignore[attr-defined]


async def test_a_target_change_recomputes_with_cause_framework_change(
    context: ScorecardContext,
) -> None:
    await _process(context, _fy2022())
    framework_log = InMemoryFrameworkLog()
    store = FrameworkAdmin(framework_log)
    change = await store.set_target(
        "customer-engagement",
        30,
        qsmo="cybersecurity",
        actor="osspi-admin",
        reason="FY22 pilot target",
    )
    state = await store.state()
    report = await apply_framework_changes(
        state.changes_after(0),
        owns=lambda owner: True,
        context=context,
        state=state,
        now=NOW + timedelta(days=2),
    )
    # Its QSMO, and government-wide: the sum target is Σ of the QSMOs' targets (rev. 2).
    assert [v.view.scorecard_id for v in report.versions] == [
        "FY2022|cybersecurity",
        "FY2022|government",
    ]
    government = stored_current(context.repository, 2022, None)
    assert government is not None
    assert government.measure("customer-engagement").target == 30 + 3 * 40
    view = stored_current(context.repository, 2022, "cybersecurity")
    assert view is not None
    assert view.version == 2
    assert view.cause == "framework_change"
    assert view.cause_detail.framework_changes == (change.change_id,)
    assert view.measure("customer-engagement").target == 30
    assert view.dimension("customer").score == pytest.approx(100.0)
    assert (await store.audit_log(10))[0].change_id == change.change_id
    again = await apply_framework_changes(
        state.changes_after(0),
        owns=lambda owner: True,
        context=context,
        state=state,
        now=NOW + timedelta(days=3),
    )
    assert again.versions == []


async def test_framework_recompute_only_touches_owned_scorecards(context: ScorecardContext) -> None:
    await _process(context, _fy2022())
    store = FrameworkAdmin(InMemoryFrameworkLog())
    await store.set_dimension_weight("customer", 3, actor="osspi-admin", reason="emphasis")
    state = await store.state()
    report = await apply_framework_changes(
        state.changes,
        owns=lambda owner: owner == "government",
        context=context,
        state=state,
        now=NOW,
    )
    assert [v.view.scorecard_id for v in report.versions] == ["FY2022|government"]
    government = stored_current(context.repository, 2022, None)
    assert government is not None
    assert government.overall_score == pytest.approx((3 * 75 + 90 + 100) / 5)


async def test_a_year_that_closed_since_the_last_rescore_gets_its_final_judgement(
    context: ScorecardContext,
) -> None:
    """39.5 engagements beat the 40 × 355/365 = 38.9 expected by 20 Sep 2026 (GREEN) but miss
    the whole year's 40 (AMBER) once FY2026 closed on 1 Oct."""
    message = value_message("cybersecurity", "customer-engagement", 2026, [39.5])
    await _process(context, [message], now=datetime(2026, 9, 20, tzinfo=UTC))
    view = stored_current(context.repository, 2026, "cybersecurity")
    assert view is not None
    assert view.measure("customer-engagement").status == "GREEN"
    after = datetime(2026, 10, 3, tzinfo=UTC)
    skipped = await rescore_open_scorecards(
        owns=lambda _: True, context=context, state=NO_FRAMEWORK_CHANGES, now=after
    )
    assert skipped.versions == []  # closed, and no day since given: not looked at
    report = await rescore_open_scorecards(
        owns=lambda _: True,
        context=context,
        state=NO_FRAMEWORK_CHANGES,
        now=after,
        since=datetime(2026, 9, 25, tzinfo=UTC),
    )
    [version] = report.versions
    assert (version.view.version, version.view.cause) == (2, "rescore")
    assert version.view.measure("customer-engagement").status == "AMBER"
    assert version.view.measure("customer-engagement").target == 40


async def test_a_new_qsmo_raises_the_government_wide_sum_targets_of_its_years(
    context: ScorecardContext,
) -> None:
    """Added on 15 Oct 2026, a fifth QSMO takes part from FY2027 on (docs/scoring.md §16)."""
    await _process(
        context,
        [
            *both_scopes("cybersecurity", "customer-engagement", 2026, [40]),
            *both_scopes("cybersecurity", "customer-engagement", 2027, [10]),
        ],
        now=datetime(2026, 10, 10, tzinfo=UTC),
    )
    store = FrameworkAdmin(InMemoryFrameworkLog(), clock=lambda: datetime(2026, 10, 15, tzinfo=UTC))
    await store.add_qsmo(
        "acquisition", "Acquisition QSMO", "GSA", actor="osspi-admin", reason="new QSMO"
    )
    state = await store.state()
    report = await apply_framework_changes(
        state.changes,
        owns=lambda _: True,
        context=context,
        state=state,
        now=datetime(2026, 10, 16, tzinfo=UTC),
    )
    assert "FY2027|government" in {v.view.scorecard_id for v in report.versions}
    fy2027 = stored_current(context.repository, 2027, None)
    fy2026 = stored_current(context.repository, 2026, None)
    assert fy2027 is not None
    assert fy2026 is not None
    assert fy2027.measure("customer-engagement").annual_target == 5 * 40
    assert "acquisition" in fy2027.participants
    assert fy2026.measure("customer-engagement").annual_target == 4 * 40  # closed before
