"""The provider tools name the person of a sign-in token: a self-assessment's history steps
(saved, submitted, accepted or returned) and a data call's versions (submitted by) and their
reviews; a key's steps name none."""

from typing import Any

from gateway_unit_support import Harness

from gateway.context import Caller, GatewayContext
from gateway.provider_tools.assessment_store import load_element_catalog
from shared.api_keys import Person, Principal, Role
from shared.catalog.data_call import example_sections

ISSUER = "https://login.agency.example/oauth2/qsmo"
PROVIDER = "doi-ibc"  # offered by financial-management (lead) and human-resources
NIA = {"sub": "00u3nia", "name": "Nia Provider", "issuer": ISSUER}
FRAN = {"sub": "00u4fran", "name": "Fran Finance", "issuer": ISSUER}
FILLER = Principal(
    key_id="oidc:agency:00u3nia",
    role=Role.PROVIDER,
    provider=PROVIDER,
    person=Person.model_validate(NIA),
)
REVIEWER = Principal(
    key_id="oidc:agency:00u4fran",
    role=Role.PUBLISHER,
    qsmo="financial-management",
    person=Person.model_validate(FRAN),
)
RATINGS = [
    {"element": e.id, "rating": 4, "evidence": "FY2024 annual report"}
    for e in load_element_catalog().elements
]
HISTORY = "history { action by person { sub name issuer } }"


async def as_token(
    harness: Harness, principal: Principal, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = await harness.schema.execute(
        query,
        variable_values=variables,
        context_value=GatewayContext(harness.runtime, Caller(principal)),
    )
    assert result.errors is None, [e.formatted for e in result.errors or ()]
    assert result.data is not None
    return result.data


async def test_a_self_assessments_history_names_the_people(harness: Harness) -> None:
    await as_token(
        harness,
        FILLER,
        f"""mutation($r: [SelfAssessmentRatingInput!]) {{
          submitSelfAssessment(provider: "{PROVIDER}", fiscalYear: 2024, ratings: $r) {{ id }} }}""",
        {"r": RATINGS},
    )
    reviewed = await as_token(
        harness,
        REVIEWER,
        f'mutation {{ reviewSelfAssessment(id: "{PROVIDER}|FY2024", decision: RETURN, '
        f'comments: "more evidence") {{ {HISTORY} }} }}',
    )
    assert reviewed["reviewSelfAssessment"]["history"] == [
        {"action": "SUBMITTED", "by": "oidc:agency:00u3nia", "person": NIA},
        {"action": "RETURNED", "by": "oidc:agency:00u4fran", "person": FRAN},
    ]
    by_key = await harness.data(
        f"""mutation($r: [SelfAssessmentRatingInput!]) {{
          submitSelfAssessment(provider: "{PROVIDER}", fiscalYear: 2024, ratings: $r) {{
          {HISTORY} }} }}""",
        {"r": RATINGS},
        who=f"prov:{PROVIDER}",
    )
    assert by_key["submitSelfAssessment"]["history"][-1]["person"] is None


async def test_a_data_calls_versions_and_reviews_name_the_people(harness: Harness) -> None:
    await as_token(
        harness,
        FILLER,
        f'mutation($s: JSON!) {{ submitDataCall(provider: "{PROVIDER}", fiscalYear: 2024, '
        "sections: $s) { id } }",
        {"s": example_sections(2024)},
    )
    reviewed = await as_token(
        harness,
        REVIEWER,
        f'mutation {{ reviewDataCall(id: "{PROVIDER}|FY2024", decision: ACCEPT) {{ versions {{ '
        "submittedBy submittedByPerson { sub name issuer } "
        "review { reviewedBy reviewedByPerson { sub name issuer } } } } }",
    )
    [version] = reviewed["reviewDataCall"]["versions"]
    assert version == {
        "submittedBy": "oidc:agency:00u3nia",
        "submittedByPerson": NIA,
        "review": {"reviewedBy": "oidc:agency:00u4fran", "reviewedByPerson": FRAN},
    }
