"""The performance dashboard: static HTML, CSS and JavaScript served by the gateway at ``/``.

The page is a client of the public GraphQL API only (``/graphql``, queries and the
``graphql-transport-ws`` subscription), with an API key the user pastes; the gateway serves
its files and nothing else. No build step: the files under ``static/`` are what the browser
gets. ``?api=<graphql url>`` points the page at another gateway, ``?fy=2026`` and
``?phase=2`` preselect the fiscal year and phase, and ``?tier=qsmo&qsmo=<id>``,
``?tier=provider&qsmo=<id>&provider=<id>`` or ``?tier=agency&agency=DOI`` a tier below the
QSMO (the page keeps the address in step with its tier switcher). Provider, publisher and admin
keys also get the provider tools' pages: ``?page=tools`` (a provider's self-assessment, data
call and survey results; admins choose ``&provider=<id>``) and ``?page=review`` (submissions
to review); every key but a provider's gets ``?page=reviews`` (the performance reviews and
their packets; ``&review=<id>`` opens one, ``&scope=government|<qsmo>`` filters).
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS_PATH = "/dashboard"
PAGE_HEADERS = {
    # The page loads only its own files; it may call any gateway (``?api=``) over HTTP or WS.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' http: https: ws: wss:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard page at ``/`` and its files under ``/dashboard/`` (idempotent)."""
    if getattr(app.state, "dashboard_mounted", False):
        return
    app.state.dashboard_mounted = True

    async def dashboard_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    app.add_api_route(
        "/",
        dashboard_page,
        methods=["GET"],
        include_in_schema=False,
        response_class=FileResponse,
    )
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="dashboard")


__all__ = ["ASSETS_PATH", "STATIC_DIR", "mount_dashboard"]
