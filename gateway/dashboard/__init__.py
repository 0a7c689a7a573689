"""The performance dashboard: static HTML, CSS and JavaScript served by the gateway at ``/``.

The page is a client of the public GraphQL API only (``/graphql``, queries and the
``graphql-transport-ws`` subscription), with a sign-in token or an API key the user pastes;
the gateway serves its files and ``/dashboard/config.json``: the providers the page may sign
in with (``QSMO_OIDC_PROVIDERS`` entries with a ``dashboard`` client; ``sign_in_options``).
The page signs in with the authorization code flow and PKCE as a public client, keeps the
tokens in memory only and renews them with the refresh token (``static/sign_in.js``).
No build step: the files under ``static/`` are what the browser
gets. ``?api=<graphql url>`` points the page at another gateway, ``?fy=2026`` and
``?phase=2`` preselect the fiscal year and phase, and ``?tier=qsmo&qsmo=<id>``,
``?tier=provider&qsmo=<id>&provider=<id>`` or ``?tier=agency&agency=DOI`` a tier below the
QSMO (the page keeps the address in step with its tier switcher). Provider, publisher and admin
keys also get the provider tools' pages: ``?page=tools`` (a provider's self-assessment, data
call and survey results; admins choose ``&provider=<id>``) and ``?page=review`` (submissions
to review); every key but a provider's gets ``?page=reviews`` (the performance reviews and
their packets; ``&review=<id>`` opens one, ``&scope=government|<qsmo>`` filters).
"""

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field

from shared.identity.settings import IdentitySettings

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


CONFIG_PATH = f"{ASSETS_PATH}/config.json"


class SignInOption(BaseModel):
    """One provider the page offers a sign-in with (JSON: camelCase, as the page reads it)."""

    model_config = ConfigDict(frozen=True)

    provider: str
    label: str
    issuer: str
    client_id: str = Field(serialization_alias="clientId")
    scope: str
    resource: str | None


def sign_in_options(identity: IdentitySettings) -> tuple[SignInOption, ...]:
    """The trusted providers that register the dashboard as a client, in configured order."""
    return tuple(
        SignInOption(
            provider=p.name,
            label=p.dashboard.label,
            issuer=p.issuer,
            client_id=p.dashboard.client_id,
            scope=p.dashboard.scope,
            resource=p.dashboard.resource,
        )
        for p in identity.oidc_providers
        if p.dashboard is not None
    )


def mount_dashboard(app: FastAPI, sign_in: Sequence[SignInOption] = ()) -> None:
    """Serve the dashboard page at ``/``, its files under ``/dashboard/`` and the sign-in
    options at ``/dashboard/config.json`` (idempotent)."""
    if getattr(app.state, "dashboard_mounted", False):
        return
    app.state.dashboard_mounted = True
    config = {"signIn": [option.model_dump(by_alias=True) for option in sign_in], "apiKeys": True}

    async def dashboard_config() -> JSONResponse:
        return JSONResponse(config, headers={"Cache-Control": "no-cache"})

    async def dashboard_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    app.add_api_route(
        "/",
        dashboard_page,
        methods=["GET"],
        include_in_schema=False,
        response_class=FileResponse,
    )
    # Before the static mount, which would otherwise answer 404 for this path.
    app.add_api_route(CONFIG_PATH, dashboard_config, methods=["GET"], include_in_schema=False)
    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC_DIR), name="dashboard")


__all__ = [
    "ASSETS_PATH",
    "CONFIG_PATH",
    "STATIC_DIR",
    "SignInOption",
    "mount_dashboard",
    "sign_in_options",
]
