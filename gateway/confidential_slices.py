"""Survey confidentiality on measure slices (FRAMEWORK.md rev. 2, the survey).

Each survey response enters ``customer-satisfaction`` as one event that names its agency and
its provider, so a provider's or an agency's slice of that measure is a survey group. The
survey's own results withhold groups of fewer than 5 respondents; so does every slice read
here: a slice that a closed wave of the fiscal year holds 1 to 4 responses of
(``SurveyTool.small_slices``) reads as no data (value None, an empty summary), whether a
value, a series point or a slice scorecard asks. Whole-QSMO and government-wide reads, other
measures and slices without a small survey group (a QSMO system's own data) pass through.
"""

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime

from gateway.ports import MeasureValues
from services.measures.read_model import SliceIndex, ValueReading, YearState
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind, fiscal_year_of
from shared.domain.providers import Slice
from shared.domain.summaries import Summary
from shared.domain.survey_slices import SliceKey

SmallSlices = Callable[[int], Awaitable[frozenset[SliceKey]]]
"""A fiscal year → the slices its closed survey waves hold 1..4 responses of."""


def _withheld(reading: ValueReading) -> ValueReading:
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


class ConfidentialSliceValues:
    """``MeasureValues`` that withholds the small survey slices of the survey-fed ``measures``."""

    def __init__(
        self, reader: MeasureValues, measures: Collection[str], small_slices: SmallSlices
    ) -> None:
        self._reader = reader
        self._measures = frozenset(measures)
        self._small_slices = small_slices

    async def _small(
        self, qsmo: str | None, measure: str, slice: Slice | None, fiscal_years: Sequence[int]
    ) -> bool:
        if slice is None or measure not in self._measures:
            return False
        key: SliceKey = (qsmo, slice.kind, slice.id)
        for year in fiscal_years:
            if key in await self._small_slices(year):
                return True
        return False

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
        small = await self._small(qsmo, measure, slice, [fiscal_year])
        return _withheld(reading) if small else reading

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
        years = sorted({fiscal_year_of(reading.period.start), fiscal_year_of(now)})
        return _withheld(reading) if await self._small(qsmo, measure, slice, years) else reading

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
        if not await self._small(qsmo, measure, slice, [fiscal_year]):
            return readings
        return [_withheld(reading) for reading in readings]

    async def year_states(
        self,
        owners: Sequence[str],
        measures: Sequence[str],
        fiscal_years: Sequence[int],
        slice: Slice | None,
    ) -> list[YearState]:
        states = await self._reader.year_states(owners, measures, fiscal_years, slice)
        shown = []
        for state in states:
            if await self._small(state.qsmo, state.measure, slice, [state.fiscal_year]):
                state = replace(
                    state, summary=Summary.empty(), restated_count=0, last_ingested_at=None
                )
            shown.append(state)
        return shown

    async def slice_index(self, qsmo: str, fiscal_year: int) -> SliceIndex:
        return await self._reader.slice_index(qsmo, fiscal_year)

    async def agencies_seen(self) -> list[str]:
        return await self._reader.agencies_seen()
