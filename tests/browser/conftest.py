"""Fixtures of the browser tests: Debian's headless Chromium, and a real pipeline with the
simulator's history of FY2026 (closed) and of the open fiscal year up to now in it (the same
events ``make up`` sends for those days, providers and agencies included), notifications
included."""

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import qsmo_stack
from dashboard_browser_support import (
    CHROMEDRIVER,
    CHROMIUM,
    OPEN_YEAR,
    Api,
    DashboardLane,
    Keys,
    chrome_options_args,
    ensure_chromium,
    eventually,
    new_profile_dir,
    remove_profile_dir,
    start_lane,
    stop_lane,
)
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver

from qsmo_client import Publisher
from qsmo_client.simulator.history import generate_history
from qsmo_client.simulator.marketplace import Marketplace
from shared.catalog import load_catalog
from shared.domain.fiscal import fiscal_year_of

FISCAL_YEAR = 2026
SEED = 2022

EVENT_COUNTS = """query($fy: Int!) { scorecards(fiscalYear: $fy, includeGovernmentWide: true) {
  qsmoId measures { dataQuality { eventCount } } } }"""


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """Headless Chromium through Debian's chromedriver (Selenium Manager never runs)."""
    ensure_chromium()
    profile = new_profile_dir()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in chrome_options_args(profile):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        remove_profile_dir(profile)


@pytest.fixture(scope="session")
def dashboard_lane(stack: qsmo_stack.Stack) -> Iterator[DashboardLane]:
    """The pipeline with the simulator's FY2026 and open-year history, scored to the last event."""
    lane = DashboardLane()
    start_lane(stack, lane)
    try:
        keys = Keys.load(stack.plaintext_keys_file)
        start = datetime(FISCAL_YEAR - 1, 10, 1, tzinfo=UTC)
        end = datetime(FISCAL_YEAR, 9, 30, 23, 59, tzinfo=UTC)
        expected = {FISCAL_YEAR: send_fiscal_year_history(lane, keys, FISCAL_YEAR, start, end)}
        if OPEN_YEAR != FISCAL_YEAR:
            start = datetime(OPEN_YEAR - 1, 10, 1, tzinfo=UTC)
            end = datetime.now(UTC) - timedelta(minutes=5)
            expected[OPEN_YEAR] = send_fiscal_year_history(lane, keys, OPEN_YEAR, start, end)
        api = Api(lane, keys)

        def all_counted() -> bool:
            for year, wanted in expected.items():
                cards = api.data(EVENT_COUNTS, {"fy": year})["scorecards"]
                counted = {
                    card["qsmoId"]: sum(m["dataQuality"]["eventCount"] for m in card["measures"])
                    for card in cards
                }
                if counted != wanted:
                    return False
            return True

        eventually(
            all_counted, 180, f"every simulated FY{FISCAL_YEAR} and FY{OPEN_YEAR} event scored"
        )
        yield lane
    finally:
        stop_lane(stack, lane)


def send_fiscal_year_history(
    lane: DashboardLane, keys: Keys, fiscal_year: int, start: datetime, end: datetime
) -> dict[str | None, int]:
    """Send the simulator's history of ``fiscal_year`` between ``start`` and ``end`` through
    ingest; the unique events per QSMO (None: government-wide) the scorecards must count."""
    catalog = load_catalog()
    marketplace = Marketplace(SEED, catalog.providers)
    deliveries = generate_history(
        SEED, catalog.qsmo_ids, start, end, catalog.framework(), marketplace
    )
    assert deliveries, f"the simulator made no FY{fiscal_year} events"
    if fiscal_year == FISCAL_YEAR:
        assert any(d.retry for d in deliveries), "the history should hold client retries"
    for qsmo in catalog.qsmo_ids:
        events = [d.event for d in deliveries if d.event.qsmo == qsmo]
        with Publisher(keys.publishers[qsmo], lane.url("ingest")) as publisher:
            report = publisher.publish(events)
        assert report.ok, report
    unique = {d.event.event_id: d.event for d in deliveries}
    counts: Counter[str | None] = Counter()
    for event in unique.values():
        assert fiscal_year_of(datetime.fromisoformat(event.occurred_at)) == fiscal_year
        counts[event.qsmo] += 1
        counts[None] += 1
    return dict(counts)


@pytest.fixture(scope="session")
def api(dashboard_lane: DashboardLane, stack: qsmo_stack.Stack) -> Api:
    return Api(dashboard_lane, Keys.load(stack.plaintext_keys_file))
