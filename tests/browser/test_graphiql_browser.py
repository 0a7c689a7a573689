"""GraphiQL in headless Chromium with no network but the loopback: the page loads from the
gateway alone, a query with the key from the Headers tab runs and shows the API's data, and a
subscription gets a live update over the websocket. A screenshot lands in ``test-artifacts/``."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import qsmo_stack
from dashboard_browser_support import (
    CHROMEDRIVER,
    CHROMIUM,
    Api,
    DashboardLane,
    Keys,
    chrome_options_args,
    ensure_chromium,
    eventually,
    new_profile_dir,
    remove_profile_dir,
)
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys as Key
from selenium.webdriver.remote.webelement import WebElement

from qsmo_client import Event, Publisher

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OFFLINE_FLAGS = (
    # Every host name but 127.0.0.1 fails to resolve, and every request not to the loopback
    # goes through a proxy port nothing listens on: the browser has no network but the gateway.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1",
)
QUERY = """query GrantsCard {
  scorecard(fiscalYear: 2026, qsmo: "grants-management") {
    qsmoId overallScore overallStatus dimensions { id score status }
  }
}"""
SET_EDITOR = "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1])"
HEADERS_EDITOR = (
    "section.graphiql-editor-tool[aria-label='Headers'] .graphiql-editor:not(.hidden) .CodeMirror"
)
SUBSCRIPTION = """subscription Live {
  scorecardChanged(qsmo: "human-resources", fiscalYear: 2026) { qsmoId version cause }
}"""
ACTIVE_SUBSCRIPTIONS = 'qsmo_gateway_active_subscriptions{subscription="scorecardChanged"} '
STORED_HEADERS = "return localStorage.getItem('graphiql:headers')"
RESULT = "return document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
# no-cors: a reachable server answers (opaquely) whatever its CORS headers; only the network fails.
FETCH = """const done = arguments[arguments.length - 1];
fetch(arguments[0], { mode: "no-cors" }).then((r) => done('answered ' + r.status), (e) => done('failed: ' + e));"""


@pytest.fixture(scope="module")
def offline_browser() -> Iterator[WebDriver]:
    """Headless Chromium without network, logging every request and the console."""
    ensure_chromium()
    profile = new_profile_dir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*chrome_options_args(profile), *OFFLINE_FLAGS):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        remove_profile_dir(profile)


def requested_urls(browser: WebDriver) -> list[str]:
    """The URLs the browser asked for (HTTP and websockets) since the log was last read."""
    urls = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


def button(browser: WebDriver, label: str) -> WebElement:
    return browser.find_element(By.CSS_SELECTOR, f"button[aria-label='{label}']")


def test_the_browser_has_no_network_but_the_loopback(
    offline_browser: WebDriver, dashboard_lane: DashboardLane
) -> None:
    # A page of the gateway without a Content-Security-Policy, so only the network decides.
    offline_browser.get(dashboard_lane.url("gateway", "/graphiql/graphiql-page.css"))
    fetch = offline_browser.execute_async_script
    assert fetch(FETCH, "https://unpkg.com/react@18.2.0/umd/react.production.min.js").startswith(
        "failed"
    )
    assert fetch(FETCH, "http://93.184.215.14/").startswith("failed")  # no DNS needed
    assert fetch(FETCH, dashboard_lane.url("gateway", "/healthz")) == "answered 200"


def open_graphiql(browser: WebDriver, lane: DashboardLane, key: str, query: str) -> None:
    """Load GraphiQL, put ``query`` in its editor and the key in its Headers tab."""
    browser.get(lane.url("gateway", "/graphql"))
    eventually(
        lambda: browser.find_elements(By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror"),
        30,
        "GraphiQL's query editor",
    )
    assert "Loading" not in browser.find_element(By.ID, "graphiql").text
    browser.execute_script(SET_EDITOR, ".graphiql-query-editor .CodeMirror", query)
    browser.find_element(By.CSS_SELECTOR, "button[data-name='headers']").click()
    eventually(lambda: browser.find_elements(By.CSS_SELECTOR, HEADERS_EDITOR), 10, "Headers tab")
    headers = json.dumps({"Authorization": f"Bearer {key}"})
    browser.execute_script(SET_EDITOR, HEADERS_EDITOR, headers)
    # GraphiQL keeps the headers (debounced) for the next visit: then it has taken them.
    eventually(lambda: key in (browser.execute_script(STORED_HEADERS) or ""), 10, "headers kept")


def active_subscriptions(lane: DashboardLane) -> float:
    """The gateway's count of open ``scorecardChanged`` subscriptions."""
    for line in httpx.get(lane.url("gateway", "/metrics"), timeout=5).text.splitlines():
        if line.startswith(ACTIVE_SUBSCRIPTIONS):
            return float(line.removeprefix(ACTIVE_SUBSCRIPTIONS))
    return 0.0


def shown_result(browser: WebDriver) -> Any:
    """The JSON in GraphiQL's result pane (None while it is empty)."""
    text = browser.execute_script(RESULT)
    return json.loads(text) if text.strip() else None


def assert_only_the_gateway_was_asked(browser: WebDriver, lane: DashboardLane) -> list[str]:
    """No request off the gateway and no Content-Security-Policy refusal; the URLs asked."""
    gateway = urlsplit(lane.url("gateway"))
    urls = requested_urls(browser)
    # chrome:// and data: URLs are the browser's own; everything on the network is the gateway.
    network = [url for url in urls if urlsplit(url).scheme in ("http", "https", "ws", "wss")]
    elsewhere = [url for url in network if urlsplit(url).netloc != gateway.netloc]
    assert elsewhere == [], f"the page asked for URLs off the gateway: {elsewhere}"
    console = [entry["message"] for entry in browser.get_log("browser")]
    assert not [m for m in console if "Content Security Policy" in m], console
    return network


def test_graphiql_loads_offline_and_runs_a_query_with_the_key_from_the_headers_tab(
    offline_browser: WebDriver, dashboard_lane: DashboardLane, api: Api, stack: qsmo_stack.Stack
) -> None:
    browser = offline_browser
    requested_urls(browser)  # forget the requests of earlier tests
    open_graphiql(browser, dashboard_lane, Keys.load(stack.plaintext_keys_file).viewer, QUERY)
    # With the key, the schema loads: the documentation explorer lists the root types.
    button(browser, "Show Documentation Explorer").click()

    def schema_shown() -> bool:
        text = browser.find_element(By.CSS_SELECTOR, ".graphiql-doc-explorer").text
        if "subscription: Subscription" in text:
            return True
        if browser.find_elements(By.CSS_SELECTOR, ".graphiql-doc-explorer-error"):
            button(browser, "Re-fetch GraphQL schema").click()  # as a user would, with the key
        return False

    eventually(schema_shown, 20, "the documentation explorer showing the schema's root types")
    button(browser, "Open settings dialog").click()  # a dialog adds <style> (the policy allows)
    eventually(lambda: browser.find_elements(By.CSS_SELECTOR, ".graphiql-dialog"), 10, "dialog")
    ActionChains(browser).send_keys(Key.ESCAPE).perform()
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()

    shown = eventually(lambda: shown_result(browser), 30, "a result in GraphiQL's result pane")
    assert "errors" not in shown, shown
    assert shown["data"] == api.data(QUERY)
    assert shown["data"]["scorecard"]["qsmoId"] == "grants-management"
    ARTIFACTS.mkdir(exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "graphiql-offline.png"))
    urls = assert_only_the_gateway_was_asked(browser, dashboard_lane)
    assert any(url.endswith("/graphiql/vendor/graphiql.min.js") for url in urls), urls


def test_graphiql_subscribes_with_the_key_from_the_headers_tab_and_shows_live_updates(
    offline_browser: WebDriver, dashboard_lane: DashboardLane, stack: qsmo_stack.Stack
) -> None:
    browser = offline_browser
    keys = Keys.load(stack.plaintext_keys_file)
    requested_urls(browser)
    open_graphiql(browser, dashboard_lane, keys.viewer, SUBSCRIPTION)
    open_before = active_subscriptions(dashboard_lane)  # the dashboard's page may have one
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()
    eventually(  # the gateway accepted the key GraphiQL sent in the websocket's connection_init
        lambda: active_subscriptions(dashboard_lane) == open_before + 1,
        30,
        "the gateway counting GraphiQL's subscription",
    )
    estimate = Event(
        event_id=f"graphiql-live-{dashboard_lane.tag}",
        qsmo="human-resources",
        measure="customer-satisfaction",
        value=4.9,
        occurred_at="2026-09-29T12:00:00-04:00",
        source="browser-test",
    )
    with Publisher(keys.publishers["human-resources"], dashboard_lane.url("ingest")) as publisher:
        assert publisher.publish([estimate]).ok
    shown = eventually(lambda: shown_result(browser), 60, "the live update in the result pane")
    assert shown["data"]["scorecardChanged"]["qsmoId"] == "human-resources", shown
    # The lane also holds the open year's history, so this FY2026 event arrives after later
    # ones of the same measure: a late arrival, scored as a restatement.
    assert shown["data"]["scorecardChanged"]["cause"] == "RESTATEMENT"
    urls = assert_only_the_gateway_was_asked(browser, dashboard_lane)
    assert dashboard_lane.url("gateway", "/graphql").replace("http:", "ws:") in urls
    browser.find_element(By.CSS_SELECTOR, ".graphiql-execute-button").click()  # stop
