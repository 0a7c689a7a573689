"""The measures core's fold as it was before issue #21: one event at a time, for comparison.

``services.measures.domain.plan_batch`` folds a batch per state (one exact sum per state and
batch); ``test_plan_batch_equivalence`` checks it gives the very same ``BatchPlan`` as this
event-by-event fold, copied unchanged from ``domain.py`` at 06cdc87 (only the types are
imported instead of defined here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from services.measures.domain import (
    BatchPlan,
    CountedEvent,
    MonthPart,
    PeriodState,
    Sighting,
    StreamState,
    period_key,
    periods_of,
    stream_key,
)
from shared.domain.fiscal import Period, PeriodKind, month_period, to_utc
from shared.domain.providers import Slice
from shared.domain.summaries import fold


def reference_plan_batch(
    events: Iterable[CountedEvent],
    periods: Mapping[str, PeriodState],
    streams: Mapping[str, StreamState],
) -> BatchPlan:
    """Fold ``events`` (in offset order per partition) into the loaded states.

    ``periods`` and ``streams`` hold the stored states of the batch's keys (missing = new).
    Events at or below a state's ``applied_offset`` are skipped for that state only, so a
    batch replayed after a crash at any point ends in the same states as one clean run.
    """
    plan = BatchPlan()
    current_periods = dict(periods)
    current_streams = dict(streams)
    for event in events:
        skey = stream_key(event.qsmo, event.measure)
        stream = current_streams.get(skey) or StreamState(event.qsmo, event.measure)
        newly = _fold_into_periods(plan, current_periods, stream, event)
        if event.provider is not None or event.agency is not None:
            plan.sightings.add(_sighting(event))
        if event.offset > stream.applied_offset:
            current_streams[skey] = plan.streams[skey] = _advance(stream, event)
            if newly:
                plan.newly_counted.append(event)
                if (
                    stream.max_occurred_at is not None
                    and event.occurred_at < stream.max_occurred_at
                ):
                    plan.late_events += 1
    return plan


def _fold_into_periods(
    plan: BatchPlan,
    current: dict[str, PeriodState],
    stream: StreamState,
    event: CountedEvent,
) -> bool:
    """Fold ``event`` into each of its states (periods × scopes) not yet past its offset."""
    newly = False
    for placement in periods_of(event.occurred_at):
        for scope in event.slices:
            newly = _fold_into_period(plan, current, stream, event, placement, scope) or newly
    return newly


def _fold_into_period(
    plan: BatchPlan,
    current: dict[str, PeriodState],
    stream: StreamState,
    event: CountedEvent,
    placement: tuple[Period, int, int | None],
    scope: Slice | None,
) -> bool:
    period, fiscal_year, quarter = placement
    key = period_key(event.qsmo, event.measure, period, scope)
    state = current.get(key) or PeriodState(
        event.qsmo, event.measure, period, fiscal_year, quarter, slice=scope
    )
    newly = event.offset > state.applied_offset
    if newly:
        restating = stream.max_occurred_at is not None and stream.max_occurred_at >= period.end
        state = replace(
            state,
            summary=fold(state.summary, event.value, event.occurred_at, event.offset),
            restated_count=state.restated_count + int(restating),
            applied_offset=event.offset,
            partition=event.partition,
            last_ingested_at=_later(state.last_ingested_at, event.ingested_at),
            months=_months_with(state, stream, event),
        )
        current[key] = plan.periods[key] = state
        plan.folded[key] = plan.folded.get(key, 0) + 1
        if restating:
            plan.restated.add(key)
    plan.touched[key] = state
    return newly


def _sighting(event: CountedEvent) -> Sighting:
    fiscal_year = periods_of(event.occurred_at)[0][1]
    return Sighting(event.qsmo, fiscal_year, event.provider, event.agency)


def _months_with(
    state: PeriodState, stream: StreamState, event: CountedEvent
) -> Mapping[str, MonthPart]:
    """A fiscal-year state's months with ``event`` folded into its month (others: unchanged)."""
    if state.period.kind is not PeriodKind.FISCAL_YEAR:
        return state.months
    at = to_utc(event.occurred_at)
    month = month_period(at.year, at.month)
    part = state.months.get(month.label, MonthPart())
    restating = stream.max_occurred_at is not None and stream.max_occurred_at >= month.end
    folded = MonthPart(
        summary=fold(part.summary, event.value, event.occurred_at, event.offset),
        restated_count=part.restated_count + int(restating),
        last_ingested_at=_later(part.last_ingested_at, event.ingested_at),
    )
    return {**state.months, month.label: folded}


def _advance(stream: StreamState, event: CountedEvent) -> StreamState:
    return replace(
        stream,
        max_occurred_at=_later(stream.max_occurred_at, event.occurred_at),
        applied_offset=event.offset,
        partition=event.partition,
        event_count=stream.event_count + 1,
        last_ingested_at=_later(stream.last_ingested_at, event.ingested_at),
    )


def _later(a: datetime | None, b: datetime) -> datetime:
    return b if a is None or b > a else a
