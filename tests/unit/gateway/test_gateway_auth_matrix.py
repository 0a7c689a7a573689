"""Who may do what: every mutation against no key, viewer, another QSMO's publisher, admin."""

import json
from datetime import date

import pytest
from gateway_unit_support import NOW, Harness, error_codes

from gateway.analysis import ImprovementAction
from gateway.provider_tools.assessment_store import InMemoryAssessmentStore, load_element_catalog
from gateway.provider_tools.data_call_store import InMemoryDataCallStore
from gateway.provider_tools.survey_store import InMemorySurveyStore, StoredWave
from gateway.reviews.activity_log import InMemoryActivityLog
from gateway.reviews.revision_store import InMemoryRevisionStore
from gateway.reviews.revisions import RevisionKind, RevisionProposal
from gateway.reviews.store import InMemoryReviewStore
from services.notifications.models import (
    Notification,
    StakeholderList,
    StakeholderMember,
    Subscription,
)
from shared.catalog.data_call import example_sections
from shared.domain.data_call_versions import SubmissionSource
from shared.domain.data_call_versions import submit as submit_data_call
from shared.domain.reviews import made_ready, new_review
from shared.domain.self_assessment import Rating, submit
from shared.domain.survey import SurveyItem, new_wave

OWN = "cybersecurity"
ADMIN_ONLY = "admin only"
QSMO_WRITER = "admin or the QSMO's publisher"
PROVIDER_FILLER = "admin or the provider's own key"
OWN_PROVIDER = "cisa-cyber-shared-services"  # offered by the cybersecurity QSMO only
ASSESSMENT_ID = f"{OWN_PROVIDER}|FY2024"


def graphql_literal(value: object) -> str:
    """``value`` as a GraphQL input literal (a JSON scalar's object keys are names)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {graphql_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(graphql_literal(v) for v in value) + "]"
    return json.dumps(value)


DATA_CALL = graphql_literal(example_sections(2023))
SURVEY_WAVE = "fy2024-seeded"
DRAFT_REVIEW = f"FY2024-Q1|{OWN}"
READY_REVIEW = f"FY2023-Q4|{OWN}"
ALL_RATINGS = ", ".join(
    f'{{element: "{e.id}", rating: 4, evidence: "annual report"}}'
    for e in load_element_catalog().elements
)

MUTATIONS = {
    "setTarget": (
        ADMIN_ONLY,
        'setTarget(measure: "customer-satisfaction", target: 4.5, qsmo: "cybersecurity", '
        'reason: "agreed at the quarterly review") { change { id } }',
    ),
    "setWeight": (
        ADMIN_ONLY,
        'setWeight(measure: "customer-satisfaction", weight: 2, reason: "r") { change { id } }',
    ),
    "setBaseline": (
        ADMIN_ONLY,
        'setBaseline(measure: "customer-satisfaction", value: 3.5, qsmo: "cybersecurity", '
        'reason: "r") { change { id } }',
    ),
    "adoptDimension": (
        ADMIN_ONLY,
        'adoptDimension(dimension: "it-modernization", phase: 3, reason: "r") { change { id } }',
    ),
    "addQsmo": (
        ADMIN_ONLY,
        'addQsmo(id: "travel", name: "Travel QSMO", leadAgency: "GSA", reason: "r") '
        "{ change { id } }",
    ),
    "addProvider": (
        ADMIN_ONLY,
        'addProvider(id: "gsa-cyber-hub", name: "GSA Cyber Hub", kind: FEDERAL, '
        'qsmos: ["cybersecurity"], reason: "r") { change { id } }',
    ),
    "updateProvider": (
        ADMIN_ONLY,
        'updateProvider(id: "doj-jsoc", name: "DOJ JSOC", reason: "r") { change { id } }',
    ),
    "retireProvider": (ADMIN_ONLY, 'retireProvider(id: "doj-jsoc", reason: "r") { change { id } }'),
    "setSlaTarget": (
        ADMIN_ONLY,
        'setSlaTarget(provider: "doi-ibc", measure: "customer-satisfaction", target: 4.5, '
        'reason: "r") { change { id } }',
    ),
    "addCommentary": (
        QSMO_WRITER,
        'addCommentary(qsmo: "cybersecurity", measure: "customer-satisfaction", '
        'fiscalYear: 2024, text: "Survey response rate was low.") { id }',
    ),
    "createImprovementAction": (
        QSMO_WRITER,
        'createImprovementAction(qsmo: "cybersecurity", measure: "customer-satisfaction", '
        'title: "Run a second survey wave", owner: "CX lead", dueDate: "2024-09-30") { id }',
    ),
    "updateImprovementAction": (
        QSMO_WRITER,
        'updateImprovementAction(id: "act_seeded", status: IN_PROGRESS) { id status }',
    ),
    "createNotificationSubscription": (
        QSMO_WRITER,
        'createNotificationSubscription(qsmo: "cybersecurity", url: "https://hooks.example.gov/x", '
        'secret: "0123456789abcdef0123") { id }',
    ),
    "deleteNotificationSubscription": (
        QSMO_WRITER,
        'deleteNotificationSubscription(id: "sub_seeded")',
    ),
    "acknowledgeNotification": (QSMO_WRITER, 'acknowledgeNotification(id: "ntf_seeded") { id }'),
    "saveSelfAssessmentDraft": (
        PROVIDER_FILLER,
        f'saveSelfAssessmentDraft(provider: "{OWN_PROVIDER}", fiscalYear: 2022, '
        'ratings: [{element: "cost-model", rating: 3}]) { id status }',
    ),
    "submitSelfAssessment": (
        PROVIDER_FILLER,
        f'submitSelfAssessment(provider: "{OWN_PROVIDER}", fiscalYear: 2023, '
        f"ratings: [{ALL_RATINGS}]) {{ id status }}",
    ),
    "reviewSelfAssessment": (
        QSMO_WRITER,
        f'reviewSelfAssessment(id: "{ASSESSMENT_ID}", decision: ACCEPT) {{ id status }}',
    ),
    "submitDataCall": (
        PROVIDER_FILLER,
        f'submitDataCall(provider: "{OWN_PROVIDER}", fiscalYear: 2023, '
        f"sections: {DATA_CALL}) {{ id status }}",
    ),
    "reviewDataCall": (
        QSMO_WRITER,
        f'reviewDataCall(id: "{OWN_PROVIDER}|FY2024", decision: ACCEPT) {{ id status }}',
    ),
    "createSurveyWave": (
        ADMIN_ONLY,
        'createSurveyWave(fiscalYear: 2024, name: "Matrix wave", opensOn: "2024-05-01", '
        'closesOn: "2024-06-30") { id }',
    ),
    "setSurveyInvitations": (
        ADMIN_ONLY,
        f'setSurveyInvitations(wave: "{SURVEY_WAVE}", total: 40) {{ id }}',
    ),
    "recordSurveyResponse": (
        ADMIN_ONLY,
        f'recordSurveyResponse(wave: "{SURVEY_WAVE}", response: {{role: "manager", '
        'agency: "DOI", function: "cybersecurity", ratings: [{item: "overall", rating: 4}]}) '
        "{ stored }",
    ),
    "closeSurveyWave": (ADMIN_ONLY, f'closeSurveyWave(wave: "{SURVEY_WAVE}") {{ id status }}'),
    "createReview": (
        QSMO_WRITER,
        f'createReview(fiscalYear: 2024, quarter: 2, qsmo: "{OWN}", meetingDate: "2024-05-20", '
        'participants: ["CFO", "CX lead"]) { id state }',
    ),
    "makeReviewReady": (QSMO_WRITER, f'makeReviewReady(id: "{DRAFT_REVIEW}") {{ id state }}'),
    "recordReviewMeeting": (
        QSMO_WRITER,
        f'recordReviewMeeting(id: "{READY_REVIEW}", decisions: [{{text: "Run a second wave"}}], '
        'notes: "quorum") { id state }',
    ),
    "rerenderReviewPacket": (
        QSMO_WRITER,
        f'rerenderReviewPacket(id: "{DRAFT_REVIEW}") {{ id packet {{ version }} }}',
    ),
    "proposeRevision": (
        QSMO_WRITER,
        'proposeRevision(qsmo: "cybersecurity", measure: "customer-engagement", kind: TARGET, '
        'proposedValue: 30, rationale: "The marketplace opened late") { id status }',
    ),
    "decideRevision": (
        ADMIN_ONLY,
        'decideRevision(id: "rev_seeded", decision: DECLINE, note: "keep the target") '
        "{ id status }",
    ),
    "createStakeholderList": (
        ADMIN_ONLY,
        'createStakeholderList(name: "OMB RMO", kind: OMB, '
        'members: [{name: "Jane Doe", address: "jane.doe@omb.example.gov"}]) { id }',
    ),
    "updateStakeholderList": (
        ADMIN_ONLY,
        'updateStakeholderList(id: "seeded-list", attachPdf: false) { id attachPdf }',
    ),
    "deleteStakeholderList": (ADMIN_ONLY, 'deleteStakeholderList(id: "seeded-list")'),
}


def _seed_reviews(harness: Harness) -> None:
    store = harness.runtime.reviews.store
    assert isinstance(store, InMemoryReviewStore)
    for fiscal_year, quarter in ((2024, 1), (2023, 4)):
        review = new_review(
            qsmo=OWN,
            fiscal_year=fiscal_year,
            quarter=quarter,
            title="Seeded review",
            meeting_date=date(2024, 5, 20),
            participants=("CFO",),
            stakeholder_lists=(),
            cut_off=NOW,
            previous_review_id=None,
            now=NOW,
            by="t-admin",
        )
        if quarter == 4:
            review = made_ready(review, NOW, None, NOW, "t-admin")
        store.reviews[review.id] = review


def _writes(harness: Harness) -> tuple[object, ...]:
    """What a review mutation writes: the reviews and the activity log."""
    store = harness.runtime.reviews.store
    activity = harness.runtime.reviews.activity
    assert isinstance(store, InMemoryReviewStore)
    assert isinstance(activity, InMemoryActivityLog)
    return (dict(store.reviews), dict(activity.entries))


def _seed_stakeholders(harness: Harness) -> None:
    harness.stakeholder_records.lists["seeded-list"] = StakeholderList(
        id="seeded-list",
        name="Seeded",
        kind="OSSPI",
        members=(StakeholderMember(name="Sam", address="sam@gsa.example.gov"),),
        created_at=NOW,
        created_by="t-admin",
        updated_at=NOW,
        updated_by="t-admin",
    )


def _seed(harness: Harness) -> None:
    _seed_reviews(harness)
    _seed_stakeholders(harness)
    elements = load_element_catalog()
    ratings = [Rating(element=e.id, rating=4, evidence="report") for e in elements.elements]
    submitted = submit(
        None,
        elements,
        provider=OWN_PROVIDER,
        fiscal_year=2024,
        ratings=ratings,
        by="t-prov",
        at=NOW,
    )
    store = harness.runtime.tools.assessments.store
    assert isinstance(store, InMemoryAssessmentStore)
    store.assessments[submitted.id] = submitted
    calls = harness.runtime.tools.data_calls.store
    assert isinstance(calls, InMemoryDataCallStore)
    call = submit_data_call(
        None,
        provider=OWN_PROVIDER,
        fiscal_year=2024,
        sections=example_sections(2024),
        template_version="1.0",
        by="t-prov",
        at=NOW,
        reason=None,
        source=SubmissionSource.GRAPHQL,
    )
    calls.calls[call.id] = call
    surveys = harness.runtime.tools.surveys.store
    assert isinstance(surveys, InMemorySurveyStore)
    item = SurveyItem(id="overall", text="Overall?", overall=True)
    wave = new_wave(2024, "Seeded", date(2024, 5, 1), date(2024, 6, 30), [item], now=NOW)
    surveys.waves_by_id[wave.id] = StoredWave(wave, 0)
    harness.analysis.actions["act_seeded"] = ImprovementAction(
        id="act_seeded",
        qsmo=OWN,
        measure="customer-satisfaction",
        title="Seeded",
        owner="someone",
        due_date=date(2024, 9, 30),
        created_at=NOW,
        created_by="t-admin",
        updated_at=NOW,
    )
    revisions = harness.runtime.revisions.store
    assert isinstance(revisions, InMemoryRevisionStore)
    revisions.proposals["rev_seeded"] = RevisionProposal(
        id="rev_seeded",
        qsmo=OWN,
        measure="customer-engagement",
        kind=RevisionKind.TARGET,
        proposed_value=30,
        current_value=40,
        rationale="Seeded",
        proposed_at=NOW,
        proposed_by="t-pub-cybersecurity",
    )
    harness.notifications.subscriptions["sub_seeded"] = Subscription(
        id="sub_seeded",
        qsmo=OWN,
        url="https://hooks.example.gov/x",
        created_at=NOW,
        created_by="t-admin",
    )
    harness.notifications.notifications.append(
        Notification(
            id="ntf_seeded",
            rule="status_change",
            severity="warning",
            state="raised",
            qsmo=OWN,
            message="Customer satisfaction turned RED",
            raised_at=NOW,
        )
    )


def _expected(kind: str, mutation: str, who: str | None) -> str:
    if who is None:
        return "UNAUTHENTICATED"
    if who == "admin":
        return "OK"
    if who == f"pub:{OWN}" and kind == QSMO_WRITER:
        return "OK"
    if who == f"prov:{OWN_PROVIDER}" and kind == PROVIDER_FILLER:
        return "OK"
    if mutation == "deleteNotificationSubscription" and who.startswith("pub:"):
        return "NOT_FOUND"  # another QSMO's subscription is invisible to a publisher
    return "FORBIDDEN"


CALLERS = [
    None,
    "viewer",
    "pub:financial-management",
    f"pub:{OWN}",
    f"prov:{OWN_PROVIDER}",
    "prov:doi-ibc",
    "admin",
]


@pytest.mark.parametrize("who", CALLERS, ids=lambda w: str(w))
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_mutation_permissions(harness: Harness, mutation: str, who: str | None) -> None:
    _seed(harness)
    kind, selection = MUTATIONS[mutation]
    before = _writes(harness)
    result = await harness.run(f"mutation {{ {selection} }}", who=who)
    expected = _expected(kind, mutation, who)
    if expected == "OK":
        assert result.errors is None, [e.formatted for e in result.errors or ()]
        assert result.data is not None
        assert result.data[mutation] is not None
    else:
        assert error_codes(result) == [expected], [e.formatted for e in result.errors or ()]
        assert not result.data or result.data.get(mutation) is None
        assert _writes(harness) == before


async def test_every_mutation_of_the_schema_is_in_the_matrix(harness: Harness) -> None:
    mutation_type = harness.schema.get_type_by_name("Mutation")
    assert mutation_type is not None
    names = {harness.schema.config.name_converter.get_graphql_name(f) for f in mutation_type.fields}  # type: ignore[union-attr]
    assert names == set(MUTATIONS)


async def test_queries_and_introspection_need_a_key(harness: Harness) -> None:
    for query in ("{ qsmos { id } }", "{ __schema { queryType { name } } }", "{ __typename }"):
        result = await harness.run(query, who=None)
        assert error_codes(result) == ["UNAUTHENTICATED"]
        assert result.data is None


async def test_an_unknown_key_is_told_so(harness: Harness) -> None:
    from gateway.auth import identify
    from gateway.context import GatewayContext

    caller = identify(harness.runtime.key_ring, "Bearer not-a-real-key")
    result = await harness.schema.execute(
        "{ qsmos { id } }", context_value=GatewayContext(harness.runtime, caller)
    )
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert "not known" in result.errors[0].message  # type: ignore[index]
    assert "not-a-real-key" not in str(result.errors[0].formatted)  # type: ignore[index]


@pytest.mark.parametrize(
    ("header", "key_id"),
    [
        ("Bearer viewer-key-000000000", "t-viewer"),
        ("bearer   viewer-key-000000000  ", "t-viewer"),
        ("viewer-key-000000000", None),
        ("Basic viewer-key-000000000", None),
        ("Bearer ", None),
        (None, None),
    ],
)
def test_bearer_header_parsing(harness: Harness, header: str | None, key_id: str | None) -> None:
    from gateway.auth import identify

    caller = identify(harness.runtime.key_ring, header)
    assert (caller.principal.key_id if caller.principal else None) == key_id


async def test_viewers_read_everything(seeded: Harness) -> None:
    data = await seeded.data(
        "{ viewer { keyId role qsmoId } qsmos { id } scorecards(fiscalYear: 2024) { id } "
        "auditLog { nodes { id } } }"
    )
    assert data["viewer"] == {"keyId": "t-viewer", "role": "VIEWER", "qsmoId": None}
    assert len(data["scorecards"]) == 4


async def test_viewers_do_not_see_webhook_subscriptions_or_deliveries(harness: Harness) -> None:
    for query in (
        "{ notificationSubscriptions { id } }",
        "{ notificationDeliveries { nodes { id } } }",
    ):
        assert error_codes(await harness.run(query)) == ["FORBIDDEN"]
