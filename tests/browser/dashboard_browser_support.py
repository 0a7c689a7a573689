"""The real pipeline behind the dashboard's browser tests, and headless Chromium to drive.

A *lane* gets its own topics, consumer groups and database, so the tests see only their own
data: ingest → measures → scorecard → gateway (which serves the dashboard at ``/``), each the
real ``python -m …`` subprocess of the session's test stack.
Chromium is Debian's (``/usr/bin/chromium`` with ``/usr/bin/chromedriver``); when it is
missing it is installed with apt-get (CI runs as root), and if that fails the tests fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import qsmo_stack

from shared.domain.fiscal import fiscal_year_of
from shared.kafka import ensure_topics

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1400,1200",
)
SERVICES = ("ingest", "measures", "scorecard", "notifications", "gateway")
AXE_VERSION = "4.10.3"
AXE_CACHE = Path.home() / ".cache" / "qsmo" / f"axe-core-{AXE_VERSION}"


def open_fiscal_year(now: datetime | None = None) -> int:
    """The fiscal year containing today (UTC): the year the dashboard opens on."""
    return fiscal_year_of(now or datetime.now(UTC))


OPEN_YEAR = open_fiscal_year()


def ensure_chromium() -> None:
    """Install Debian's chromium and chromium-driver when missing; AssertionError if that fails."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    assert os.geteuid() == 0, (
        "Chromium is missing and only root can install it: "
        "apt-get update && apt-get install -y chromium chromium-driver"
    )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for step in (
        ["apt-get", "-q", *lock, "update"],
        ["apt-get", "-y", "-q", *lock, "install", "chromium", "chromium-driver"],
    ):
        result = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{' '.join(step)} failed:\n{result.stderr[-3000:]}"
    assert CHROMIUM.exists(), "apt-get ran, but /usr/bin/chromium is still missing"
    assert CHROMEDRIVER.exists(), "apt-get ran, but /usr/bin/chromedriver is still missing"


def ensure_axe() -> str:
    """The source of axe-core's ``axe.min.js`` at the pinned version: fetched once with
    ``npm pack`` from the npm registry (npm checks the tarball's integrity) into
    ``~/.cache/qsmo``; Debian's npm is installed with apt-get when missing."""
    script = AXE_CACHE / "package" / "axe.min.js"
    if not script.exists():
        if shutil.which("npm") is None:
            assert os.geteuid() == 0, "npm is missing: apt-get install -y npm"
            result = subprocess.run(
                ["apt-get", "-y", "-q", "-o", "DPkg::Lock::Timeout=300", "install", "npm"],
                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                capture_output=True,
                text=True,
                check=False,
            )
            assert result.returncode == 0, f"apt-get install npm failed:\n{result.stderr[-3000:]}"
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", f"axe-core@{AXE_VERSION}", "--silent"],
            cwd=AXE_CACHE,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert packed.returncode == 0, f"npm pack axe-core failed:\n{packed.stderr[-3000:]}"
        tarball = AXE_CACHE / packed.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as archive:
            archive.extract("package/axe.min.js", AXE_CACHE, filter="data")
        tarball.unlink()
    return script.read_text()


def chrome_options_args(profile_dir: str) -> list[str]:
    return [*CHROMIUM_FLAGS, f"--user-data-dir={profile_dir}"]


def new_profile_dir() -> str:
    return tempfile.mkdtemp(prefix="qsmo-chromium-")


def remove_profile_dir(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Keys:
    admin: str
    viewer: str
    publishers: dict[str, str]

    @classmethod
    def load(cls, path: Path) -> Keys:
        raw = json.loads(path.read_text())
        return cls(raw["admin"], raw["viewer"], dict(raw["publishers"]))


@dataclass(frozen=True)
class DashboardLane:
    """Private topics, groups, database and ports of one pipeline."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    ports: dict[str, int] = field(
        default_factory=lambda: {name: qsmo_stack.free_port() for name in SERVICES}
    )

    def topic(self, name: str) -> str:
        return f"dash.{name}.{self.tag}"

    def env(self, service: str) -> dict[str, str]:
        specific = {
            "ingest": {"QSMO_INGEST_TOPIC": self.topic("events")},
            "measures": {
                "QSMO_MEASURES_EVENTS_TOPIC": self.topic("events"),
                "QSMO_MEASURES_VALUES_TOPIC": self.topic("values"),
                "QSMO_MEASURES_DLQ_TOPIC": self.topic("dlq"),
                "QSMO_MEASURES_GROUP_ID": f"measures-{self.tag}",
            },
            "scorecard": {
                "QSMO_SCORECARD_VALUES_TOPIC": self.topic("values"),
                "QSMO_SCORECARD_FRAMEWORK_TOPIC": self.topic("framework"),
                "QSMO_SCORECARD_SCORECARDS_TOPIC": self.topic("scorecards"),
                "QSMO_SCORECARD_GROUP_ID": f"scorecard-{self.tag}",
            },
            "notifications": {
                "QSMO_NOTIFICATIONS_GROUP_ID": f"notifications-{self.tag}",
                "QSMO_NOTIFICATIONS_SCORECARDS_TOPIC": self.topic("scorecards"),
                "QSMO_NOTIFICATIONS_DLQ_TOPIC": self.topic("dlq"),
                "QSMO_NOTIFICATIONS_NOTIFICATIONS_TOPIC": self.topic("notifications"),
                "QSMO_NOTIFICATIONS_EVENTS_TOPIC": self.topic("events"),
                "QSMO_NOTIFICATIONS_VALUES_TOPIC": self.topic("values"),
                "QSMO_NOTIFICATIONS_MEASURES_GROUP_ID": f"measures-{self.tag}",
                "QSMO_NOTIFICATIONS_SCORECARD_GROUP_ID": f"scorecard-{self.tag}",
                "QSMO_NOTIFICATIONS_REVIEWS_TOPIC": self.topic("reviews"),
            },
            "gateway": {
                "QSMO_GATEWAY_EVENTS_TOPIC": self.topic("events"),  # the provider tools' events
                "QSMO_GATEWAY_SCORECARDS_TOPIC": self.topic("scorecards"),
                "QSMO_GATEWAY_NOTIFICATIONS_TOPIC": self.topic("notifications"),
                "QSMO_GATEWAY_FRAMEWORK_TOPIC": self.topic("framework"),
                "QSMO_GATEWAY_REVIEWS_TOPIC": self.topic("reviews"),
            },
        }
        return {
            "QSMO_MONGO_DB": f"dash_{self.tag}",
            f"QSMO_{service.upper()}_PORT": str(self.ports[service]),
            **specific[service],
        }

    def url(self, service: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ports[service]}{path}"

    def label(self, service: str) -> str:
        return f"{service}-dash-{self.tag}"


def start_lane(stack: qsmo_stack.Stack, lane: DashboardLane) -> None:
    """Create the lane's topics and start its four services (each waits for ``/readyz``)."""
    names = ("events", "values", "dlq", "scorecards", "framework", "notifications", "reviews")
    qsmo_stack.run_async(
        lambda: ensure_topics(stack.kafka_bootstrap, 3, names=tuple(lane.topic(n) for n in names))
    )
    for service in SERVICES:
        stack.start_service(
            service, extra_env=lane.env(service), instance=f"-dash-{lane.tag}", timeout_s=120
        )


def stop_lane(stack: qsmo_stack.Stack, lane: DashboardLane) -> None:
    for service in reversed(SERVICES):
        stack.stop(lane.label(service))


def eventually(check: Callable[[], T | None], timeout_s: float, what: str) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout_s} s (last: {last!r})")


@dataclass
class Api:
    """The lane's GraphQL API, as the tests read it to compare with the page."""

    lane: DashboardLane
    keys: Keys

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = httpx.post(
            self.lane.url("gateway", "/graphql"),
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.keys.viewer}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]
