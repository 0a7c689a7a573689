"""The provider queries and admin mutations through the schema: payloads, errors, audit log,
and that the next read sees a change."""

from gateway_unit_support import Harness, error_codes

ADD = """mutation {
  addProvider(id: "gsa-cyber-hub", name: "GSA Cyber Hub", kind: FEDERAL,
              qsmos: ["cybersecurity"], services: ["security operations center"],
              parentAgency: "GSA", reason: "new marketplace offering") {
    change { kind providerId actor reason }
    provider { id name kind qsmoIds services parentAgency retired addedByAdmin }
  }
}"""


async def test_an_added_provider_is_returned_listed_and_audited(harness: Harness) -> None:
    added = (await harness.data(ADD, who="admin"))["addProvider"]
    assert added["change"] == {
        "kind": "PROVIDER_ADDED",
        "providerId": "gsa-cyber-hub",
        "actor": "t-admin",
        "reason": "new marketplace offering",
    }
    assert added["provider"] == {
        "id": "gsa-cyber-hub",
        "name": "GSA Cyber Hub",
        "kind": "FEDERAL",
        "qsmoIds": ["cybersecurity"],
        "services": ["security operations center"],
        "parentAgency": "GSA",
        "retired": False,
        "addedByAdmin": True,
    }
    listed = await harness.data('{ providers(qsmo: "cybersecurity") { id addedByAdmin } }')
    assert {"id": "gsa-cyber-hub", "addedByAdmin": True} in listed["providers"]
    assert [p["id"] for p in listed["providers"]] == sorted(p["id"] for p in listed["providers"])
    audit = await harness.data(
        "{ auditLog(first: 5) { edges { node { kind providerId provider { name } } } } }"
    )
    (entry,) = audit["auditLog"]["edges"]
    assert entry["node"] == {
        "kind": "PROVIDER_ADDED",
        "providerId": "gsa-cyber-hub",
        "provider": {"name": "GSA Cyber Hub"},
    }
    assert [c.kind for c in harness.announced.changes] == ["provider_added"]


async def test_retired_providers_are_listed_unless_left_out(harness: Harness) -> None:
    retired = await harness.data(
        'mutation { retireProvider(id: "doj-jsoc", reason: "contract ended") '
        "{ provider { id retired retiredAt } } }",
        who="admin",
    )
    assert retired["retireProvider"]["provider"]["retired"] is True
    everyone = await harness.data('{ providers(qsmo: "cybersecurity") { id } }')
    active = await harness.data(
        '{ providers(qsmo: "cybersecurity", includeRetired: false) { id retired } }'
    )
    assert "doj-jsoc" in [p["id"] for p in everyone["providers"]]
    assert "doj-jsoc" not in [p["id"] for p in active["providers"]]
    one = await harness.data('{ provider(id: "doj-jsoc") { retired } }')
    assert one["provider"]["retired"] is True


async def test_sla_targets_show_on_the_provider(harness: Harness) -> None:
    for target in (4.2, 4.4):
        await harness.data(
            'mutation { setSlaTarget(provider: "doi-ibc", measure: "customer-satisfaction", '
            f'target: {target}, reason: "SLA renewal") {{ change {{ kind value }} }} }}',
            who="admin",
        )
    found = await harness.data(
        '{ provider(id: "doi-ibc") { slaTargets { measureId target reason measure { name } } } }'
    )
    assert found["provider"]["slaTargets"] == [
        {
            "measureId": "customer-satisfaction",
            "target": 4.4,
            "reason": "SLA renewal",
            "measure": {"name": found["provider"]["slaTargets"][0]["measure"]["name"]},
        }
    ]


async def test_an_update_returns_the_provider_as_it_is_now(harness: Harness) -> None:
    updated = await harness.data(
        'mutation { updateProvider(id: "dot-esc", qsmos: ["financial-management", '
        '"human-resources"], reason: "now offers HR") { provider { qsmoIds } } }',
        who="admin",
    )
    assert updated["updateProvider"]["provider"]["qsmoIds"] == [
        "financial-management",
        "human-resources",
    ]
    hr = await harness.data('{ providers(qsmo: "human-resources") { id } }')
    assert "dot-esc" in [p["id"] for p in hr["providers"]]


async def test_bad_input_is_refused_naming_the_argument(harness: Harness) -> None:
    cases = {
        'addProvider(id: "doi-ibc", name: "x", kind: FEDERAL, qsmos: ["cybersecurity"], '
        'reason: "r") { change { id } }': ("BAD_USER_INPUT", "id"),
        'addProvider(id: "new-one", name: "x", kind: FEDERAL, qsmos: ["travel"], '
        'reason: "r") { change { id } }': ("BAD_USER_INPUT", "qsmos"),
        'setSlaTarget(provider: "doi-ibcc", measure: "customer-satisfaction", target: 4, '
        'reason: "r") { change { id } }': ("BAD_USER_INPUT", "provider"),
        'setSlaTarget(provider: "doi-ibc", measure: "customer-satisfaction", target: 9, '
        'reason: "r") { change { id } }': ("BAD_USER_INPUT", "target"),
        'updateProvider(id: "doi-ibc", reason: "r") { change { id } }': ("BAD_USER_INPUT", "id"),
    }
    for selection, (code, field) in cases.items():
        result = await harness.run(f"mutation {{ {selection} }}", who="admin")
        assert error_codes(result) == [code], selection
        assert result.errors is not None
        assert (result.errors[0].extensions or {}).get("field") == field, selection
    assert harness.announced.changes == []


async def test_a_retired_providers_sla_target_is_bad_user_input(harness: Harness) -> None:
    await harness.data(
        'mutation { retireProvider(id: "doj-jsoc", reason: "r") { change { id } } }', who="admin"
    )
    result = await harness.run(
        'mutation { setSlaTarget(provider: "doj-jsoc", measure: "customer-satisfaction", '
        'target: 4, reason: "r") { change { id } } }',
        who="admin",
    )
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert result.errors is not None
    assert "retired" in result.errors[0].message
    again = await harness.run(
        'mutation { retireProvider(id: "doj-jsoc", reason: "r") { change { id } } }', who="admin"
    )
    assert error_codes(again) == ["BAD_USER_INPUT"]


async def test_unknown_ids_in_queries(harness: Harness) -> None:
    unknown = await harness.run('{ provider(id: "doi-ibcc") { id } }')
    assert error_codes(unknown) == ["NOT_FOUND"]
    assert unknown.errors is not None
    assert "did you mean 'doi-ibc'?" in unknown.errors[0].message
    bad_qsmo = await harness.run('{ providers(qsmo: "nowhere") { id } }')
    assert error_codes(bad_qsmo) == ["BAD_USER_INPUT"]
