"""Survey confidentiality on slices: a provider's or agency's slice of a survey-fed measure
with 1 to 4 observations reads as no data, in every read; 5 or more, whole QSMOs and other
measures read as they are."""

from datetime import UTC, datetime

from gateway_unit_support import FakeMeasureValues

from gateway.confidential_slices import ConfidentialSliceValues
from shared.domain.catalog import Aggregation
from shared.domain.fiscal import PeriodKind
from shared.domain.providers import Slice

AT = datetime(2025, 3, 1, 12, tzinfo=UTC)  # FY2025
HR, CS, SPEED = "human-resources", "customer-satisfaction", "time-to-hire"
SMALL, LARGE = Slice("provider", "usda-nfc"), Slice("agency", "DOI")


def _values() -> ConfidentialSliceValues:
    events = [(HR, CS, 2.0, AT, "usda-nfc", "VA") for _ in range(4)]  # 4 via usda-nfc
    events += [(HR, CS, 4.0, AT, "opm-hr-solutions", "DOI") for _ in range(5)]  # 5 from DOI
    events += [(HR, SPEED, 30.0, AT, "usda-nfc", "VA")]
    return ConfidentialSliceValues(FakeMeasureValues(events), [CS])


async def test_a_slice_of_fewer_than_five_reads_as_no_data() -> None:
    values = _values()
    small = await values.fiscal_value(HR, CS, Aggregation.MEAN, 2025, slice=SMALL)
    assert (small.value, small.summary.count) == (None, 0)
    series = await values.series(HR, CS, Aggregation.MEAN, 2025, PeriodKind.MONTH, slice=SMALL)
    assert all(point.value is None and point.summary.count == 0 for point in series)
    rolling = await values.rolling_value(HR, CS, Aggregation.MEAN, AT, 30, slice=SMALL)
    assert rolling.value is None
    states = await values.year_states([HR], [CS], [2025], SMALL)
    assert [s.summary.count for s in states] == [0]


async def test_five_or_more_the_whole_qsmo_and_other_measures_read_unchanged() -> None:
    values = _values()
    large = await values.fiscal_value(HR, CS, Aggregation.MEAN, 2025, slice=LARGE)
    assert (large.value, large.summary.count) == (4.0, 5)
    whole = await values.fiscal_value(HR, CS, Aggregation.MEAN, 2025)
    assert whole.summary.count == 9
    other = await values.fiscal_value(HR, SPEED, Aggregation.MEAN, 2025, slice=SMALL)
    assert (other.value, other.summary.count) == (30.0, 1)
    states = await values.year_states([HR], [CS], [2025], LARGE)
    assert [s.summary.count for s in states] == [5]
