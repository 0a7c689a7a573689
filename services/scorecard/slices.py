"""Slice scorecards, computed on read (rev. 2, "Tiers below the QSMO"; docs/scoring.md §17).

A slice is one provider's or one customer agency's share of a QSMO's events, or one agency's
share of every QSMO's events (government-wide by agency). Its scorecard follows the rules of
the QSMO and government-wide ones (``domain.compute_scorecard``) with three differences:

- **values** come from the slice's own fiscal-year states (``SliceYearState``, which the
  gateway builds from the measures service's read door), and so do its baselines (the
  baseline year's slice values) and last-year values; the QSMO's admin-set baselines are the
  QSMO's and are not used;
- **targets** are the QSMO's (government-wide by agency: the government-wide targets, a
  ``sum`` measure's being the sum of the participating QSMOs' targets), except that a
  provider's **SLA target** (``Overrides.sla_targets``) wins for that provider's slice;
- nothing is **stored**: the view has version 0, cause ``new_data`` and ``slice`` set, and
  has no history.

Pure: no I/O and no clock (the reference time is an argument).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from services.scorecard.domain import NO_PARTICIPANTS, Participation, compute_scorecard
from services.scorecard.inputs import InputState, to_millis
from services.scorecard.judging import with_qsmo_status_counts
from services.scorecard.views import ScorecardView, scorecard_id
from shared.domain.catalog import Framework
from shared.domain.overrides import Overrides
from shared.domain.providers import Slice
from shared.domain.summaries import Summary
from shared.events import GOVERNMENT


@dataclass(frozen=True)
class SliceYearState:
    """One (QSMO, measure, fiscal year) state of a slice: its fiscal-year summary.

    ``restated_count``: events that arrived after their period was reported;
    ``last_ingested_at``: when the latest of them was accepted (None without events).
    """

    qsmo: str
    measure: str
    fiscal_year: int
    summary: Summary
    restated_count: int = 0
    last_ingested_at: datetime | None = None


def slice_scorecard_id(fiscal_year: int, qsmo: str | None, slice_: Slice) -> str:
    """``FY2025|financial-management|provider:doi-ibc``, ``FY2025|government|agency:DOI``."""
    return f"{scorecard_id(fiscal_year, qsmo)}|{slice_.label}"


def slice_overrides(overrides: Overrides, qsmo: str | None, slice_: Slice) -> Overrides:
    """The overrides a slice is judged under: the QSMO's targets with the provider's SLA
    targets in their place (a provider slice only), and no admin-set baselines (those are
    the QSMO's or the government-wide's own; a slice's baselines are its own values)."""
    qsmo_targets = dict(overrides.qsmo_targets)
    if slice_.kind == "provider" and qsmo is not None:
        for (provider, measure), target in overrides.sla_targets.items():
            if provider == slice_.id:
                qsmo_targets[(qsmo, measure)] = target
    return replace(overrides, qsmo_targets=qsmo_targets, baselines={})


def _inputs(owner: str, states: Iterable[SliceYearState]) -> list[InputState]:
    scope: Literal["qsmo", "government"] = "government" if owner == GOVERNMENT else "qsmo"
    return [
        InputState(
            scope=scope,
            qsmo=s.qsmo,
            measure=s.measure,
            fiscal_year=s.fiscal_year,
            summary=s.summary,
            restated=False,
            restated_count=s.restated_count,
            last_occurred_at=None
            if s.summary.latest is None
            else to_millis(s.summary.latest.occurred_at),
            last_ingested_at=None if s.last_ingested_at is None else to_millis(s.last_ingested_at),
            changed_at=to_millis(datetime.min),
        )
        for s in states
        if owner == GOVERNMENT or s.qsmo == owner
    ]


def slice_scorecard(
    framework: Framework,
    overrides: Overrides,
    *,
    slice_: Slice,
    qsmo: str | None,
    fiscal_year: int,
    states: Iterable[SliceYearState],
    at: datetime,
    phase: int | None = None,
    qsmos: Participation = NO_PARTICIPANTS,
) -> ScorecardView:
    """The scorecard of ``slice_`` within ``qsmo`` (None: government-wide, agencies only),
    judged at ``at``.

    ``states`` are the slice's fiscal-year states (any fiscal years, any QSMOs: those of
    ``fiscal_year`` give the values, the baseline year's the baselines, the year before's
    ``last_year_value``). A measure without events is ``NO_DATA`` with value None, never 0.
    Government-wide by agency also carries each measure's QSMO status counts (each QSMO's
    agency slice judged against that QSMO's targets). ``qsmos`` (QSMO id → when an admin
    added it, None for a catalog QSMO) makes the government-wide ``sum`` targets and the
    status counts' participants. Raises ValueError for a provider slice without a QSMO.
    """
    if qsmo is None and slice_.kind != "agency":
        raise ValueError("a provider slice needs its QSMO: only agencies slice government-wide")
    owner = GOVERNMENT if qsmo is None else qsmo
    chosen = list(states)
    view = _score(framework, overrides, owner, slice_, fiscal_year, chosen, at, phase, qsmos)
    if qsmo is None:
        per_qsmo = {
            q: _score(framework, overrides, q, slice_, fiscal_year, chosen, at, phase, qsmos)
            for q in view.participants
            if any(s.qsmo == q and s.fiscal_year == fiscal_year for s in chosen)
        }
        view = with_qsmo_status_counts(view, per_qsmo)
    return view.model_copy(
        update={
            "scorecard_id": slice_scorecard_id(fiscal_year, qsmo, slice_),
            "slice": slice_.label,
        }
    )


def _score(
    framework: Framework,
    overrides: Overrides,
    owner: str,
    slice_: Slice,
    fiscal_year: int,
    states: list[SliceYearState],
    at: datetime,
    phase: int | None,
    qsmos: Participation,
) -> ScorecardView:
    qsmo = None if owner == GOVERNMENT else owner
    return compute_scorecard(
        framework,
        slice_overrides(overrides, qsmo, slice_),
        owner=owner,
        fiscal_year=fiscal_year,
        inputs=_inputs(owner, states),
        computed_at=at,
        phase=phase,
        qsmos=qsmos,
    )


def sla_targets_of(overrides: Overrides, provider: str) -> Mapping[str, float]:
    """Measure id → the provider's SLA target, for the measures it has one for."""
    return {m: t for (p, m), t in overrides.sla_targets.items() if p == provider}
