"""What the measures read door returns, and the pure math that builds it from documents.

``read_model`` (the door) re-exports the public names; this module does no I/O.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from services.measures import documents as docs
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import Period
from shared.domain.providers import Slice
from shared.domain.summaries import EMPTY, Summary, government_wide_value, merge, value_of


@dataclass(frozen=True)
class ValueReading:
    """A measure's value over a period, with what it was computed from."""

    qsmo: str | None
    measure: str
    period: Period
    value: float | None
    summary: Summary
    restated_count: int
    last_ingested_at: datetime | None
    qsmos_reporting: int
    per_qsmo: Mapping[str, Summary] = field(default_factory=dict)
    """Each QSMO's summary (one entry for a QSMO's reading), for running totals."""
    slice: Slice | None = None
    """The provider or agency the reading is restricted to (None: the whole QSMO/government)."""


@dataclass(frozen=True)
class YearState:
    """A stored fiscal-year state of one (QSMO, measure), whole or of one slice."""

    qsmo: str
    measure: str
    fiscal_year: int
    summary: Summary
    restated_count: int
    last_ingested_at: datetime | None


@dataclass(frozen=True)
class SliceIndex:
    """Who has events in a QSMO's fiscal year.

    ``providers``: each provider with events → its customer agencies (agencies named together
    with it on an event; empty when its events name none). ``agencies``: every agency named.
    """

    providers: Mapping[str, frozenset[str]]
    agencies: frozenset[str]


def year_state(document: dict[str, Any]) -> YearState:
    """A fiscal-year period document (QSMO-level or slice) as a ``YearState``."""
    return YearState(
        qsmo=document["qsmo"],
        measure=document["measure"],
        fiscal_year=int(document["fiscal_year"]),
        summary=Summary.from_document(document["summary"]),
        restated_count=int(document["restated_count"]),
        last_ingested_at=docs.utc(document["last_ingested_at"]),
    )


def reading_of(
    qsmo: str | None,
    measure: str,
    aggregation: Aggregation,
    period: Period,
    found: list[dict[str, Any]],
    slice: Slice | None = None,
) -> ValueReading:
    """The reading of ``period`` from the period documents ``found`` (none: no value).

    Summaries merge per QSMO; with ``qsmo`` None the value is government-wide over them.
    """
    per_qsmo: dict[str, Summary] = defaultdict(lambda: EMPTY)
    restated = 0
    last_ingested: datetime | None = None
    for document in found:
        per_qsmo[document["qsmo"]] = merge(
            per_qsmo[document["qsmo"]], Summary.from_document(document["summary"])
        )
        restated += int(document["restated_count"])
        ingested = docs.utc(document["last_ingested_at"])
        if ingested is not None and (last_ingested is None or ingested > last_ingested):
            last_ingested = ingested
    pooled = _pooled(per_qsmo)
    value = (
        value_of(pooled, aggregation)
        if qsmo is not None
        else government_wide_value(per_qsmo, aggregation)
    )
    return ValueReading(
        qsmo,
        measure,
        period,
        value,
        pooled,
        restated,
        last_ingested,
        sum(1 for s in per_qsmo.values() if s.count),
        dict(per_qsmo),
        slice,
    )


def as_month_parts(days: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Day documents labelled with their month, in the shape of a year document's months."""
    return [{**d, "label": docs.utc(d["start"]).strftime("%Y-%m")} for d in days]  # type: ignore[union-attr]


def year_to_date(readings: Sequence[ValueReading], aggregation: Aggregation) -> list[ValueReading]:
    """Running readings: the i-th covers ``readings[0..i]`` (a fiscal year's points in order).

    Each keeps the period of its last point; summaries merge per QSMO, so a government-wide
    value is computed as for any period.
    """
    running: dict[str, Summary] = {}
    restated, last_ingested = 0, None
    result = []
    for reading in readings:
        for owner, summary in reading.per_qsmo.items():
            running[owner] = merge(running.get(owner, EMPTY), summary)
        restated += reading.restated_count
        if reading.last_ingested_at is not None and (
            last_ingested is None or reading.last_ingested_at > last_ingested
        ):
            last_ingested = reading.last_ingested_at
        pooled = _pooled(running)
        value = (
            value_of(pooled, aggregation)
            if reading.qsmo is not None
            else government_wide_value(running, aggregation)
        )
        result.append(
            replace(
                reading,
                value=value,
                summary=pooled,
                restated_count=restated,
                last_ingested_at=last_ingested,
                qsmos_reporting=sum(1 for s in running.values() if s.count),
                per_qsmo=dict(running),
            )
        )
    return result


def _pooled(per_qsmo: Mapping[str, Summary]) -> Summary:
    pooled = EMPTY
    for summary in per_qsmo.values():
        pooled = merge(pooled, summary)
    return pooled
