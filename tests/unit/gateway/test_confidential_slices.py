"""Survey confidentiality on slices: a provider's or agency's slice of a survey-fed measure
that a closed wave of the year holds 1 to 4 responses of reads as no data, in every read;
other slices, whole QSMOs and other measures read as they are."""

from datetime import UTC, datetime

from gateway_unit_support import FakeMeasureValues

from gateway.confidential_slices import ConfidentialSliceValues
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice
from shared.domain.survey import SurveyResponse
from shared.domain.survey_slices import SliceKey, small_slices

AT = datetime(2025, 3, 1, 12, tzinfo=UTC)  # FY2025
HR, CS, SPEED = "human-resources", "customer-satisfaction", "time-to-hire"
NFC, DOI = Slice("provider", "usda-nfc"), Slice("agency", "DOI")
FUNCTIONS = {"payroll": HR, "human-resources": HR, "grants": "grants-management"}


def _response(
    n: int, agency: str, provider: str | None, function: str = "payroll"
) -> SurveyResponse:
    return SurveyResponse(
        id=f"r{n}",
        wave="w",
        role="manager",
        agency=agency,
        function=function,
        provider=provider,
        ratings={"overall": 3},
    )


def test_small_slices_per_wave_and_over_the_year() -> None:
    wave_1 = [_response(i, "VA", "usda-nfc") for i in range(4)]
    wave_1 += [_response(10 + i, "DOI", "opm-hr-solutions") for i in range(5)]
    wave_2 = [_response(20 + i, "DOI", "opm-hr-solutions") for i in range(5)]
    wave_2 += [_response(30, "DOI", None, function="grants")]
    small = small_slices([wave_1, wave_2], FUNCTIONS)
    assert small == {
        (HR, "provider", "usda-nfc"),  # 4 in wave 1
        (HR, "agency", "VA"),
        (None, "agency", "VA"),
        ("grants-management", "agency", "DOI"),  # 1 in wave 2 (DOI government-wide: 11)
    }
    assert small_slices([wave_1, wave_1], FUNCTIONS) >= {(HR, "provider", "usda-nfc")}
    assert small_slices([], FUNCTIONS) == frozenset()


def _values(small: frozenset[SliceKey]) -> ConfidentialSliceValues:
    events = [(HR, CS, 2.0, AT, "usda-nfc", "VA") for _ in range(4)]
    events += [(HR, CS, 4.0, AT, "opm-hr-solutions", "DOI") for _ in range(3)]
    events += [(HR, SPEED, 30.0, AT, "usda-nfc", "VA")]

    async def small_slices_of(year: int) -> frozenset[SliceKey]:
        return small if year == 2025 else frozenset()

    return ConfidentialSliceValues(FakeMeasureValues(events), [CS], small_slices_of)


async def test_a_small_survey_slice_reads_as_no_data() -> None:
    values = _values(frozenset({(HR, "provider", "usda-nfc")}))
    small = await values.fiscal_value(HR, CS, Aggregation.MEAN, 2025, slice=NFC)
    assert (small.value, small.summary.count) == (None, 0)
    series = await values.series(HR, CS, Aggregation.MEAN, 2025, PeriodKind.MONTH, slice=NFC)
    assert all(point.value is None and point.summary.count == 0 for point in series)
    rolling = await values.rolling_value(HR, CS, Aggregation.MEAN, AT, 30, slice=NFC)
    assert rolling.value is None
    states = await values.year_states([HR], [CS], [2025], NFC)
    assert [s.summary.count for s in states] == [0]


async def test_other_slices_the_whole_qsmo_other_years_and_measures_read_unchanged() -> None:
    values = _values(frozenset({(HR, "provider", "usda-nfc")}))
    doi = await values.fiscal_value(HR, CS, Aggregation.MEAN, 2025, slice=DOI)
    assert (doi.value, doi.summary.count) == (4.0, 3)  # no small survey group: a QSMO's data
    whole = await values.fiscal_value(HR, CS, Aggregation.MEAN, 2025)
    assert whole.summary.count == 7
    other = await values.fiscal_value(HR, SPEED, Aggregation.MEAN, 2025, slice=NFC)
    assert (other.value, other.summary.count) == (30.0, 1)
    states = await values.year_states([HR], [CS], [2025], DOI)
    assert [s.summary.count for s in states] == [3]
