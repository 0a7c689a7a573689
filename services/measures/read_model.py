"""The measures service's read door: the only module of the service the gateway imports.

``MeasureValuesReader`` returns ``ValueReading`` values (``__all__``); an import contract in
``pyproject.toml`` keeps the gateway from reaching past this module.

A fiscal-year or fiscal-quarter value is one indexed lookup of period documents (one per QSMO
for the government-wide value); a rolling window or a monthly series is one bounded range
scan of day documents. Rolling windows count whole UTC days: "last 30 days" is today and the
29 days before it, up to the query instant.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.measures import documents as docs
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import (
    Period,
    PeriodKind,
    fiscal_quarter_period,
    fiscal_year_period,
    months_of,
    to_utc,
)
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

    async def fiscal_value(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        quarter: int | None = None,
    ) -> ValueReading:
        """The value for a fiscal year or one of its quarters (``qsmo`` None = government-wide)."""
        period = (
            fiscal_year_period(fiscal_year)
            if quarter is None
            else fiscal_quarter_period(fiscal_year, quarter)
        )
        query: dict[str, Any] = {
            "measure": measure,
            "kind": period.kind.value,
            "label": period.label,
        }
        if qsmo is not None:
            query = {"_id": f"{qsmo}|{measure}|{period.kind.value}|{period.label}"}
        found = await self._periods.find(query).to_list()
        return _reading(qsmo, measure, aggregation, period, found)

    async def rolling_value(
        self, qsmo: str | None, measure: str, aggregation: Aggregation, now: datetime, days: int
    ) -> ValueReading:
        """The value over the last ``days`` whole UTC days up to ``now``."""
        period = rolling_window(now, days)
        return _reading(qsmo, measure, aggregation, period, await self._days(qsmo, measure, period))

    async def series(
        self,
        qsmo: str | None,
        measure: str,
        aggregation: Aggregation,
        fiscal_year: int,
        granularity: PeriodKind,
    ) -> list[ValueReading]:
        """Monthly (from days, one range scan) or quarterly values of a fiscal year."""
        if granularity is PeriodKind.FISCAL_QUARTER:
            return [
                await self.fiscal_value(qsmo, measure, aggregation, fiscal_year, q)
                for q in (1, 2, 3, 4)
            ]
        days = await self._days(qsmo, measure, fiscal_year_period(fiscal_year))
        readings = []
        for month in months_of(fiscal_year):
            inside = [d for d in days if month.start <= docs.utc(d["start"]) < month.end]  # type: ignore[operator]
            readings.append(_reading(qsmo, measure, aggregation, month, inside))
        return readings

    async def _days(self, qsmo: str | None, measure: str, period: Period) -> list[dict[str, Any]]:
        query: dict[str, Any] = {
            "measure": measure,
            "kind": PeriodKind.DAY.value,
            "start": {"$gte": period.start, "$lt": period.end},
        }
        if qsmo is not None:
            query["qsmo"] = qsmo
        found: list[dict[str, Any]] = await self._periods.find(query).to_list()
        return found


def _reading(
    qsmo: str | None,
    measure: str,
    aggregation: Aggregation,
    period: Period,
    found: list[dict[str, Any]],
) -> ValueReading:
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
    )


def _pooled(per_qsmo: Mapping[str, Summary]) -> Summary:
    pooled = EMPTY
    for summary in per_qsmo.values():
        pooled = merge(pooled, summary)
    return pooled


__all__ = ["MeasureValuesReader", "ValueReading"]
