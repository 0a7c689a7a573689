"""Slice scorecards computed on read (rev. 2, docs/scoring.md §17): the pure ``slice_scorecard``."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.scorecard.read_model import SliceYearState, slice_scorecard
from services.scorecard.slices import slice_overrides
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_year_period
from shared.domain.overrides import NO_OVERRIDES, Overrides
from shared.domain.providers import Slice
from shared.domain.summaries import fold_all

CATALOG = load_catalog()
FRAMEWORK = CATALOG.framework()
QSMOS = dict.fromkeys(CATALOG.qsmo_ids)
CLOSED = datetime(2026, 1, 1, tzinfo=UTC)  # FY2025 closed: targets are the annual ones
IBC = Slice("provider", "doi-ibc")
ARC = Slice("provider", "treasury-arc")
DOI = Slice("agency", "DOI")


def state(qsmo: str, measure: str, values: list[float], year: int = 2025) -> SliceYearState:
    start = fiscal_year_period(year).start + timedelta(days=5)
    summary = fold_all([(v, start + timedelta(days=i), i + 1) for i, v in enumerate(values)])
    return SliceYearState(qsmo, measure, year, summary, 0, start + timedelta(days=len(values)))


def test_the_sla_target_wins_for_the_provider_slice_only() -> None:
    overrides = Overrides(sla_targets={("doi-ibc", "customer-satisfaction"): 4.5})
    states = [state("financial-management", "customer-satisfaction", [4.2, 4.4])]
    ibc = slice_scorecard(
        FRAMEWORK,
        overrides,
        slice_=IBC,
        qsmo="financial-management",
        fiscal_year=2025,
        states=states,
        at=CLOSED,
    )
    arc = slice_scorecard(
        FRAMEWORK,
        overrides,
        slice_=ARC,
        qsmo="financial-management",
        fiscal_year=2025,
        states=states,
        at=CLOSED,
    )
    agency = slice_scorecard(
        FRAMEWORK,
        overrides,
        slice_=DOI,
        qsmo="financial-management",
        fiscal_year=2025,
        states=states,
        at=CLOSED,
    )
    measure = ibc.measure("customer-satisfaction")
    assert (measure.value, measure.target, measure.status) == (pytest.approx(4.3), 4.5, "AMBER")
    assert arc.measure("customer-satisfaction").target == 4.0
    assert arc.measure("customer-satisfaction").status == "GREEN"
    assert agency.measure("customer-satisfaction").target == 4.0
    assert ibc.slice == "provider:doi-ibc"
    assert ibc.version == 0
    assert ibc.scorecard_id == "FY2025|financial-management|provider:doi-ibc"
    assert "slice" not in ibc.model_dump()  # never stored


def test_a_provider_slice_keeps_the_qsmo_target_of_other_measures_and_qsmos() -> None:
    overrides = Overrides(
        sla_targets={("doi-ibc", "customer-satisfaction"): 4.5},
        qsmo_targets={("financial-management", "price-transparency"): 80.0},
        baselines={("financial-management", "customer-satisfaction"): 3.0},
    )
    judged = slice_overrides(overrides, "financial-management", IBC)
    assert judged.qsmo_targets == {
        ("financial-management", "price-transparency"): 80.0,
        ("financial-management", "customer-satisfaction"): 4.5,
    }
    assert judged.baselines == {}  # the slice's baselines are its own values
    assert slice_overrides(overrides, "financial-management", DOI).qsmo_targets == {
        ("financial-management", "price-transparency"): 80.0
    }


def test_a_slice_without_events_is_no_data_never_zero() -> None:
    view = slice_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        slice_=IBC,
        qsmo="financial-management",
        fiscal_year=2025,
        states=[],
        at=CLOSED,
    )
    assert view.overall_status == "NO_DATA"
    assert view.overall_score is None
    assert all(m.value is None and m.status == "NO_DATA" for m in view.measures)
    assert all(m.quality.event_count == 0 for m in view.measures)


def test_government_wide_by_agency_pools_every_qsmo_against_government_targets() -> None:
    states = [
        state("financial-management", "customer-satisfaction", [5.0, 5.0, 5.0]),
        state("human-resources", "customer-satisfaction", [3.0]),
        state("financial-management", "customer-engagement", [10, 20]),
        state("cybersecurity", "customer-engagement", [30]),
    ]
    view = slice_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        slice_=DOI,
        qsmo=None,
        fiscal_year=2025,
        states=states,
        at=CLOSED,
        qsmos=QSMOS,
    )
    satisfaction = view.measure("customer-satisfaction")
    assert satisfaction.value == pytest.approx(4.5)  # pooled events: (5+5+5+3)/4
    assert satisfaction.quality.event_count == 4
    engagement = view.measure("customer-engagement")
    assert engagement.value == 60
    assert engagement.annual_target == 40 * len(QSMOS)  # Σ of the QSMOs' sum targets
    counts = satisfaction.qsmo_status_counts
    assert counts is not None
    assert (counts.green, counts.red, counts.no_data) == (1, 1, len(QSMOS) - 2)
    assert view.scorecard_id == "FY2025|government|agency:DOI"
    assert view.qsmo is None


def test_baselines_and_last_year_come_from_the_slice_own_years() -> None:
    states = [
        state("financial-management", "customer-satisfaction", [3.5], year=2022),
        state("financial-management", "customer-satisfaction", [4.0], year=2024),
        state("financial-management", "customer-satisfaction", [4.4], year=2025),
        state("human-resources", "customer-satisfaction", [1.0], year=2025),  # another QSMO
    ]
    view = slice_scorecard(
        FRAMEWORK,
        NO_OVERRIDES,
        slice_=IBC,
        qsmo="financial-management",
        fiscal_year=2025,
        states=states,
        at=CLOSED,
    )
    measure = view.measure("customer-satisfaction")
    assert measure.value == pytest.approx(4.4)
    assert measure.baseline == pytest.approx(3.5)
    assert measure.last_year_value == pytest.approx(4.0)


def test_a_provider_slice_needs_its_qsmo() -> None:
    with pytest.raises(ValueError, match="provider slice needs its QSMO"):
        slice_scorecard(
            FRAMEWORK,
            NO_OVERRIDES,
            slice_=IBC,
            qsmo=None,
            fiscal_year=2025,
            states=[],
            at=CLOSED,
            qsmos=QSMOS,
        )


def test_worked_example_6_of_scoring_md() -> None:
    """docs/scoring.md §17: Financial Management FY2026 with an SLA target for treasury-arc."""
    fm = "financial-management"
    events = [  # (qsmo, provider, agency, satisfaction, engagement)
        (fm, "doi-ibc", "DOI", 4.4, 12.0),
        (fm, "doi-ibc", "USDA", 4.6, 14.0),
        (fm, "treasury-arc", "DOI", 3.6, None),
        (fm, "treasury-arc", "TREAS", 3.8, 30.0),
        ("human-resources", "doi-ibc", "DOI", 3.0, None),
    ]
    overrides = Overrides(sla_targets={("treasury-arc", "customer-satisfaction"): 3.5})

    def judged(slice_: Slice, qsmo: str | None) -> dict[str, tuple[Any, ...]]:
        states = []
        for q in {e[0] for e in events}:
            chosen = [e for e in events if e[0] == q and slice_.id in (e[1], e[2])]
            for measure, column in (("customer-satisfaction", 3), ("customer-engagement", 4)):
                values = [e[column] for e in chosen if e[column] is not None]
                if values:
                    states.append(state(q, measure, values, year=2026))
        view = slice_scorecard(
            FRAMEWORK,
            overrides,
            slice_=slice_,
            qsmo=qsmo,
            fiscal_year=2026,
            states=states,
            at=datetime(2026, 11, 30, tzinfo=UTC),
            qsmos=QSMOS,
        )
        found = {}
        for m in ("customer-satisfaction", "customer-engagement"):
            shown = view.measure(m)
            value = None if shown.value is None else round(shown.value, 3)
            found[m] = (value, shown.target, shown.status)
        return found

    assert judged(Slice("provider", "doi-ibc"), fm) == {
        "customer-satisfaction": (4.5, 4.0, "GREEN"),
        "customer-engagement": (26.0, 40.0, "RED"),
    }
    assert judged(Slice("provider", "treasury-arc"), fm) == {
        "customer-satisfaction": (3.7, 3.5, "GREEN"),
        "customer-engagement": (30.0, 40.0, "RED"),
    }
    assert judged(Slice("agency", "DOI"), fm) == {
        "customer-satisfaction": (4.0, 4.0, "GREEN"),
        "customer-engagement": (12.0, 40.0, "RED"),
    }
    assert judged(Slice("agency", "HUD"), fm) == {
        "customer-satisfaction": (None, 4.0, "NO_DATA"),
        "customer-engagement": (None, 40.0, "NO_DATA"),
    }
    assert judged(Slice("agency", "DOI"), None) == {
        "customer-satisfaction": (3.667, 4.0, "AMBER"),
        "customer-engagement": (12.0, 160.0, "RED"),
    }
