"""The scorecard service's pure core: stored inputs → a scorecard version, and versions compared.

The scoring itself is ``shared.domain.scoring.score``; this module only gathers its inputs
(values and baselines from the per-QSMO summaries the measures service announced), adds data
quality, and turns the result into a ``ScorecardView``. No I/O, no clock: time is an argument.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.scorecard.inputs import InputState, to_millis
from services.scorecard.views import (
    Cause,
    CauseDetail,
    DimensionView,
    MeasureDataQuality,
    MeasureView,
    ScorecardView,
    scorecard_id,
)
from shared.domain.catalog import Framework
from shared.domain.fiscal import fiscal_year_period
from shared.domain.overrides import Overrides
from shared.domain.phases import baseline_fiscal_year
from shared.domain.scoring import ScorecardResult, score
from shared.domain.summaries import Summary, government_wide_value, value_of
from shared.events import GOVERNMENT


def qsmo_of(owner: str) -> str | None:
    """The scorecard's ``qsmo`` field: None for the government-wide owner."""
    return None if owner == GOVERNMENT else owner


def is_stale(
    last_event_at: datetime | None, *, fiscal_year: int, frequency_days: int, at: datetime
) -> bool:
    """True when no event lies within ``frequency_days`` before ``at`` (capped at FY end).

    Without any event the fiscal year's start counts as the last report, so a measure is not
    stale in the first ``frequency_days`` of its year. ``at`` before the year: never stale.
    """
    period = fiscal_year_period(fiscal_year)
    reference = min(at, period.end)
    since = period.start if last_event_at is None else last_event_at
    return reference - since > timedelta(days=frequency_days)


@dataclass(frozen=True)
class _Gathered:
    summaries: dict[str, dict[str, Summary]]
    restated_count: dict[str, int]
    last_event_at: dict[str, datetime]
    last_ingested_at: dict[str, datetime]


def _gather(inputs: Iterable[InputState]) -> _Gathered:
    gathered = _Gathered(defaultdict(dict), defaultdict(int), {}, {})
    for state in inputs:
        gathered.summaries[state.measure][state.qsmo] = state.summary
        gathered.restated_count[state.measure] += state.restated_count
        for moments, moment in (
            (gathered.last_event_at, state.last_occurred_at),
            (gathered.last_ingested_at, state.last_ingested_at),
        ):
            if moment is not None and (
                state.measure not in moments or moment > moments[state.measure]
            ):
                moments[state.measure] = moment
    return gathered


def _values(framework: Framework, gathered: _Gathered) -> dict[str, float | None]:
    return {
        measure: government_wide_value(per_qsmo, framework.measure(measure).aggregation)
        if len(per_qsmo) != 1
        else value_of(next(iter(per_qsmo.values())), framework.measure(measure).aggregation)
        for measure, per_qsmo in gathered.summaries.items()
        if measure in framework.measure_ids
    }


def compute_scorecard(
    framework: Framework,
    overrides: Overrides,
    *,
    owner: str,
    fiscal_year: int,
    inputs: Iterable[InputState],
    computed_at: datetime,
    phase: int | None = None,
) -> ScorecardView:
    """The scorecard of ``owner`` for ``fiscal_year`` from the owner's stored inputs.

    ``inputs`` may hold other fiscal years: the baseline year's values become baselines.
    The view's ``version``/``cause`` are placeholders (0, ``new_data``) for the caller to set.
    """
    by_year: dict[int, list[InputState]] = defaultdict(list)
    for state in inputs:
        if state.owner == owner:
            by_year[state.fiscal_year].append(state)
    gathered = _gather(by_year.get(fiscal_year, []))
    baselines: dict[str, float | None] = {}
    for measure in framework.measures:
        year = baseline_fiscal_year(measure, framework, overrides)
        if year is not None and year in by_year:
            baselines[measure.id] = _values(framework, _gather(by_year[year])).get(measure.id)
    result = score(
        framework,
        _values(framework, gathered),
        fiscal_year=fiscal_year,
        qsmo=qsmo_of(owner),
        overrides=overrides,
        phase=phase,
        baselines=baselines,
    )
    quality = {
        m: MeasureDataQuality(
            event_count=sum(s.count for s in gathered.summaries.get(m, {}).values()),
            restated_count=gathered.restated_count.get(m, 0),
            last_event_at=gathered.last_event_at.get(m),
            last_ingested_at=gathered.last_ingested_at.get(m),
            reporting_frequency_days=framework.measure(m).frequency.days,
        )
        for m in framework.measure_ids
    }
    return view_of(
        framework, result, quality, computed_at=computed_at, adopted=overrides.adopted_dimensions
    )


def view_of(
    framework: Framework,
    result: ScorecardResult,
    quality: Mapping[str, MeasureDataQuality],
    *,
    computed_at: datetime,
    adopted: Mapping[str, int],
    framework_seq: int = 0,
) -> ScorecardView:
    """A ``ScorecardView`` of a scoring result; ``stale`` evaluated at ``computed_at``."""
    at = to_millis(computed_at)
    dimensions = []
    for dimension in result.dimensions:
        measures = []
        for m in result.measures:
            if m.dimension != dimension.id:
                continue
            q = quality[m.id]
            stale = m.active and is_stale(
                q.last_event_at,
                fiscal_year=result.fiscal_year,
                frequency_days=q.reporting_frequency_days,
                at=at,
            )
            measures.append(
                MeasureView(
                    id=m.id,
                    name=m.name,
                    unit=framework.measure(m.id).unit,
                    value=m.value,
                    target=m.target,
                    attainment=m.attainment,
                    status=m.status.value,
                    weight=m.weight,
                    active=m.active,
                    baseline=m.baseline,
                    change=m.change,
                    quality=q.model_copy(update={"stale": stale}),
                )
            )
        dimensions.append(
            DimensionView(
                id=dimension.id,
                name=dimension.name,
                score=dimension.score,
                status=dimension.status.value,
                weight=dimension.weight,
                active=dimension.active,
                measures=tuple(measures),
            )
        )
    return ScorecardView(
        scorecard_id=scorecard_id(result.fiscal_year, result.qsmo),
        fiscal_year=result.fiscal_year,
        qsmo=result.qsmo,
        version=0,
        computed_at=at,
        cause="new_data",
        phase=result.phase,
        framework_version=result.framework_version,
        framework_seq=framework_seq,
        overall_score=result.score,
        overall_status=result.status.value,
        dimensions=tuple(dimensions),
        adopted_dimensions=dict(adopted),
    )


def rescore(framework: Framework, view: ScorecardView, phase: int) -> ScorecardView:
    """``view`` recomputed with ``phase`` in force, from the numbers the version itself holds.

    Values, targets, weights, baselines and adoptions are the version's, so the result is what
    that version would have said under the other phase (same version number and cause).
    """
    measures = view.measures
    overrides = Overrides(
        targets={m.id: m.target for m in measures},
        measure_weights={m.id: m.weight for m in measures},
        dimension_weights={d.id: d.weight for d in view.dimensions},
        adopted_dimensions=view.adopted_dimensions,
    )
    result = score(
        framework,
        {m.id: m.value for m in measures},
        fiscal_year=view.fiscal_year,
        qsmo=view.qsmo,
        overrides=overrides,
        phase=phase,
        baselines={m.id: m.baseline for m in measures},
    )
    fresh = view_of(
        framework,
        result,
        {m.id: m.quality for m in measures},
        computed_at=view.computed_at,
        adopted=view.adopted_dimensions,
        framework_seq=view.framework_seq,
    )
    return fresh.model_copy(
        update={"version": view.version, "cause": view.cause, "cause_detail": view.cause_detail}
    )


VERSION_FIELDS = ("version", "computed_at", "cause", "cause_detail", "framework_seq")


def content_of(view: ScorecardView) -> dict[str, Any]:
    """What a version *says*: everything but its number, time, cause and the stale flags.

    Staleness moves with the clock alone; a version is made only when the content changes.
    """
    content = view.model_dump(exclude=set(VERSION_FIELDS))
    for dimension in content["dimensions"]:
        for measure in dimension["measures"]:
            measure["quality"].pop("stale")
    return content


def same_content(a: ScorecardView, b: ScorecardView) -> bool:
    """True when the two versions say the same (see ``content_of``)."""
    return content_of(a) == content_of(b)


def next_version(
    fresh: ScorecardView,
    latest: ScorecardView | None,
    *,
    cause: Cause,
    detail: CauseDetail,
    framework_seq: int,
) -> ScorecardView | None:
    """The version to store after ``latest``, or None when ``fresh`` says nothing new.

    Numbered ``latest.version + 1`` (so a replay after a crash reaches the same id) and never
    timed before ``latest``, so versions are ordered by time as well as by number.
    """
    if latest is not None and same_content(fresh, latest):
        return None
    computed_at = fresh.computed_at
    if latest is not None and latest.computed_at > computed_at:
        computed_at = latest.computed_at
    return fresh.model_copy(
        update={
            "version": 1 if latest is None else latest.version + 1,
            "computed_at": computed_at,
            "cause": cause,
            "cause_detail": detail,
            "framework_seq": framework_seq,
        }
    )
