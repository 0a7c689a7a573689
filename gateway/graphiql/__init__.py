"""GraphiQL, served whole by the gateway: the page at ``GET /graphql`` and its files under
``/graphiql/``, so it works on networks that block CDNs (strawberry's own page loads React
and GraphiQL from unpkg.com).

The JavaScript and CSS under ``static/vendor/`` are the unmodified files of pinned npm
packages (``VENDORED``, with their sha256; ``README.md`` says how to refresh them). The page
(``page.html``) and its start script (``static/graphiql-start.js``) follow strawberry's
template: the same GraphiQL 3 with the explorer plugin, the query kept in the URL, the
Headers tab sent with every request (``Authorization: Bearer <key>``) and, for
subscriptions, as the websocket's ``connection_init`` payload. Every URL in the page is
relative, so the page also works behind a path prefix.
"""

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

HERE = Path(__file__).resolve().parent
PAGE = HERE / "page.html"
STATIC_DIR = HERE / "static"
ASSETS_PATH = "/graphiql"
PAGE_HEADERS = {
    # Only the gateway's own files; GraphiQL (emotion, CodeMirror) adds <style> elements and
    # its CSS embeds its fonts as data: URLs. Queries and subscriptions go to this origin.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class VendoredFile:
    """One file under ``static/vendor/``, byte for byte as the npm package ships it."""

    name: str
    package: str
    version: str
    path_in_package: str
    sha256: str
    license: str


VENDORED = (
    VendoredFile(
        "react.production.min.js",
        "react",
        "18.2.0",
        "umd/react.production.min.js",
        "4b4969fa4ef3594324da2c6d78ce8766fbbc2fd121fff395aedf997db0a99a06",
        "MIT (LICENSE-react)",
    ),
    VendoredFile(
        "react-dom.production.min.js",
        "react-dom",
        "18.2.0",
        "umd/react-dom.production.min.js",
        "21758ed084cd0e37e735722ee4f3957ea960628a29dfa6c3ce1a1d47a2d6e4f7",
        "MIT (LICENSE-react)",
    ),
    VendoredFile(
        "graphiql.min.js",
        "graphiql",
        "3.8.3",
        "graphiql.min.js",
        "22faab94067b695e5f7959619fbe686ebcc8955002a0c97d986bcbba4ad4bc2c",
        "MIT (LICENSE-graphiql)",
    ),
    VendoredFile(
        "graphiql.min.css",
        "graphiql",
        "3.8.3",
        "graphiql.min.css",
        "b1868247f8e0502cd869e581f5f3cb55b334862e7f51b1d6cbace11059b9adc2",
        "MIT (LICENSE-graphiql)",
    ),
    VendoredFile(
        "graphiql-plugin-explorer.umd.js",
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/index.umd.js",
        "083e37e501d3e3920a60e627b82191af056009124dce82a332e8ac74db6ca38b",
        "MIT (LICENSE-graphiql: same repository)",
    ),
    VendoredFile(
        "graphiql-plugin-explorer.css",
        "@graphiql/plugin-explorer",
        "1.0.2",
        "dist/style.css",
        "762850cb69873400d0ab1737c6158aee91f5c38195bc4a30ee02a3c5d5af4e01",
        "MIT (LICENSE-graphiql: same repository)",
    ),
    VendoredFile(
        "LICENSE-react",
        "react",
        "18.2.0",
        "LICENSE",
        "52412d7bc7ce4157ea628bbaacb8829e0a9cb3c58f57f99176126bc8cf2bfc85",
        "MIT",
    ),
    VendoredFile(
        "LICENSE-graphiql",
        "graphiql",
        "3.8.3",
        "LICENSE",
        "4b18fbe55c4e8f9169cb702be138f4d858a2dad920c39857204ffdc9c1c9fdc4",
        "MIT",
    ),
)


def graphiql_page() -> HTMLResponse:
    """The GraphiQL page, with headers that keep it to the gateway's own files."""
    return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=PAGE_HEADERS)


def mount_graphiql_assets(app: FastAPI) -> None:
    """Serve GraphiQL's files under ``/graphiql/`` (gzipped: graphiql.min.js is 3.5 MB)."""
    app.mount(ASSETS_PATH, GZipMiddleware(StaticFiles(directory=STATIC_DIR)), name="graphiql")


__all__ = [
    "ASSETS_PATH",
    "PAGE_HEADERS",
    "STATIC_DIR",
    "VENDORED",
    "VendoredFile",
    "graphiql_page",
    "mount_graphiql_assets",
]
