"""Slices on read through the schema (rev. 2): slice scorecards, values and series, agencies,
providerComparison, and their errors — on the in-memory fakes."""

from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_unit_support import Harness, build_harness, error_codes

from shared.events import FrameworkChanged

FM = "financial-management"
AT = datetime(2023, 1, 10, 12, tzinfo=UTC)  # FY2023 Q2; the harness's now is in FY2024
EVENTS: list[tuple[Any, ...]] = [
    (FM, "customer-satisfaction", 4.2, AT, "doi-ibc", "DOI"),
    (FM, "customer-satisfaction", 4.4, AT, "doi-ibc", "USDA"),
    (FM, "customer-satisfaction", 3.0, AT, "treasury-arc", "DOI"),
    (FM, "customer-engagement", 30.0, AT, "treasury-arc", "TREAS"),
    ("human-resources", "customer-satisfaction", 5.0, AT, "opm-hrs", "DOI"),
    (FM, "customer-satisfaction", 4.0, AT),  # neither provider nor agency
]
SCORECARD = """query ($provider: ID, $agency: ID, $qsmo: ID) {
  scorecard(fiscalYear: 2023, qsmo: $qsmo, provider: $provider, agency: $agency) {
    id stored version overallStatus
    slice { kind id label provider { id name } agency { id name inCatalog } }
    measure(id: "customer-satisfaction") { value target annualTarget status
      qsmoStatusCounts { green amber red noData } dataQuality { eventCount } }
    engagement: measure(id: "customer-engagement") { value status annualTarget }
  }
}"""


@pytest.fixture
def harness() -> Harness:
    built = build_harness()
    built.values.events.extend(EVENTS)
    return built


async def sla(harness: Harness, provider: str, measure: str, value: float) -> None:
    change = FrameworkChanged(
        change_id=f"sla-{provider}-{measure}",
        kind="sla_target",
        provider=provider,
        measure=measure,
        value=value,
        actor="admin",
        reason="contractual level",
        changed_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    await harness.framework_log.append(change, change.change_id)


async def test_a_provider_slice_scorecard_is_computed_from_its_events(harness: Harness) -> None:
    data = await harness.data(SCORECARD, {"qsmo": FM, "provider": "doi-ibc"})
    card = data["scorecard"]
    assert card["id"] == "FY2023|financial-management|provider:doi-ibc"
    assert (card["stored"], card["version"]) == (False, 0)
    assert card["slice"]["kind"] == "PROVIDER"
    assert card["slice"]["provider"]["id"] == "doi-ibc"
    assert card["slice"]["agency"] is None
    measure = card["measure"]
    assert measure["value"] == pytest.approx(4.3)
    assert (measure["target"], measure["status"]) == (4.0, "GREEN")
    assert measure["dataQuality"]["eventCount"] == 2
    assert card["engagement"] == {"value": None, "status": "NO_DATA", "annualTarget": 40.0}
    assert harness.values.calls["year_states"] == 1  # one read for the whole scorecard


async def test_the_sla_target_wins_for_that_provider_only(harness: Harness) -> None:
    await sla(harness, "doi-ibc", "customer-satisfaction", 4.5)
    ibc = (await harness.data(SCORECARD, {"qsmo": FM, "provider": "doi-ibc"}))["scorecard"]
    arc = (await harness.data(SCORECARD, {"qsmo": FM, "provider": "treasury-arc"}))["scorecard"]
    whole = (await harness.data(SCORECARD, {"qsmo": FM, "agency": "DOI"}))["scorecard"]
    assert (ibc["measure"]["target"], ibc["measure"]["status"]) == (4.5, "AMBER")
    assert arc["measure"]["target"] == 4.0
    assert whole["measure"]["target"] == 4.0
    value = await harness.data(
        """{ measureValue(measure: "customer-satisfaction", qsmo: "financial-management",
              fiscalYear: 2023, provider: "doi-ibc") { value target targetSource status
              slice { label } } }"""
    )
    assert value["measureValue"] == {
        "value": pytest.approx(4.3),
        "target": 4.5,
        "targetSource": "SLA",
        "status": "AMBER",
        "slice": {"label": "provider:doi-ibc"},
    }


async def test_government_wide_by_agency_pools_every_qsmo(harness: Harness) -> None:
    card = (await harness.data(SCORECARD, {"agency": "DOI"}))["scorecard"]
    assert card["id"] == "FY2023|government|agency:DOI"
    assert card["slice"]["agency"] == {
        "id": "DOI",
        "name": card["slice"]["agency"]["name"],
        "inCatalog": True,
    }
    measure = card["measure"]
    assert measure["value"] == pytest.approx((4.2 + 3.0 + 5.0) / 3)
    assert measure["dataQuality"]["eventCount"] == 3
    assert measure["qsmoStatusCounts"] == {"green": 1, "amber": 1, "red": 0, "noData": 2}
    assert card["engagement"]["annualTarget"] == 40.0 * 4  # Σ of the QSMOs' sum targets


async def test_a_slice_without_events_is_no_data_never_zero(harness: Harness) -> None:
    card = (await harness.data(SCORECARD, {"qsmo": FM, "provider": "usda-nfc"}))["scorecard"]
    assert card["overallStatus"] == "NO_DATA"
    assert card["measure"]["value"] is None
    assert card["measure"]["status"] == "NO_DATA"
    value = await harness.data(
        """{ measureValue(measure: "customer-engagement", qsmo: "financial-management",
              fiscalYear: 2023, agency: "HUD") { value count status } }"""
    )
    assert value["measureValue"] == {"value": None, "count": 0, "status": "NO_DATA"}


@pytest.mark.parametrize(
    ("variables", "code", "words"),
    [
        ({"qsmo": FM, "provider": "doi-ibcc"}, "NOT_FOUND", ["doi-ibcc", "did you mean 'doi-ibc'"]),
        ({"agency": "XYZ"}, "NOT_FOUND", ["unknown agency 'XYZ'"]),
        ({"provider": "doi-ibc"}, "BAD_USER_INPUT", ["provider needs qsmo"]),
        ({"qsmo": FM, "provider": "opm-hrs"}, "BAD_USER_INPUT", ["does not serve"]),
        (
            {"qsmo": FM, "provider": "doi-ibc", "agency": "DOI"},
            "BAD_USER_INPUT",
            ["not both"],
        ),
    ],
)
async def test_bad_slices_are_refused_naming_the_id(
    harness: Harness, variables: dict[str, str], code: str, words: list[str]
) -> None:
    result = await harness.run(SCORECARD, variables)
    assert error_codes(result) == [code]
    message = result.errors[0].message if result.errors else ""
    assert all(w in message for w in words), message
    assert harness.values.calls["year_states"] == 0


async def test_an_agency_only_seen_in_events_is_known(harness: Harness) -> None:
    harness.values.events.append((FM, "customer-satisfaction", 2.0, AT, None, "AMTRAK"))
    data = await harness.data(
        '{ agencies { id inCatalog } agency(id: "AMTRAK") { id name inCatalog } '
        'unknown: agency(id: "NOPE") { id } }'
    )
    ids = [a["id"] for a in data["agencies"]]
    assert "AMTRAK" in ids
    assert "DOI" in ids
    assert ids == sorted(ids)
    assert data["agency"] == {"id": "AMTRAK", "name": "AMTRAK", "inCatalog": False}
    assert data["unknown"] is None
    card = (await harness.data(SCORECARD, {"qsmo": FM, "agency": "AMTRAK"}))["scorecard"]
    assert card["measure"]["value"] == 2.0


async def test_measure_series_of_a_slice(harness: Harness) -> None:
    data = await harness.data(
        """{ measureSeries(measure: "customer-satisfaction", fiscalYear: 2023,
              qsmo: "financial-management", provider: "treasury-arc",
              granularity: FISCAL_QUARTER) { targetSource slice { kind } points { value } } }"""
    )
    series = data["measureSeries"]
    assert series["targetSource"] == "QSMO"
    assert series["slice"] == {"kind": "PROVIDER"}
    assert [p["value"] for p in series["points"]] == [None, 3.0, None, None]


COMPARISON = """{ providerComparison(qsmo: "financial-management", fiscalYear: 2023,
    measures: ["customer-satisfaction", "customer-engagement"]) {
  qsmoId fiscalYear measures { id }
  rows { provider { id retired } customerAgencies overallStatus cost { costPerTransaction }
    measures { measureId value target targetSource status trend lastYearValue } }
} }"""


async def test_provider_comparison_rows(harness: Harness) -> None:
    await sla(harness, "doi-ibc", "customer-satisfaction", 4.5)
    data = (await harness.data(COMPARISON))["providerComparison"]
    assert [m["id"] for m in data["measures"]] == ["customer-satisfaction", "customer-engagement"]
    rows = {r["provider"]["id"]: r for r in data["rows"]}
    assert list(rows) == ["doi-ibc", "dot-esc", "meridian-cloud-erp", "treasury-arc", "usda-nfc"]
    ibc = rows["doi-ibc"]
    assert ibc["customerAgencies"] == 2
    assert ibc["cost"] is None
    satisfaction, engagement = ibc["measures"]
    assert satisfaction == {
        "measureId": "customer-satisfaction",
        "value": pytest.approx(4.3),
        "target": 4.5,
        "targetSource": "SLA",
        "status": "AMBER",
        "trend": [None, pytest.approx(4.3), None, None],
        "lastYearValue": None,
    }
    assert engagement["value"] is None
    assert engagement["status"] == "NO_DATA"
    arc = rows["treasury-arc"]["measures"]
    assert arc[0]["targetSource"] == "QSMO"
    assert arc[0]["status"] == "RED"
    assert arc[1]["value"] == 30.0
    assert arc[1]["trend"] == [None, 30.0, None, None]
    assert rows["usda-nfc"]["overallStatus"] == "NO_DATA"
    assert rows["usda-nfc"]["customerAgencies"] == 0


async def test_provider_comparison_keeps_a_retired_provider_only_with_data(
    harness: Harness,
) -> None:
    for provider in ("doi-ibc", "usda-nfc"):
        change = FrameworkChanged(
            change_id=f"retire-{provider}",
            kind="provider_retired",
            provider=provider,
            actor="admin",
            reason="left the marketplace",
            changed_at=datetime(2024, 2, 1, tzinfo=UTC),
        )
        await harness.framework_log.append(change, change.change_id)
    rows = (await harness.data(COMPARISON))["providerComparison"]["rows"]
    ids = [r["provider"]["id"] for r in rows]
    assert "doi-ibc" in ids
    assert "usda-nfc" not in ids
    assert next(r for r in rows if r["provider"]["id"] == "doi-ibc")["provider"]["retired"]


async def test_provider_comparison_refuses_an_unknown_measure(harness: Harness) -> None:
    result = await harness.run(
        '{ providerComparison(qsmo: "financial-management", fiscalYear: 2023, '
        'measures: ["nope"]) { qsmoId } }'
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.errors
    assert "unknown measure 'nope'" in result.errors[0].message


async def test_every_key_reads_slices(harness: Harness) -> None:
    for who in ("viewer", "admin", "pub:cybersecurity"):
        data = await harness.data(SCORECARD, {"qsmo": FM, "agency": "DOI"}, who=who)
        assert data["scorecard"]["measure"]["value"] == pytest.approx(3.6)
