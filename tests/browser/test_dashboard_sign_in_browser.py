"""Single sign-on in Chromium: the dashboard's "Sign in" goes to the real identity provider's
own login page (npm's oidc-provider, an instance of this module's own whose redirect is this
module's gateway and whose access tokens live 15 s), comes back, and shows the dashboard with
the person's name and role; the token lives in the page's memory only and is renewed with the
refresh token when the gateway closes the live connection at its expiry. A viewer sees no
admin page, and an admin mutation sent with a viewer's token is FORBIDDEN.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import qsmo_stack
from dashboard_browser_support import DashboardLane, eventually
from oidc_sign_in import access_token, dev_password, dev_users
from qsmo_local.oidc_provider import (
    ensure_oidc_provider,
    issuer_url,
    prepare_server,
    providers_setting,
    server_env,
)
from qsmo_local.readiness import http_ok, wait_until
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By

from shared.kafka import ensure_topics

TOKEN_TTL_S = 15
PROVIDER = "oidc-browser"
CREATE_REVIEW = """mutation { createReview(fiscalYear: 2025, quarter: 1, qsmo: "cybersecurity",
  meetingDate: "2025-01-20", participants: ["CFO"]) { id } }"""
TOPICS = ("events", "values", "dlq", "scorecards", "framework", "notifications")


@dataclass(frozen=True)
class SignInLane:
    lane: DashboardLane
    issuer: str

    @property
    def dashboard(self) -> str:
        return self.lane.url("gateway", "/")


@contextmanager
def running_sign_in_lane(
    stack: qsmo_stack.Stack, home: Path, token_ttl_s: int, *, refresh_tokens: bool = True
) -> Iterator[SignInLane]:
    """A gateway trusting a provider instance of its own that redirects to it."""
    lane = DashboardLane()
    port = qsmo_stack.free_port()
    script = prepare_server(ensure_oidc_provider(), home / "run")
    env = {
        **server_env(port, home / "data", [lane.url("gateway", "/")]),
        "QSMO_OIDC_ACCESS_TOKEN_TTL_S": str(token_ttl_s),
        "QSMO_OIDC_REFRESH_TOKENS": "1" if refresh_tokens else "0",
    }
    label = f"-sso-{lane.tag}"
    provider = f"{PROVIDER}-{lane.tag}"
    stack.spawn(provider, ["node", str(script)], env=env, cwd=script.parent)
    try:
        wait_until(
            lambda: http_ok(f"{issuer_url(port)}/.well-known/openid-configuration"),
            60,
            "the browser test's OpenID provider",
            stack.logs / f"{provider}.log",
        )
        qsmo_stack.run_async(
            lambda: ensure_topics(
                stack.kafka_bootstrap, 3, names=tuple(lane.topic(n) for n in TOPICS)
            )
        )
        gateway_env = {**lane.env("gateway"), "QSMO_OIDC_PROVIDERS": providers_setting(port)}
        stack.start_service("gateway", extra_env=gateway_env, instance=label, timeout_s=120)
        yield SignInLane(lane, issuer_url(port))
    finally:
        stack.stop(f"gateway{label}")
        stack.stop(provider)


@pytest.fixture(scope="module")
def sign_in_lane(
    stack: qsmo_stack.Stack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SignInLane]:
    """Tokens that live 15 s, renewed with refresh tokens."""
    with running_sign_in_lane(stack, tmp_path_factory.mktemp("oidc-browser"), TOKEN_TTL_S) as lane:
        yield lane


def _body(browser: WebDriver, name: str) -> str | None:
    value = browser.execute_script(f"return document.body.dataset.{name} || null")
    return None if value is None else str(value)


def sign_in_through_the_provider(browser: WebDriver, lane: SignInLane, username: str) -> None:
    """From a fresh page with no session anywhere: Sign in → the provider's login page → back."""
    browser.execute_cdp_cmd("Network.clearBrowserCookies", {})  # no provider session left
    browser.get(lane.lane.url("gateway", "/dashboard/dashboard.css"))
    browser.execute_script("sessionStorage.clear(); localStorage.clear()")
    browser.get(lane.dashboard)
    eventually(lambda: _body(browser, "signInReady"), 15, "the sign-in options")
    button = browser.find_element(By.CSS_SELECTOR, "#sso-buttons button[data-provider=local]")
    assert button.is_displayed()
    assert button.text == "Sign in (development provider)"
    button.click()
    eventually(lambda: browser.current_url.startswith(lane.issuer), 15, "the provider's page")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Sign in"
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(dev_password())
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    eventually(lambda: _body(browser, "signedIn") == "token", 30, f"{username} signed in")
    eventually(lambda: _body(browser, "live") == "live", 30, "the grid live")


def stored_values(browser: WebDriver) -> list[str]:
    script = """const values = [];
      for (const store of [localStorage, sessionStorage])
        for (let i = 0; i < store.length; i++) values.push(store.getItem(store.key(i)));
      return values;"""
    return [str(v) for v in browser.execute_script(script)]


def test_an_admin_signs_in_at_the_provider_and_the_token_is_renewed(
    browser: WebDriver, sign_in_lane: SignInLane
) -> None:
    sign_in_through_the_provider(browser, sign_in_lane, "dev-admin")
    assert browser.current_url == sign_in_lane.dashboard  # code and state gone from the address
    who = browser.find_element(By.ID, "who")
    assert who.text == f"Signed in as {dev_users()['dev-admin'].name} (admin)"
    assert who.get_attribute("title") == f"dev-admin at {sign_in_lane.issuer}"
    assert browser.find_element(By.ID, "forget-key").text == "Sign out"
    assert browser.find_element(By.ID, "review-page-item").is_displayed()  # admin pages
    assert browser.find_element(By.ID, "grid").is_displayed()
    # Tokens in memory only: nothing JWT-like in either storage.
    assert not [v for v in stored_values(browser) if v.startswith("eyJ")]
    # The gateway closes the live connection when the 15 s token expires (4401); the page
    # renews with the refresh token and is live again, still signed in.
    eventually(lambda: _body(browser, "tokenRenewals"), TOKEN_TTL_S + 30, "a token renewal")
    eventually(lambda: _body(browser, "live") == "live", 30, "live again after the renewal")
    assert _body(browser, "signedIn") == "token"
    browser.find_element(By.ID, "forget-key").click()
    assert browser.find_element(By.ID, "sso-error").text == "Signed out of the dashboard."
    assert not browser.find_element(By.ID, "dashboard").is_displayed()


def graphql(lane: SignInLane, token: str, document: str) -> dict[str, Any]:
    response = httpx.post(
        lane.lane.url("gateway", "/graphql"),
        json={"query": document},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    body: dict[str, Any] = response.json()
    return body


def test_a_viewer_cannot_reach_admin_actions(browser: WebDriver, sign_in_lane: SignInLane) -> None:
    # A review an admin created with a sign-in token: its history names the person.
    admin = qsmo_stack.run_async(
        lambda: access_token(sign_in_lane.issuer, "dev-admin", sign_in_lane.dashboard)
    )
    created = graphql(sign_in_lane, admin, CREATE_REVIEW)
    assert "errors" not in created, created
    review = created["data"]["createReview"]["id"]
    sign_in_through_the_provider(browser, sign_in_lane, "dev-viewer")
    who = browser.find_element(By.ID, "who")
    assert who.text == f"Signed in as {dev_users()['dev-viewer'].name} (viewer)"
    # Scorecards and the performance reviews to read; neither the provider tools nor the
    # submissions to review, and no control that creates or moves a review.
    assert not browser.find_element(By.ID, "tools-page-item").is_displayed()
    assert not browser.find_element(By.ID, "review-page-item").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#pages-nav button[data-page=reviews]").click()
    eventually(
        lambda: browser.execute_script("return document.getElementById('reviews').dataset.ready"),
        30,
        "the performance reviews page",
    )
    assert not browser.find_element(By.ID, "reviews-create-section").is_displayed()
    browser.find_element(By.CSS_SELECTOR, f'button[data-open="{review}"]').click()
    steps = browser.find_element(By.ID, "review-activity")
    eventually(
        lambda: "DRAFT by Ada Admin" in (steps.get_attribute("textContent") or ""),
        30,
        "the review's history naming the admin",
    )
    for page in ("tools", "review"):
        assert not browser.find_element(By.ID, page).is_displayed(), page
    # Forced: an admin mutation with a viewer's token from the same provider is FORBIDDEN.
    token = qsmo_stack.run_async(
        lambda: access_token(sign_in_lane.issuer, "dev-viewer", sign_in_lane.dashboard)
    )
    forced = graphql(
        sign_in_lane,
        token,
        'mutation { setTarget(measure: "customer-engagement", target: 1, reason: "forced") '
        "{ change { id } } }",
    )
    assert forced["errors"][0]["extensions"]["code"] == "FORBIDDEN", forced
    assert forced["data"] is None


def test_without_a_refresh_token_the_session_expires_in_words(
    browser: WebDriver, stack: qsmo_stack.Stack, tmp_path: Path
) -> None:
    """A provider that issues no refresh token: when the 5 s token expires the page cannot
    renew, signs out and says so; signing in again is one redirect (the provider's session)."""
    with running_sign_in_lane(stack, tmp_path, 5, refresh_tokens=False) as lane:
        sign_in_through_the_provider(browser, lane, "dev-viewer")
        eventually(lambda: _body(browser, "signedIn") is None, 40, "the session ended")
        message = browser.find_element(By.ID, "sso-error").text
        assert message == "Your session expired — sign in again."
        assert not browser.find_element(By.ID, "dashboard").is_displayed()
        assert browser.switch_to.active_element.get_attribute("data-provider") == "local"
        browser.switch_to.active_element.click()  # no login page: the provider remembers
        eventually(lambda: _body(browser, "signedIn") == "token", 30, "signed in again")
        assert "Victor Viewer" in browser.find_element(By.ID, "who").text
