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
from shared.domain.summaries import EMPTY, Ranked, Summary, fold_ranked, ranked

NOTHING_APPLIED = -1


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class MonthPart:
    """One calendar month's share of a fiscal-year state.

    ``restated_count`` counts the month's events that arrived after the stream had seen an
    event at or after the month's end (restated relative to the month, not the year).
    """

    summary: Summary = EMPTY
    restated_count: int = 0
    last_ingested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class _Placement:
    """One state an event folds into: its key, period and scope (and month, for a year)."""

    key: str
    qsmo: str
    measure: str
    period: Period
    fiscal_year: int
    fiscal_quarter: int | None
    scope: Slice | None
    month: Period | None


@dataclass(frozen=True, slots=True)
class _Placements:
    """Where the events of one stream, UTC day, provider and agency go."""

    stream_key: str
    fiscal_year: int
    states: tuple[_Placement, ...]


@lru_cache(maxsize=8192)
def _placements(
    qsmo: str, measure: str, day: date, provider: str | None, agency: str | None
) -> _Placements:
    # Events of one stream and day share their keys: computed once, not 3-9 times per event.
    states = tuple(
        _Placement(
            period_key(qsmo, measure, period, scope),
            qsmo,
            measure,
            period,
            fiscal_year,
            quarter,
            scope,
            _month(day.year, day.month) if period.kind is PeriodKind.FISCAL_YEAR else None,
        )
        for period, fiscal_year, quarter in _periods_of_day(day)
        for scope in _scopes(provider, agency)
    )
    return _Placements(stream_key(qsmo, measure), states[0].fiscal_year, states)


@lru_cache(maxsize=1024)
def _month(year: int, month: int) -> Period:
    return month_period(year, month)


def _placements_of(event: CountedEvent) -> _Placements:
    day = to_utc(event.occurred_at).date()
    return _placements(event.qsmo, event.measure, day, event.provider, event.agency)


def keys_of(events: Iterable[CountedEvent]) -> tuple[set[str], set[str]]:
    """The period keys and stream keys a batch of events needs loaded."""
    period_keys: set[str] = set()
    stream_keys: set[str] = set()
    for event in events:
        placements = _placements_of(event)
        stream_keys.add(placements.stream_key)
        period_keys.update(p.key for p in placements.states)
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

    Every decision is taken per event, in order, exactly as folding the events one by one
    would: which states still need the event (a state's offset moves with each event it
    folds), whether it restates a period (against the stream's newest ``occurred_at`` before
    the event), whether it is late. Only the summaries are computed once per state, at the
    end (``fold_ranked``: count, exact sum, min, max and latest do not depend on the order).
    """
    plan = BatchPlan()
    folds: dict[str, _Fold] = {}
    runs: dict[str, _StreamRun] = {}
    for event in events:
        placements = _placements_of(event)
        run = runs.get(placements.stream_key)
        if run is None:
            stored = streams.get(placements.stream_key)
            run = runs[placements.stream_key] = _StreamRun(
                stored or StreamState(event.qsmo, event.measure)
            )
        newly = _fold_into_periods(plan, folds, periods, run.max_occurred_at, event, placements)
        if event.provider is not None or event.agency is not None:
            plan.sightings.add(
                Sighting(event.qsmo, placements.fiscal_year, event.provider, event.agency)
            )
        if event.offset > run.applied_offset:
            if newly:
                plan.newly_counted.append(event)
                if run.max_occurred_at is not None and event.occurred_at < run.max_occurred_at:
                    plan.late_events += 1
            run.advance(event)
    for key, fold in folds.items():
        plan.touched[key] = state = fold.result()
        if fold.observations:
            plan.periods[key] = state
            plan.folded[key] = len(fold.observations)
    plan.streams = {key: run.result() for key, run in runs.items() if run.moved}
    return plan


def _fold_into_periods(
    plan: BatchPlan,
    folds: dict[str, _Fold],
    stored: Mapping[str, PeriodState],
    max_seen: datetime | None,
    event: CountedEvent,
    placements: _Placements,
) -> bool:
    """Add ``event`` to each of its states (periods × scopes) not yet past its offset."""
    observation: Ranked | None = None
    offset, ingested_at = event.offset, event.ingested_at
    for place in placements.states:
        fold = folds.get(place.key)
        if fold is None:
            fold = folds[place.key] = _Fold(place, stored.get(place.key))
        if offset <= fold.applied_offset:
            continue
        if observation is None:
            observation = ranked(event.value, event.occurred_at, offset)
        fold.applied_offset = offset
        fold.partition = event.partition
        fold.observations.append(observation)
        if fold.last_ingested_at is None or ingested_at > fold.last_ingested_at:
            fold.last_ingested_at = ingested_at
        if max_seen is not None and max_seen >= place.period.end:
            fold.restated += 1
            plan.restated.add(place.key)
        if fold.months is not None and place.month is not None:
            restating = max_seen is not None and max_seen >= place.month.end
            fold.month(place.month.label).add(observation, ingested_at, restating)
    return observation is not None


class _MonthFold:
    """What a batch adds to one month part of a fiscal-year state."""

    __slots__ = ("last_ingested_at", "observations", "part", "restated")

    def __init__(self, part: MonthPart) -> None:
        self.part = part
        self.observations: list[Ranked] = []
        self.restated = 0
        self.last_ingested_at = part.last_ingested_at

    def add(self, observation: Ranked, ingested_at: datetime, restating: bool) -> None:
        self.observations.append(observation)
        self.restated += restating
        if self.last_ingested_at is None or ingested_at > self.last_ingested_at:
            self.last_ingested_at = ingested_at

    def result(self) -> MonthPart:
        return MonthPart(
            summary=fold_ranked(self.part.summary, self.observations),
            restated_count=self.part.restated_count + self.restated,
            last_ingested_at=self.last_ingested_at,
        )


class _Fold:
    """A period state and what a batch folds into it, its offset moving event by event."""

    __slots__ = (
        "applied_offset",
        "last_ingested_at",
        "months",
        "observations",
        "partition",
        "place",
        "restated",
        "stored",
    )

    def __init__(self, place: _Placement, stored: PeriodState | None) -> None:
        self.place = place
        self.stored = stored
        self.observations: list[Ranked] = []
        self.restated = 0
        if stored is None:
            self.applied_offset, self.partition, self.last_ingested_at = NOTHING_APPLIED, -1, None
        else:
            self.applied_offset, self.partition = stored.applied_offset, stored.partition
            self.last_ingested_at = stored.last_ingested_at
        kind = place.period.kind if stored is None else stored.period.kind
        self.months: dict[str, _MonthFold] | None = {} if kind is PeriodKind.FISCAL_YEAR else None

    def month(self, label: str) -> _MonthFold:
        assert self.months is not None
        month = self.months.get(label)
        if month is None:
            stored = self.stored.months.get(label) if self.stored is not None else None
            month = self.months[label] = _MonthFold(stored or MonthPart())
        return month

    def result(self) -> PeriodState:
        """The state with everything folded (the state itself when nothing was)."""
        place, state = self.place, self.stored
        if state is None:
            state = PeriodState(
                place.qsmo,
                place.measure,
                place.period,
                place.fiscal_year,
                place.fiscal_quarter,
                slice=place.scope,
            )
        if not self.observations:
            return state
        months = state.months
        if self.months:
            months = {**months, **{label: m.result() for label, m in self.months.items()}}
        return PeriodState(
            qsmo=state.qsmo,
            measure=state.measure,
            period=state.period,
            fiscal_year=state.fiscal_year,
            fiscal_quarter=state.fiscal_quarter,
            summary=fold_ranked(state.summary, self.observations),
            restated_count=state.restated_count + self.restated,
            applied_offset=self.applied_offset,
            partition=self.partition,
            last_ingested_at=self.last_ingested_at,
            months=months,
            slice=state.slice,
        )


class _StreamRun:
    """A stream state advancing event by event through a batch."""

    __slots__ = (
        "applied_offset",
        "event_count",
        "last_ingested_at",
        "max_occurred_at",
        "moved",
        "partition",
        "state",
    )

    def __init__(self, state: StreamState) -> None:
        self.state = state
        self.max_occurred_at = state.max_occurred_at
        self.applied_offset = state.applied_offset
        self.partition = state.partition
        self.event_count = state.event_count
        self.last_ingested_at = state.last_ingested_at
        self.moved = False

    def advance(self, event: CountedEvent) -> None:
        self.max_occurred_at = _later(self.max_occurred_at, event.occurred_at)
        self.applied_offset = event.offset
        self.partition = event.partition
        self.event_count += 1
        self.last_ingested_at = _later(self.last_ingested_at, event.ingested_at)
        self.moved = True

    def result(self) -> StreamState:
        return replace(
            self.state,
            max_occurred_at=self.max_occurred_at,
            applied_offset=self.applied_offset,
            partition=self.partition,
            event_count=self.event_count,
            last_ingested_at=self.last_ingested_at,
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
