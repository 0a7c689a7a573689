"""The self-assessment through the schema, on in-memory stores: who sees what, refusals that
name the field and the fix and store nothing, the comparison, and the one owed event."""

from typing import Any

import pytest
from gateway_unit_support import NOW, Harness, error_codes

from gateway.provider_tools.assessment_store import InMemoryAssessmentStore, load_element_catalog
from gateway.provider_tools.events import InMemoryToolEventPublisher

ELEMENTS = load_element_catalog()
PROVIDER = "doi-ibc"  # offered by financial-management (lead) and human-resources
OWN_KEY = f"prov:{PROVIDER}"
FIELDS = "id status revision overall ratings { elementId rating evidence } history { action by }"

SAVE = f"""mutation($ratings: [SelfAssessmentRatingInput!]!, $fy: Int! = 2024) {{
  saveSelfAssessmentDraft(provider: "{PROVIDER}", fiscalYear: $fy, ratings: $ratings) {{ {FIELDS} }}
}}"""
SUBMIT = f"""mutation($ratings: [SelfAssessmentRatingInput!]) {{
  submitSelfAssessment(provider: "{PROVIDER}", fiscalYear: 2024, ratings: $ratings) {{ {FIELDS} }}
}}"""
REVIEW = """mutation($decision: SelfAssessmentDecision!, $comments: String) {
  reviewSelfAssessment(id: "doi-ibc|FY2024", decision: $decision, comments: $comments) {
    id status reviewComments categoryResults { categoryId result } overall
  }
}"""
READ = f"""{{ selfAssessment(provider: "{PROVIDER}", fiscalYear: 2024) {{
  status reviewComments ratings {{ elementId rating evidence }} overall history {{ action }}
}} }}"""


def ratings(value: int = 4, evidence: str = "FY2024 annual report") -> list[dict[str, Any]]:
    return [{"element": e.id, "rating": value, "evidence": evidence} for e in ELEMENTS.elements]


def store_of(harness: Harness) -> InMemoryAssessmentStore:
    store = harness.runtime.tools.assessments.store
    assert isinstance(store, InMemoryAssessmentStore)
    return store


def published(harness: Harness) -> InMemoryToolEventPublisher:
    publisher = harness.runtime.tools.events.publisher
    assert isinstance(publisher, InMemoryToolEventPublisher)
    return publisher


def problems(result: Any) -> list[tuple[str, str]]:
    [error] = result.errors
    return [(p["field"], p["code"]) for p in error.extensions["problems"]]


async def test_elements_list_five_categories_with_definitions(harness: Harness) -> None:
    data = await harness.data(
        "{ selfAssessmentElements { version scaleMin scaleMax "
        "categories { id elements { id name definition } } } }"
    )
    found = data["selfAssessmentElements"]
    assert (found["version"], found["scaleMin"], found["scaleMax"]) == ("1.0", 1, 5)
    assert [c["id"] for c in found["categories"]] == [
        "financial",
        "organizational",
        "operational",
        "program-management",
        "technology",
    ]
    assert sum(len(c["elements"]) for c in found["categories"]) == len(ELEMENTS.elements)
    result = await harness.run('{ selfAssessmentElements(version: "0.9") { version } }')
    assert error_codes(result) == ["BAD_USER_INPUT"]


async def test_save_submit_accept_publishes_one_event_for_the_lead_qsmo(harness: Harness) -> None:
    saved = await harness.data(SAVE, {"ratings": ratings()[:3]}, who=OWN_KEY)
    assert saved["saveSelfAssessmentDraft"]["status"] == "DRAFT"
    sent = await harness.data(SUBMIT, {"ratings": ratings(3)}, who=OWN_KEY)
    assert sent["submitSelfAssessment"]["status"] == "SUBMITTED"
    assert published(harness).events == []
    accepted = await harness.data(REVIEW, {"decision": "ACCEPT"}, who="pub:financial-management")
    assert accepted["reviewSelfAssessment"]["status"] == "ACCEPTED"
    assert accepted["reviewSelfAssessment"]["overall"] == 3.0
    [event] = published(harness).events
    assert (event.event_id, event.qsmo, event.provider, event.measure, event.value) == (
        "self-assessment:doi-ibc:FY2024",
        "financial-management",
        PROVIDER,
        "best-practices-self-assessment",
        3.0,
    )
    assert (event.occurred_at, event.source, event.request_id) == (
        NOW,
        "self-assessment",
        "tool:self-assessment:doi-ibc|FY2024",
    )
    assert await store_of(harness).pending() == []  # flushed right away
    assert await harness.runtime.tools.events.sweep() == 0  # nothing published twice


async def test_a_rating_outside_1_to_5_is_refused_naming_element_and_fix(harness: Harness) -> None:
    bad = ratings()
    bad[4]["rating"] = 6
    result = await harness.run(SUBMIT, {"ratings": bad}, who=OWN_KEY)
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert problems(result) == [("ratings[4].rating", "rating_out_of_range")]
    message = result.errors[0].message  # type: ignore[index]
    assert f"rating 6 for element '{ELEMENTS.elements[4].id}' is outside 1..5" in message
    assert "give a whole number from 1" in message
    assert store_of(harness).assessments == {}


async def test_a_provider_submitting_for_another_provider_is_forbidden(harness: Harness) -> None:
    result = await harness.run(
        SUBMIT, {"ratings": ratings()}, who="prov:cisa-cyber-shared-services"
    )
    assert error_codes(result) == ["FORBIDDEN"]
    [error] = result.errors  # type: ignore[misc]
    assert error.extensions["field"] == "provider"
    assert "may not submit a self-assessment for provider 'doi-ibc'" in error.message
    assert "that provider's own key" in error.message
    assert store_of(harness).assessments == {}


async def test_a_second_submission_while_under_review_is_refused(harness: Harness) -> None:
    await harness.data(SUBMIT, {"ratings": ratings()}, who=OWN_KEY)
    before = dict(store_of(harness).assessments)
    result = await harness.run(SUBMIT, {"ratings": ratings(2)}, who=OWN_KEY)
    assert error_codes(result) == ["BAD_USER_INPUT"]
    assert problems(result) == [("provider", "under_review")]
    assert "wait for the review, or ask the reviewer to return it" in result.errors[0].message  # type: ignore[index]
    assert store_of(harness).assessments == before


async def test_returned_then_resubmitted_keeps_the_whole_history(harness: Harness) -> None:
    await harness.data(SUBMIT, {"ratings": ratings()}, who=OWN_KEY)
    refused = await harness.run(REVIEW, {"decision": "RETURN"}, who="admin")
    assert problems(refused) == [("comments", "comments_required")]
    returned = await harness.data(
        REVIEW, {"decision": "RETURN", "comments": "cite the audit"}, who="admin"
    )
    assert returned["reviewSelfAssessment"]["status"] == "RETURNED"
    again = await harness.data(SUBMIT, {"ratings": None}, who=OWN_KEY)
    assert [h["action"] for h in again["submitSelfAssessment"]["history"]] == [
        "SUBMITTED",
        "RETURNED",
        "SUBMITTED",
    ]
    assert published(harness).events == []


async def test_drafts_and_evidence_are_shown_only_to_fillers_and_reviewers(
    harness: Harness,
) -> None:
    await harness.data(SAVE, {"ratings": ratings()[:2]}, who=OWN_KEY)
    own = (await harness.data(READ, who=OWN_KEY))["selfAssessment"]
    assert own["ratings"][0]["evidence"] == "FY2024 annual report"
    reviewer = (await harness.data(READ, who="pub:human-resources"))["selfAssessment"]
    assert len(reviewer["history"]) == 1
    for who in ("viewer", "pub:cybersecurity", "prov:cisa-cyber-shared-services"):
        other = (await harness.data(READ, who=who))["selfAssessment"]
        assert other == {
            "status": "DRAFT",
            "reviewComments": None,
            "ratings": [],
            "overall": None,
            "history": [],
        }


async def test_the_comparison_shows_accepted_results_side_by_side(harness: Harness) -> None:
    await harness.data(SUBMIT, {"ratings": ratings(5)}, who=OWN_KEY)
    await harness.data(REVIEW, {"decision": "ACCEPT"}, who="admin")
    await harness.data(
        """mutation($r: [SelfAssessmentRatingInput!]!) {
          saveSelfAssessmentDraft(provider: "treasury-arc", fiscalYear: 2024, ratings: $r) { id }
        }""",
        {"r": ratings()[:1]},
        who="admin",
    )
    data = await harness.data(
        """{ selfAssessmentComparison(qsmo: "financial-management", fiscalYear: 2024) {
          categories { id } rows { providerId status overall categoryResults { result } }
        } }"""
    )
    rows = {r["providerId"]: r for r in data["selfAssessmentComparison"]["rows"]}
    assert rows[PROVIDER]["status"] == "ACCEPTED"
    assert rows[PROVIDER]["overall"] == 5.0
    assert [c["result"] for c in rows[PROVIDER]["categoryResults"]] == [5.0] * 5
    assert rows["treasury-arc"] == {
        "providerId": "treasury-arc",
        "status": "DRAFT",
        "overall": None,
        "categoryResults": [],
    }
    assert rows["dot-esc"]["status"] is None


async def test_reviewers_see_what_they_may_review(harness: Harness) -> None:
    await harness.data(SUBMIT, {"ratings": ratings()}, who=OWN_KEY)
    query = "{ selfAssessmentsToReview { id status } }"
    assert (await harness.data(query, who="pub:human-resources"))["selfAssessmentsToReview"] == [
        {"id": "doi-ibc|FY2024", "status": "SUBMITTED"}
    ]
    assert (await harness.data(query, who="pub:cybersecurity"))["selfAssessmentsToReview"] == []
    assert error_codes(await harness.run(query, who=OWN_KEY)) == ["FORBIDDEN"]
    assert error_codes(await harness.run(query, who="viewer")) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("variables", "field", "code"),
    [
        (
            {"ratings": [{"element": "cost-modle", "rating": 3}]},
            "ratings[0].element",
            "unknown_element",
        ),
        ({"ratings": [], "fy": 2026}, "fiscalYear", "fiscal_year_out_of_range"),
    ],
)
async def test_draft_refusals(
    harness: Harness, variables: dict[str, Any], field: str, code: str
) -> None:
    result = await harness.run(SAVE, variables, who=OWN_KEY)
    assert problems(result) == [(field, code)]
    assert store_of(harness).assessments == {}


async def test_an_unknown_provider_gets_a_did_you_mean(harness: Harness) -> None:
    result = await harness.run(
        '{ selfAssessment(provider: "doi-ibk", fiscalYear: 2024) { status } }'
    )
    assert problems(result) == [("provider", "unknown_provider")]
    assert "did you mean 'doi-ibc'?" in result.errors[0].message  # type: ignore[index]


async def test_a_provider_framework_measure_value_can_be_read_for_a_slice(
    harness: Harness,
) -> None:
    event = ("financial-management", "best-practices-self-assessment", 3.6, NOW, PROVIDER, None)
    harness.values.events.append(event)
    data = await harness.data(
        """{ measureValue(measure: "best-practices-self-assessment", qsmo: "financial-management",
             provider: "doi-ibc", fiscalYear: 2024) { value count } }"""
    )
    assert data["measureValue"] == {"value": 3.6, "count": 1}
