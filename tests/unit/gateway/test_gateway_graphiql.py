"""GraphiQL comes whole from the gateway: its page references only the gateway's own files,
which are the pinned npm files byte for byte (sha256), and its headers keep it that way."""

import dataclasses
import hashlib
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from gateway_unit_support import Harness

from gateway.app import assemble
from gateway.graphiql import HERE, STATIC_DIR, VENDORED, VendoredFile

VENDOR_DIR = STATIC_DIR / "vendor"
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


class References(HTMLParser):
    """Every URL the page makes the browser load, and any inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1


@pytest.fixture
async def client(seeded: Harness) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=assemble(seeded.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def page_references(client: httpx.AsyncClient) -> References:
    response = await client.get("/graphql", headers=BROWSER)
    assert response.status_code == 200
    references = References()
    references.feed(response.text)
    return references


async def test_the_page_loads_nothing_from_another_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers=BROWSER)
    assert "text/html" in response.headers["content-type"]
    assert "http://" not in response.text
    assert "https://" not in response.text
    references = await page_references(client)
    assert len(references.urls) >= 8  # 4 scripts of GraphiQL, its start script, 3 stylesheets
    for url in references.urls:
        parts = urlsplit(url)
        assert parts.scheme in ("", "data"), f"{url} is not a local URL"
        assert not parts.netloc, f"{url} is not a local URL"


async def test_every_file_the_page_names_is_served(client: httpx.AsyncClient) -> None:
    references = await page_references(client)
    for url in references.urls:
        if url.startswith("data:"):
            continue
        response = await client.get(urljoin("http://gateway/graphql", url))
        assert response.status_code == 200, url
        kind = "text/css" if url.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"], url


async def test_the_vendored_files_are_served_as_shipped_and_gzipped(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/graphiql/vendor/graphiql.min.js", headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (VENDOR_DIR / "graphiql.min.js").read_bytes()  # httpx unzips


async def test_the_page_is_kept_to_its_own_origin_by_its_headers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/graphql", headers=BROWSER)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # so no inline script either:
    assert (await page_references(client)).inline_scripts == 0
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("vendored", VENDORED, ids=lambda v: v.name)
def test_a_vendored_file_has_its_pinned_sha256(vendored: VendoredFile) -> None:
    digest = hashlib.sha256((VENDOR_DIR / vendored.name).read_bytes()).hexdigest()
    assert digest == vendored.sha256, (
        f"{vendored.name} is not {vendored.package}@{vendored.version}'s "
        f"{vendored.path_in_package}; refresh it as gateway/graphiql/README.md says"
    )


def test_every_vendored_file_is_pinned_and_listed_in_the_readme() -> None:
    on_disk = {path.name for path in VENDOR_DIR.iterdir()}
    assert on_disk == {v.name for v in VENDORED}
    readme = (HERE / "README.md").read_text()
    for vendored in VENDORED:
        assert vendored.sha256 in readme, f"README.md misses {vendored.name}'s sha256"
        assert f"{vendored.package}@{vendored.version}" in readme


async def test_without_graphiql_neither_page_nor_files_are_served(seeded: Harness) -> None:
    settings = seeded.runtime.settings.model_copy(update={"graphiql": False})
    app = assemble(dataclasses.replace(seeded.runtime, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        page = await http.get("/graphql", headers=BROWSER)
        assert "graphiql" not in page.text.lower()
        assert (await http.get("/graphiql/vendor/graphiql.min.js")).status_code == 404
