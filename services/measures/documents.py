"""How period and stream states look as stored documents (shared by every repository).

Collections: ``events`` (raw accepted events, ``_id`` = event_id, with their Kafka position),
``measure_periods`` (``_id`` = ``qsmo|measure|kind|label``) and ``measure_streams``
(``_id`` = ``qsmo|measure``). Timestamps are BSON dates; sums keep their exact partials.
A fiscal-year document also has ``months``: ``{"2024-03": {summary, restated_count,
last_ingested_at}}`` for each month with events (documents written before months were kept
lack it, or lack older events in it: readers compare the counts, see ``read_model``).

**Slice documents** live in ``measure_periods`` beside the QSMO-level ones: the same shape,
``_id`` = the QSMO key plus ``|provider:<id>`` or ``|agency:<id>``, and ``slice_kind``
(``provider`` / ``agency``) and ``slice_id`` fields, which are null on QSMO-level documents
(absent on those written before slices existed). A reader that wants QSMO-level documents and
filters on anything but ``_id`` must add ``slice_kind: null, slice_id: null`` (``QSMO_LEVEL``;
null also matches an absent field).

Two small indexes of the slices, written as set unions (``$set`` of dotted paths with upsert,
or an insert whose duplicate is ignored), so a replay or a second writer changes nothing:
``slice_index`` (``_id`` = ``<qsmo>|FY<year>``): ``{"providers": {"doi-ibc": {"seen": true,
"agencies": {"DOI": true}}}, "agencies": {"DOI": true}}`` — the providers and agencies with
events in a QSMO's fiscal year, and each provider's customer agencies (events naming both);
``agencies_seen`` (``_id`` = agency id): every agency any event named. Agency ids are free
text, so as field names they are escaped (``field_name``: ``%``, ``.`` and ``$``).
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from services.measures.domain import MonthPart, PeriodState, Sighting, StreamState
from shared.domain.fiscal import Period, PeriodKind
from shared.domain.providers import Slice
from shared.domain.summaries import Summary
from shared.events import AcceptedEvent

EVENTS = "events"
PERIODS = "measure_periods"
STREAMS = "measure_streams"
SLICE_INDEX = "slice_index"
AGENCIES_SEEN = "agencies_seen"

QSMO_LEVEL: dict[str, Any] = {"slice_kind": None, "slice_id": None}
"""The filter that keeps slice documents out of a QSMO-level (or government-wide) query."""


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
        "slice_kind": state.slice.kind if state.slice else None,
        "slice_id": state.slice.id if state.slice else None,
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
    period = _period(
        document["kind"],
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
        slice=slice_of(document),
    )


@lru_cache(maxsize=8192)
def _period(kind: str, label: str, start: datetime, end: datetime) -> Period:
    # Many documents name the same period (every stream's fiscal year): built once.
    return Period(PeriodKind(kind), label, start, end)


def slice_of(document: Mapping[str, Any]) -> Slice | None:
    """The slice of a period document; None for a QSMO-level one."""
    kind = document.get("slice_kind")
    return None if kind is None else Slice(kind, document["slice_id"])


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


def slice_index_key(qsmo: str, fiscal_year: int) -> str:
    return f"{qsmo}|FY{fiscal_year}"


def field_name(identifier: str) -> str:
    """``identifier`` usable as one field name of a dotted update path (reversible)."""
    return identifier.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def identifier_of(name: str) -> str:
    """The identifier ``field_name`` escaped."""
    return name.replace("%24", "$").replace("%2E", ".").replace("%25", "%")


def slice_index_updates(sightings: Iterable[Sighting]) -> dict[str, dict[str, bool]]:
    """The ``$set`` paths per ``slice_index`` document, one entry per document (coalesced)."""
    updates: dict[str, dict[str, bool]] = {}
    for sighting in sightings:
        paths = updates.setdefault(slice_index_key(sighting.qsmo, sighting.fiscal_year), {})
        agency = None if sighting.agency is None else field_name(sighting.agency)
        if agency is not None:
            paths[f"agencies.{agency}"] = True
        if sighting.provider is not None:
            provider = f"providers.{field_name(sighting.provider)}"
            paths[f"{provider}.seen"] = True
            if agency is not None:
                paths[f"{provider}.agencies.{agency}"] = True
    return updates


def slice_index_of(
    document: Mapping[str, Any] | None,
) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """A ``slice_index`` document as (provider → customer agencies, agencies); empty if None."""
    if document is None:
        return {}, frozenset()
    providers = {
        identifier_of(name): frozenset(identifier_of(a) for a in entry.get("agencies", {}))
        for name, entry in document.get("providers", {}).items()
    }
    return providers, frozenset(identifier_of(a) for a in document.get("agencies", {}))
