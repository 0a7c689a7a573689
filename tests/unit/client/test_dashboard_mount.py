"""``mount_dashboard``: the page at ``/`` with its security headers, the files under
``/dashboard/``, nothing else of the app disturbed, and no file the page needs missing."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from gateway.dashboard import STATIC_DIR, mount_dashboard


def app_with_dashboard() -> FastAPI:
    app = FastAPI()

    @app.get("/graphql")
    def graphql() -> dict[str, str]:
        return {"route": "graphql"}

    mount_dashboard(app)
    mount_dashboard(app)  # idempotent: the gateway and a test runner may both call it
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with_dashboard())
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def test_the_page_is_served_at_the_root_with_a_strict_content_security_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "QSMO Performance Dashboard" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/graphql")).json() == {"route": "graphql"}


async def test_every_file_the_page_loads_is_served(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    assets = re.findall(r'(?:src|href)="(/dashboard/[^"]+)"', page)
    assert sorted(assets) == ["/dashboard/app.js", "/dashboard/dashboard.css"]
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset
    script = await client.get("/dashboard/app.js")
    assert "javascript" in script.headers["content-type"]
    for module in STATIC_DIR.glob("*.js"):
        for imported in re.findall(r'from "\./([^"]+)"', module.read_text()):
            assert (STATIC_DIR / imported).is_file(), f"{module.name} imports a missing {imported}"
    assert (await client.get("/dashboard/missing.js")).status_code == 404
