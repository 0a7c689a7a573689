"""What the provider tools' browser tests share: a lane of their own (no simulated history:
the tools start empty), the keys of every role, the GraphQL API as each role calls it, a
filled data-call workbook and the screenshots for docs/provider-tools.md."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dashboard_browser_support import DashboardLane, eventually
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys as Key
from test_dashboard_browser import _displayed

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


@dataclass(frozen=True)
class RoleKeys:
    """Every development key, by role (``.local/api-keys.json`` of the test stack)."""

    admin: str
    viewer: str
    publishers: dict[str, str]
    providers: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> RoleKeys:
        raw = json.loads(path.read_text())
        return cls(raw["admin"], raw["viewer"], dict(raw["publishers"]), dict(raw["providers"]))


@dataclass(frozen=True)
class ToolsApi:
    """The lane's gateway as one key calls it."""

    lane: DashboardLane
    key: str

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = httpx.post(
            self.lane.url("gateway", "/graphql"),
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def get(self, path: str) -> httpx.Response:
        response = httpx.get(
            self.lane.url("gateway", path),
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response

    def post(self, path: str, content: bytes, content_type: str) -> Any:
        response = httpx.post(
            self.lane.url("gateway", path),
            content=content,
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": content_type},
            timeout=30,
        )
        assert response.status_code < 300, response.text
        return response.json()


def sign_in(browser: WebDriver, lane: DashboardLane, key: str, query: str) -> None:
    """Load ``/?query`` fresh and sign in with ``key``."""
    browser.get(lane.url("gateway", "/dashboard/dashboard.css"))
    browser.execute_script("sessionStorage.clear()")
    browser.get(lane.url("gateway", f"/?{query}"))
    box = eventually(lambda: _displayed(browser, "api-key"), 15, "the key box")
    box.send_keys(key, Key.ENTER)
    eventually(
        lambda: _displayed(browser, "pages-nav") or _displayed(browser, "tools"), 30, "pages"
    )


def ready(browser: WebDriver, element_id: str, what: str, attribute: str = "data-ready") -> None:
    eventually(lambda: browser.find_element(By.ID, element_id).get_attribute(attribute), 30, what)


def text_of(browser: WebDriver, element_id: str) -> str:
    return str(browser.find_element(By.ID, element_id).text)


def doc_screenshot(
    browser: WebDriver, name: str, element_id: str, max_height: int | None = None
) -> Path:
    """A PNG of one element of the page (beyond the window if it is taller, cut at
    ``max_height`` CSS pixels) for docs/provider-tools.md."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / name
    box = browser.execute_script(
        """const r = document.getElementById(arguments[0]).getBoundingClientRect();
        return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };""",
        element_id,
    )
    height = box["height"] if max_height is None else min(box["height"], max_height)
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": height, "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
