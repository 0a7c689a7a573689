"""Rev. 2 in the scorecard service: docs/scoring.md's worked examples 3 and 5 computed by the
service's own core, judging again at another instant, and versions stored before rev. 2."""

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from scorecard_support import value_message

from services.scorecard.domain import compute_scorecard
from services.scorecard.inputs import InputState, input_from_message
from services.scorecard.judging import needs_rejudging, rejudge, with_qsmo_status_counts
from services.scorecard.views import ScorecardView
from shared.catalog import load_catalog
from shared.domain.overrides import NO_OVERRIDES, Overrides

CATALOG = load_catalog()
FRAMEWORK = CATALOG.framework()
NOV_30 = datetime(2026, 11, 30, 12, tzinfo=UTC)
QSMOS = dict.fromkeys(CATALOG.qsmo_ids)


def _inputs(
    qsmo: str, year: int, values: dict[str, Sequence[float]], scope: str = "qsmo"
) -> list[InputState]:
    return [
        input_from_message(value_message(qsmo, m, year, v, scope=scope))  # type: ignore[arg-type]
        for m, v in values.items()
    ]


def test_worked_example_3_an_open_year_is_judged_against_the_target_expected_by_the_day() -> None:
    inputs = [
        *_inputs(
            "grants-management",
            2027,
            {
                "customer-engagement": [3, 4],
                "customer-satisfaction": [4.0, 4.4],
                "solution-adoption": [1],
                "cost-avoidance": [8_000_000],
            },
        ),
        *_inputs(
            "grants-management", 2026, {"customer-engagement": [38], "customer-satisfaction": [4.1]}
        ),
    ]
    view = compute_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        owner="grants-management",
        fiscal_year=2027,
        inputs=inputs,
        computed_at=NOV_30,
        qsmos=QSMOS,
    )
    assert view.open
    assert view.elapsed_share == pytest.approx(61 / 365)
    engagement = view.measure("customer-engagement")
    assert (engagement.annual_target, engagement.status) == (40, "GREEN")
    assert engagement.target == pytest.approx(6.68, abs=0.005)
    assert engagement.projected_value == pytest.approx(41.89, abs=0.005)
    assert (engagement.last_year_value, engagement.change_from_last_year) == (38, -31)
    satisfaction = view.measure("customer-satisfaction")
    assert (satisfaction.target, satisfaction.status, satisfaction.projected_value) == (
        4.0,
        "GREEN",
        None,
    )
    assert satisfaction.change_from_last_year == pytest.approx(0.1)
    adoption = view.measure("solution-adoption")
    assert adoption.status == "RED"
    assert adoption.attainment == pytest.approx(0.598, abs=0.0005)
    cost = view.measure("cost-avoidance")
    assert cost.status == "AMBER"
    assert cost.target == pytest.approx(8_356_164.38, abs=0.005)
    assert cost.projected_value == pytest.approx(47_868_852.46, abs=0.005)


EXAMPLE_5 = {
    "cybersecurity": {
        "customer-engagement": [44],
        "cost-avoidance": [48_000_000],
        "customer-satisfaction": [4.2],
    },
    "financial-management": {
        "customer-engagement": [46],
        "cost-avoidance": [52_000_000],
        "customer-satisfaction": [3.8],
    },
    "grants-management": {
        "customer-engagement": [30],
        "cost-avoidance": [41_000_000],
        "customer-satisfaction": [4.0],
    },
    "human-resources": {"customer-engagement": [40], "customer-satisfaction": [4.4]},
}


def test_worked_example_5_government_wide_sums_and_qsmo_status_counts() -> None:
    overrides = Overrides(qsmo_targets={("financial-management", "customer-engagement"): 50})
    qsmo_views = {
        qsmo: compute_scorecard(
            FRAMEWORK,
            overrides,
            owner=qsmo,
            fiscal_year=2026,
            inputs=_inputs(qsmo, 2026, values),
            computed_at=NOV_30,
            qsmos=QSMOS,
        )
        for qsmo, values in EXAMPLE_5.items()
    }
    government = compute_scorecard(
        FRAMEWORK,
        overrides,
        owner="government",
        fiscal_year=2026,
        inputs=[
            s for q, values in EXAMPLE_5.items() for s in _inputs(q, 2026, values, "government")
        ],
        computed_at=NOV_30,
        qsmos=QSMOS,
    )
    assert not government.open
    assert government.participants == CATALOG.qsmo_ids
    counted = with_qsmo_status_counts(government, qsmo_views)
    rows = {
        m: counted.measure(m)
        for m in ("customer-engagement", "cost-avoidance", "customer-satisfaction")
    }
    found = {
        m: (
            row.value,
            row.target,
            row.status,
            (c.green, c.amber, c.red, c.no_data) if (c := row.qsmo_status_counts) else None,
        )
        for m, row in rows.items()
    }
    assert found["customer-engagement"] == (160, 170, "AMBER", (2, 1, 1, 0))
    assert found["cost-avoidance"] == (141_000_000, 200_000_000, "RED", (1, 1, 1, 1))
    assert found["customer-satisfaction"][1:] == (4.0, "GREEN", (3, 1, 0, 0))
    assert found["customer-satisfaction"][0] == pytest.approx(4.1)
    # A QSMO without a scorecard counts as NO_DATA on every measure.
    alone = with_qsmo_status_counts(government, {"cybersecurity": qsmo_views["cybersecurity"]})
    engagement = alone.measure("customer-engagement").qsmo_status_counts
    assert engagement is not None
    assert (engagement.green, engagement.no_data) == (1, 3)


def _open_year_view() -> ScorecardView:
    return compute_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        owner="grants-management",
        fiscal_year=2027,
        inputs=_inputs("grants-management", 2027, {"customer-engagement": [3, 4]}),
        computed_at=NOV_30,
        qsmos=QSMOS,
    )


def test_rejudging_moves_an_open_year_and_leaves_a_closed_one_alone() -> None:
    view = _open_year_view()
    later = datetime(2026, 12, 10, tzinfo=UTC)
    assert needs_rejudging(view, later, None)
    assert not needs_rejudging(view, NOV_30.replace(hour=23), None)  # same UTC day
    moved = rejudge(FRAMEWORK, view, reference=later)
    engagement = moved.measure("customer-engagement")
    assert engagement.target == pytest.approx(40 * 71 / 365)
    assert engagement.status == "RED"  # 7 of 7.78: 0.8996
    assert (moved.version, moved.cause, moved.reference_time) == (view.version, view.cause, later)
    year_end = datetime(2027, 10, 1, tzinfo=UTC)
    closed = rejudge(FRAMEWORK, view, reference=year_end)
    assert not closed.open
    assert closed.measure("customer-engagement").target == 40
    assert closed.measure("customer-engagement").projected_value is None
    assert not needs_rejudging(closed, datetime(2030, 1, 1, tzinfo=UTC), None)
    assert needs_rejudging(closed, datetime(2030, 1, 1, tzinfo=UTC), 1)  # another phase


def test_a_version_stored_before_rev_2_still_reads() -> None:
    document = _open_year_view().model_dump()
    for name in ("reference_time", "open", "elapsed_share", "participants", "rules_revision"):
        document.pop(name)
    for dimension in document["dimensions"]:
        for measure in dimension["measures"]:
            for name in (
                "annual_target",
                "projected_value",
                "last_year_value",
                "change_from_last_year",
                "qsmo_status_counts",
            ):
                measure.pop(name)
            measure["target"] = 40.0  # judged against the whole year, as before rev. 2
    old = ScorecardView.model_validate(document)
    assert old.rules_revision == 1
    assert old.reference_time == old.computed_at
    assert old.measure("customer-engagement").annual_target == 40
    now = rejudge(FRAMEWORK, old, reference=datetime(2026, 12, 1, tzinfo=UTC))
    assert now.measure("customer-engagement").target == pytest.approx(40 * 62 / 365)
