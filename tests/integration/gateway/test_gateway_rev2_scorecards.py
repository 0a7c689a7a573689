"""Rev. 2 end to end: an open-year event through the real ingest, measures and scorecard
services, read through the real gateway with its pro-rated target, annual target and
projection; and the scorecard queries' refusals of bad input (stable codes, nothing written).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_pipeline_support import Pipeline, eventually

from shared.domain.fiscal import fiscal_year_of, fiscal_year_period
from shared.domain.open_periods import elapsed_share

QSMO = "human-resources"  # no other gateway test sends its data
OPEN_YEAR = """query($fy: Int!, $q: ID) { scorecard(fiscalYear: $fy, qsmo: $q) {
  version open elapsedShare referenceTime
  measure(id: "customer-engagement") {
    value target annualTarget projectedValue lastYearValue changeFromLastYear attainment status
    qsmoStatusCounts { green amber red noData } } } }"""
HISTORY = """query($q: ID) { scorecardHistory(fiscalYear: 2024, qsmo: $q) { version } }"""


async def test_an_open_year_event_shows_the_pro_rated_target_and_projection(
    pipeline: Pipeline,
) -> None:
    occurred = datetime.now(UTC) - timedelta(minutes=1)
    year = fiscal_year_of(occurred)
    await pipeline.send(QSMO, "customer-engagement", 5, occurred.isoformat())

    async def scored() -> Any:
        found = (await pipeline.data(OPEN_YEAR, {"fy": year, "q": QSMO}))["scorecard"]
        return found if found is not None and found["measure"]["value"] == 5 else None

    card = await eventually(scored, 60, f"the FY{year} scorecard of {QSMO}")
    reference = datetime.fromisoformat(card["referenceTime"])
    share = float(elapsed_share(fiscal_year_period(year), reference))
    assert card["open"] is True
    assert card["elapsedShare"] == pytest.approx(share)
    engagement = card["measure"]
    assert engagement["annualTarget"] == 40
    assert engagement["target"] == pytest.approx(40 * share)  # expected by the reference day
    assert engagement["projectedValue"] == pytest.approx(5 / share)
    assert engagement["attainment"] == pytest.approx(min(1.0, 5 / (40 * share)))
    assert engagement["lastYearValue"] is None
    assert engagement["changeFromLastYear"] is None
    assert engagement["qsmoStatusCounts"] is None  # a QSMO's scorecard

    async def government_wide() -> Any:
        found = (await pipeline.data(OPEN_YEAR, {"fy": year}))["scorecard"]
        ok = found is not None and found["measure"]["value"] is not None
        return found if ok and found["measure"]["value"] >= 5 else None

    government = (await eventually(government_wide, 60, "the government-wide scorecard"))["measure"]
    # Σ of the participating QSMOs' own targets: every QSMO takes part in the open year (other
    # tests of this session may add QSMOs and set per-QSMO targets).
    qsmos = [q["id"] for q in (await pipeline.data("{ qsmos { id } }"))["qsmos"]]
    targets = " ".join(f'q{i}: targetFor(qsmo: "{q}")' for i, q in enumerate(qsmos))
    profile = await pipeline.data(
        f'{{ framework {{ measure(id: "customer-engagement") {{ {targets} }} }} }}'
    )
    each = profile["framework"]["measure"].values()
    assert government["annualTarget"] == pytest.approx(sum(each))
    counts = government["qsmoStatusCounts"]
    assert sum(counts.values()) == len(qsmos)
    assert counts["noData"] <= len(qsmos) - 1


@pytest.mark.parametrize(
    ("arguments", "field", "says"),
    [
        ('asOf: "2999-01-01T00:00:00Z"', "asOf", "in the future"),
        ("phase: 7", "phase", "phase must be one of [1, 2, 3]"),
        ('qsmo: "no-such-qsmo"', "qsmo", "unknown QSMO 'no-such-qsmo'"),
    ],
)
async def test_bad_scorecard_arguments_are_refused_with_stable_codes(
    pipeline: Pipeline, arguments: str, field: str, says: str
) -> None:
    before = await pipeline.data(HISTORY, {"q": "cybersecurity"})
    body = await pipeline.graphql(f"{{ scorecard(fiscalYear: 2024, {arguments}) {{ id }} }}")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert says in error["message"]
    assert body["data"]["scorecard"] is None
    assert await pipeline.data(HISTORY, {"q": "cybersecurity"}) == before  # nothing written
