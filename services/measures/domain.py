"""The measures service's pure core: folding a batch of counted events into period states.

Every (QSMO, measure) pair is one Kafka partition key, so all of a pair's events arrive on one
partition, in offset order, and each state document below has exactly one writer. Each state
remembers the highest offset folded into it (``applied_offset``): after a crash or a
rebalance the same events come again, and a state skips every event at or below its mark. That
makes a replay exactly-once per document without transactions (which the store lacks).

States: one per (QSMO, measure, period) for the fiscal year, fiscal quarter and UTC day of the
event (``PeriodState``), and one per (QSMO, measure) stream (``StreamState``) holding the
latest ``occurred_at`` seen. The stream state is saved *after* the period states, so a stream
mark at or past an offset proves every period state has that offset too.

A fiscal-year state also keeps one ``MonthPart`` per calendar month of the year that has
events, so a monthly series is one read of the year's document; the parts move with the year
state's ``applied_offset``, so each event is folded into its month exactly once too.

An event is *restated* in a period when the stream had already seen an event at or after the
period's end: it changes a value that was reported as final. It is counted as usual (late data
is data quality, not an error) and ``restated_count`` goes up.

**Slices** (FRAMEWORK.md rev. 2, "Tiers below the QSMO"): an event naming a ``provider`` and/or
an ``agency`` also folds into that provider's and that agency's *slice states* of the same
periods (fiscal year with its months, fiscal quarter, day): ``PeriodState`` with a ``slice``,
keyed ``qsmo|measure|kind|label|provider:<id>`` or ``...|agency:<id>``. They belong to the
same (QSMO, measure) stream, hence to the same partition and writer, so ``applied_offset``
makes them exactly-once exactly as the QSMO states, and restatement is judged against the
same stream mark. An event with both updates 9 period states instead of 3; a batch still
writes each state once (``BatchPlan.periods`` holds the last state per key). Slice states are
not announced on Kafka (``is_published_period``): slice scorecards are computed on read.

Each event also yields a ``Sighting`` (which provider and agency had events in a QSMO's
fiscal year): the read side's ``slice_index`` and ``agencies_seen`` documents, written as
set unions, so a replayed sighting changes nothing and any number of writers agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache

from shared.domain.fiscal import (
    Period,
    PeriodKind,
    day_period,
    fiscal_quarter_of,
    fiscal_quarter_period,
    fiscal_year_period,
    month_period,
    to_utc,
)
from shared.domain.providers import Slice
from shared.domain.summaries import EMPTY, Summary, fold

NOTHING_APPLIED = -1


@dataclass(frozen=True)
class CountedEvent:
    """An accepted event that counts (not a duplicate), with its Kafka position."""

    event_id: str
    qsmo: str
    measure: str
    value: float
    occurred_at: datetime
    ingested_at: datetime
    partition: int
    offset: int
    agency: str | None = None
    provider: str | None = None

    @property
    def slices(self) -> tuple[Slice | None, ...]:
        """The states' scopes this event folds into: the QSMO (None), its provider, its agency."""
        return _scopes(self.provider, self.agency)


@dataclass(frozen=True)
class MonthPart:
    """One calendar month's share of a fiscal-year state.

    ``restated_count`` counts the month's events that arrived after the stream had seen an
    event at or after the month's end (restated relative to the month, not the year).
    """

    summary: Summary = EMPTY
    restated_count: int = 0
    last_ingested_at: datetime | None = None


@dataclass(frozen=True)
class PeriodState:
    """The rolling summary of one (QSMO, measure, period), and the offset folded last."""

    qsmo: str
    measure: str
    period: Period
    fiscal_year: int
    fiscal_quarter: int | None
    summary: Summary = EMPTY
    restated_count: int = 0
    applied_offset: int = NOTHING_APPLIED
    partition: int = -1
    last_ingested_at: datetime | None = None
    months: Mapping[str, MonthPart] = field(default_factory=dict)
    """Fiscal-year states only: the year's months by label (``2024-03``) that have events."""
    slice: Slice | None = None
    """The provider or agency this state is restricted to; None for the QSMO-level state."""

    @property
    def key(self) -> str:
        return period_key(self.qsmo, self.measure, self.period, self.slice)


@dataclass(frozen=True)
class StreamState:
    """What a (QSMO, measure) stream has seen: its newest ``occurred_at`` and last offset."""

    qsmo: str
    measure: str
    max_occurred_at: datetime | None = None
    applied_offset: int = NOTHING_APPLIED
    partition: int = -1
    event_count: int = 0
    last_ingested_at: datetime | None = None

    @property
    def key(self) -> str:
        return stream_key(self.qsmo, self.measure)


@dataclass
class BatchPlan:
    """What a batch changes: new states to save and what to report about it."""

    periods: dict[str, PeriodState] = field(default_factory=dict)
    """Period states that folded at least one new event, by key."""
    streams: dict[str, StreamState] = field(default_factory=dict)
    """Stream states that moved, by key."""
    touched: dict[str, PeriodState] = field(default_factory=dict)
    """Every period state the batch's events belong to (also those already applied), current."""
    folded: dict[str, int] = field(default_factory=dict)
    """Events newly folded per period key."""
    restated: set[str] = field(default_factory=set)
    """Period keys that received a restating event in this batch."""
    newly_counted: list[CountedEvent] = field(default_factory=list)
    """Events counted for the first time (not already applied before a crash)."""
    late_events: int = 0
    """Newly counted events older than their stream's newest ``occurred_at``."""
    sightings: set[Sighting] = field(default_factory=set)
    """Which providers and agencies the batch's events name, per QSMO fiscal year."""


@dataclass(frozen=True)
class Sighting:
    """An event of ``provider`` and/or ``agency`` in ``qsmo``'s ``fiscal_year`` (either may be None)."""

    qsmo: str
    fiscal_year: int
    provider: str | None
    agency: str | None


def period_key(qsmo: str, measure: str, period: Period, slice: Slice | None = None) -> str:
    """Document key of a period state: ``qsmo|measure|kind|label`` (``|provider:<id>`` for a slice)."""
    key = f"{qsmo}|{measure}|{period.kind.value}|{period.label}"
    return key if slice is None else f"{key}|{slice.label}"


@lru_cache(maxsize=4096)
def _scopes(provider: str | None, agency: str | None) -> tuple[Slice | None, ...]:
    return (
        None,
        *(() if provider is None else (Slice("provider", provider),)),
        *(() if agency is None else (Slice("agency", agency),)),
    )


def stream_key(qsmo: str, measure: str) -> str:
    """Document key of a stream state: ``qsmo|measure`` (the Kafka key)."""
    return f"{qsmo}|{measure}"


def periods_of(occurred_at: datetime) -> tuple[tuple[Period, int, int | None], ...]:
    """The fiscal year, fiscal quarter and UTC day containing ``occurred_at``.

    Each comes with its fiscal year and (for quarters and days) fiscal quarter.
    """
    return _periods_of_day(to_utc(occurred_at).date())


@lru_cache(maxsize=4096)
def _periods_of_day(day: date) -> tuple[tuple[Period, int, int | None], ...]:
    # Every instant of a UTC day lies in the same fiscal year and quarter.
    fiscal_year, quarter = fiscal_quarter_of(datetime(day.year, day.month, day.day, tzinfo=UTC))
    return (
        (fiscal_year_period(fiscal_year), fiscal_year, None),
        (fiscal_quarter_period(fiscal_year, quarter), fiscal_year, quarter),
        (day_period(day), fiscal_year, quarter),
    )


def keys_of(events: Iterable[CountedEvent]) -> tuple[set[str], set[str]]:
    """The period keys and stream keys a batch of events needs loaded."""
    period_keys: set[str] = set()
    stream_keys: set[str] = set()
    for event in events:
        stream_keys.add(stream_key(event.qsmo, event.measure))
        for period, _, _ in periods_of(event.occurred_at):
            for scope in event.slices:
                period_keys.add(period_key(event.qsmo, event.measure, period, scope))
    return period_keys, stream_keys


def plan_batch(
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


def is_published_period(state: PeriodState) -> bool:
    """QSMO-level fiscal-year and fiscal-quarter values are announced on Kafka.

    Day states are not, nor are slice states (slice scorecards are computed on read).
    """
    return state.slice is None and state.period.kind in (
        PeriodKind.FISCAL_YEAR,
        PeriodKind.FISCAL_QUARTER,
    )
