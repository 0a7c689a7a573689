"""The measures service's read door: the only module of the service the gateway imports.

``MeasureValuesReader`` returns ``ValueReading`` values (``__all__``); an import contract in
``pyproject.toml`` keeps the gateway from reaching past this module.

A fiscal-year or fiscal-quarter value is one indexed lookup of period documents (one per QSMO
for the government-wide value); a rolling window is one bounded range scan of day documents.
Rolling windows count whole UTC days: "last 30 days" is today and the 29 days before it, up
to the query instant.

A series reads only by ``_id`` (FerretDB 1.24 scans the whole collection for any other
filter, docs/local-infra.md): a monthly series is the fiscal-year document of each QSMO, whose
``months`` hold the month summaries; a quarterly series the four quarter documents of each
QSMO. A year document whose months do not add up to its count (written before months were
kept) is read from its day documents instead, as before: slower, never wrong.

**Slices** (``slice=``: one provider's or one agency's share, see ``documents``) read the same
way from their own documents, by ``_id``; a government-wide agency slice pools the agency's
documents of the given ``qsmos``. A slice without events has no value (None), never zero.
Every query that filters on anything but ``_id`` names ``slice_kind`` and ``slice_id`` (null for
QSMO-level reads; one index serves them all, ``repository.PERIOD_INDEX``), so QSMO-level and
government-wide values never pool slice documents in. ``year_states`` (one point lookup per
fiscal-year document) feeds the slice scorecards computed on read; ``slice_index`` and
``agencies_seen`` say which providers and agencies have events.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from services.measures import documents as docs
from services.measures.domain import period_key
from services.measures.readings import (
    SliceIndex,
    ValueReading,
    YearState,
    as_month_parts,
    reading_of,
    year_state,
    year_to_date,
)
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import (
    Period,
    PeriodKind,
    day_period,
    days_in,
    fiscal_quarter_period,
    fiscal_year_period,
    months_of,
    to_utc,
)
from shared.domain.providers import Slice
from shared.mongo import find_by_ids

ID_READ_MAX_DAYS = 400
"""A slice's rolling window up to this many days is read by ``_id`` (one lookup per day)."""


def rolling_window(now: datetime, days: int) -> Period:
    """The ``days`` whole UTC days ending with today's, up to ``now``."""
    if days < 1:
        raise ValueError("rollingDays must be at least 1")
    end = to_utc(now)
    start = end.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    return Period(PeriodKind.ROLLING, f"last {days} days", start, end)


class MeasureValuesReader:
    """Reads period and day documents written by the measures service."""

    def __init__(self, database: Any) -> None:
        self._periods = database[docs.PERIODS]
        self._slice_index = database[docs.SLICE_INDEX]
        self._agencies_seen = database[docs.AGENCIES_SEEN]

    async def fiscal_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        quarter: int | None = None,
        *,
        slice: Slice | None = None,
        qsmos: Sequence[str] = (),
    ) -> ValueReading:
        """The value for a fiscal year or one of its quarters (``qsmo`` None = government-wide).

        ``slice``: one provider's or agency's share. Government-wide (``qsmo`` None) slices are
        agency slices only (ValueError for a provider), pooled over ``qsmos`` by ``_id``; the
        government-wide values read ``qsmos`` by ``_id`` too when given, else by a query.
        """
        _check_slice(qsmo, slice)
        period = (
            fiscal_year_period(fiscal_year)
            if quarter is None
            else fiscal_quarter_period(fiscal_year, quarter)
        )
        if qsmo is not None or qsmos:
            owners = [qsmo] if qsmo is not None else sorted(set(qsmos))
            found = await find_by_ids(
                self._periods, [period_key(o, measure, period, slice) for o in owners]
            )
        else:
            query = {"measure": measure, "kind": period.kind.value, "label": period.label}
            found = await self._periods.find({**query, **_scope_filter(slice)}).to_list()
        return reading_of(qsmo, measure, aggregation, period, found, slice)

    async def rolling_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        now: datetime,
        days: int,
        *,
        slice: Slice | None = None,
    ) -> ValueReading:
        """The value over the last ``days`` whole UTC days up to ``now`` (of ``slice`` if given)."""
        _check_slice(qsmo, slice)
        period = rolling_window(now, days)
        if slice is not None and qsmo is not None and days <= ID_READ_MAX_DAYS:
            keys = [period_key(qsmo, measure, day_period(d), slice) for d in days_in(period)]
            found = await find_by_ids(self._periods, keys)
        else:
            found = await self._days(qsmo, measure, period, slice)
        return reading_of(qsmo, measure, aggregation, period, found, slice)

    async def series(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        granularity: PeriodKind,
        qsmos: Sequence[str] = (),
        *,
        slice: Slice | None = None,
    ) -> list[ValueReading]:
        """Monthly or quarterly values of a fiscal year (of ``slice`` if given), read by ``_id`` only.

        ``qsmo`` None: government-wide over ``qsmos``, every QSMO that may have data (the
        catalog's and those added); ValueError when it is empty, or for a provider slice.
        """
        _check_slice(qsmo, slice)
        if qsmo is None and not qsmos:
            raise ValueError("a government-wide series needs the QSMOs to read (qsmos)")
        owners = [qsmo] if qsmo is not None else sorted(set(qsmos))
        if granularity is PeriodKind.FISCAL_QUARTER:
            return await self._quarters(qsmo, owners, measure, aggregation, fiscal_year, slice)
        year = fiscal_year_period(fiscal_year)
        keys = [period_key(o, measure, year, slice) for o in owners]
        found = await find_by_ids(self._periods, keys)
        parts: list[dict[str, Any]] = []
        for document in found:
            months = document.get("months", {})
            counted = sum(int(m["summary"]["count"]) for m in months.values())
            if counted == int(document["summary"]["count"]):
                parts.extend({"qsmo": document["qsmo"], "label": k, **m} for k, m in months.items())
            else:  # written before months were kept: its days say the same, more slowly
                days = await self._days(document["qsmo"], measure, year, slice)
                parts.extend(as_month_parts(days))
        return [
            reading_of(
                qsmo, measure, aggregation, m, [p for p in parts if p["label"] == m.label], slice
            )
            for m in months_of(fiscal_year)
        ]

    async def _quarters(
        self,
        qsmo: str | None,
        owners: Sequence[str],
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        slice: Slice | None,
    ) -> list[ValueReading]:
        quarters = [fiscal_quarter_period(fiscal_year, q) for q in (1, 2, 3, 4)]
        keys = [period_key(o, measure, p, slice) for p in quarters for o in owners]
        found = await find_by_ids(self._periods, keys)
        return [
            reading_of(
                qsmo, measure, aggregation, p, [d for d in found if d["label"] == p.label], slice
            )
            for p in quarters
        ]

    async def _days(
        self, qsmo: str | None, measure: str, period: Period, slice: Slice | None
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {
            "measure": measure,
            "kind": PeriodKind.DAY.value,
            "start": {"$gte": period.start, "$lt": period.end},
            **_scope_filter(slice),
        }
        if qsmo is not None:
            query["qsmo"] = qsmo
        found: list[dict[str, Any]] = await self._periods.find(query).to_list()
        return found

    async def year_states(
        self,
        owners: Sequence[str],
        measures: Sequence[str],
        fiscal_years: Sequence[int],
        slice: Slice | None,
    ) -> list[YearState]:
        """The stored fiscal-year states of every (owner, measure, year), by ``_id``.

        Only those that exist (a slice or QSMO without events in a year has none); ordered
        by owner, measure and year.
        """
        keys = [
            period_key(o, m, fiscal_year_period(y), slice)
            for o in sorted(set(owners))
            for m in sorted(set(measures))
            for y in sorted(set(fiscal_years))
        ]
        found = {d["_id"]: d for d in await find_by_ids(self._periods, keys)}
        return [year_state(found[k]) for k in keys if k in found]

    async def slice_index(self, qsmo: str, fiscal_year: int) -> SliceIndex:
        """The providers (with their customer agencies) and agencies with events in the year."""
        document = await self._slice_index.find_one(
            {"_id": docs.slice_index_key(qsmo, fiscal_year)}
        )
        providers, agencies = docs.slice_index_of(document)
        return SliceIndex(providers, agencies)

    async def agencies_seen(self) -> list[str]:
        """Every agency any counted event named, in order."""
        return sorted([d["_id"] async for d in self._agencies_seen.find({}, {"_id": 1})])


def _check_slice(qsmo: str | None, slice: Slice | None) -> None:
    if qsmo is None and slice is not None and slice.kind != "agency":
        raise ValueError(
            f"a {slice.kind} slice needs its QSMO (qsmo); only agencies read government-wide"
        )


def _scope_filter(slice: Slice | None) -> dict[str, Any]:
    """The filter of one slice's documents, or of QSMO-level documents (``slice`` None)."""
    if slice is None:
        return dict(docs.QSMO_LEVEL)
    return {"slice_kind": slice.kind, "slice_id": slice.id}


__all__ = [
    "MeasureValuesReader",
    "SliceIndex",
    "ValueReading",
    "YearState",
    "year_to_date",
]
