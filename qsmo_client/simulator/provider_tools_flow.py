"""The provider-tools simulator's steps, each a few calls of the gateway's public APIs.

Every step first reads where things stand, so a second run leaves accepted submissions and a
closed wave alone.
"""

from datetime import UTC, date, datetime

from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.provider_tools_api import ToolsApi
from qsmo_client.simulator.provider_tools_data import (
    Element,
    data_call_sections,
    self_assessment_ratings,
    survey_csv,
    survey_rows,
)
from shared.domain.catalog import Catalog
from shared.domain.providers import Provider

ELEMENTS = "{ selfAssessmentElements { categories { id elements { id name } } } }"
ASSESSMENT = """query($p: ID!, $fy: Int!) { selfAssessment(provider: $p, fiscalYear: $fy) {
  id status } }"""
SUBMIT = """mutation($p: ID!, $fy: Int!, $ratings: [SelfAssessmentRatingInput!]!) {
  submitSelfAssessment(provider: $p, fiscalYear: $fy, ratings: $ratings) { id status } }"""
DATA_CALL = """query($p: ID!, $fy: Int!) { dataCall(provider: $p, fiscalYear: $fy) {
  id status versions { version status } } }"""
SUBMIT_DATA_CALL = """mutation($p: ID!, $fy: Int!, $sections: JSON!, $reason: String) {
  submitDataCall(provider: $p, fiscalYear: $fy, sections: $sections, reason: $reason) {
    id status } }"""
REVIEW_ASSESSMENT = """mutation($id: ID!) { reviewSelfAssessment(id: $id, decision: ACCEPT,
  comments: "Evidence checked by the QSMO.") { id status } }"""
REVIEW_DATA_CALL = """mutation($id: ID!) { reviewDataCall(id: $id, decision: ACCEPT,
  comments: "Figures checked by the QSMO.") { id status } }"""
WAVES = "{ surveyWaves { id name fiscalYear status } }"
FUNCTIONS = "{ surveyCatalog { functions { id qsmoId } } }"
CREATE_WAVE = """mutation($fy: Int!, $name: String!, $opens: Date!, $closes: Date!) {
  createSurveyWave(fiscalYear: $fy, name: $name, opensOn: $opens, closesOn: $closes) {
    id items { id overall } } }"""
INVITE = """mutation($wave: ID!, $total: Int!) { setSurveyInvitations(wave: $wave, total: $total) {
  id } }"""
CLOSE = """mutation($wave: ID!) { closeSurveyWave(wave: $wave) { id status } }"""
WAVE_ITEMS = """query($wave: ID!) { surveyWave(id: $wave) { id status items { id overall } } }"""
INVITED_SHARE = 0.35
"""Responses ÷ invitations: the response rate the simulated wave reaches."""


def wave_name(fiscal_year: int) -> str:
    return f"FY{fiscal_year} customer satisfaction survey"


def submit_self_assessment(
    api: ToolsApi, key: str, seed: int, provider: Provider, fiscal_year: int
) -> str:
    """Submit a complete self-assessment unless one is under review or accepted; what happened."""
    current = api.graphql(key, ASSESSMENT, {"p": provider.id, "fy": fiscal_year})["selfAssessment"]
    if current and current["status"] in ("SUBMITTED", "ACCEPTED"):
        return f"already {current['status'].lower()}"
    categories = api.graphql(key, ELEMENTS)["selfAssessmentElements"]["categories"]
    elements = [Element(e["id"], c["id"], e["name"]) for c in categories for e in c["elements"]]
    ratings = self_assessment_ratings(seed, provider, fiscal_year, elements)
    api.graphql(key, SUBMIT, {"p": provider.id, "fy": fiscal_year, "ratings": ratings})
    return f"submitted ({len(ratings)} elements)"


def submit_data_call(
    api: ToolsApi, key: str, seed: int, provider: Provider, fiscal_year: int
) -> str:
    """Submit the six sections unless a version is under review or accepted; what happened."""
    current = api.graphql(key, DATA_CALL, {"p": provider.id, "fy": fiscal_year})["dataCall"]
    versions = current["versions"] if current else []
    if versions and versions[-1]["status"] in ("SUBMITTED", "ACCEPTED"):
        return f"already {versions[-1]['status'].lower()} (version {versions[-1]['version']})"
    sections = data_call_sections(seed, provider, fiscal_year)
    reason = "Corrected after the QSMO's review." if versions else None
    variables = {"p": provider.id, "fy": fiscal_year, "sections": sections, "reason": reason}
    api.graphql(key, SUBMIT_DATA_CALL, variables)
    return f"submitted (version {len(versions) + 1})"


def accept_submissions(api: ToolsApi, key: str, providers: list[str], fiscal_year: int) -> str:
    """Accept every submitted self-assessment and data call of ``providers``; how many."""
    assessments = calls = 0
    for provider in providers:
        variables = {"p": provider, "fy": fiscal_year}
        current = api.graphql(key, ASSESSMENT, variables)["selfAssessment"]
        if current and current["status"] == "SUBMITTED":
            api.graphql(key, REVIEW_ASSESSMENT, {"id": current["id"]})
            assessments += 1
        call = api.graphql(key, DATA_CALL, variables)["dataCall"]
        if call and call["versions"] and call["versions"][-1]["status"] == "SUBMITTED":
            api.graphql(key, REVIEW_DATA_CALL, {"id": call["id"]})
            calls += 1
    return f"{assessments} self-assessments and {calls} data calls"


def run_survey_wave(
    api: ToolsApi, key: str, seed: int, fiscal_year: int, responses: int, catalog: Catalog
) -> str:
    """The fiscal year's wave (open all year, closed once imported): created, invited,
    imported and closed; once."""
    name = wave_name(fiscal_year)
    found = [w for w in api.graphql(key, WAVES)["surveyWaves"] if w["name"] == name]
    if found and found[0]["status"] == "CLOSED":
        return f"{name} already closed"
    if found:
        wave = api.graphql(key, WAVE_ITEMS, {"wave": found[0]["id"]})["surveyWave"]
    else:
        variables = {
            "fy": fiscal_year,
            "name": name,
            "opens": date(fiscal_year - 1, 10, 1).isoformat(),
            "closes": date(fiscal_year, 9, 30).isoformat(),
        }
        wave = api.graphql(key, CREATE_WAVE, variables)["createSurveyWave"]
    items = [i["id"] for i in wave["items"]]
    api.graphql(key, INVITE, {"wave": wave["id"], "total": round(responses / INVITED_SHARE)})
    listed = api.graphql(key, FUNCTIONS)["surveyCatalog"]["functions"]
    functions = {f["id"]: f["qsmoId"] for f in listed}
    providers = {p.id: p for p in catalog.providers}
    at = datetime(fiscal_year - 1, 10, 1, tzinfo=UTC)
    rows = survey_rows(
        seed,
        wave["id"],
        responses,
        items,
        functions,
        providers,
        Marketplace(seed, catalog.providers),
        at,
    )
    answer = api.post_file(
        key, f"/v1/surveys/{wave['id']}/responses", survey_csv(rows, items).encode(), "text/csv"
    )
    api.graphql(key, CLOSE, {"wave": wave["id"]})
    return (
        f"{name}: {answer['received']} responses sent, {answer['stored']} stored "
        f"({answer['alreadyStored']} already there), wave closed"
    )
