"""Comparing scorecard versions: status transitions for ``ScorecardChanged`` and diffs.

Pure functions over ``ScorecardView`` values; no I/O, no clock.
"""

from collections.abc import Sequence
from datetime import datetime

from services.scorecard.views import (
    Cause,
    DimensionChange,
    DimensionView,
    MeasureChange,
    MeasureView,
    ScorecardDiff,
    ScorecardView,
    VersionSummary,
)
from shared.events import MeasureQuality, ScorecardChanged, StatusName, StatusTransition

STATUS_RANK: dict[str, int] = {"NO_DATA": 0, "RED": 1, "AMBER": 2, "GREEN": 3}


def direction(from_status: str, to_status: str) -> str:
    """``improved`` or ``worsened`` (towards GREEN or away from it; NO_DATA ranks lowest)."""
    return "improved" if STATUS_RANK[to_status] > STATUS_RANK[from_status] else "worsened"


def transitions(previous: ScorecardView | None, current: ScorecardView) -> list[StatusTransition]:
    """Every status that differs from ``previous`` (None: everything was ``NO_DATA``).

    Measures count when active in either version; dimensions and the overall status always.
    """
    found: list[StatusTransition] = []
    old_status: StatusName = "NO_DATA" if previous is None else previous.overall_status
    if old_status != current.overall_status:
        found.append(
            StatusTransition(
                level="overall",
                from_status=old_status,
                to_status=current.overall_status,
                from_score=None if previous is None else previous.overall_score,
                to_score=current.overall_score,
            )
        )
    for dimension in current.dimensions:
        old = None if previous is None else _dimension_or_none(previous, dimension.id)
        was: StatusName = "NO_DATA" if old is None else old.status
        if was != dimension.status:
            found.append(
                StatusTransition(
                    level="dimension",
                    dimension=dimension.id,
                    from_status=was,
                    to_status=dimension.status,
                    from_score=None if old is None else old.score,
                    to_score=dimension.score,
                )
            )
        for measure in dimension.measures:
            before = None if previous is None else _measure_or_none(previous, measure.id)
            status: StatusName = "NO_DATA" if before is None else before.status
            active = measure.active or (before is not None and before.active)
            if status != measure.status and active:
                found.append(
                    StatusTransition(
                        level="measure",
                        dimension=dimension.id,
                        measure=measure.id,
                        from_status=status,
                        to_status=measure.status,
                        from_score=None if before is None else before.value,
                        to_score=measure.value,
                        target=measure.target,
                    )
                )
    return found


def _dimension_or_none(view: ScorecardView, dimension_id: str) -> DimensionView | None:
    try:
        return view.dimension(dimension_id)
    except KeyError:
        return None


def _measure_or_none(view: ScorecardView, measure_id: str) -> MeasureView | None:
    try:
        return view.measure(measure_id)
    except KeyError:
        return None


def changed_message(view: ScorecardView, found: Sequence[StatusTransition]) -> ScorecardChanged:
    """The ``ScorecardChanged`` announcing ``view`` with its transitions and data quality."""
    return ScorecardChanged(
        scorecard_id=view.scorecard_id,
        fiscal_year=view.fiscal_year,
        qsmo=view.qsmo,
        version=view.version,
        phase=view.phase,
        computed_at=view.computed_at,
        cause=view.cause,
        overall_score=view.overall_score,
        overall_status=view.overall_status,
        transitions=list(found),
        measures=[
            MeasureQuality(
                measure=m.id,
                dimension=d.id,
                status=m.status,
                value=m.value,
                target=m.target,
                event_count=m.quality.event_count,
                restated_count=m.quality.restated_count,
                last_event_at=m.quality.last_event_at,
                last_ingested_at=m.quality.last_ingested_at,
                reporting_frequency_days=m.quality.reporting_frequency_days,
                stale=m.quality.stale,
            )
            for d in view.dimensions
            for m in d.measures
        ],
    )


def summary_of(view: ScorecardView) -> VersionSummary:
    """The version's number, time, cause and overall result."""
    return VersionSummary(
        version=view.version,
        computed_at=view.computed_at,
        cause=view.cause,
        cause_detail=view.cause_detail,
        overall_score=view.overall_score,
        overall_status=view.overall_status,
    )


def _measure_causes(measure_id: str, versions: Sequence[ScorecardView]) -> tuple[Cause, ...]:
    causes: list[Cause] = []
    for version in versions:
        detail = version.cause_detail
        cause: Cause | None = None
        if version.cause == "framework_change":
            cause = "framework_change"
        elif measure_id in detail.restated_measures:
            cause = "restatement"
        elif measure_id in detail.measures:
            cause = "new_data"
        if cause is not None and cause not in causes:
            causes.append(cause)
    return tuple(causes)


def diff(
    scorecard: tuple[str, int, str | None],
    start: datetime,
    end: datetime,
    old: ScorecardView | None,
    new: ScorecardView | None,
    between: Sequence[ScorecardView],
) -> ScorecardDiff:
    """What differs between ``old`` (as of ``start``) and ``new`` (as of ``end``).

    ``scorecard`` is ``(scorecard_id, fiscal_year, qsmo)``; ``between`` are the versions made
    in (start, end], oldest first. A measure or dimension missing from a side reads NO_DATA.
    """
    sid, fiscal_year, qsmo = scorecard
    old_measures = {m.id: m for m in old.measures} if old else {}
    new_measures = {m.id: (d.id, m) for d in new.dimensions for m in d.measures} if new else {}
    measures = []
    for measure_id, (dimension_id, now) in new_measures.items():
        was = old_measures.get(measure_id)
        if was is not None and (was.value, was.target, was.status, was.attainment) == (
            now.value,
            now.target,
            now.status,
            now.attainment,
        ):
            continue
        measures.append(
            MeasureChange(
                id=measure_id,
                dimension=dimension_id,
                old_value=None if was is None else was.value,
                new_value=now.value,
                old_target=None if was is None else was.target,
                new_target=now.target,
                old_attainment=None if was is None else was.attainment,
                new_attainment=now.attainment,
                old_status="NO_DATA" if was is None else was.status,
                new_status=now.status,
                causes=_measure_causes(measure_id, between),
            )
        )
    old_dimensions = {d.id: d for d in old.dimensions} if old else {}
    dimensions = []
    for dimension in new.dimensions if new else ():
        before = old_dimensions.get(dimension.id)
        if before is not None and (before.score, before.status) == (
            dimension.score,
            dimension.status,
        ):
            continue
        dimensions.append(
            DimensionChange(
                id=dimension.id,
                old_score=None if before is None else before.score,
                new_score=dimension.score,
                old_status="NO_DATA" if before is None else before.status,
                new_status=dimension.status,
            )
        )
    causes: list[Cause] = []
    for version in between:
        if version.cause not in causes:
            causes.append(version.cause)
    return ScorecardDiff(
        scorecard_id=sid,
        fiscal_year=fiscal_year,
        qsmo=qsmo,
        start=start,
        end=end,
        from_version=None if old is None else old.version,
        to_version=None if new is None else new.version,
        old_overall_score=None if old is None else old.overall_score,
        new_overall_score=None if new is None else new.overall_score,
        old_overall_status="NO_DATA" if old is None else old.overall_status,
        new_overall_status="NO_DATA" if new is None else new.overall_status,
        measures=tuple(measures),
        dimensions=tuple(dimensions),
        versions=tuple(summary_of(v) for v in between),
        causes=tuple(causes),
    )
