"""The tiers below the QSMO end to end (rev. 2): events for two providers and three agencies
through the real ingest, Kafka, measures service and store, read through the real gateway as
slice scorecards, slice values and providerComparison — exact values and statuses, the SLA
target winning for its provider only, government-wide by agency, NO_DATA and the refusals.

FY2026 is this module's own: no other test of the session sends events for it, and slices
only ever hold events that name a provider or an agency, which only this module sends.
"""

from datetime import UTC, datetime
from typing import Any

import pytest
from gateway_pipeline_support import Pipeline, eventually

from shared.events import FrameworkChanged
from shared.framework_log import MongoFrameworkLog
from shared.mongo import create_mongo_client

FM, HR = "financial-management", "human-resources"
YEAR = 2026
EVENTS = [  # (qsmo, measure, value, provider, agency)
    (FM, "customer-satisfaction", 4.0, "doi-ibc", "DOI"),
    (FM, "customer-satisfaction", 5.0, "doi-ibc", "USDA"),
    (FM, "customer-satisfaction", 3.0, "treasury-arc", "DOI"),
    (FM, "customer-satisfaction", 3.0, "treasury-arc", "TREAS"),
    (FM, "customer-engagement", 10.0, "doi-ibc", "DOI"),
    (FM, "customer-engagement", 20.0, "treasury-arc", "TREAS"),
    (HR, "customer-satisfaction", 2.0, "doi-ibc", "DOI"),
]
SLICE = """query($qsmo: ID, $provider: ID, $agency: ID) {
  scorecard(fiscalYear: 2026, qsmo: $qsmo, provider: $provider, agency: $agency) {
    id stored version slice { kind provider { id } agency { id inCatalog } }
    satisfaction: measure(id: "customer-satisfaction") { value target status
      dataQuality { eventCount } qsmoStatusCounts { green amber red noData } }
    engagement: measure(id: "customer-engagement") { value target status }
    adoption: measure(id: "solution-adoption") { value status } } }"""
COMPARISON = """{ providerComparison(qsmo: "financial-management", fiscalYear: 2026,
    measures: ["customer-satisfaction", "customer-engagement"]) {
  rows { provider { id } customerAgencies overallStatus cost { costPerTransaction }
    measures { measureId value target targetSource status trend } } } }"""


async def send(pipeline: Pipeline, n: int, event: tuple[str, str, float, str, str]) -> None:
    qsmo, measure, value, provider, agency = event
    body = {
        "event_id": f"tiers-{pipeline.lane.tag}-{n}",
        "qsmo": qsmo,
        "measure": measure,
        "value": value,
        "occurred_at": "2026-02-10T12:00:00Z",  # FY2026 Q2
        "provider": provider,
        "agency": agency,
    }
    response = await pipeline.http.post(
        pipeline.lane.url("ingest", "/v1/events"), json=body, headers=pipeline.keys.bearer(qsmo)
    )
    assert response.status_code == 202, response.text


async def slice_of(pipeline: Pipeline, **arguments: str) -> Any:
    return (await pipeline.data(SLICE, arguments))["scorecard"]


@pytest.fixture(scope="module")
async def tiers(pipeline: Pipeline) -> Pipeline:
    for n, event in enumerate(EVENTS):
        await send(pipeline, n, event)

    async def all_counted() -> bool:
        card = await slice_of(pipeline, agency="DOI")
        return card["satisfaction"]["dataQuality"]["eventCount"] == 3

    await eventually(all_counted, 60, "the DOI slice of every QSMO holding its three events")

    async def providers_counted() -> bool:
        ibc = await slice_of(pipeline, qsmo=FM, provider="doi-ibc")
        arc = await slice_of(pipeline, qsmo=FM, provider="treasury-arc")
        return (ibc["engagement"]["value"], arc["engagement"]["value"]) == (10, 20)

    await eventually(providers_counted, 60, "both provider slices of financial-management")
    return pipeline


async def test_provider_slices_hold_exactly_their_events(tiers: Pipeline) -> None:
    ibc = await slice_of(tiers, qsmo=FM, provider="doi-ibc")
    assert ibc["id"] == "FY2026|financial-management|provider:doi-ibc"
    assert (ibc["stored"], ibc["version"]) == (False, 0)
    assert ibc["slice"] == {"kind": "PROVIDER", "provider": {"id": "doi-ibc"}, "agency": None}
    assert ibc["satisfaction"]["value"] == pytest.approx(4.5)
    assert ibc["satisfaction"]["dataQuality"]["eventCount"] == 2
    assert ibc["engagement"] == {"value": 10, "target": 40, "status": "RED"}
    assert ibc["adoption"] == {"value": None, "status": "NO_DATA"}  # no events: never 0
    arc = await slice_of(tiers, qsmo=FM, provider="treasury-arc")
    assert arc["satisfaction"]["value"] == pytest.approx(3.0)
    assert arc["satisfaction"]["status"] == "RED"
    hr = await slice_of(tiers, qsmo=HR, provider="doi-ibc")
    assert hr["satisfaction"]["value"] == pytest.approx(2.0)


async def test_agency_slices_within_a_qsmo_and_government_wide(tiers: Pipeline) -> None:
    doi = await slice_of(tiers, qsmo=FM, agency="DOI")
    assert doi["satisfaction"]["value"] == pytest.approx(3.5)
    assert doi["satisfaction"]["status"] == "RED"  # 3.5 / 4.0 < the AMBER ratio 0.9
    assert doi["engagement"]["value"] == 10
    usda = await slice_of(tiers, qsmo=FM, agency="USDA")
    assert usda["satisfaction"]["value"] == pytest.approx(5.0)
    treas = await slice_of(tiers, qsmo=FM, agency="TREAS")
    assert treas["engagement"]["value"] == 20
    everywhere = await slice_of(tiers, agency="DOI")
    assert everywhere["id"] == "FY2026|government|agency:DOI"
    assert everywhere["slice"]["agency"] == {"id": "DOI", "inCatalog": True}
    assert everywhere["satisfaction"]["value"] == pytest.approx(3.0)  # (4 + 3 + 2) / 3
    # FY2026 ended before any test of the session adds a QSMO: the catalog's take part.
    listed = (await tiers.data("{ qsmos { id addedByAdmin } }"))["qsmos"]
    qsmos = sum(1 for q in listed if not q["addedByAdmin"])
    counts = everywhere["satisfaction"]["qsmoStatusCounts"]
    assert counts == {"green": 0, "amber": 0, "red": 2, "noData": qsmos - 2}


async def test_slice_values_and_an_agency_without_events(tiers: Pipeline) -> None:
    value = await tiers.data(
        """{ v: measureValue(measure: "customer-satisfaction", qsmo: "financial-management",
              fiscalYear: 2026, fiscalQuarter: 2, provider: "doi-ibc") {
              value count targetSource slice { label } }
            none: measureValue(measure: "customer-satisfaction", fiscalYear: 2026,
              agency: "HUD") { value count status } }"""
    )
    assert value["v"] == {
        "value": pytest.approx(4.5),
        "count": 2,
        "targetSource": "QSMO",
        "slice": {"label": "provider:doi-ibc"},
    }
    assert value["none"] == {"value": None, "count": 0, "status": "NO_DATA"}


async def test_provider_comparison(tiers: Pipeline) -> None:
    rows = (await tiers.data(COMPARISON))["providerComparison"]["rows"]
    by_id = {r["provider"]["id"]: r for r in rows}
    assert set(by_id) >= {"doi-ibc", "treasury-arc", "usda-nfc", "dot-esc"}
    ibc, arc = by_id["doi-ibc"], by_id["treasury-arc"]
    assert (ibc["customerAgencies"], arc["customerAgencies"]) == (2, 2)
    assert ibc["cost"] is None
    assert ibc["measures"][0]["value"] == pytest.approx(4.5)
    assert ibc["measures"][0]["trend"] == [None, pytest.approx(4.5), None, None]
    assert arc["measures"][1]["value"] == 20
    assert arc["measures"][1]["trend"] == [
        None,
        20,
        None,
        None,
    ]
    assert by_id["usda-nfc"]["overallStatus"] == "NO_DATA"
    assert by_id["usda-nfc"]["customerAgencies"] == 0


async def test_the_sla_target_wins_for_its_provider_only(tiers: Pipeline, mongo_url: str) -> None:
    """The SLA target recorded in the framework's audit log, as ``setSlaTarget`` records it."""
    change = FrameworkChanged(
        change_id=f"sla-{tiers.lane.tag}",
        kind="sla_target",
        provider="doi-ibc",
        measure="customer-satisfaction",
        value=4.8,
        actor="admin",
        reason="contractual service level",
        changed_at=datetime.now(UTC),
    )
    client = create_mongo_client(mongo_url)
    try:
        await MongoFrameworkLog(client[tiers.lane.database]).append(change, change.change_id)
    finally:
        await client.close()

    async def sla_in_force() -> Any:
        card = await slice_of(tiers, qsmo=FM, provider="doi-ibc")
        return card if card["satisfaction"]["target"] == 4.8 else None

    ibc = await eventually(sla_in_force, 30, "the SLA target read by the gateway")
    assert ibc["satisfaction"]["status"] == "AMBER"  # 4.5 / 4.8 ≥ 0.9
    arc = await slice_of(tiers, qsmo=FM, provider="treasury-arc")
    assert arc["satisfaction"]["target"] == 4.0
    doi = await slice_of(tiers, qsmo=FM, agency="DOI")
    assert doi["satisfaction"]["target"] == 4.0
    rows = (await tiers.data(COMPARISON))["providerComparison"]["rows"]
    cell = next(r for r in rows if r["provider"]["id"] == "doi-ibc")["measures"][0]
    assert (cell["target"], cell["targetSource"], cell["status"]) == (4.8, "SLA", "AMBER")


@pytest.mark.parametrize(
    ("arguments", "code", "word"),
    [
        ({"qsmo": FM, "provider": "doi-ibcc"}, "NOT_FOUND", "doi-ibcc"),
        ({"agency": "NOPE"}, "NOT_FOUND", "NOPE"),
        ({"provider": "doi-ibc"}, "BAD_USER_INPUT", "needs qsmo"),
        ({"qsmo": FM, "provider": "opm-hrs"}, "BAD_USER_INPUT", "does not serve"),
        ({"qsmo": FM, "provider": "doi-ibc", "agency": "DOI"}, "BAD_USER_INPUT", "not both"),
    ],
)
async def test_bad_slices_are_refused(
    tiers: Pipeline, arguments: dict[str, str], code: str, word: str
) -> None:
    body = await tiers.graphql(SLICE, arguments)
    assert body["data"] == {"scorecard": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == code
    assert word in error["message"]
