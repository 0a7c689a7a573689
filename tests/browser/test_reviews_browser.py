"""The performance reviews page, in headless Chromium against a pipeline of its own with the
simulator's history of the last two ended quarters' fiscal years in it: the reviews
simulator, run as if a month after the earlier quarter, holds that quarter's reviews; a QSMO's
publisher sees them held with their packets; a late event restates a reported month; the
publisher creates the last ended quarter's review on the page, sees the late event among the
changes since the held review, watches its draft packet being rendered, opens its links (the
PDF downloaded with the key is the one the API serves), makes it READY (its email delivery is
listed) and records the meeting's decisions, and sees it HELD; a viewer reads the same
reviews and may change none. The screenshots, and page 1 of a packet rendered with pdftoppm,
are the ones docs/reviews.md shows. axe-core finds no serious violation."""

import io
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import qsmo_stack
from dashboard_browser_support import (
    DashboardLane,
    ensure_axe,
    eventually,
    start_lane,
    stop_lane,
)
from provider_tools_browser_support import (
    IMAGES,
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

from qsmo_client import Publisher
from qsmo_client.simulator import reviews as reviews_simulator
from qsmo_client.simulator.history import generate_history
from qsmo_client.simulator.marketplace import Marketplace
from qsmo_client.simulator.reviews_flow import ended_quarters
from shared.catalog import load_catalog
from shared.domain.reviews import quarter_end, review_id

QSMO = "financial-management"
LAST = ended_quarters(datetime.now(UTC), 2)
HELD_QUARTER, CREATED_QUARTER = LAST
SIMULATED_NOW = quarter_end(HELD_QUARTER.fiscal_year, HELD_QUARTER.quarter) + timedelta(days=30)
"""The reviews simulator's clock: past the held quarter's meeting (three weeks after its end),
before the next quarter ends."""
HELD_ID = review_id(QSMO, HELD_QUARTER.fiscal_year, HELD_QUARTER.quarter)
CREATED_ID = review_id(QSMO, CREATED_QUARTER.fiscal_year, CREATED_QUARTER.quarter)
REVIEW = """query($id: ID!) { review(id: $id) { id state cutOff decisions { text owner dueDate }
  notes history { state by } packet { status version pages pdfUrl sha256Pdf } } }"""
ROWS = """return Object.fromEntries([...document.querySelectorAll('#reviews-lists tbody tr')]
  .map((tr) => [tr.dataset.review, { state: tr.dataset.state, packet: tr.dataset.packet,
    table: tr.closest('table').id }]));"""


@pytest.fixture(scope="module")
def keys(stack: qsmo_stack.Stack) -> RoleKeys:
    return RoleKeys.load(stack.plaintext_keys_file)


SEED = 2022
DELIVERIES = """return [...document.querySelectorAll('#review-deliveries tbody tr')].map((tr) =>
  ({ status: tr.dataset.status, text: [...tr.cells].map((c) => c.textContent).join('\\t') }));"""
STAKEHOLDERS = """mutation { createStakeholderList(id: "fm-leadership", name: "FM QSMO leadership",
  kind: QSMO_LEADERSHIP, qsmo: "financial-management",
  members: [{name: "FM QSMO director", address: "fm-director@example.gov"}]) { id memberCount } }"""
LATE_MEASURE = "customer-engagement"
LATE_VALUE = 500.0
VALUE = """query($fy: Int!, $q: ID!) { scorecard(fiscalYear: $fy, qsmo: $q) {
  measures { id value } } }"""


@pytest.fixture(scope="module")
def reviews_lane(stack: qsmo_stack.Stack) -> Iterator[DashboardLane]:
    """A pipeline of the module's own with the simulator's history sent through ingest
    (the reviews simulator waits until it is scored)."""
    lane = DashboardLane()
    start_lane(stack, lane)
    try:
        keys = RoleKeys.load(stack.plaintext_keys_file)
        catalog = load_catalog()
        # From the held quarter's fiscal year to the end of the quarter created on the page.
        start = datetime(HELD_QUARTER.fiscal_year - 1, 10, 1, tzinfo=UTC)
        end = quarter_end(CREATED_QUARTER.fiscal_year, CREATED_QUARTER.quarter) - timedelta(
            minutes=1
        )
        deliveries = generate_history(
            SEED,
            catalog.qsmo_ids,
            start,
            end,
            catalog.framework(),
            Marketplace(SEED, catalog.providers),
        )
        for qsmo in catalog.qsmo_ids:
            events = [d.event for d in deliveries if d.event.qsmo == qsmo]
            with Publisher(keys.publishers[qsmo], lane.url("ingest")) as publisher:
                assert publisher.publish(events).ok
        yield lane
    finally:
        stop_lane(stack, lane)


@pytest.fixture(scope="module")
def held(reviews_lane: DashboardLane, stack: qsmo_stack.Stack) -> list[str]:
    """The reviews simulator's run for ``HELD_QUARTER`` against the lane: its output."""
    out = io.StringIO()
    args = reviews_simulator.parse_args(
        [
            "--gateway-url",
            reviews_lane.url("gateway"),
            "--keys-file",
            str(stack.plaintext_keys_file),
            "--quarters",
            "1",
            "--history-timeout-s",
            "300",
            "--packet-timeout-s",
            "300",
        ]
    )
    assert reviews_simulator.run(args, out=out, clock=lambda: SIMULATED_NOW) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    # Running it again changes nothing.
    again = io.StringIO()
    assert reviews_simulator.run(args, out=again, clock=lambda: SIMULATED_NOW) == 0, (
        again.getvalue()
    )
    assert not [line for line in again.getvalue().splitlines() if "created" in line]
    return lines


def rows(browser: WebDriver) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = browser.execute_script(ROWS)
    return found


def review(api: ToolsApi, ident: str) -> dict[str, Any]:
    found: dict[str, Any] = api.data(REVIEW, {"id": ident})["review"]
    return found


def packet_page_png(pdf: bytes) -> Path:
    """Page 1 of ``pdf`` as docs/images/reviews-packet-page.png (poppler's pdftoppm)."""
    assert shutil.which("pdftoppm"), "pdftoppm is missing: make test's preparation installs it"
    with tempfile.TemporaryDirectory() as work:
        source = Path(work) / "packet.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(source),
                str(Path(work) / "page"),
            ],
            check=True,
            capture_output=True,
        )
        target = IMAGES / "reviews-packet-page.png"
        target.write_bytes((Path(work) / "page.png").read_bytes())
    return target


def test_the_simulator_holds_the_last_quarters_reviews_and_a_publisher_sees_them(
    browser: WebDriver, reviews_lane: DashboardLane, keys: RoleKeys, held: list[str]
) -> None:
    assert any(line.startswith(f"reviews: {HELD_ID}: created, ready, held") for line in held)
    assert held[-1] == "reviews: 5 of 5 packets rendered"
    publisher = ToolsApi(reviews_lane, keys.publishers[QSMO])
    stored = review(publisher, HELD_ID)
    assert stored["state"] == "HELD"
    assert stored["decisions"], "the simulated meeting decided something"
    assert stored["packet"]["status"] == "DONE"

    sign_in(browser, reviews_lane, keys.publishers[QSMO], "page=reviews")
    ready(browser, "reviews", "the reviews page")
    assert "page=reviews" in browser.current_url
    assert browser.find_element(By.ID, "reviews-create-section").is_displayed()
    shown = rows(browser)
    assert shown[HELD_ID] == {"state": "HELD", "packet": "DONE", "table": "reviews-held"}
    government = review_id(None, HELD_QUARTER.fiscal_year, HELD_QUARTER.quarter)
    assert shown[government]["table"] == "reviews-held"
    assert len([r for r in shown.values() if r["table"] == "reviews-held"]) == 5

    # Open it: the decisions of the meeting; its packet's PDF downloaded with the key is the
    # API's, byte for byte.
    browser.find_element(By.CSS_SELECTOR, f'button[data-open="{HELD_ID}"]').click()
    eventually(
        lambda: (
            browser.find_element(By.ID, "review-detail-panel").get_attribute("data-loaded")
            == f"{HELD_ID}:HELD:DONE"
        ),
        30,
        "the held review opened",
    )
    decisions = [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, "#review-decisions .decision-text")
    ]
    assert decisions == [d["text"] for d in stored["decisions"]]
    assert not browser.find_element(By.ID, "review-make-ready").is_displayed()
    pdf_button = browser.find_element(
        By.CSS_SELECTOR, '#review-packet-links button[data-format="pdf"]'
    )
    pdf_button.click()
    eventually(lambda: pdf_button.get_attribute("data-bytes"), 30, "the PDF downloaded")
    pdf = publisher.get(stored["packet"]["pdfUrl"]).content
    assert pdf.startswith(b"%PDF")
    assert int(pdf_button.get_attribute("data-bytes") or 0) == len(pdf)
    assert "PDF packet of" in text_of(browser, "reviews-download-message")
    packet_page_png(pdf)
    doc_screenshot(browser, "reviews-held.png", "review-detail-panel", max_height=1100)


def test_a_publisher_creates_a_review_makes_it_ready_and_records_the_meeting(
    browser: WebDriver, reviews_lane: DashboardLane, keys: RoleKeys, held: list[str]
) -> None:
    publisher = ToolsApi(reviews_lane, keys.publishers[QSMO])
    # The QSMO's leadership gets its READY packets by email.
    listed = ToolsApi(reviews_lane, keys.admin).data(STAKEHOLDERS)
    assert listed["createStakeholderList"]["memberCount"] == 1
    # A late event for a month already reported, after the held review's cut-off.
    year = CREATED_QUARTER.fiscal_year

    def value() -> float:
        card = publisher.data(VALUE, {"fy": year, "q": QSMO})["scorecard"] or {"measures": []}
        found = [m["value"] for m in card["measures"] if m["id"] == LATE_MEASURE]
        return float(found[0] or 0) if found else 0.0

    def send(event_id: str, value: float, occurred_at: str) -> None:
        event = {"event_id": event_id, "qsmo": QSMO, "measure": LATE_MEASURE, "value": value}
        sent = httpx.post(
            reviews_lane.url("ingest", "/v1/events"),
            json={**event, "occurred_at": occurred_at},
            headers={"Authorization": f"Bearer {keys.publishers[QSMO]}"},
            timeout=10,
        )
        assert sent.status_code == 202, sent.text

    # A late event restates a year that was reported: once the stream has an event after the
    # year's end (a closed year), the late one is a restatement; in an open year, new data.
    year_end = quarter_end(year, 4)
    closed = year_end <= datetime.now(UTC)
    if closed:
        send(
            f"next-year-{reviews_lane.tag}",
            3.0,
            f"{year_end + timedelta(days=4):%Y-%m-%d}T15:00:00Z",
        )
        eventually(
            lambda: publisher.data(VALUE, {"fy": year + 1, "q": QSMO})["scorecard"],
            60,
            "the next year's first event scored",
        )
    before = value()
    send(f"late-{reviews_lane.tag}", LATE_VALUE, f"{year - 1}-11-15T15:00:00Z")
    eventually(lambda: value() == before + LATE_VALUE, 60, "the late event scored")

    sign_in(browser, reviews_lane, keys.publishers[QSMO], f"page=reviews&scope={QSMO}")
    ready(browser, "reviews", "the reviews page")
    # A publisher creates only its own QSMO's reviews.
    scopes = [
        o.get_attribute("value")
        for o in Select(browser.find_element(By.ID, "create-scope")).options
    ]
    assert scopes == [QSMO]
    Select(browser.find_element(By.ID, "create-fy")).select_by_value(
        str(CREATED_QUARTER.fiscal_year)
    )
    Select(browser.find_element(By.ID, "create-quarter")).select_by_value(
        str(CREATED_QUARTER.quarter)
    )
    browser.find_element(By.ID, "create-participants").send_keys(
        "FM program manager, OSSPI analyst"
    )
    browser.find_element(By.ID, "create-submit").click()
    eventually(lambda: CREATED_ID in text_of(browser, "create-message"), 30, "the review created")
    assert "DRAFT" in text_of(browser, "create-message")

    # The draft's packet is rendered off the request path; the page follows it to DONE.
    panel = browser.find_element(By.ID, "review-detail-panel")
    eventually(
        lambda: panel.get_attribute("data-loaded") == f"{CREATED_ID}:DRAFT:DONE",
        120,
        "the draft packet",
    )
    assert rows(browser)[CREATED_ID] == {
        "state": "DRAFT",
        "packet": "DONE",
        "table": "reviews-upcoming",
    }
    links = [
        b.get_attribute("data-format")
        for b in browser.find_elements(By.CSS_SELECTOR, "#review-packet-links button")
    ]
    assert links == ["pdf", "xlsx", "csv"]
    draft = review(publisher, CREATED_ID)
    assert draft["state"] == "DRAFT"
    assert re.search(r"version \d+, \d+ pages?", text_of(browser, "review-packet-status"))
    # The restatement shows among the changes since the held review (the previous one).
    previous = f"FY{HELD_QUARTER.fiscal_year} Q{HELD_QUARTER.quarter} performance review"
    assert previous in text_of(browser, "review-facts")
    restated = browser.find_element(
        By.CSS_SELECTOR, f'#review-changes-table tr[data-measure="{LATE_MEASURE}"]'
    )
    cause = "RESTATEMENT" if closed else "NEW_DATA"
    assert (restated.get_attribute("data-causes") or "").split() == [cause]
    cells = restated.find_elements(By.CSS_SELECTOR, "td.number")
    assert (
        float(cells[1].get_attribute("data-raw") or 0)
        - float(cells[0].get_attribute("data-raw") or 0)
        == LATE_VALUE
    )
    doc_screenshot(browser, "reviews-list.png", "reviews-page", max_height=900)

    # READY: the cut-off and packet frozen (a new version is rendered).
    browser.find_element(By.ID, "review-make-ready").click()
    eventually(
        lambda: "READY with cut-off" in text_of(browser, "review-action-message"), 30, "READY"
    )
    eventually(
        lambda: panel.get_attribute("data-loaded") == f"{CREATED_ID}:READY:DONE",
        120,
        "the frozen packet",
    )
    frozen = review(publisher, CREATED_ID)
    assert frozen["state"] == "READY"
    assert frozen["packet"]["version"] > draft["packet"]["version"]
    assert rows(browser)[CREATED_ID]["table"] == "reviews-ready"

    # The packet went out: one email per member of each list for the review — the QSMO's
    # leadership list made above and the simulator's development lists (OMB, OSSPI, the
    # QSMO's leadership) — no SMTP server in this lane: each failed at once, with the
    # reason; a publisher sees the addresses masked.
    def delivered() -> list[dict[str, str]]:
        browser.find_element(By.CSS_SELECTOR, f'button[data-open="{CREATED_ID}"]').click()
        found: list[dict[str, str]] = browser.execute_script(DELIVERIES)
        return found if len(found) == 4 else []

    emails = eventually(delivered, 60, "the packet's four email deliveries listed")
    (email,) = [e for e in emails if e["text"].startswith("email\tf…@example.gov\t")]
    assert email["status"] == "FAILED"
    assert email["text"].startswith("email\tf…@example.gov\tFAILED"), email
    assert all("no SMTP server configured" in e["text"] for e in emails)
    masked = sorted(e["text"].split("\t")[1] for e in emails)
    assert masked == [
        "d…@financial-management.example.gov",
        "e…@omb.example.gov",
        "f…@example.gov",
        "p…@gsa.example.gov",
    ]
    assert browser.find_element(By.ID, "review-meeting-form").is_displayed()
    assert not browser.find_element(By.ID, "review-make-ready").is_displayed()

    # The meeting: two decisions (one with an owner and a due date) and notes → HELD.
    browser.find_element(By.ID, "decision-1-text").send_keys("Recover invoice timeliness")
    browser.find_element(By.ID, "decision-1-owner").send_keys("FM operations lead")
    due = browser.find_element(By.ID, "decision-1-dueDate")
    browser.execute_script("arguments[0].value = '2027-03-31'", due)
    browser.find_element(By.ID, "decision-add").click()
    browser.find_element(By.ID, "decision-2-text").send_keys("Keep the cost target")
    browser.find_element(By.ID, "meeting-notes").send_keys("Quorum present.")
    doc_screenshot(browser, "reviews-ready.png", "review-detail-panel", max_height=1300)
    browser.find_element(By.ID, "meeting-submit").click()
    eventually(
        lambda: "the review is HELD" in text_of(browser, "review-action-message"), 30, "HELD"
    )
    stored = review(publisher, CREATED_ID)
    assert stored["state"] == "HELD"
    assert stored["decisions"] == [
        {
            "text": "Recover invoice timeliness",
            "owner": "FM operations lead",
            "dueDate": "2027-03-31",
        },
        {"text": "Keep the cost target", "owner": None, "dueDate": None},
    ]
    assert stored["notes"] == "Quorum present."
    assert stored["packet"]["sha256Pdf"] == frozen["packet"]["sha256Pdf"], (
        "HELD keeps the frozen packet"
    )
    assert [h["state"] for h in stored["history"]] == ["DRAFT", "READY", "HELD"]
    assert rows(browser)[CREATED_ID]["table"] == "reviews-held"
    shown = [
        e.text for e in browser.find_elements(By.CSS_SELECTOR, "#review-decisions .decision-text")
    ]
    assert shown == ["Recover invoice timeliness", "Keep the cost target"]
    # Amending the record starts from what it holds.
    assert browser.find_element(By.ID, "meeting-submit").text == "Amend the meeting record"
    amend = browser.find_element(By.ID, "decision-2-text").get_attribute("value")
    assert amend == "Keep the cost target"
    assert serious(run_axe(browser, ensure_axe())) == [], "the reviews page"


def test_a_second_review_of_the_same_quarter_is_refused_on_the_page(
    browser: WebDriver, reviews_lane: DashboardLane, keys: RoleKeys, held: list[str]
) -> None:
    sign_in(browser, reviews_lane, keys.publishers[QSMO], "page=reviews")
    ready(browser, "reviews", "the reviews page")
    before = rows(browser)
    Select(browser.find_element(By.ID, "create-fy")).select_by_value(str(HELD_QUARTER.fiscal_year))
    Select(browser.find_element(By.ID, "create-quarter")).select_by_value(str(HELD_QUARTER.quarter))
    browser.find_element(By.ID, "create-participants").send_keys("FM program manager")
    browser.find_element(By.ID, "create-submit").click()
    eventually(
        lambda: (
            "error" in (browser.find_element(By.ID, "create-message").get_attribute("class") or "")
        ),
        30,
        "the refusal",
    )
    assert HELD_ID in text_of(browser, "create-message") or "already" in text_of(
        browser, "create-message"
    )
    assert rows(browser) == before


def test_a_viewer_reads_the_reviews_and_changes_none(
    browser: WebDriver, reviews_lane: DashboardLane, keys: RoleKeys, held: list[str]
) -> None:
    sign_in(browser, reviews_lane, keys.viewer, f"page=reviews&review={HELD_ID}")
    ready(browser, "reviews", "the reviews page")
    pages = [
        b.text
        for b in browser.find_elements(By.CSS_SELECTOR, "#pages-nav button")
        if b.is_displayed()
    ]
    assert pages == ["Scorecards", "Performance reviews"]
    assert not browser.find_element(By.ID, "reviews-create-section").is_displayed()
    panel = browser.find_element(By.ID, "review-detail-panel")
    eventually(
        lambda: panel.get_attribute("data-loaded") == f"{HELD_ID}:HELD:DONE",
        30,
        "the review opened",
    )
    assert not browser.find_element(By.ID, "review-meeting-form").is_displayed()
    assert not browser.find_element(By.ID, "review-make-ready").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, '#review-packet-links button[data-format="csv"]')


def test_the_documented_screenshots_exist() -> None:
    """docs/reviews.md shows only pictures these tests write."""
    doc = Path(__file__).resolve().parents[2] / "docs" / "reviews.md"
    shown = re.findall(r"\(images/(reviews-[\w-]+\.png)\)", doc.read_text())
    assert sorted(shown) == sorted(
        ["reviews-list.png", "reviews-ready.png", "reviews-held.png", "reviews-packet-page.png"]
    )
    source = Path(__file__).read_text()
    for name in shown:
        assert f'"{name}"' in source, name
