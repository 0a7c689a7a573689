"""The tiers below the QSMO on the dashboard, in headless Chromium against the real pipeline
(the simulator's FY2026 and open-year history with its providers and agencies): the tier
switcher walks government-wide → a QSMO and its providers → one provider → a customer agency,
each view showing the scores the GraphQL API returns for those slices; the providers'
comparison table shows `providerComparison` (NO_DATA in words, never 0; an SLA target marked);
the agency view lists every QSMO; the address keeps the tier; axe-core finds no serious or
critical violation on the new views."""

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import qsmo_stack
from dashboard_browser_support import Api, DashboardLane, Keys, ensure_axe, eventually
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys as Key
from selenium.webdriver.support.ui import Select
from test_dashboard_browser import _displayed
from test_dashboard_rev2_browser import full_screenshot, run_axe, serious

from shared.catalog import load_catalog

FISCAL_YEAR = 2026
QSMO = "financial-management"
PROVIDER = "doi-ibc"
AGENCY = "DOI"
SLA_MEASURE = "service-quality-timeliness"
CARD = """query($fy: Int!, $qsmo: ID, $provider: ID, $agency: ID) {
  scorecard(fiscalYear: $fy, qsmo: $qsmo, provider: $provider, agency: $agency) {
    overallScore overallStatus stored dimensions { id score status active } } }"""
PROVIDERS = """query($qsmo: ID) { providers(qsmo: $qsmo) { id name } }"""
COMPARISON = """query($qsmo: ID!, $fy: Int!) { providerComparison(qsmo: $qsmo, fiscalYear: $fy) {
  measures { id } rows { provider { id } customerAgencies overallScore overallStatus
  measures { measureId value annualTarget targetSource status } } } }"""
DETAIL = """query($fy: Int!, $qsmo: ID, $provider: ID, $dimension: ID!) {
  scorecard(fiscalYear: $fy, qsmo: $qsmo, provider: $provider) {
    dimension(id: $dimension) { measures { id value status } } } }"""
SET_SLA = """mutation($provider: ID!, $measure: ID!, $target: Float!) {
  setSlaTarget(provider: $provider, measure: $measure, target: $target,
  reason: "Interagency agreement: 97% of deliveries on time") { change { kind } } }"""
ROWS = """return [...document.querySelectorAll('#grid tbody tr')].map((tr) => ({
  key: tr.dataset.row, name: tr.querySelector('th').textContent,
  cells: Object.fromEntries([...tr.querySelectorAll('button.cell')].map((b) =>
    [b.dataset.dimension, [b.dataset.score === '' ? null : Number(b.dataset.score), b.dataset.status,
      b.querySelector('.score').textContent]])) }));"""
COMPARED = """return [...document.querySelectorAll('#comparison tbody tr[data-provider]')].map((tr) => ({
  provider: tr.dataset.provider, current: tr.classList.contains('current'),
  ariaCurrent: tr.querySelector('th button').getAttribute('aria-current'),
  agencies: Number(tr.querySelector('td.number').dataset.raw),
  overall: [tr.querySelector('td.overall').dataset.status, tr.querySelector('td.overall').dataset.raw],
  cells: Object.fromEntries([...tr.querySelectorAll('td[data-measure]')].map((td) =>
    [td.dataset.measure, { status: td.dataset.status, raw: td.dataset.raw, text: td.textContent,
      target: td.dataset.target, source: td.dataset.targetSource }])) }));"""
PATH = """return [...document.querySelectorAll('#tier-path li')].map((li) => li.textContent);"""
MEASURE_VALUES = """return Object.fromEntries([...document.querySelectorAll('#measures article')].map((a) =>
  [a.dataset.measure, [a.querySelector('.fact[data-fact="value"]').dataset.raw,
    a.querySelector('.measure-status').dataset.status, a.textContent]]));"""

DOC = Path(__file__).resolve().parents[2] / "docs" / "publishing.md"
CATALOG = load_catalog()
QSMO_NAMES = {q.id: q.name for q in CATALOG.qsmos}


@pytest.fixture(scope="module")
def keys(stack: qsmo_stack.Stack) -> Keys:
    return Keys.load(stack.plaintext_keys_file)


@pytest.fixture(scope="module")
def axe_source() -> str:
    return ensure_axe()


def open_page(browser: WebDriver, lane: DashboardLane, keys: Keys, query: str) -> None:
    """Load ``/?query`` fresh, sign in with the viewer key, wait until the grid has data."""
    browser.get(lane.url("gateway", "/dashboard/dashboard.css"))
    browser.execute_script("sessionStorage.clear()")
    browser.get(lane.url("gateway", f"/?{query}"))
    box = eventually(lambda: _displayed(browser, "api-key"), 15, "the key box")
    box.send_keys(keys.viewer, Key.ENTER)
    eventually(lambda: _displayed(browser, "tier-controls"), 30, "the tier switcher")
    grid_ready(browser)


def grid_ready(browser: WebDriver) -> None:
    eventually(
        lambda: browser.execute_script("return document.body.dataset.gridReady") == "true",
        30,
        "the tier's scorecards read",
    )


def choose(browser: WebDriver, select_id: str, value: str) -> None:
    Select(browser.find_element(By.ID, select_id)).select_by_value(value)
    grid_ready(browser)


def shown_controls(browser: WebDriver) -> list[str]:
    """The tier switcher's selects a user sees (each with its label)."""
    selects = browser.find_elements(By.CSS_SELECTOR, "#tier-controls select")
    shown = [s.get_attribute("id") or "" for s in selects if s.is_displayed()]
    for select_id in shown:
        label = browser.find_element(By.CSS_SELECTOR, f'label[for="{select_id}"]')
        assert label.is_displayed(), select_id
    return shown


def expected_row(api: Api, **slice_args: str | None) -> dict[str, tuple[float | None, str]]:
    card = api.data(CARD, {"fy": FISCAL_YEAR, **slice_args})["scorecard"]
    assert card is not None, slice_args
    cells = {"overall": (card["overallScore"], card["overallStatus"])}
    for dimension in card["dimensions"]:
        if dimension["active"]:
            cells[dimension["id"]] = (dimension["score"], dimension["status"])
    return cells


def shown_rows(browser: WebDriver) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in browser.execute_script(ROWS)}


def rows_match(
    browser: WebDriver, api: Api, wanted: dict[str, dict[str, str | None]]
) -> list[str] | None:
    """None when every row (key → slice arguments) shows the API's scores; else what differs."""
    shown = shown_rows(browser)
    if list(shown) != list(wanted):
        return [f"rows {list(shown)} != {list(wanted)}"]
    problems = []
    for key, slice_args in wanted.items():
        for dimension, (score, status) in expected_row(api, **slice_args).items():
            got = shown[key]["cells"].get(dimension)
            if got is None or (got[0], got[1]) != (score, status):
                problems.append(f"{key} {dimension}: page {got}, API {(score, status)}")
            elif status == "NO_DATA" and got[2] != "—":
                problems.append(f"{key} {dimension}: NO_DATA shown as {got[2]!r}")
    return problems or None


def assert_rows(browser: WebDriver, api: Api, wanted: dict[str, dict[str, str | None]]) -> None:
    last: list[list[str] | None] = [None]

    def matched() -> bool:
        last[0] = rows_match(browser, api, wanted)
        return last[0] is None

    eventually(matched, 30, "the page showing the API's scores for the tier")
    assert last[0] is None, last[0]


def comparison_matches(browser: WebDriver, api: Api) -> list[dict[str, Any]] | None:
    data = api.data(COMPARISON, {"qsmo": QSMO, "fy": FISCAL_YEAR})["providerComparison"]
    shown = {row["provider"]: row for row in browser.execute_script(COMPARED)}
    if list(shown) != [r["provider"]["id"] for r in data["rows"]]:
        return None
    for row in data["rows"]:
        page = shown[row["provider"]["id"]]
        status, raw = page["overall"]
        if page["agencies"] != row["customerAgencies"] or status != row["overallStatus"]:
            return None
        if (None if raw == "" else float(raw)) != row["overallScore"]:
            return None
        for cell in row["measures"]:
            got = page["cells"][cell["measureId"]]
            if cell["status"] == "NO_DATA" or cell["value"] is None:
                if got["status"] != "NO_DATA" or got["text"] != "No data":
                    return None
            elif (got["status"], float(got["raw"]), got["source"]) != (
                cell["status"],
                cell["value"],
                cell["targetSource"],
            ):
                return None
    return list(shown.values())


def test_the_tier_switcher_walks_from_government_wide_down_to_an_agency(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    open_page(browser, dashboard_lane, keys, f"fy={FISCAL_YEAR}")
    assert browser.find_element(By.ID, "tier").get_attribute("value") == "government"
    assert not browser.find_element(By.ID, "tier-path-nav").is_displayed()
    assert list(shown_rows(browser)) == [*QSMO_NAMES, "government"]

    # A QSMO and its providers: the QSMO's row, then one row per provider's slice.
    choose(browser, "tier", "qsmo")
    choose(browser, "tier-qsmo", QSMO)
    providers = api.data(PROVIDERS, {"qsmo": QSMO})["providers"]
    assert len(providers) >= 5
    wanted: dict[str, dict[str, str | None]] = {f"qsmo:{QSMO}": {"qsmo": QSMO}}
    wanted |= {f"provider:{p['id']}": {"qsmo": QSMO, "provider": p["id"]} for p in providers}
    assert_rows(browser, api, wanted)
    names = [row["name"] for row in shown_rows(browser).values()]
    assert names[1:] == [p["name"] for p in providers]
    assert browser.execute_script(PATH) == ["Government-wide", QSMO_NAMES[QSMO]]
    assert "tier=qsmo" in browser.current_url
    assert shown_controls(browser) == ["tier", "tier-qsmo"]
    # A provider's share of a count is judged against the whole marketplace's target: said so.
    summary = browser.find_element(By.ID, "tier-summary").text
    assert "reads RED until an admin sets that provider's SLA target" in summary

    # The providers compared: the API's providerComparison, NO_DATA in words.
    compared = eventually(lambda: comparison_matches(browser, api), 30, "the comparison table")
    assert len(compared) == len(providers)
    no_data = [c for row in compared for c in row["cells"].values() if c["status"] == "NO_DATA"]
    assert no_data, "QSMO-wide measures have no provider data"
    assert all(c["text"] == "No data" for c in no_data)
    assert sum(row["agencies"] for row in compared) >= 10
    full_screenshot(browser, "dashboard-tier-qsmo.png")

    # One provider, chosen from the comparison by keyboard: its slice beside the whole QSMO.
    choice = browser.find_element(
        By.CSS_SELECTOR, f'#comparison button[data-provider="{PROVIDER}"]'
    )
    browser.execute_script("arguments[0].focus()", choice)
    ActionChains(browser).send_keys(Key.ENTER).perform()
    eventually(
        lambda: browser.find_element(By.ID, "tier").get_attribute("value") == "provider",
        10,
        "the provider view",
    )
    grid_ready(browser)
    assert browser.find_element(By.ID, "tier-provider").get_attribute("value") == PROVIDER
    assert shown_controls(browser) == ["tier", "tier-qsmo", "tier-provider"]
    assert_rows(
        browser,
        api,
        {
            f"provider:{PROVIDER}": {"qsmo": QSMO, "provider": PROVIDER},
            f"qsmo:{QSMO}": {"qsmo": QSMO},
        },
    )
    assert browser.execute_script(PATH)[-1] == "Interior Business Center (IBC)"
    assert "tier=provider&qsmo=financial-management&provider=doi-ibc" in browser.current_url
    current = eventually(
        lambda: [r for r in browser.execute_script(COMPARED) if r["current"]], 30, "current row"
    )
    assert [r["provider"] for r in current] == [PROVIDER]
    assert current[0]["ariaCurrent"] == "page"

    # Its drill-down: the provider slice's measures, as the API scores them.
    button = browser.find_element(
        By.CSS_SELECTOR, f'#grid button[data-qsmo="provider:{PROVIDER}"][data-dimension="customer"]'
    )
    button.click()
    eventually(
        lambda: browser.find_element(By.ID, "detail").get_attribute("data-ready"), 30, "detail"
    )
    args = {"fy": FISCAL_YEAR, "qsmo": QSMO, "provider": PROVIDER, "dimension": "customer"}
    measures = api.data(DETAIL, args)["scorecard"]["dimension"]["measures"]
    shown = browser.execute_script(MEASURE_VALUES)
    assert set(shown) == {m["id"] for m in measures}
    for measure in measures:
        raw, status, text = shown[measure["id"]]
        assert status == measure["status"]
        assert (None if raw == "" else float(raw)) == measure["value"]
        assert "Latest commentary" not in text  # a slice has no QSMO analysis
    assert any(m["value"] is not None for m in measures)
    full_screenshot(browser, "dashboard-tier-provider.png")
    ActionChains(browser).send_keys(Key.ESCAPE).perform()

    # A customer agency: what DOI receives from each QSMO, and all of them together.
    choose(browser, "tier", "agency")
    choose(browser, "tier-agency", AGENCY)
    wanted = {f"agency:{q}:{AGENCY}": {"qsmo": q, "agency": AGENCY} for q in QSMO_NAMES}
    wanted[f"agency:{AGENCY}"] = {"agency": AGENCY}
    assert_rows(browser, api, wanted)
    rows = list(shown_rows(browser).values())
    assert [r["name"] for r in rows] == [*QSMO_NAMES.values(), f"Government-wide for {AGENCY}"]
    assert not browser.find_element(By.ID, "comparison-section").is_displayed()
    assert shown_controls(browser) == ["tier", "tier-agency"]
    assert browser.execute_script(PATH) == [
        "Government-wide",
        "Customer agency: Department of the Interior (DOI)",
    ]
    summary = browser.find_element(By.ID, "tier-summary").text
    assert summary.startswith("What Department of the Interior (DOI) receives from each QSMO")
    counts = browser.find_element(By.CSS_SELECTOR, "#grid tr.government .qsmo-counts").text
    assert counts.startswith("QSMOs: ")
    full_screenshot(browser, "dashboard-tier-agency.png")

    # The address keeps the tier: a reload opens the same view.
    assert "tier=agency" in browser.current_url
    assert "agency=DOI" in browser.current_url
    browser.refresh()
    grid_ready(browser)
    eventually(
        lambda: list(shown_rows(browser)) == list(wanted), 30, "the agency view after a reload"
    )

    # Back up the path by keyboard.
    step = browser.find_element(By.CSS_SELECTOR, '#tier-path button[data-level="government"]')
    browser.execute_script("arguments[0].focus()", step)
    ActionChains(browser).send_keys(Key.ENTER).perform()
    eventually(
        lambda: list(shown_rows(browser)) == [*QSMO_NAMES, "government"], 30, "government-wide"
    )
    assert "tier=" not in browser.current_url


def test_the_documented_addresses_open_their_tier(
    browser: WebDriver, dashboard_lane: DashboardLane, keys: Keys
) -> None:
    """Each ``/?tier=…`` address in docs/publishing.md opens the view it names."""
    addresses = re.findall(r"`(/\?tier=[^`]+)`", DOC.read_text())
    assert len(addresses) == 3, addresses
    for address in addresses:
        wanted = {k: v[0] for k, v in parse_qs(urlsplit(address).query).items()}
        open_page(browser, dashboard_lane, keys, address.removeprefix("/?"))
        assert browser.find_element(By.ID, "tier").get_attribute("value") == wanted["tier"]
        for name in ("qsmo", "provider", "agency"):
            if name in wanted:
                chosen = browser.find_element(By.ID, f"tier-{name}").get_attribute("value")
                assert chosen == wanted[name], address
        first = next(iter(shown_rows(browser)))
        assert first.startswith(wanted["tier"] if wanted["tier"] != "provider" else "provider:")
        assert browser.find_element(By.ID, "tier-path-nav").is_displayed()


def test_a_providers_sla_target_is_marked_in_the_comparison(
    browser: WebDriver, dashboard_lane: DashboardLane, api: Api, keys: Keys
) -> None:
    admin = Api(dashboard_lane, Keys(keys.admin, keys.admin, keys.publishers))
    admin.data(SET_SLA, {"provider": PROVIDER, "measure": SLA_MEASURE, "target": 97.0})
    open_page(browser, dashboard_lane, keys, f"fy={FISCAL_YEAR}&tier=qsmo&qsmo={QSMO}")
    compared = eventually(lambda: comparison_matches(browser, api), 30, "the comparison table")
    cells = {row["provider"]: row["cells"][SLA_MEASURE] for row in compared}
    assert cells[PROVIDER]["source"] == "SLA"
    assert float(cells[PROVIDER]["target"]) == 97.0
    assert "SLA 97.0%" in cells[PROVIDER]["text"]
    others = [c for p, c in cells.items() if p != PROVIDER and c["status"] != "NO_DATA"]
    assert others
    assert all(c["source"] != "SLA" and "SLA" not in c["text"] for c in others)


def test_the_tier_views_have_no_serious_accessibility_violation(
    browser: WebDriver, dashboard_lane: DashboardLane, keys: Keys, axe_source: str
) -> None:
    # Human Resources: the most providers (six), so the largest tier request.
    open_page(browser, dashboard_lane, keys, f"fy={FISCAL_YEAR}&tier=qsmo&qsmo=human-resources")
    eventually(
        lambda: browser.find_element(By.ID, "comparison-section").get_attribute("data-ready"),
        30,
        "the comparison",
    )
    assert len(shown_rows(browser)) == 7
    assert serious(run_axe(browser, axe_source)) == [], "a QSMO and its providers"
    # A provider's name in the grid opens its view (keyboard).
    heading = browser.find_element(By.CSS_SELECTOR, "#grid tbody tr:nth-child(2) th button")
    provider = heading.get_attribute("data-provider")
    browser.execute_script("arguments[0].focus()", heading)
    ActionChains(browser).send_keys(Key.ENTER).perform()
    eventually(
        lambda: browser.find_element(By.ID, "tier").get_attribute("value") == "provider",
        10,
        "the provider view from the grid",
    )
    grid_ready(browser)
    assert next(iter(shown_rows(browser))) == f"provider:{provider}"
    button = browser.find_element(
        By.CSS_SELECTOR, '#grid tbody tr:first-child button[data-dimension="overall"]'
    )
    button.click()
    eventually(
        lambda: browser.find_element(By.ID, "detail").get_attribute("data-ready"), 30, "detail"
    )
    assert serious(run_axe(browser, axe_source)) == [], "a provider with its drill-down"
    choose(browser, "tier", "agency")
    assert serious(run_axe(browser, axe_source)) == [], "a customer agency"
