"""The dashboard under the rules' revision 2, in headless Chromium against the real pipeline
(the simulator's FY2026 and open-year history, notifications service included): it opens on
the open fiscal year and says which `sum` measures are on track against the target expected
by today; the drill-down shows every number a program manager compares, a labelled trend
chart with each period's target, the latest commentary and the open improvement actions; the
government-wide row counts the QSMOs by status; the notification feed is grouped by QSMO and
rule. Section 508 / WCAG 2.1 AA: keyboard-only use, and axe-core finds no serious or critical
violation on the grid, an open drill-down and the feed."""

import base64
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import qsmo_stack
from dashboard_browser_support import (
    OPEN_YEAR,
    Api,
    DashboardLane,
    Keys,
    ensure_axe,
    eventually,
)
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys as Key
from test_dashboard_browser import ARTIFACTS, _displayed, cell, screenshot

from shared.catalog import load_catalog

QSMO = "grants-management"
DIMENSION = "customer"
COMMENTED = "customer-engagement"
SUMS = {m.id for m in load_catalog().framework().measures if str(m.aggregation) == "sum"}
GRID = """query($fy: Int!) { scorecards(fiscalYear: $fy, includeGovernmentWide: true) {
  qsmoId open elapsedShare overallStatus dimensions { id status active }
  measures { id status value active } } }"""
DETAIL = """query($fy: Int!, $qsmo: ID, $dimension: ID!) {
  scorecard(fiscalYear: $fy, qsmo: $qsmo) { open dimension(id: $dimension) { measures {
    id value target annualTarget projectedValue lastYearValue baseline status
    qsmoStatusCounts { green amber red noData } } } } }"""
SERIES = """query($fy: Int!, $qsmo: ID, $measure: ID!) {
  measureSeries(fiscalYear: $fy, qsmo: $qsmo, measure: $measure) {
    points { period { label } value target status } } }"""
FEED = "{ notifications(first: 100) { nodes { id rule qsmoId raisedAt } } }"
COMMENT = """mutation($qsmo: ID!, $measure: ID!, $fy: Int!, $text: String!) {
  addCommentary(qsmo: $qsmo, measure: $measure, fiscalYear: $fy, text: $text) { id } }"""
ACTION = """mutation($qsmo: ID!, $measure: ID!, $title: String!, $due: Date!) {
  createImprovementAction(qsmo: $qsmo, measure: $measure, title: $title, owner: "Outreach lead",
  dueDate: $due) { id } }"""
CARDS = """return [...document.querySelectorAll('#measures article.measure-card')].map((a) => {
  const facts = {};
  for (const f of a.querySelectorAll('.fact')) facts[f.dataset.fact] = f.dataset.raw;
  const chart = a.querySelector('svg.sparkline');
  const pace = a.querySelector('[data-pace]');
  return { id: a.dataset.measure, facts, status: a.querySelector('.measure-status').dataset.status,
    pace: pace ? pace.dataset.pace : null, text: a.textContent,
    dots: chart.querySelectorAll('circle').length, targets: chart.querySelectorAll('path.spark-target').length,
    labels: [...chart.querySelectorAll('text.spark-label')].map((t) => t.textContent),
    chartLabel: chart.getAttribute('aria-label'),
    rows: [...a.querySelectorAll('table.trend-table tbody tr')].map((r) =>
      [...r.children].map((c) => c.textContent)),
    commentary: a.querySelector('[data-commentary]') ? a.querySelector('[data-commentary]').dataset.commentary : null,
    actions: [...a.querySelectorAll('[data-action] .action-title')].map((t) => t.textContent) };
});"""
GRAPHQL_REQUESTS = """return performance.getEntriesByType('resource')
  .filter((e) => e.initiatorType === 'fetch' && e.name.endsWith('/graphql')).length;"""
YTD = """return [...document.querySelectorAll('#grid td.ytd')].map((c) => ({
  row: c.dataset.row, onTrack: c.dataset.onTrack, behind: c.dataset.behind, text: c.textContent }));"""
COUNTS = """return [...document.querySelectorAll('#grid tr.government td .qsmo-counts')].map((p) => ({
  dimension: p.parentElement.querySelector('button').dataset.dimension,
  counts: [p.dataset.green, p.dataset.amber, p.dataset.red, p.dataset.noData].map(Number),
  text: p.textContent }));"""
GROUPS = """return [...document.querySelectorAll('#feed li.feed-group')].map((g) => ({
  qsmo: g.dataset.qsmo, rule: g.dataset.rule, count: Number(g.dataset.count),
  open: g.querySelector('details').open,
  badge: g.querySelector('summary .badge').textContent,
  severities: [...g.querySelectorAll('li.feed-item .badge')].map((b) => b.textContent),
  newest: g.querySelector('summary time').getAttribute('datetime') }));"""
AXE = """const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
  .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact,
    nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }))))
  .catch((e) => done([{ id: 'axe-error', impact: 'critical', nodes: [String(e)] }]));"""


@pytest.fixture(scope="module")
def keys(stack: qsmo_stack.Stack) -> Keys:
    return Keys.load(stack.plaintext_keys_file)


@pytest.fixture(scope="module")
def axe_source() -> str:
    return ensure_axe()


@pytest.fixture(scope="module")
def analysis(dashboard_lane: DashboardLane, keys: Keys) -> dict[str, str]:
    """A commentary and an open improvement action on the commented measure, through the API
    with the QSMO's publisher key."""
    publisher = Api(dashboard_lane, Keys(keys.admin, keys.publishers[QSMO], keys.publishers))
    text = f"Outreach paused in October for the reorganisation ({dashboard_lane.tag})."
    publisher.data(COMMENT, {"qsmo": QSMO, "measure": COMMENTED, "fy": OPEN_YEAR, "text": text})
    title = f"Restart agency outreach ({dashboard_lane.tag})"
    due = (date.today() + timedelta(days=30)).isoformat()
    publisher.data(ACTION, {"qsmo": QSMO, "measure": COMMENTED, "title": title, "due": due})
    return {"commentary": text, "action": title}


def open_dashboard(browser: WebDriver, lane: DashboardLane, keys: Keys) -> None:
    """Load the page fresh without choosing a year, sign in, wait until the grid is live."""
    browser.get(lane.url("gateway", "/dashboard/dashboard.css"))
    browser.execute_script("sessionStorage.clear()")
    browser.get(lane.url("gateway", "/"))
    box = eventually(lambda: _displayed(browser, "api-key"), 15, "the key box")
    box.send_keys(keys.viewer, Key.ENTER)
    eventually(
        lambda: browser.execute_script("return document.body.dataset.live") == "live",
        30,
        "the grid loaded and subscribed to live updates",
    )


def run_axe(browser: WebDriver, source: str) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not browser.execute_script("return typeof axe !== 'undefined'"):
        browser.execute_script(source)
    browser.set_script_timeout(60)
    violations: list[dict[str, Any]] = browser.execute_async_script(AXE)
    return violations


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def full_screenshot(browser: WebDriver, name: str) -> Path:
    """The whole page, beyond the window (Chromium's DevTools protocol)."""
    shot = browser.execute_cdp_cmd(  # type: ignore[no-untyped-call]
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def number(raw: str) -> float | None:
    """A fact's raw value as the page keeps it (empty: no value)."""
    return None if raw == "" else float(raw)


def on_track(measure: dict[str, Any]) -> str:
    if measure["status"] == "NO_DATA" or measure["value"] is None:
        return "NO_DATA"
    return "ON_TRACK" if measure["status"] == "GREEN" else "BEHIND"


def open_detail(browser: WebDriver, qsmo: str, dimension: str) -> None:
    target = cell(browser, qsmo, dimension)
    browser.execute_script("arguments[0].focus()", target)
    ActionChains(browser).send_keys(Key.ENTER).perform()
    eventually(
        lambda: browser.find_element(By.ID, "detail").get_attribute("data-ready"), 30, "detail"
    )


def test_dashboard_opens_on_the_open_year_and_says_which_sums_are_on_track(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    assert browser.find_element(By.ID, "fiscal-year").get_attribute("value") == str(OPEN_YEAR)
    cards = api.data(GRID, {"fy": OPEN_YEAR})["scorecards"]
    assert cards
    assert all(card["open"] for card in cards)
    share = round(cards[0]["elapsedShare"] * 100)
    status = browser.find_element(By.ID, "year-status").text
    assert f"FY{OPEN_YEAR} is the open year ({share}% of the year has passed)" in status
    assert "target expected by today" in status

    def ytd_matches() -> bool:
        shown = {c["row"]: c for c in browser.execute_script(YTD)}
        for card in cards:
            sums = [m for m in card["measures"] if m["active"] and m["id"] in SUMS]
            paces = Counter(on_track(m) for m in sums)
            row = shown[card["qsmoId"] or "government"]
            if (int(row["onTrack"]), int(row["behind"])) != (paces["ON_TRACK"], paces["BEHIND"]):
                return False
            if f"{paces['ON_TRACK']} of {len(sums)} on track" not in row["text"]:
                return False
        return len(shown) == 5

    eventually(ytd_matches, 20, "each row's on-track count of its sum measures")
    header = browser.find_elements(By.CSS_SELECTOR, "#grid thead th")[-1].text
    assert header == "Sum measures vs. expected by today"
    screenshot(browser, "dashboard-open-year-grid.png")


def test_dashboard_drill_down_shows_targets_projection_history_chart_commentary_and_actions(
    browser: WebDriver,
    dashboard_lane: DashboardLane,
    api: Api,
    keys: Keys,
    analysis: dict[str, str],
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    before = browser.execute_script(GRAPHQL_REQUESTS)
    open_detail(browser, QSMO, DIMENSION)
    assert browser.execute_script(GRAPHQL_REQUESTS) == before + 1  # one request per drill-down
    assert browser.switch_to.active_element.get_attribute("id") == "detail-title"
    wanted = {"fy": OPEN_YEAR, "qsmo": QSMO, "dimension": DIMENSION}
    scorecard = api.data(DETAIL, wanted)["scorecard"]
    shown = {c["id"]: c for c in browser.execute_script(CARDS)}
    measures = scorecard["dimension"]["measures"]
    assert set(shown) == {m["id"] for m in measures}
    drawn = 0
    for measure in measures:
        card = shown[measure["id"]]
        facts = card["facts"]
        assert number(facts["value"]) == measure["value"]
        assert number(facts["annual-target"]) == measure["annualTarget"]
        assert card["status"] == measure["status"]
        if measure["id"] in SUMS:  # open year: expected by today, projection, on track
            assert number(facts["target"]) == measure["target"] < measure["annualTarget"]
            assert number(facts["projected"]) == measure["projectedValue"]
            assert card["pace"] == on_track(measure)
            assert "Expected by today" in card["text"]
            assert "Projected year-end" in card["text"]
        else:
            assert "target" not in facts
            assert "projected" not in facts
            assert card["pace"] is None
        assert number(facts["last-year"]) == measure["lastYearValue"]  # FY2026 is in the lane
        series = api.data(SERIES, {**wanted, "measure": measure["id"]})["measureSeries"]
        points = series["points"]
        reported = sum(1 for p in points if p["value"] is not None)
        assert card["dots"] == reported
        drawn += reported
        assert card["targets"] == 1  # each period's own target, one dashed line
        assert len(card["rows"]) == len(points)  # the chart's text equivalent: every period
        assert [row[0] for row in card["rows"]] == [p["period"]["label"] for p in points]
        assert len(card["labels"]) >= 4  # value axis bounds and period labels
        assert card["chartLabel"].startswith("Monthly values of ")
        assert ("latest" in card["chartLabel"]) == (reported > 0)
    assert drawn > 0
    commented = shown[COMMENTED]
    assert commented["commentary"] == analysis["commentary"]
    assert commented["actions"] == [analysis["action"]]
    others = [c for i, c in shown.items() if i != COMMENTED]
    assert all("No open improvement actions." in c["text"] for c in others)
    full_screenshot(browser, "dashboard-open-year-drill-down.png")

    # Keyboard: Tab reaches the close button, Escape closes and gives focus back to the cell.
    ActionChains(browser).send_keys(Key.TAB).perform()
    assert browser.switch_to.active_element.get_attribute("id") == "detail-close"
    ActionChains(browser).send_keys(Key.ESCAPE).perform()
    assert not browser.find_element(By.ID, "detail").is_displayed()
    assert browser.switch_to.active_element == cell(browser, QSMO, DIMENSION)
    ActionChains(browser).send_keys(Key.SPACE).perform()  # Space opens it as well
    eventually(lambda: browser.find_element(By.ID, "detail").is_displayed(), 10, "detail again")
    eventually(
        lambda: browser.find_element(By.ID, "detail").get_attribute("data-ready"), 30, "detail"
    )
    ActionChains(browser).send_keys(Key.TAB, Key.ENTER).perform()  # "Back to the grid"
    assert not browser.find_element(By.ID, "detail").is_displayed()


def test_dashboard_government_row_counts_the_qsmos_by_status(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    cards = api.data(GRID, {"fy": OPEN_YEAR})["scorecards"]
    qsmos = [c for c in cards if c["qsmoId"]]
    assert len(qsmos) == 4

    def expected(dimension: str) -> list[int]:
        if dimension == "overall":
            statuses = [c["overallStatus"] for c in qsmos]
        else:
            statuses = [
                next(d["status"] for d in c["dimensions"] if d["id"] == dimension) for c in qsmos
            ]
        count = Counter(statuses)
        return [count["GREEN"], count["AMBER"], count["RED"], count["NO_DATA"]]

    def counts_match() -> bool:
        shown = browser.execute_script(COUNTS)
        return len(shown) == 5 and all(s["counts"] == expected(s["dimension"]) for s in shown)

    eventually(counts_match, 20, "the government-wide row counting the QSMO rows above it")
    first = browser.execute_script(COUNTS)[0]
    green, amber, red, _ = first["counts"]
    assert first["text"].startswith(f"QSMOs: {green} GREEN · {amber} AMBER · {red} RED")

    # The government-wide drill-down counts the QSMOs per measure (qsmoStatusCounts).
    open_detail(browser, "government", DIMENSION)
    wanted = {"fy": OPEN_YEAR, "qsmo": None, "dimension": DIMENSION}
    measures = api.data(DETAIL, wanted)["scorecard"]["dimension"]["measures"]
    shown = {c["id"]: c for c in browser.execute_script(CARDS)}
    for measure in measures:
        c = measure["qsmoStatusCounts"]
        text = f"{c['green']} GREEN · {c['amber']} AMBER · {c['red']} RED"
        assert shown[measure["id"]]["facts"]["qsmos"].startswith(text)
        assert sum(c.values()) == 4
    full_screenshot(browser, "dashboard-government-drill-down.png")
    ActionChains(browser).send_keys(Key.ESCAPE).perform()


def test_dashboard_feed_groups_notifications_by_qsmo_and_rule_newest_first(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    nodes = eventually(lambda: api.data(FEED)["notifications"]["nodes"], 60, "notifications raised")
    open_dashboard(browser, dashboard_lane, keys)

    def groups_match() -> list[dict[str, Any]] | None:
        notes = api.data(FEED)["notifications"]["nodes"]
        expected = Counter((n["qsmoId"] or "government", n["rule"]) for n in notes)
        shown = browser.execute_script(GROUPS)
        got = Counter({(g["qsmo"], g["rule"]): g["count"] for g in shown})
        return shown if got == expected and len(shown) == len(expected) else None

    shown = eventually(groups_match, 30, "the feed grouped as the API's notifications")
    total = sum(g["count"] for g in shown)
    assert total >= len(nodes)
    assert len(shown) < total or all(g["count"] == 1 for g in shown)  # not a wall
    newest = [g["newest"] for g in shown]
    assert newest == sorted(newest, reverse=True)  # newest group first
    assert not any(g["open"] for g in shown)  # collapsed, with their counts
    rank = ["INFO", "WARNING", "CRITICAL"]
    for group in shown:  # the group's badge: its most severe notification
        assert group["badge"] == max(group["severities"], key=rank.index)
    # Open the first group from the keyboard.
    summary = browser.find_element(By.CSS_SELECTOR, "#feed li.feed-group summary")
    browser.execute_script("arguments[0].focus()", summary)
    ActionChains(browser).send_keys(Key.ENTER).perform()
    assert browser.execute_script(GROUPS)[0]["open"]

    def first_group_items() -> bool:
        first = browser.execute_script(GROUPS)[0]
        selector = "#feed li.feed-group:first-child li.feed-item"
        items = browser.find_elements(By.CSS_SELECTOR, selector)
        return len(items) == first["count"] and all(item.is_displayed() for item in items)

    eventually(first_group_items, 10, "the first group's notifications shown")


def test_dashboard_has_no_serious_accessibility_violation(
    browser: WebDriver,
    dashboard_lane: DashboardLane,
    keys: Keys,
    axe_source: str,
    analysis: dict[str, str],
) -> None:
    open_dashboard(browser, dashboard_lane, keys)
    eventually(
        lambda: browser.find_elements(By.CSS_SELECTOR, "#feed li.feed-group"), 60, "the feed"
    )
    assert serious(run_axe(browser, axe_source)) == [], "grid and feed"
    for summary in browser.find_elements(By.CSS_SELECTOR, "#feed li.feed-group summary")[:3]:
        summary.click()
    assert serious(run_axe(browser, axe_source)) == [], "open feed groups"
    full_screenshot(browser, "dashboard-feed.png")
    open_detail(browser, QSMO, DIMENSION)
    assert serious(run_axe(browser, axe_source)) == [], "open drill-down"
    open_detail(browser, "government", "overall")
    assert serious(run_axe(browser, axe_source)) == [], "government-wide drill-down"


def test_the_accessibility_check_fails_on_an_unlabelled_control(
    browser: WebDriver, dashboard_lane: DashboardLane, keys: Keys, axe_source: str
) -> None:
    """The check above can fail: an icon button without a name is a critical violation."""
    open_dashboard(browser, dashboard_lane, keys)
    browser.execute_script(
        "const b = document.createElement('button'); b.type = 'button';"
        'b.innerHTML = \'<svg width="10" height="10"></svg>\';'
        "document.getElementById('controls').append(b);"
    )
    found = serious(run_axe(browser, axe_source))
    assert [v["id"] for v in found] == ["button-name"], found
