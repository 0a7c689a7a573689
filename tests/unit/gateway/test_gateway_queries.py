"""Queries over fakes: the framework, values, scorecards, pagination, errors."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gateway_unit_support import NOW, Harness, error_codes, make_view

from gateway.errors import INTERNAL_MESSAGE


async def test_framework_lists_dimensions_measures_phases_and_current_targets(
    harness: Harness,
) -> None:
    await harness.data(
        'mutation { setTarget(measure: "customer-engagement", target: 50, qsmo: '
        '"financial-management", reason: "FY24 plan") { change { id } } }',
        who="admin",
    )
    data = await harness.data(
        """{ framework { version status phases { number name fiscalYear lastFiscalYear }
             dimensions { id status active measures { id phase unit aggregation direction
               defaultTarget target frequency reportingFrequencyDays ownerRole dataSource
               valueRange { min max } qsmoTargets { qsmoId target qsmo { name } } } } } }"""
    )
    framework = data["framework"]
    assert framework["version"] == "qsmo-2022"
    assert [p["lastFiscalYear"] for p in framework["phases"]] == [2022, 2023, None]
    dimensions = {d["id"]: d for d in framework["dimensions"]}
    assert dimensions["it-modernization"]["status"] == "PROPOSED"
    assert dimensions["it-modernization"]["active"] is False
    engagement = dimensions["customer"]["measures"][0]
    assert engagement["id"] == "customer-engagement"
    assert engagement["target"] == 40
    assert engagement["qsmoTargets"] == [
        {
            "qsmoId": "financial-management",
            "target": 50,
            "qsmo": {"name": "Core Financial Management QSMO"},
        }
    ]
    assert engagement["valueRange"] == {"min": 0, "max": None}


async def test_adopting_a_dimension_shows_in_the_framework(harness: Harness) -> None:
    data = await harness.data(
        'mutation { adoptDimension(dimension: "it-modernization", phase: 3, reason: "consensus") '
        "{ change { kind actor reason seq } dimension { active adoptedPhase status } } }",
        who="admin",
    )
    payload = data["adoptDimension"]
    assert payload["change"] == {
        "kind": "DIMENSION_ADOPTED",
        "actor": "t-admin",
        "reason": "consensus",
        "seq": 1,
    }
    assert payload["dimension"] == {"active": True, "adoptedPhase": 3, "status": "PROPOSED"}
    assert len(harness.announced.changes) == 1


async def test_measure_value_for_a_year_quarter_and_rolling_window(harness: Harness) -> None:
    harness.values.events += [
        ("cybersecurity", "customer-satisfaction", 4.0, NOW - timedelta(days=100)),
        ("cybersecurity", "customer-satisfaction", 3.0, NOW - timedelta(days=1)),
        ("grants-management", "customer-satisfaction", 5.0, NOW - timedelta(days=1)),
    ]
    query = """query($qsmo: ID, $fy: Int, $q: Int, $days: Int) {
      measureValue(qsmo: $qsmo, measure: "customer-satisfaction", fiscalYear: $fy,
                   fiscalQuarter: $q, rollingDays: $days) {
        value count sum min max target attainment status period { kind label } } }"""
    year = (await harness.data(query, {"qsmo": "cybersecurity", "fy": 2024}))["measureValue"]
    assert year["value"] == 3.5
    assert year["count"] == 2
    assert year["sum"] == 7
    assert (year["min"], year["max"], year["target"]) == (3.0, 4.0, 4.0)
    assert year["attainment"] == 0.875
    assert year["status"] == "RED"
    assert year["period"] == {"kind": "FISCAL_YEAR", "label": "FY2024"}
    quarter = await harness.data(query, {"qsmo": "cybersecurity", "fy": 2024, "q": 3})
    assert quarter["measureValue"]["count"] == 1
    rolling = (await harness.data(query, {"days": 30}))["measureValue"]
    assert rolling["value"] == 4.0
    assert rolling["period"]["kind"] == "ROLLING"
    empty = (await harness.data(query, {"qsmo": "human-resources", "fy": 2024}))["measureValue"]
    assert empty["value"] is None
    assert empty["status"] == "NO_DATA"
    assert empty["count"] == 0


async def test_measure_value_of_a_sum_measure_is_judged_against_its_period_target(
    harness: Harness,
) -> None:
    """Rev. 2, as scorecards and measureSeries: FY2024 is open at NOW (2024-05-15, day 228 of
    366), Q1 is closed (92 days), a rolling window is its days' share, and government-wide the
    four QSMOs' targets add up."""
    harness.values.events += [
        ("cybersecurity", "customer-engagement", 20.0, NOW - timedelta(days=10)),
        ("grants-management", "customer-engagement", 5.0, datetime(2023, 10, 28, tzinfo=UTC)),
    ]
    query = """query($qsmo: ID, $fy: Int, $q: Int, $days: Int) {
      measureValue(qsmo: $qsmo, measure: "customer-engagement", fiscalYear: $fy,
                   fiscalQuarter: $q, rollingDays: $days) { value target status } }"""

    async def read(**arguments: object) -> dict[str, Any]:
        found: dict[str, Any] = (await harness.data(query, arguments))["measureValue"]
        return found

    year = await read(qsmo="cybersecurity", fy=2024)
    assert year["target"] == pytest.approx(40 * 228 / 366)  # expected by 15 May, not 40
    assert (year["value"], year["status"]) == (20.0, "RED")  # 20 of 24.9
    quarter = await read(qsmo="grants-management", fy=2024, q=1)
    assert quarter["target"] == pytest.approx(40 * 92 / 366)
    assert (quarter["value"], quarter["status"]) == (5.0, "RED")
    government = await read(fy=2024)
    assert government["target"] == pytest.approx(4 * 40 * 228 / 366)
    assert government["value"] == 25.0
    rolling = await read(qsmo="cybersecurity", days=30)
    assert rolling["target"] == pytest.approx(40 * 30 / 366)
    assert (rolling["value"], rolling["status"]) == (20.0, "GREEN")


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ('measure: "nope"', "measure"),
        ('measure: "customer-satisfaction", qsmo: "nope"', "qsmo"),
        ('measure: "customer-satisfaction", fiscalYear: 2024, rollingDays: 30', "rollingDays"),
        ('measure: "customer-satisfaction", fiscalQuarter: 2', "fiscalQuarter"),
        ('measure: "customer-satisfaction", fiscalYear: 2024, fiscalQuarter: 5', "fiscalQuarter"),
        ('measure: "customer-satisfaction", rollingDays: 0', "rollingDays"),
        ('measure: "customer-satisfaction", fiscalYear: 1900', "fiscalYear"),
    ],
)
async def test_measure_value_argument_errors(harness: Harness, arguments: str, field: str) -> None:
    result = await harness.run(f"{{ measureValue({arguments}) {{ value }} }}")
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.errors[0].extensions["field"] == field  # type: ignore[index]


async def test_measure_series_has_twelve_months_or_four_quarters(harness: Harness) -> None:
    harness.values.events.append(("cybersecurity", "customer-engagement", 5, NOW))
    query = """query($g: SeriesGranularity!) { measureSeries(measure: "customer-engagement",
      qsmo: "cybersecurity", fiscalYear: 2024, granularity: $g) {
        points { value period { label } } } }"""
    months = (await harness.data(query, {"g": "MONTH"}))["measureSeries"]["points"]
    assert len(months) == 12
    assert months[7] == {"value": 5, "period": {"label": "2024-05"}}
    quarters = (await harness.data(query, {"g": "FISCAL_QUARTER"}))["measureSeries"]["points"]
    assert [q["value"] for q in quarters] == [None, None, 5, None]


async def test_scorecard_of_one_qsmo_with_data_quality(seeded: Harness) -> None:
    data = await seeded.data(
        """{ scorecard(fiscalYear: 2024, qsmo: "grants-management") { id version phase
             overallScore overallStatus qsmo { name } governmentWide
             measure(id: "customer-satisfaction") { value target status active
               dataQuality { eventCount stale reportingFrequencyDays } profile { unit } } } }"""
    )
    card = data["scorecard"]
    assert card["id"] == "FY2024|grants-management"
    assert card["phase"] == 3
    assert card["measure"]["value"] == pytest.approx(4.2)
    assert card["measure"]["dataQuality"]["eventCount"] == 1
    assert card["measure"]["profile"] == {"unit": "score 1–5"}
    missing = await seeded.data('{ scorecard(fiscalYear: 2022, qsmo: "cybersecurity") { id } }')
    assert missing["scorecard"] is None


async def test_scorecards_side_by_side_is_one_read_whatever_the_nesting(seeded: Harness) -> None:
    await seeded.data(
        'mutation { addCommentary(qsmo: "cybersecurity", measure: "customer-satisfaction", '
        'fiscalYear: 2024, text: "Low response rate") { id } }',
        who="admin",
    )
    calls_before = dict(seeded.scorecards.calls)
    data = await seeded.data(
        """{ scorecards(fiscalYear: 2024) { qsmoId qsmo { name } dimensions { measures {
             id latestCommentary { text } openImprovementActions { title } } } } }"""
    )
    assert [c["qsmoId"] for c in data["scorecards"]] == [
        "cybersecurity",
        "financial-management",
        "grants-management",
        "human-resources",
    ]
    first = data["scorecards"][0]["dimensions"][0]["measures"][1]
    assert first == {
        "id": "customer-satisfaction",
        "latestCommentary": {"text": "Low response rate"},
        "openImprovementActions": [],
    }
    assert seeded.scorecards.calls["all_current"] == calls_before.get("all_current", 0) + 1
    assert seeded.scorecards.calls["current"] == calls_before.get("current", 0)


async def test_aliased_scorecards_are_batched_into_one_read(seeded: Harness) -> None:
    query = " ".join(
        f'q{i}: scorecard(fiscalYear: 2024, qsmo: "{q}") {{ id }}'
        for i, q in enumerate(["cybersecurity", "grants-management", "human-resources"])
    )
    data = await seeded.data(f"{{ {query} }}")
    assert data["q1"] == {"id": "FY2024|grants-management"}
    assert seeded.scorecards.calls == {"all_current": 1}


async def test_scorecard_as_of_diff_and_history(harness: Harness) -> None:
    catalog = harness.runtime.catalog
    earlier = NOW - timedelta(days=10)
    harness.scorecards.versions += [
        make_view(catalog, 2024, "cybersecurity", {"customer-engagement": 20}, computed_at=earlier),
        make_view(catalog, 2024, "cybersecurity", {"customer-engagement": 40}, version=2),
    ]
    as_of = await harness.data(
        """query($at: DateTime) { scorecard(fiscalYear: 2024, qsmo: "cybersecurity", asOf: $at)
           { version } }""",
        {"at": (earlier + timedelta(hours=1)).isoformat()},
    )
    assert as_of["scorecard"] == {"version": 1}
    diff = await harness.data(
        """query($from: DateTime!, $to: DateTime!) { scorecardDiff(fiscalYear: 2024,
             qsmo: "cybersecurity", from: $from, to: $to) { fromVersion toVersion
             measures { id oldValue newValue oldStatus newStatus } versions { version } } }""",
        {"from": (earlier + timedelta(hours=1)).isoformat(), "to": NOW.isoformat()},
    )
    changes = diff["scorecardDiff"]
    assert (changes["fromVersion"], changes["toVersion"]) == (1, 2)
    assert changes["measures"][0] == {
        "id": "customer-engagement",
        "oldValue": 20,
        "newValue": 40,
        "oldStatus": "RED",
        "newStatus": "GREEN",
    }
    history = await harness.data(
        '{ scorecardHistory(fiscalYear: 2024, qsmo: "cybersecurity") { version } }'
    )
    assert history["scorecardHistory"] == [{"version": 2}, {"version": 1}]
    naive = await harness.run(
        '{ scorecard(fiscalYear: 2024, qsmo: "cybersecurity", asOf: "2024-01-01T00:00:00") '
        "{ version } }"
    )
    assert error_codes(naive) == ["BAD_USER_INPUT"]


async def test_unexpected_errors_are_masked_and_logged(
    seeded: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    seeded.scorecards.fail_with = RuntimeError("connection to mongodb://admin:s3cret@db failed")
    result = await seeded.run('{ scorecard(fiscalYear: 2024, qsmo: "cybersecurity") { id } }')
    assert error_codes(result) == ["INTERNAL_SERVER_ERROR"]
    formatted = str(result.errors[0].formatted)  # type: ignore[index]
    assert INTERNAL_MESSAGE in formatted
    assert "s3cret" not in formatted
    assert "Traceback" not in formatted
    assert "s3cret" in caplog.text  # the operator sees the cause in the server log


async def test_a_store_outage_is_service_unavailable(seeded: Harness) -> None:
    from pymongo.errors import ServerSelectionTimeoutError

    seeded.scorecards.fail_with = ServerSelectionTimeoutError("db.internal:27017 timed out")
    result = await seeded.run("{ scorecards(fiscalYear: 2024) { id } }")
    assert error_codes(result) == ["SERVICE_UNAVAILABLE"]
    assert "db.internal" not in str(result.errors[0].formatted)  # type: ignore[index]


async def test_commentary_and_actions_page_newest_first(harness: Harness) -> None:
    for n in range(5):
        await harness.data(
            'mutation($t: String!) { addCommentary(qsmo: "cybersecurity", '
            'measure: "customer-engagement", fiscalYear: 2024, text: $t) { id } }',
            {"t": f"note {n}"},
            who="pub:cybersecurity",
        )
    query = """query($after: String) { commentary(qsmo: "cybersecurity", first: 2, after: $after)
      { edges { cursor node { text author } } pageInfo { hasNextPage endCursor } } }"""
    texts, after = [], None
    while True:
        page = (await harness.data(query, {"after": after}))["commentary"]
        texts += [e["node"]["text"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(texts) == 5
    assert set(texts) == {f"note {n}" for n in range(5)}
    bad = await harness.run('{ commentary(qsmo: "cybersecurity", after: "junk") { nodes { id } } }')
    assert error_codes(bad) == ["BAD_USER_INPUT"]


async def test_improvement_action_lifecycle(harness: Harness) -> None:
    created = await harness.data(
        'mutation { createImprovementAction(qsmo: "cybersecurity", measure: '
        '"customer-satisfaction", title: "Second survey wave", owner: "CX lead", '
        'dueDate: "2024-05-01") { id status overdue history { toStatus by } } }',
        who="pub:cybersecurity",
    )
    action = created["createImprovementAction"]
    assert action["status"] == "OPEN"
    assert action["overdue"] is True
    updated = await harness.data(
        'mutation($id: ID!) { updateImprovementAction(id: $id, status: DONE, note: "done") '
        "{ status overdue history { fromStatus toStatus note } } }",
        {"id": action["id"]},
        who="admin",
    )
    assert updated["updateImprovementAction"]["overdue"] is False
    assert updated["updateImprovementAction"]["history"][-1] == {
        "fromStatus": "OPEN",
        "toStatus": "DONE",
        "note": "done",
    }
    again = await harness.run(
        "mutation($id: ID!) { updateImprovementAction(id: $id, status: DONE) { status } }",
        {"id": action["id"]},
        who="admin",
    )
    assert error_codes(again) == ["BAD_USER_INPUT"]
    listed = await harness.data("{ improvementActions(status: DONE) { nodes { title } } }")
    assert listed["improvementActions"]["nodes"] == [{"title": "Second survey wave"}]
    blank = await harness.run(
        'mutation { addCommentary(qsmo: "cybersecurity", measure: "customer-engagement", '
        'fiscalYear: 2024, text: "   ") { id } }',
        who="admin",
    )
    assert error_codes(blank) == ["BAD_USER_INPUT"]


async def test_framework_store_refusals_are_bad_user_input(harness: Harness) -> None:
    for mutation in (
        'setTarget(measure: "customer-satisfaction", target: 9, reason: "r")',
        'setTarget(measure: "nope", target: 9, reason: "r")',
        'setWeight(weight: 2, reason: "r")',
        'adoptDimension(dimension: "customer", phase: 1, reason: "r")',
        'addQsmo(id: "cybersecurity", name: "x", leadAgency: "y", reason: "r")',
        'setBaseline(measure: "customer-satisfaction", value: 3, reason: "  ")',
    ):
        result = await harness.run(f"mutation {{ {mutation} {{ change {{ id }} }} }}", who="admin")
        assert error_codes(result) == ["BAD_USER_INPUT"], mutation


async def test_audit_log_pages_through_every_change(harness: Harness) -> None:
    for n in range(3):
        await harness.data(
            f'mutation {{ setWeight(dimension: "customer", weight: {n + 1}, reason: "w{n}") '
            "{ change { id } } }",
            who="admin",
        )
    first = (
        await harness.data(
            "{ auditLog(first: 2) { nodes { reason } pageInfo { hasNextPage endCursor } } }"
        )
    )["auditLog"]
    assert [n["reason"] for n in first["nodes"]] == ["w2", "w1"]
    rest = await harness.data(
        "query($a: String) { auditLog(first: 2, after: $a) { nodes { reason } "
        "pageInfo { hasNextPage } } }",
        {"a": first["pageInfo"]["endCursor"]},
    )
    assert rest["auditLog"] == {"nodes": [{"reason": "w0"}], "pageInfo": {"hasNextPage": False}}


async def test_added_qsmos_are_known_everywhere(harness: Harness) -> None:
    await harness.data(
        'mutation { addQsmo(id: "travel", name: "Travel QSMO", leadAgency: "GSA", reason: "r") '
        "{ qsmo { id addedByAdmin } } }",
        who="admin",
    )
    data = await harness.data(
        '{ qsmos { id } measureValue(qsmo: "travel", measure: "customer-engagement", '
        "fiscalYear: 2024) { value qsmo { name } } }"
    )
    assert data["qsmos"][-1] == {"id": "travel"}
    assert data["measureValue"] == {"value": None, "qsmo": {"name": "Travel QSMO"}}


async def test_notifications_connection_and_acknowledgement(harness: Harness) -> None:
    from services.notifications.models import Notification

    for n in range(3):
        harness.notifications.notifications.append(
            Notification(
                id=f"n{n}",
                rule="stale_measure",
                severity="warning",
                state="raised",
                qsmo="cybersecurity" if n else "grants-management",
                message=f"message {n}",
                raised_at=NOW + timedelta(minutes=n),
            )
        )
    data = await harness.data(
        '{ notifications(qsmo: "cybersecurity", first: 1) { edges { cursor node { id } } '
        "pageInfo { hasNextPage endCursor } } }"
    )
    page = data["notifications"]
    assert page["edges"][0]["node"] == {"id": "n2"}
    assert page["edges"][0]["cursor"] == page["pageInfo"]["endCursor"]
    assert page["pageInfo"]["hasNextPage"] is True
    acked = await harness.data(
        'mutation { acknowledgeNotification(id: "n2") { acknowledged acknowledgedBy } }',
        who="pub:cybersecurity",
    )
    assert acked["acknowledgeNotification"] == {
        "acknowledged": True,
        "acknowledgedBy": "t-pub-cybersecurity",
    }
    missing = await harness.run(
        'mutation { acknowledgeNotification(id: "zz") { id } }', who="admin"
    )
    assert error_codes(missing) == ["NOT_FOUND"]
