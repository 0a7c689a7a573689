"""Judging a stored version again (rev. 2, docs/scoring.md §13): at another reference time,
under another phase, and government-wide with the QSMOs' status counts.

A version keeps its values and annual targets, so what it says at any instant follows from
it alone. Pure: the reference time is always an argument.
"""

from collections.abc import Mapping
from datetime import datetime

from services.scorecard.domain import Judged, score_at, view_of
from services.scorecard.inputs import to_millis
from services.scorecard.views import ScorecardView, StatusCounts
from shared.domain.catalog import Framework
from shared.domain.fiscal import fiscal_year_period
from shared.domain.open_periods import PeriodState, period_state
from shared.domain.overrides import Overrides
from shared.domain.scoring import Status
from shared.domain.targets import qsmo_status_counts


def rejudge(
    framework: Framework,
    view: ScorecardView,
    *,
    reference: datetime | None = None,
    phase: int | None = None,
) -> ScorecardView:
    """``view`` judged again at ``reference`` (default: its own) with ``phase`` in force.

    From the numbers the version itself holds — values, annual targets, weights, baselines,
    adoptions — so the result is what that version says at that instant under that phase
    (same version number, cause and rules revision). A closed year reads the same at every
    reference time after its end.
    """
    measures = view.measures
    overrides = Overrides(
        measure_weights={m.id: m.weight for m in measures},
        dimension_weights={d.id: d.weight for d in view.dimensions},
        adopted_dimensions=view.adopted_dimensions,
    )
    at = view.reference_time if reference is None else to_millis(reference)
    result = score_at(
        framework,
        overrides,
        {m.id: m.annual_target for m in measures},
        {m.id: m.value for m in measures},
        fiscal_year=view.fiscal_year,
        qsmo=view.qsmo,
        phase=view.phase if phase is None else phase,
        baselines={m.id: m.baseline for m in measures},
        reference=at,
    )
    fresh = view_of(
        framework,
        result,
        {m.id: m.quality for m in measures},
        computed_at=view.computed_at,
        adopted=view.adopted_dimensions,
        judged=Judged(
            annual={m.id: m.annual_target for m in measures},
            last_year={m.id: m.last_year_value for m in measures},
            reference=at,
            participants=view.participants,
            rules_revision=view.rules_revision,
        ),
        framework_seq=view.framework_seq,
    )
    return fresh.model_copy(
        update={"version": view.version, "cause": view.cause, "cause_detail": view.cause_detail}
    )


def needs_rejudging(view: ScorecardView, reference: datetime, phase: int | None) -> bool:
    """False when ``rejudge(view, reference=reference, phase=phase)`` would say the same.

    True when another phase is asked for, or when the reference falls on another UTC day
    than the version's own while its year is not closed at both (elapsed shares count days).
    """
    if phase is not None and phase != view.phase:
        return True
    period = fiscal_year_period(view.fiscal_year)
    own, other = view.reference_time, to_millis(reference)
    if own.date() == other.date():
        return False
    closed = PeriodState.CLOSED
    return not (period_state(period, own) is closed and period_state(period, other) is closed)


def rescore(framework: Framework, view: ScorecardView, phase: int) -> ScorecardView:
    """``view`` recomputed with ``phase`` in force at its own reference time (``rejudge``)."""
    return rejudge(framework, view, phase=phase)


def with_qsmo_status_counts(
    government: ScorecardView, qsmo_views: Mapping[str, ScorecardView]
) -> ScorecardView:
    """``government`` with each measure's QSMO status counts, from the participants' views.

    Pass the QSMO views judged at the same reference time and phase. Participants are the
    version's own (``participants``; an older version without them: the QSMOs in
    ``qsmo_views``); a participant without a view counts as NO_DATA on every measure.
    """
    participants = government.participants or tuple(sorted(qsmo_views))
    dimensions = []
    for dimension in government.dimensions:
        measures = []
        for measure in dimension.measures:
            counts = qsmo_status_counts(
                _status_on(qsmo_views.get(qsmo), measure.id) for qsmo in participants
            )
            measures.append(
                measure.model_copy(
                    update={
                        "qsmo_status_counts": StatusCounts(
                            green=counts.green,
                            amber=counts.amber,
                            red=counts.red,
                            no_data=counts.no_data,
                        )
                    }
                )
            )
        dimensions.append(dimension.model_copy(update={"measures": tuple(measures)}))
    return government.model_copy(update={"dimensions": tuple(dimensions)})


def _status_on(view: ScorecardView | None, measure_id: str) -> Status:
    if view is None:
        return Status.NO_DATA
    try:
        return Status(view.measure(measure_id).status)
    except KeyError:
        return Status.NO_DATA
