"""The provider tools on the dashboard, in headless Chromium against a real pipeline of their
own: a provider (its provider key) fills in and submits its self-assessment and a QSMO
reviewer (the QSMO's publisher key) accepts it; a provider uploads the data-call workbook the
platform generated, filled with openpyxl, through the page's file input, and sees its status
(a workbook with text in a number cell is refused with its sheet, row and column; a version
returned with comments is corrected with a reason, then accepted, with its cost); a closed
survey wave's results show a group below 5 respondents as withheld, with no figures. The
screenshots are the ones docs/provider-tools.md shows. axe-core finds no serious violation."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import qsmo_stack
from dashboard_browser_support import (
    DashboardLane,
    ensure_axe,
    eventually,
    open_fiscal_year,
    start_lane,
    stop_lane,
)
from data_call_workbook import fill_workbook, with_cell
from provider_tools_browser_support import (
    RoleKeys,
    ToolsApi,
    doc_screenshot,
    ready,
    sign_in,
    text_of,
)
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from test_dashboard_rev2_browser import run_axe, serious

from shared.catalog.data_call import example_sections

PROVIDER = "doi-ibc"
QSMO = "financial-management"
FISCAL_YEAR = 2026
ASSESSMENT = """query($p: ID!, $fy: Int!) { selfAssessment(provider: $p, fiscalYear: $fy) {
  id status overall reviewedBy categoryResults { categoryId result } ratings { elementId rating } } }"""
COMPARED = """return Object.fromEntries([...document.querySelectorAll('#sa-compare tbody tr')].map((tr) =>
  [tr.dataset.provider, { status: tr.dataset.status, overall: tr.querySelector('td.overall').dataset.raw,
    categories: Object.fromEntries([...tr.querySelectorAll('td[data-category]')]
      .map((td) => [td.dataset.category, td.dataset.raw])) }]));"""
ELEMENTS = "{ selfAssessmentElements { categories { id elements { id name } } } }"


@pytest.fixture(scope="module")
def keys(stack: qsmo_stack.Stack) -> RoleKeys:
    return RoleKeys.load(stack.plaintext_keys_file)


@pytest.fixture(scope="module")
def tools_lane(stack: qsmo_stack.Stack) -> Iterator[DashboardLane]:
    """A pipeline with no history: the provider tools start empty."""
    lane = DashboardLane()
    start_lane(stack, lane)
    try:
        yield lane
    finally:
        stop_lane(stack, lane)


def rating_for(index: int) -> int:
    """The ratings the provider gives: 3, 4, 5, 4, 3, 4, 5, … (overall 4 within a rounding)."""
    return (3, 4, 5, 4)[index % 4]


def test_a_provider_submits_its_self_assessment_and_a_reviewer_accepts_it(
    browser: WebDriver, tools_lane: DashboardLane, keys: RoleKeys
) -> None:
    provider_api = ToolsApi(tools_lane, keys.providers[PROVIDER])
    categories = provider_api.data(ELEMENTS)["selfAssessmentElements"]["categories"]
    elements = [e["id"] for c in categories for e in c["elements"]]
    assert len(elements) >= 20

    # The provider's key opens the provider tools for its own provider (no provider to choose).
    sign_in(browser, tools_lane, keys.providers[PROVIDER], f"fy={FISCAL_YEAR}")
    ready(browser, "tools", "the provider tools")
    assert browser.find_element(By.ID, "tools").is_displayed()
    assert not browser.find_element(By.ID, "dashboard").is_displayed()
    assert not browser.find_element(By.ID, "tools-provider-control").is_displayed()
    assert "page=tools" in browser.current_url
    assert text_of(browser, "sa-status") == f"FY{FISCAL_YEAR}: nothing saved yet."
    shown = [
        s.get_attribute("data-element")
        for s in browser.find_elements(By.CSS_SELECTOR, "#sa-categories select")
    ]
    assert shown == elements

    # A draft of the first half; the API keeps exactly those ratings.
    half = elements[: len(elements) // 2]
    for index, element_id in enumerate(half):
        Select(browser.find_element(By.ID, f"rating-{element_id}")).select_by_value(
            str(rating_for(index))
        )
        browser.find_element(By.ID, f"evidence-{element_id}").send_keys(
            f"Evidence {index}: procedures on file."
        )
    browser.find_element(By.ID, "sa-save").click()
    eventually(lambda: "Draft saved" in text_of(browser, "sa-message"), 30, "the draft saved")
    draft = provider_api.data(ASSESSMENT, {"p": PROVIDER, "fy": FISCAL_YEAR})["selfAssessment"]
    assert draft["status"] == "DRAFT"
    assert {r["elementId"]: r["rating"] for r in draft["ratings"]} == {
        e: rating_for(i) for i, e in enumerate(half)
    }

    # Submitting with elements unrated is refused by the API, which names them; nothing changes.
    browser.find_element(By.ID, "sa-submit").click()
    eventually(lambda: "have no rating" in text_of(browser, "sa-message"), 30, "the refusal")
    assert "error" in (browser.find_element(By.ID, "sa-message").get_attribute("class") or "")
    assert elements[-1] in text_of(browser, "sa-message")
    still = provider_api.data(ASSESSMENT, {"p": PROVIDER, "fy": FISCAL_YEAR})["selfAssessment"]
    assert still["status"] == "DRAFT"
    doc_screenshot(browser, "provider-tools-self-assessment.png", "tools", max_height=1300)

    # The rest, then submit.
    for index, element_id in enumerate(elements[len(half) :], start=len(half)):
        Select(browser.find_element(By.ID, f"rating-{element_id}")).select_by_value(
            str(rating_for(index))
        )
        browser.find_element(By.ID, f"evidence-{element_id}").send_keys(
            f"Evidence {index}: audit report."
        )
    browser.find_element(By.ID, "sa-submit").click()
    eventually(
        lambda: "Submitted for review" in text_of(browser, "sa-message"), 30, "the submission"
    )
    assert text_of(browser, "sa-status") == f"FY{FISCAL_YEAR}: Submitted: under review."
    assert (
        browser.find_element(By.ID, f"rating-{elements[0]}").get_attribute("disabled") is not None
    )
    submitted = provider_api.data(ASSESSMENT, {"p": PROVIDER, "fy": FISCAL_YEAR})["selfAssessment"]
    assert submitted["status"] == "SUBMITTED"
    assert len(submitted["ratings"]) == len(elements)

    # The QSMO's publisher: the submission waits in its review queue; it accepts it.
    sign_in(browser, tools_lane, keys.publishers[QSMO], "page=review")
    ready(browser, "review", "the review queue")
    assert not browser.find_element(By.ID, "review-qsmo-control").is_displayed()
    row = browser.find_element(
        By.CSS_SELECTOR, '#review-list tbody tr[data-kind="self-assessment"]'
    )
    assert "Interior Business Center" in row.text
    assert f"FY{FISCAL_YEAR}" in row.text
    row.find_element(By.CSS_SELECTOR, "button").click()
    eventually(
        lambda: browser.find_element(By.ID, "review-detail").is_displayed(), 10, "the submission"
    )
    reviewed = browser.find_elements(By.CSS_SELECTOR, "#review-body tbody tr[data-element]")
    assert [r.get_attribute("data-element") for r in reviewed] == elements
    overall = submitted["overall"]
    assert f"Overall {overall:.2f}" in text_of(browser, "review-body")
    browser.find_element(By.ID, "review-comments").send_keys(
        "Evidence checked against the audit report."
    )
    doc_screenshot(browser, "provider-tools-review.png", "review")
    assert serious(run_axe(browser, ensure_axe())) == [], "the review page"
    browser.find_element(By.ID, "review-accept").click()
    eventually(
        lambda: "was accepted" in caption(browser),
        30,
        "the acceptance",
    )
    assert not browser.find_elements(
        By.CSS_SELECTOR, '#review-list tbody tr[data-kind="self-assessment"]'
    )
    accepted = provider_api.data(ASSESSMENT, {"p": PROVIDER, "fy": FISCAL_YEAR})["selfAssessment"]
    assert accepted["status"] == "ACCEPTED"
    assert accepted["reviewedBy"] == f"dev-publisher-{QSMO}"

    # The QSMO's providers compared: the accepted results only.
    Select(browser.find_element(By.ID, "sa-compare-fy")).select_by_value(str(FISCAL_YEAR))
    compared = eventually(
        lambda: (
            (rows := browser.execute_script(COMPARED))
            and rows.get(PROVIDER, {}).get("status") == "ACCEPTED"
            and rows
        ),
        30,
        "the comparison",
    )
    assert float(compared[PROVIDER]["overall"]) == accepted["overall"]
    means = {c["categoryId"]: c["result"] for c in accepted["categoryResults"]}
    assert {k: float(v) for k, v in compared[PROVIDER]["categories"].items()} == means
    others = [row for p, row in compared.items() if p != PROVIDER]
    assert others
    assert all(row["status"] == "NONE" and row["overall"] == "" for row in others)
    doc_screenshot(browser, "provider-tools-comparison.png", "sa-compare-section")

    # Back as the provider: accepted, with its results, and no longer editable.
    sign_in(browser, tools_lane, keys.providers[PROVIDER], f"fy={FISCAL_YEAR}")
    ready(browser, "tools", "the provider tools")
    eventually(lambda: "Accepted" in text_of(browser, "sa-status"), 30, "the accepted status")
    assert f"Overall {accepted['overall']:.2f}" in text_of(browser, "sa-status")
    assert browser.find_element(By.ID, "sa-submit").get_attribute("disabled") is not None
    assert serious(run_axe(browser, ensure_axe())) == [], "the provider tools"


DATA_CALL = """query($p: ID!, $fy: Int!) { dataCall(provider: $p, fiscalYear: $fy) {
  id status acceptedVersion cost { costPerTransaction }
  versions { version status source submittedBy review { decision comments } } } }"""


PROBLEMS = """return [...document.querySelectorAll('#dc-errors li')].map((li) => ({
  sheet: li.dataset.sheet, row: li.dataset.row, column: li.dataset.column, text: li.textContent }));"""


def upload(browser: WebDriver, path: Path, reason: str = "") -> None:
    """Choose ``path`` in the page's file input and upload it."""
    browser.find_element(By.ID, "dc-file").send_keys(str(path))
    if reason:
        browser.find_element(By.ID, "dc-reason").send_keys(reason)
    browser.execute_script("document.getElementById('dc-section').removeAttribute('data-upload')")
    browser.find_element(By.ID, "dc-upload").click()
    ready(browser, "dc-section", "the upload's answer", attribute="data-upload")


def test_a_provider_uploads_its_filled_workbook_and_a_reviewer_accepts_it(
    browser: WebDriver, tools_lane: DashboardLane, keys: RoleKeys, tmp_path: Path
) -> None:
    provider_api = ToolsApi(tools_lane, keys.providers[PROVIDER])
    template = provider_api.get(
        f"/v1/data-call/{FISCAL_YEAR}/template.xlsx?provider={PROVIDER}"
    ).content
    sections = example_sections(FISCAL_YEAR)
    sections["demographics"]["provider_name"] = "Interior Business Center"
    filled = fill_workbook(template, sections)
    (tmp_path / "good.xlsx").write_bytes(filled)
    (tmp_path / "bad.xlsx").write_bytes(
        with_cell(filled, "staffing", 3, "Federal FTE", "twenty-five")
    )

    sign_in(browser, tools_lane, keys.providers[PROVIDER], f"fy={FISCAL_YEAR}")
    ready(browser, "tools", "the provider tools")
    assert text_of(browser, "dc-status") == f"FY{FISCAL_YEAR}: nothing submitted yet."
    # The template, as the page downloads it with the provider's key.
    browser.find_element(By.ID, "dc-template").click()
    ready(browser, "dc-template", "the template downloaded", attribute="data-bytes")
    assert int(browser.find_element(By.ID, "dc-template").get_attribute("data-bytes") or 0) > 5000

    # Text in a number cell: refused with its sheet, row and column; nothing stored.
    upload(browser, tmp_path / "bad.xlsx")
    assert browser.find_element(By.ID, "dc-section").get_attribute("data-upload") == "refused"
    problems = browser.execute_script(PROBLEMS)
    assert len(problems) == 1
    assert (problems[0]["sheet"], problems[0]["row"]) == ("staffing", "3")
    assert problems[0]["column"]
    assert "twenty-five" in problems[0]["text"]
    assert "nothing" in text_of(browser, "dc-message").lower()
    assert provider_api.data(DATA_CALL, {"p": PROVIDER, "fy": FISCAL_YEAR})["dataCall"] is None
    doc_screenshot(browser, "provider-tools-data-call-refused.png", "dc-section")

    # The filled workbook: stored as version 1, under review.
    upload(browser, tmp_path / "good.xlsx")
    assert browser.find_element(By.ID, "dc-section").get_attribute("data-upload") == "stored"
    assert "version 1" in text_of(browser, "dc-message")
    assert not browser.find_element(By.ID, "dc-errors").is_displayed()
    eventually(lambda: "version 1 (workbook)" in text_of(browser, "dc-status"), 30, "the status")
    call = provider_api.data(DATA_CALL, {"p": PROVIDER, "fy": FISCAL_YEAR})["dataCall"]
    assert call["status"] == "SUBMITTED"
    assert [(v["version"], v["source"]) for v in call["versions"]] == [(1, "WORKBOOK")]
    assert browser.find_element(By.CSS_SELECTOR, '#dc-versions tr[data-version="1"]')

    # The reviewer returns it (comments required), the provider uploads a correction with a
    # reason, the reviewer sees what changed and accepts; the provider sees the cost figures.
    open_submission(browser, tools_lane, keys.publishers[QSMO], "data-call")
    tables = browser.find_elements(By.CSS_SELECTOR, "#review-body table[data-section]")
    assert [t.get_attribute("data-section") for t in tables] == list(sections)
    assert "Interior Business Center" in text_of(browser, "review-body")
    browser.find_element(By.ID, "review-return").click()
    eventually(lambda: "write the comments" in text_of(browser, "review-message"), 10, "refusal")
    assert provider_api.data(DATA_CALL, {"p": PROVIDER, "fy": FISCAL_YEAR})["dataCall"][
        "status"
    ] == ("SUBMITTED")
    browser.find_element(By.ID, "review-comments").send_keys(RETURNED_BECAUSE)
    browser.find_element(By.ID, "review-return").click()
    decided(browser, "was returned to the provider")

    sections["demographics"]["transactions_processed"] = 2_000_000
    (tmp_path / "corrected.xlsx").write_bytes(fill_workbook(template, sections))
    sign_in(browser, tools_lane, keys.providers[PROVIDER], f"fy={FISCAL_YEAR}")
    ready(browser, "tools", "the provider tools")
    eventually(lambda: RETURNED_BECAUSE in text_of(browser, "dc-comments"), 30, "the comments")
    assert "returned" in text_of(browser, "dc-status").lower()
    upload(browser, tmp_path / "corrected.xlsx", reason="Transactions corrected from the ledger")
    assert "version 2" in text_of(browser, "dc-message")
    call = provider_api.data(DATA_CALL, {"p": PROVIDER, "fy": FISCAL_YEAR})["dataCall"]
    assert [(v["version"], v["status"]) for v in call["versions"]] == [
        (1, "RETURNED"),
        (2, "SUBMITTED"),
    ]
    assert call["versions"][0]["review"]["comments"] == RETURNED_BECAUSE
    eventually(
        lambda: len(browser.find_elements(By.CSS_SELECTOR, "#dc-versions tbody tr")) == 2, 30, "v2"
    )
    doc_screenshot(browser, "provider-tools-data-call.png", "dc-section")

    open_submission(browser, tools_lane, keys.publishers[QSMO], "data-call")
    changes = text_of(browser, "review-body")
    assert "Transactions corrected from the ledger" in changes
    assert "2000000" in changes.replace(",", "")
    browser.find_element(By.ID, "review-accept").click()
    decided(browser, "was accepted")
    accepted = provider_api.data(DATA_CALL, {"p": PROVIDER, "fy": FISCAL_YEAR})["dataCall"]
    assert (accepted["status"], accepted["acceptedVersion"]) == ("ACCEPTED", 2)
    assert accepted["cost"]["costPerTransaction"] == 6.0
    sign_in(browser, tools_lane, keys.providers[PROVIDER], f"fy={FISCAL_YEAR}")
    ready(browser, "tools", "the provider tools")
    eventually(lambda: "$6.00 per transaction" in text_of(browser, "dc-status"), 30, "cost")
    assert "Accepted version 2" in text_of(browser, "dc-status")

    # The QSMO's providers compared: the accepted cost beside the quality measures.
    browser.find_element(By.CSS_SELECTOR, '#pages-nav button[data-page="scorecards"]').click()
    Select(browser.find_element(By.ID, "tier")).select_by_value("qsmo")
    Select(browser.find_element(By.ID, "tier-qsmo")).select_by_value(QSMO)
    ready(browser, "comparison-section", "the providers compared")
    costs = eventually(lambda: browser.execute_script(COSTS) or None, 30, "the cost columns")
    assert costs[PROVIDER] == {
        "costPerTransaction": ["6", "$6.00"],
        "ftePerThousandCustomers": ["4", "4"],
    }
    others = [c for p, c in costs.items() if p != PROVIDER]
    assert others
    assert all(c["costPerTransaction"] == ["", "No data call accepted"] for c in others)
    doc_screenshot(browser, "provider-tools-comparison-cost.png", "comparison-section")


COSTS = """return Object.fromEntries([...document.querySelectorAll('#comparison tbody tr[data-provider]')]
  .map((tr) => [tr.dataset.provider, Object.fromEntries([...tr.querySelectorAll('td[data-cost]')]
    .map((td) => [td.dataset.cost, [td.dataset.raw, td.textContent]]))]));"""
RETURNED_BECAUSE = "Transactions processed looks low against the ledger; please check it."


def open_submission(browser: WebDriver, lane: DashboardLane, key: str, kind: str) -> None:
    """Sign in as a reviewer and open the first submission of ``kind`` in the queue."""
    sign_in(browser, lane, key, "page=review")
    ready(browser, "review", "the review queue")
    browser.find_element(By.CSS_SELECTOR, f'#review-list button[data-kind="{kind}"]').click()
    eventually(lambda: browser.find_element(By.ID, "review-detail").is_displayed(), 10, "detail")


def caption(browser: WebDriver) -> str:
    """The review queue's caption, read in one step (the queue is redrawn after a decision)."""
    text = browser.execute_script(
        "const c = document.querySelector('#review-list caption'); return c ? c.textContent : '';"
    )
    return str(text)


def decided(browser: WebDriver, words: str) -> None:
    eventually(
        lambda: words in caption(browser),
        30,
        words,
    )


RATINGS = {
    "end-user": ((5, 4), (4, 4), (4, 3), (5, 5), (3, 4), (4, 5), (5, 4), (4, 4), (4, 3), (5, 4)),
    "manager": ((3, 3), (4, 3), (4, 4)),
    "executive": ((5, 4), (4, 5)),
}
"""Fifteen responses for one provider and agency: the managers' (3) and the executives' (2)
groups are withheld; the end users' (10) and the total are published."""
RESPONSES = "role,agency,function,provider,overall,timeliness,comment\n" + "".join(
    f"{role},DOI,financial-management,doi-ibc,{overall},{timeliness},\n"
    for role, ratings in RATINGS.items()
    for overall, timeliness in ratings
)

CREATE_WAVE = """mutation($fy: Int!, $opens: Date!, $closes: Date!) {
  createSurveyWave(fiscalYear: $fy, name: "Annual customer survey", opensOn: $opens, closesOn: $closes,
    items: [{id: "overall", text: "Overall satisfaction", overall: true},
            {id: "timeliness", text: "Timeliness of the service"}]) { id } }"""
INVITE = """mutation($w: ID!) { setSurveyInvitations(wave: $w, total: 40) { id } }"""
CLOSE = """mutation($w: ID!) { closeSurveyWave(wave: $w) { id status } }"""
RESULTS = """query($w: ID!, $p: ID) { surveyResults(wave: $w, groupBy: ROLE, provider: $p) {
  total { respondents } groups { value withheld respondents itemMeans { itemId mean } } } }"""


def test_a_providers_survey_results_show_small_groups_as_withheld(
    browser: WebDriver, tools_lane: DashboardLane, keys: RoleKeys
) -> None:
    admin = ToolsApi(tools_lane, keys.admin)
    fy = open_fiscal_year()
    variables = {"fy": fy, "opens": f"{fy - 1}-10-01", "closes": f"{fy}-09-30"}
    wave = admin.data(CREATE_WAVE, variables)["createSurveyWave"]["id"]
    admin.data(INVITE, {"w": wave})
    imported = admin.post(f"/v1/surveys/{wave}/responses", RESPONSES.encode(), "text/csv")
    assert (imported["received"], imported["stored"]) == (15, 15)
    assert admin.data(CLOSE, {"w": wave})["closeSurveyWave"]["status"] == "CLOSED"
    api = ToolsApi(tools_lane, keys.providers[PROVIDER])
    results = api.data(RESULTS, {"w": wave, "p": PROVIDER})["surveyResults"]
    by_role = {g["value"]: g for g in results["groups"]}
    assert results["total"]["respondents"] == 15
    withheld = [r for r, g in by_role.items() if g["withheld"]]
    assert sorted(withheld) == ["executive", "manager"]
    assert all(by_role[r]["respondents"] is None for r in withheld)
    published = [r for r, g in by_role.items() if not g["withheld"]]
    assert published == ["end-user"]

    sign_in(browser, tools_lane, keys.providers[PROVIDER], f"fy={fy}")
    ready(browser, "sv-section", "the survey results")
    rows = {
        r.get_attribute("data-group"): r
        for r in browser.find_elements(By.CSS_SELECTOR, "#sv-results tbody tr")
    }
    assert list(rows) == ["", *[g["value"] for g in results["groups"]]]
    assert rows[""].find_element(By.CSS_SELECTOR, "td").get_attribute("data-raw") == "15"
    for role in published:
        cells = rows[role].find_elements(By.CSS_SELECTOR, "td[data-item]")
        means = {m["itemId"]: m["mean"] for m in by_role[role]["itemMeans"]}
        assert {
            c.get_attribute("data-item"): float(c.get_attribute("data-raw") or "nan") for c in cells
        } == means
    for role in withheld:
        row = rows[role]
        assert row.get_attribute("data-withheld") == "true"
        assert "Withheld" in row.text
        assert not row.find_elements(By.CSS_SELECTOR, "td.number"), (
            "a withheld group shows no figures"
        )
    assert "withheld to protect respondents" in text_of(browser, "sv-summary")
    doc_screenshot(browser, "provider-tools-survey.png", "sv-section")
    assert serious(run_axe(browser, ensure_axe())) == [], "the survey results"


def test_an_admin_chooses_any_provider_and_any_qsmo(
    browser: WebDriver, tools_lane: DashboardLane, keys: RoleKeys
) -> None:
    sign_in(browser, tools_lane, keys.admin, f"page=tools&provider=usda-nfc&fy={FISCAL_YEAR}")
    ready(browser, "tools", "the provider tools")
    pages = [
        b.text
        for b in browser.find_elements(By.CSS_SELECTOR, "#pages-nav button")
        if b.is_displayed()
    ]
    assert pages == ["Scorecards", "Provider tools", "Submissions to review", "Performance reviews"]
    assert browser.find_element(By.ID, "tools-provider-control").is_displayed()
    assert browser.find_element(By.ID, "tools-provider").get_attribute("value") == "usda-nfc"
    assert text_of(browser, "sa-status") == f"FY{FISCAL_YEAR}: nothing saved yet."
    browser.find_element(By.CSS_SELECTOR, '#pages-nav button[data-page="review"]').click()
    ready(browser, "review", "the review queue")
    assert "page=review" in browser.current_url
    assert browser.find_element(By.ID, "review-qsmo-control").is_displayed()
    browser.find_element(By.CSS_SELECTOR, '#pages-nav button[data-page="scorecards"]').click()
    assert browser.find_element(By.ID, "dashboard").is_displayed()
    assert not browser.find_element(By.ID, "review").is_displayed()
    assert "page=" not in browser.current_url


def test_the_documented_screenshots_exist() -> None:
    """docs/provider-tools.md shows only screenshots these tests write."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "provider-tools.md"
    shown = re.findall(r"\(images/(provider-tools-[\w-]+\.png)\)", doc.read_text())
    assert shown
    source = Path(__file__).read_text()
    for name in shown:
        assert f'"{name}"' in source, name
