"""The scorecard's pure core: staleness, phase rescoring, version content, transitions, diffs."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scorecard_support import value_message

from services.scorecard.changes import diff, direction, transitions
from services.scorecard.domain import (
    compute_scorecard,
    is_stale,
    next_version,
    same_content,
)
from services.scorecard.inputs import input_from_message, to_millis
from services.scorecard.judging import rejudge, rescore
from services.scorecard.views import CauseDetail, ScorecardView
from shared.catalog import load_catalog
from shared.domain.overrides import NO_OVERRIDES, Overrides

FRAMEWORK = load_catalog().framework()
AT = datetime(2024, 3, 1, tzinfo=UTC)


def _view(
    values: dict[str, list[float]],
    *,
    at: datetime = AT,
    year: int = 2024,
    overrides: Overrides = NO_OVERRIDES,
    restated: bool = False,
) -> ScorecardView:
    inputs = [
        input_from_message(value_message("cybersecurity", m, year, v, restated=restated))
        for m, v in values.items()
    ]
    return compute_scorecard(
        FRAMEWORK, overrides, owner="cybersecurity", fiscal_year=year, inputs=inputs, computed_at=at
    )


@pytest.mark.parametrize(
    ("last_event", "at", "stale"),
    [
        (None, datetime(2023, 10, 20, tzinfo=UTC), False),  # year just began
        (None, datetime(2023, 12, 1, tzinfo=UTC), True),
        (datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC), False),  # 31 days
        (datetime(2024, 1, 31, tzinfo=UTC), datetime(2024, 3, 3, tzinfo=UTC), True),
        (
            datetime(2024, 9, 20, tzinfo=UTC),
            datetime(2026, 1, 1, tzinfo=UTC),
            False,
        ),  # capped at FY end
    ],
)
def test_staleness_by_reporting_frequency(
    last_event: datetime | None, at: datetime, stale: bool
) -> None:
    assert is_stale(last_event, fiscal_year=2024, frequency_days=31, at=at) is stale


def test_data_quality_is_reported_per_measure() -> None:
    view = _view({"customer-engagement": [1, 2, 3]}, at=datetime(2024, 6, 1, tzinfo=UTC))
    quality = view.measure("customer-engagement").quality
    assert quality.event_count == 3
    assert quality.reporting_frequency_days == 31
    assert quality.last_event_at == datetime(2023, 10, 13, tzinfo=UTC)
    assert quality.stale
    assert not view.measure("system-resiliency").quality.stale  # proposed: never stale


def test_timestamps_are_kept_to_the_millisecond() -> None:
    assert to_millis(datetime(2024, 1, 1, 0, 0, 0, 123_456, tzinfo=UTC)).microsecond == 123_000
    assert to_millis(datetime(2024, 1, 1)).tzinfo is UTC


def test_rescore_with_another_phase_uses_the_versions_own_numbers() -> None:
    view = _view({"customer-engagement": [40], "return-on-investment": [7.5]}, year=2023)
    assert view.phase == 2
    assert view.dimension("financial").status == "NO_DATA"
    run = rescore(FRAMEWORK, view, 3)
    assert run.phase == 3
    assert run.dimension("financial").score == pytest.approx(50.0)
    assert run.overall_score == pytest.approx(75.0)
    crawl = rescore(FRAMEWORK, view, 1)
    assert crawl.overall_score == pytest.approx(100.0)


def test_only_content_changes_make_a_version() -> None:
    first = _view({"customer-engagement": [40]})
    later = _view({"customer-engagement": [40]}, at=AT + timedelta(days=90))  # now stale
    # FY2024 is open: 90 days later its expected-to-date target differs, so compare the
    # versions judged at the same instant, as the handlers do.
    assert not same_content(first, later)
    assert same_content(rejudge(FRAMEWORK, first, reference=later.reference_time), later)
    first = rejudge(FRAMEWORK, first, reference=later.reference_time)
    assert (
        next_version(later, first, cause="new_data", detail=CauseDetail(), framework_seq=0) is None
    )
    changed = _view({"customer-engagement": [20]}, at=AT - timedelta(days=1))
    version = next_version(
        changed,
        first.model_copy(update={"version": 4}),
        cause="restatement",
        detail=CauseDetail(restated_measures=("customer-engagement",)),
        framework_seq=2,
    )
    assert version is not None
    assert version.version == 5
    assert version.computed_at == AT


def test_transitions_and_their_direction() -> None:
    green = _view({"customer-engagement": [40]}).model_copy(update={"version": 1})
    red = _view({"customer-engagement": [10]}).model_copy(update={"version": 2})
    found = transitions(green, red)
    assert {(t.level, t.from_status, t.to_status) for t in found} == {
        ("overall", "GREEN", "RED"),
        ("dimension", "GREEN", "RED"),
        ("measure", "GREEN", "RED"),
    }
    assert direction("GREEN", "RED") == "worsened"
    assert direction("NO_DATA", "RED") == "improved"
    assert all(t.from_status == "NO_DATA" for t in transitions(None, green))


def test_diff_names_changed_measures_and_causes() -> None:
    # FY2023, closed at AT: 30 engagements miss the whole year's 40.
    old = _view({"customer-engagement": [40], "customer-satisfaction": [4]}, year=2023)
    old = old.model_copy(update={"version": 1})
    new = _view({"customer-engagement": [30], "customer-satisfaction": [4]}, year=2023)
    new = new.model_copy(
        update={
            "version": 2,
            "cause": "restatement",
            "cause_detail": CauseDetail(
                measures=("customer-engagement",), restated_measures=("customer-engagement",)
            ),
        }
    )
    result = diff(
        (old.scorecard_id, 2023, "cybersecurity"), AT, AT + timedelta(days=1), old, new, [new]
    )
    assert [m.id for m in result.measures] == ["customer-engagement"]
    assert result.measures[0].causes == ("restatement",)
    assert (result.measures[0].old_value, result.measures[0].new_value) == (40, 30)
    assert [d.id for d in result.dimensions] == ["customer"]
    assert result.causes == ("restatement",)
    assert (result.from_version, result.to_version) == (1, 2)
    empty = diff((old.scorecard_id, 2024, "cybersecurity"), AT, AT, None, None, [])
    assert empty.measures == ()
    assert empty.old_overall_status == "NO_DATA"


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=8))
def test_a_stored_view_equals_the_fresh_one(values: list[float]) -> None:
    view = _view({"cost-avoidance": values})
    assert ScorecardView.model_validate(view.model_dump()) == view
