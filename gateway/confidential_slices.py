"""Survey confidentiality on measure slices (FRAMEWORK.md rev. 2, the survey).

Each survey response enters ``customer-satisfaction`` as one event that names its agency and
its provider, so a provider's or an agency's slice of that measure is a survey group. The
survey's own results withhold groups of fewer than ``MIN_RESPONDENTS``; so does every slice
read here: a slice state of a survey-fed measure counting 1 to 4 observations reads as no data
(value None, an empty summary), whether the value, a series point or a slice scorecard asks.
Whole-QSMO and government-wide reads, other measures and slices of 5 or more pass through.
"""

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from gateway.ports import MeasureValues
from services.measures.read_model import SliceIndex, ValueReading, YearState
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice
from shared.domain.summaries import Summary
from shared.domain.survey_disclosure import MIN_RESPONDENTS


def _too_few(summary: Summary) -> bool:
    return 0 < summary.count < MIN_RESPONDENTS


class ConfidentialSliceValues:
    """``MeasureValues`` that withholds small slices of the survey-fed ``measures``."""

    def __init__(self, reader: MeasureValues, measures: Collection[str]) -> None:
        self._reader = reader
        self._measures = frozenset(measures)

    def _guarded(self, measure: str, slice: Slice | None) -> bool:
        return slice is not None and measure in self._measures

    @staticmethod
    def _withheld(reading: ValueReading) -> ValueReading:
        if not _too_few(reading.summary):
            return reading
        empty = Summary.empty()
        return replace(
            reading,
            value=None,
            summary=empty,
            restated_count=0,
            last_ingested_at=None,
            qsmos_reporting=0,
            per_qsmo={qsmo: empty for qsmo in reading.per_qsmo},
        )

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
        reading = await self._reader.fiscal_value(
            qsmo, measure, aggregation, fiscal_year, quarter, slice=slice, qsmos=qsmos
        )
        return self._withheld(reading) if self._guarded(measure, slice) else reading

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
        reading = await self._reader.rolling_value(
            qsmo, measure, aggregation, now, days, slice=slice
        )
        return self._withheld(reading) if self._guarded(measure, slice) else reading

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
        readings = await self._reader.series(
            qsmo, measure, aggregation, fiscal_year, granularity, qsmos, slice=slice
        )
        if not self._guarded(measure, slice):
            return readings
        return [self._withheld(reading) for reading in readings]

    async def year_states(
        self,
        owners: Sequence[str],
        measures: Sequence[str],
        fiscal_years: Sequence[int],
        slice: Slice | None,
    ) -> list[YearState]:
        states = await self._reader.year_states(owners, measures, fiscal_years, slice)
        if slice is None:
            return states
        return [
            replace(state, summary=Summary.empty(), restated_count=0, last_ingested_at=None)
            if state.measure in self._measures and _too_few(state.summary)
            else state
            for state in states
        ]

    async def slice_index(self, qsmo: str, fiscal_year: int) -> SliceIndex:
        return await self._reader.slice_index(qsmo, fiscal_year)

    async def agencies_seen(self) -> list[str]:
        return await self._reader.agencies_seen()
