"""The dashboard in headless Chromium against the real pipeline: the grid shows the API's
scores, a cell drills into its measures (keyboard and mouse), and an event that turns a cell
RED updates the open page without a reload. Screenshots land in ``test-artifacts/``."""

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import qsmo_stack
from dashboard_browser_support import Api, DashboardLane, Keys, eventually
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys as Key
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

from qsmo_client import Event, Publisher

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FISCAL_YEAR = 2026
GRID = """query($fy: Int!, $phase: Int) {
  scorecards(fiscalYear: $fy, phase: $phase, includeGovernmentWide: true) {
  qsmoId overallScore overallStatus dimensions { id score status active } } }"""
DIMENSION = """query($fy: Int!, $qsmo: ID, $dimension: ID!) {
  scorecard(fiscalYear: $fy, qsmo: $qsmo) { dimension(id: $dimension) { score status measures {
    id name value target attainment status dataQuality { eventCount restatedCount stale } } } } }"""
SERIES = """query($fy: Int!, $qsmo: ID, $measure: ID!) {
  measureSeries(fiscalYear: $fy, qsmo: $qsmo, measure: $measure) { points { value } } }"""
CELLS = """return [...document.querySelectorAll('#grid button.cell')].map((b) => ({
  qsmo: b.dataset.qsmo, dimension: b.dataset.dimension, status: b.dataset.status,
  score: b.dataset.score, shown: b.querySelector('.score').textContent,
  label: b.querySelector('.status').textContent }));"""
MEASURE_ROWS = """return [...document.querySelectorAll('#measures article.measure-card')].map((a) => {
  const raw = (name) => a.querySelector(`.fact[data-fact="${name}"]`).dataset.raw;
  return { id: a.dataset.measure, value: raw('value'), target: raw('annual-target'),
    attainment: raw('attainment'), status: a.querySelector('.measure-status').dataset.status,
    quality: raw('quality'), dots: a.querySelectorAll('svg.sparkline circle').length,
    trend: a.querySelector('svg.sparkline').getAttribute('aria-label') };
});"""
CONTRAST = """
function luminance(css) {
  const [r, g, b] = css.match(/[0-9.]+/g).slice(0, 3).map(Number).map((c) => {
    const s = c / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
return [...document.querySelectorAll('#grid button.cell, .badge')].map((el) => {
  const style = getComputedStyle(el);
  const [a, b] = [luminance(style.color), luminance(style.backgroundColor)];
  return { text: el.textContent, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
});"""


@pytest.fixture(scope="module")
def keys(stack: qsmo_stack.Stack) -> Keys:
    return Keys.load(stack.plaintext_keys_file)


def shown_score(score: float) -> str:
    """What the page shows: JavaScript's toFixed(1), which rounds halves up for positives."""
    return str(Decimal(score).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def open_dashboard(browser: WebDriver, lane: DashboardLane, keys: Keys) -> None:
    """Load the page fresh, paste the viewer key, wait until the grid is live."""
    # Forget a key from an earlier test on a page of the same origin that runs no script.
    browser.get(lane.url("gateway", "/dashboard/dashboard.css"))
    browser.execute_script("sessionStorage.clear()")
    browser.get(lane.url("gateway", f"/?fy={FISCAL_YEAR}"))
    box = eventually(lambda: _displayed(browser, "api-key"), 15, "the key box")
    box.send_keys(keys.viewer)
    browser.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
    eventually(
        lambda: browser.execute_script("return document.body.dataset.live") == "live",
        30,
        "the grid loaded and subscribed to live updates",
    )


def _displayed(browser: WebDriver, element_id: str) -> WebElement | None:
    found = browser.find_elements(By.ID, element_id)
    return found[0] if found and found[0].is_displayed() else None


def cell(browser: WebDriver, qsmo: str, dimension: str) -> WebElement:
    selector = f'#grid button.cell[data-qsmo="{qsmo}"][data-dimension="{dimension}"]'
    return browser.find_element(By.CSS_SELECTOR, selector)


def screenshot(browser: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    assert browser.save_screenshot(str(path)), path
    return path


def expected_cells(api: Api, phase: int | None) -> dict[tuple[str, str], tuple[float | None, str]]:
    """(row, column) → (score, status) of the API's scorecards, as the grid should show them."""
    cards = api.data(GRID, {"fy": FISCAL_YEAR, "phase": phase})["scorecards"]
    expected: dict[tuple[str, str], tuple[float | None, str]] = {}
    for card in cards:
        row = card["qsmoId"] or "government"
        expected[row, "overall"] = (card["overallScore"], card["overallStatus"])
        for dimension in card["dimensions"]:
            if dimension["active"]:
                expected[row, dimension["id"]] = (dimension["score"], dimension["status"])
    return expected


def grid_mismatches(
    browser: WebDriver, expected: dict[tuple[str, str], tuple[float | None, str]]
) -> list[Any]:
    """Cells that differ from ``expected`` (score, shown text, status word); [] when all match."""
    cells = browser.execute_script(CELLS)
    wrong: list[Any] = [] if len(cells) == len(expected) else [f"{len(cells)} cells"]
    for shown in cells:
        score, status = expected[shown["qsmo"], shown["dimension"]]
        text = "—" if score is None else shown_score(score)
        want = (status, status.replace("_", " "), text, "" if score is None else score)
        raw = float(shown["score"]) if shown["score"] else ""
        if (shown["status"], shown["label"], shown["shown"], raw) != want:
            wrong.append(shown)
    return wrong


def test_dashboard_grid_shows_the_graphql_scores_with_words_and_contrast(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    expected = expected_cells(api, None)
    assert len(expected) == 5 * 5
    assert grid_mismatches(browser, expected) == []
    # The simulator's story: Grants Management's Marketplace Operations slipped into RED.
    assert expected["grants-management", "marketplace-operations"][1] == "RED"
    assert cell(browser, "grants-management", "marketplace-operations").text.endswith("RED")
    low = [c for c in browser.execute_script(CONTRAST) if c["ratio"] < 4.5]
    assert not low, f"text below WCAG AA contrast: {low}"
    screenshot(browser, "dashboard-grid.png")

    Select(browser.find_element(By.ID, "phase")).select_by_value("1")  # rescored as in FY2022
    crawl = expected_cells(api, 1)
    assert crawl != expected
    eventually(lambda: grid_mismatches(browser, crawl) == [], 20, "the grid rescored with phase 1")
    assert "phase 1 (crawl, chosen)" in browser.find_element(By.CSS_SELECTOR, "#grid caption").text


def test_dashboard_drill_down_by_keyboard_and_mouse_shows_the_measures(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    first = cell(browser, "cybersecurity", "overall")
    browser.execute_script("arguments[0].focus()", first)
    ActionChains(browser).send_keys(Key.ARROW_DOWN, Key.ARROW_DOWN, Key.END).perform()
    target = cell(browser, "grants-management", "marketplace-operations")
    assert browser.switch_to.active_element == target
    ActionChains(browser).send_keys(Key.ENTER).perform()
    eventually(
        lambda: browser.find_element(By.ID, "detail").get_attribute("data-ready"), 20, "detail"
    )
    assert browser.switch_to.active_element.get_attribute("id") == "detail-title"
    rows = {row["id"]: row for row in browser.execute_script(MEASURE_ROWS)}
    wanted = {"fy": FISCAL_YEAR, "qsmo": "grants-management", "dimension": "marketplace-operations"}
    dimension = api.data(DIMENSION, wanted)["scorecard"]["dimension"]
    assert set(rows) == {m["id"] for m in dimension["measures"]}
    for measure in dimension["measures"]:
        row = rows[measure["id"]]
        assert float(row["value"]) == measure["value"]
        assert float(row["target"]) == measure["target"]
        assert float(row["attainment"]) == measure["attainment"]
        assert row["status"] == measure["status"]
        assert f"{measure['dataQuality']['eventCount']} events" in row["quality"]
        assert ("stale" in row["quality"]) == measure["dataQuality"]["stale"]
        series = api.data(SERIES, {**wanted, "measure": measure["id"]})["measureSeries"]
        assert row["dots"] == sum(1 for p in series["points"] if p["value"] is not None) > 0
        assert row["trend"].startswith(f"Monthly values of {measure['name']}")
    assert _displayed(browser, "detail-summary").text.startswith(
        f"Score {shown_score(dimension['score'])}"
    )
    ActionChains(browser).send_keys(Key.ESCAPE).perform()
    assert not browser.find_element(By.ID, "detail").is_displayed()
    assert browser.switch_to.active_element == target

    cell(browser, "government", "overall").click()
    eventually(
        lambda: browser.find_element(By.ID, "detail").get_attribute("data-ready"), 20, "detail"
    )
    shown = browser.execute_script(MEASURE_ROWS)
    assert len(shown) == 13  # every measure of the four active dimensions
    assert "Government-wide · Overall" in browser.find_element(By.ID, "detail-title").text
    screenshot(browser, "dashboard-drill-down.png")


def test_dashboard_an_event_that_turns_a_cell_red_updates_the_page_without_reload(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    financial = cell(browser, "cybersecurity", "financial")
    assert financial.get_attribute("data-status") == "GREEN"
    browser.execute_script("window.sameDocument = 'kept'")
    # The newest return-on-investment estimate ("latest" wins) says 0 %: the target is 15 %.
    estimate = Event(
        event_id=f"browser-roi-{dashboard_lane.tag}",
        qsmo="cybersecurity",
        measure="return-on-investment",
        value=0,
        occurred_at="2026-09-30T16:00:00-04:00",
        source="browser-test",
    )
    with Publisher(keys.publishers["cybersecurity"], dashboard_lane.url("ingest")) as publisher:
        assert publisher.publish([estimate]).ok

    def turned_red() -> Any:
        return financial.get_attribute("data-status") == "RED"

    eventually(turned_red, 60, "the Financial cell of Cybersecurity turning RED on the open page")
    assert browser.execute_script("return window.sameDocument") == "kept"  # no reload
    cards = api.data(GRID, {"fy": FISCAL_YEAR})["scorecards"]
    card = next(c for c in cards if c["qsmoId"] == "cybersecurity")
    score = next(d["score"] for d in card["dimensions"] if d["id"] == "financial")
    assert float(financial.get_attribute("data-score")) == score
    assert "is now RED" in browser.find_element(By.ID, "announcer").get_attribute("textContent")
    screenshot(browser, "dashboard-live-red.png")


def test_dashboard_a_wrong_key_is_refused_in_words(
    browser: WebDriver, dashboard_lane: DashboardLane
) -> None:
    browser.get(dashboard_lane.url("gateway", "/dashboard/dashboard.css"))
    browser.execute_script("sessionStorage.clear()")
    browser.get(dashboard_lane.url("gateway", "/"))
    box = eventually(lambda: _displayed(browser, "api-key"), 15, "the key box")
    box.send_keys("not-a-key", Key.ENTER)
    error = browser.find_element(By.ID, "key-error")
    eventually(lambda: error.text, 15, "an error message")
    assert "does not accept this key" in error.text
    assert browser.execute_script("return sessionStorage.length") == 0
    assert browser.switch_to.active_element.get_attribute("id") == "api-key"
