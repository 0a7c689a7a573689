"""The scorecard service's pure core: stored inputs → a scorecard version, and versions compared.

The scoring itself is ``shared.domain.scoring.score``; this module only gathers its inputs
(values and baselines from the per-QSMO summaries the measures service announced), adds data
quality, and turns the result into a ``ScorecardView``. No I/O, no clock: time is an argument.

Rev. 2 (docs/scoring.md §13): every measure is judged against the target of the fiscal year
*at a reference time* (``shared.domain.targets``): a ``sum`` target is pro-rated to the days
elapsed, a government-wide ``sum`` target is the sum of the participating QSMOs' targets. A
version keeps the annual targets it was computed with, so ``rejudge`` can judge it again at
another reference time (now, or a historical read's ``asOf``) from its own numbers.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from services.scorecard.inputs import InputState, to_millis
from services.scorecard.views import (
    RULES_REVISION,
    Cause,
    CauseDetail,
    DimensionView,
    MeasureDataQuality,
    MeasureView,
    ScorecardView,
    scorecard_id,
)
from shared.domain.catalog import Framework
from shared.domain.fiscal import Period, fiscal_year_period
from shared.domain.open_periods import PeriodState, elapsed_share, period_state
from shared.domain.overrides import Overrides
from shared.domain.phases import baseline_fiscal_year
from shared.domain.scoring import ScorecardResult, score
from shared.domain.summaries import Summary, government_wide_value, value_of
from shared.domain.targets import (
    annual_target,
    change_from_last_year,
    participating_qsmos,
    period_target,
    projected_value,
)
from shared.events import GOVERNMENT

Participation = Mapping[str, datetime | None]
"""QSMO id → when an admin added it (None: a catalog QSMO); see ``targets.participating_qsmos``."""

NO_PARTICIPANTS: Participation = MappingProxyType({})


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
    qsmos: Participation = NO_PARTICIPANTS,
) -> ScorecardView:
    """The scorecard of ``owner`` for ``fiscal_year`` from the owner's stored inputs.

    Judged at ``computed_at`` (rev. 2). ``inputs`` may hold other fiscal years: the baseline
    year's values become baselines, the year before's values ``last_year_value``. ``qsmos``
    (catalog QSMOs and admin-added ones with their time) makes the government-wide ``sum``
    targets; a government-wide scorecard without any participant raises ValueError.
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
    last_year = _values(framework, _gather(by_year.get(fiscal_year - 1, [])))
    qsmo = qsmo_of(owner)
    annual = {
        m.id: annual_target(m, qsmo, overrides, qsmos, fiscal_year) for m in framework.measures
    }
    reference = to_millis(computed_at)
    result = score_at(
        framework,
        overrides,
        annual,
        _values(framework, gathered),
        fiscal_year=fiscal_year,
        qsmo=qsmo,
        phase=phase,
        baselines=baselines,
        reference=reference,
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
        framework,
        result,
        quality,
        computed_at=computed_at,
        adopted=overrides.adopted_dimensions,
        judged=Judged(
            annual=annual,
            last_year=last_year,
            reference=reference,
            participants=() if qsmo is not None else tuple(participating_qsmos(qsmos, fiscal_year)),
        ),
    )


def _judging_reference(period: Period, reference: datetime) -> datetime:
    # A year not started yet (only events dated ahead of the clock make one) is judged as on
    # its first day: its targets would be 0, which ``scoring.attainment`` refuses.
    return period.start if reference < period.start else reference


def score_at(
    framework: Framework,
    overrides: Overrides,
    annual: Mapping[str, float],
    values: Mapping[str, float | None],
    *,
    fiscal_year: int,
    qsmo: str | None,
    phase: int | None,
    baselines: Mapping[str, float | None],
    reference: datetime,
) -> ScorecardResult:
    """``scoring.score`` with every measure judged against its period target at ``reference``."""
    period = fiscal_year_period(fiscal_year)
    at = _judging_reference(period, reference)
    targets = {
        m.id: period_target(
            annual.get(m.id, overrides.target_for(m, qsmo)), m.aggregation, period, at
        )
        for m in framework.measures
    }
    return score(
        framework,
        {k: v for k, v in values.items() if k in framework.measure_ids},
        fiscal_year=fiscal_year,
        qsmo=qsmo,
        overrides=replace(overrides, targets=targets, qsmo_targets={}),
        phase=phase,
        baselines=baselines,
    )


@dataclass(frozen=True)
class Judged:
    """What a view needs beyond the scoring result: annual targets, last year, reference."""

    annual: Mapping[str, float]
    last_year: Mapping[str, float | None]
    reference: datetime
    participants: tuple[str, ...] = ()
    rules_revision: int = RULES_REVISION


def view_of(
    framework: Framework,
    result: ScorecardResult,
    quality: Mapping[str, MeasureDataQuality],
    *,
    computed_at: datetime,
    adopted: Mapping[str, int],
    judged: Judged | None = None,
    framework_seq: int = 0,
) -> ScorecardView:
    """A ``ScorecardView`` of a scoring result; ``stale`` evaluated at ``computed_at``.

    ``judged`` None: the result's targets are the annual ones, judged at ``computed_at``.
    """
    at = to_millis(computed_at)
    if judged is None:
        judged = Judged(annual={}, last_year={}, reference=at)
    period = fiscal_year_period(result.fiscal_year)
    reference = judged.reference
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
            catalog = framework.measure(m.id)
            last_year = judged.last_year.get(m.id)
            measures.append(
                MeasureView(
                    id=m.id,
                    name=m.name,
                    unit=catalog.unit,
                    value=m.value,
                    target=m.target,
                    annual_target=judged.annual.get(m.id, m.target),
                    attainment=m.attainment,
                    status=m.status.value,
                    weight=m.weight,
                    active=m.active,
                    baseline=m.baseline,
                    change=m.change,
                    quality=q.model_copy(update={"stale": stale}),
                    projected_value=projected_value(
                        m.value, catalog.aggregation, period, reference
                    ),
                    last_year_value=last_year,
                    change_from_last_year=change_from_last_year(m.value, last_year),
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
        reference_time=reference,
        open=period_state(period, reference) is PeriodState.OPEN,
        elapsed_share=float(elapsed_share(period, reference)),
        participants=judged.participants,
        rules_revision=judged.rules_revision,
    )


VERSION_FIELDS = (
    "version",
    "computed_at",
    "cause",
    "cause_detail",
    "framework_seq",
    "reference_time",
    "open",
    "elapsed_share",
)


def content_of(view: ScorecardView) -> dict[str, Any]:
    """What a version *says*: everything but its number, time, cause, reference time and the
    stale flags.

    Staleness moves with the clock alone; a version is made only when the content changes.
    Compare two views judged at the same reference time (``rejudge`` the older one first):
    an open year's targets move every day.
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
