"""How period and stream states look as stored documents (shared by every repository).

Collections: ``events`` (raw accepted events, ``_id`` = event_id, with their Kafka position),
``measure_periods`` (``_id`` = ``qsmo|measure|kind|label``) and ``measure_streams``
(``_id`` = ``qsmo|measure``). Timestamps are BSON dates; sums keep their exact partials.
A fiscal-year document also has ``months``: ``{"2024-03": {summary, restated_count,
last_ingested_at}}`` for each month with events (documents written before months were kept
lack it, or lack older events in it: readers compare the counts, see ``read_model``).
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from services.measures.domain import MonthPart, PeriodState, StreamState
from shared.domain.fiscal import Period, PeriodKind
from shared.domain.summaries import Summary
from shared.events import AcceptedEvent

EVENTS = "events"
PERIODS = "measure_periods"
STREAMS = "measure_streams"


def utc(value: datetime | None) -> datetime | None:
    """BSON dates come back naive (UTC) from some clients; make them aware."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def raw_event_document(event: AcceptedEvent, partition: int, offset: int) -> dict[str, Any]:
    document = event.model_dump(mode="python")
    document["_id"] = document.pop("event_id")
    document["kafka"] = {"partition": partition, "offset": offset}
    return document


def period_document(state: PeriodState) -> dict[str, Any]:
    return {
        "_id": state.key,
        "qsmo": state.qsmo,
        "measure": state.measure,
        "kind": state.period.kind.value,
        "label": state.period.label,
        "start": state.period.start,
        "end": state.period.end,
        "fiscal_year": state.fiscal_year,
        "fiscal_quarter": state.fiscal_quarter,
        "summary": state.summary.to_document(),
        "restated_count": state.restated_count,
        "applied_offset": state.applied_offset,
        "partition": state.partition,
        "last_ingested_at": state.last_ingested_at,
        **({"months": months_document(state.months)} if state.months else {}),
    }


def months_document(months: Mapping[str, MonthPart]) -> dict[str, Any]:
    return {
        label: {
            "summary": part.summary.to_document(),
            "restated_count": part.restated_count,
            "last_ingested_at": part.last_ingested_at,
        }
        for label, part in sorted(months.items())
    }


def month_parts(document: Mapping[str, Any]) -> dict[str, MonthPart]:
    """The ``months`` of a period document (empty when it has none)."""
    return {
        label: MonthPart(
            summary=Summary.from_document(part["summary"]),
            restated_count=int(part["restated_count"]),
            last_ingested_at=utc(part["last_ingested_at"]),
        )
        for label, part in document.get("months", {}).items()
    }


def period_state(document: dict[str, Any]) -> PeriodState:
    period = Period(
        PeriodKind(document["kind"]),
        document["label"],
        document["start"].replace(tzinfo=UTC),
        document["end"].replace(tzinfo=UTC),
    )
    return PeriodState(
        qsmo=document["qsmo"],
        measure=document["measure"],
        period=period,
        fiscal_year=int(document["fiscal_year"]),
        fiscal_quarter=document["fiscal_quarter"],
        summary=Summary.from_document(document["summary"]),
        restated_count=int(document["restated_count"]),
        applied_offset=int(document["applied_offset"]),
        partition=int(document["partition"]),
        last_ingested_at=utc(document["last_ingested_at"]),
        months=month_parts(document),
    )


def stream_document(state: StreamState) -> dict[str, Any]:
    return {
        "_id": state.key,
        "qsmo": state.qsmo,
        "measure": state.measure,
        "max_occurred_at": state.max_occurred_at,
        "applied_offset": state.applied_offset,
        "partition": state.partition,
        "event_count": state.event_count,
        "last_ingested_at": state.last_ingested_at,
    }


def stream_state(document: dict[str, Any]) -> StreamState:
    return StreamState(
        qsmo=document["qsmo"],
        measure=document["measure"],
        max_occurred_at=utc(document["max_occurred_at"]),
        applied_offset=int(document["applied_offset"]),
        partition=int(document["partition"]),
        event_count=int(document["event_count"]),
        last_ingested_at=utc(document["last_ingested_at"]),
    )
