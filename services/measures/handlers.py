"""``process_batch``: decode → store raw → load states → fold (pure) → save → publish.

The caller commits the batch's Kafka offsets only after this returns: every effect is then
durable, and a crash at any earlier point replays the batch to the same end state (see
``domain.py`` for why the replay neither loses nor double-counts).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from services.measures.decoding import PoisonMessageError, RawRecord, dead_letter, decode_event
from services.measures.domain import (
    CountedEvent,
    PeriodState,
    is_published_period,
    keys_of,
    plan_batch,
)
from services.measures.ports import MeasureRepository, PositionedEvent, ValuePublisher
from shared.domain.catalog import Catalog
from shared.domain.fiscal import Period
from shared.domain.summaries import value_of
from shared.events import MeasureValueChanged, PeriodRef


@dataclass
class BatchReport:
    """What one batch did, for metrics and logs."""

    records: int = 0
    counted: int = 0
    duplicates: int = 0
    late: int = 0
    dead_lettered: dict[str, int] = field(default_factory=dict)
    values_published: int = 0
    counted_events: list[CountedEvent] = field(default_factory=list)


async def process_batch(
    records: Sequence[RawRecord],
    *,
    repository: MeasureRepository,
    publisher: ValuePublisher,
    catalog: Catalog,
    now: datetime,
) -> BatchReport:
    """Apply a batch of ``qsmo.events.v1`` records (in offset order per partition)."""
    report = BatchReport(records=len(records))
    accepted, letters = [], []
    for record in records:
        try:
            event = decode_event(record, catalog)
        except PoisonMessageError as poison:
            letters.append(dead_letter(record, poison, now))
            report.dead_lettered[poison.code] = report.dead_lettered.get(poison.code, 0) + 1
            continue
        accepted.append(PositionedEvent(event, record.partition, record.offset))
    if letters:
        await publisher.dead_letter(letters)
    if not accepted:
        return report

    counting = await repository.store_raw_events(accepted)
    counted = [_counted(item) for item in accepted if (item.partition, item.offset) in counting]
    report.duplicates = len(accepted) - len(counted)

    period_keys, stream_keys = keys_of(counted)
    plan = plan_batch(
        counted,
        await repository.load_periods(period_keys),
        await repository.load_streams(stream_keys),
    )
    await repository.save_periods(list(plan.periods.values()))
    await repository.save_sightings(plan.sightings)
    await repository.save_streams(list(plan.streams.values()))

    changes = [
        change
        for key, state in sorted(plan.touched.items())
        if is_published_period(state)
        for change in value_changes(
            state, catalog, folded=plan.folded.get(key, 0), restated=key in plan.restated, now=now
        )
    ]
    await publisher.publish_values(changes)
    report.values_published = len(changes)
    report.counted = len(plan.newly_counted)
    report.counted_events = plan.newly_counted
    report.late = plan.late_events
    return report


def _counted(item: PositionedEvent) -> CountedEvent:
    event = item.event
    return CountedEvent(
        event_id=event.event_id,
        qsmo=event.qsmo,
        measure=event.measure,
        value=event.value,
        occurred_at=event.occurred_at,
        ingested_at=event.ingested_at,
        partition=item.partition,
        offset=item.offset,
        agency=event.agency,
        provider=event.provider,
    )


def value_changes(
    state: PeriodState, catalog: Catalog, *, folded: int, restated: bool, now: datetime
) -> tuple[MeasureValueChanged, MeasureValueChanged]:
    """The QSMO-scope and government-scope announcements of a period state's value.

    Also sent for a state that a replay found already applied, so that a crash between the
    save and the publish still reaches the scorecards (the message is a full state).
    """
    aggregation = catalog.framework_for_measure(state.measure).measure(state.measure).aggregation
    summary = state.summary
    qsmo_scope = MeasureValueChanged(
        scope="qsmo",
        qsmo=state.qsmo,
        measure=state.measure,
        period=_period_ref(state.period, state.fiscal_year, state.fiscal_quarter),
        aggregation=aggregation.value,
        value=value_of(summary, aggregation),
        count=summary.count,
        summary=summary.to_document(),
        restated=restated,
        restated_count=state.restated_count,
        source_event_count=folded,
        last_occurred_at=summary.latest.occurred_at if summary.latest else None,
        last_ingested_at=state.last_ingested_at,
        changed_at=now,
    )
    # The same message but for its scope: copied, not validated a second time.
    return qsmo_scope, qsmo_scope.model_copy(update={"scope": "government"})


@lru_cache(maxsize=4096)
def _period_ref(period: Period, fiscal_year: int, fiscal_quarter: int | None) -> PeriodRef:
    return PeriodRef(
        kind=period.kind.value,
        label=period.label,
        fiscal_year=fiscal_year,
        fiscal_quarter=fiscal_quarter,
        start=period.start,
        end=period.end,
    )
