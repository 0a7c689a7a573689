"""Signing in to the local OpenID provider as its development users, the way a browser does.

``sign_in`` runs the dashboard client's authorization code flow with PKCE against the real
provider a stack runs (``Stack.start_oidc``): the authorization request, the provider's own
login page and its form, the redirect with the code, and the token request. Nothing is minted
here. ``qsmo_stack.py token --user dev-admin`` prints a token this way (for curl); the tests
sign in with it too. ``provider_signing_key`` reads the provider's own key from the stack's
home only so security tests can sign tokens whose *claims* are wrong (expired, another issuer).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from .oidc_provider import AUDIENCE, DASHBOARD_CLIENT, DEV_USERS_FILE

CLIENT_ID = DASHBOARD_CLIENT
OTHER_AUDIENCE = "urn:qsmo:some-other-api"
_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


@dataclass(frozen=True)
class DevUser:
    username: str
    name: str
    groups: tuple[str, ...]


def dev_users() -> dict[str, DevUser]:
    """The provider's development users by username (deploy/local/oidc/dev-users.json)."""
    raw = json.loads(DEV_USERS_FILE.read_text())
    return {
        u["username"]: DevUser(u["username"], u["name"], tuple(u["groups"])) for u in raw["users"]
    }


def dev_password() -> str:
    return str(json.loads(DEV_USERS_FILE.read_text())["password"])


class SignInError(AssertionError):
    """A step of the sign-in did not answer as a provider should."""


async def _follow_to(http: httpx.AsyncClient, response: httpx.Response, redirect_uri: str) -> str:
    """Follow the provider's redirects until one leaves for ``redirect_uri``; its URL."""
    for _ in range(10):
        if response.status_code not in (302, 303):
            raise SignInError(
                f"expected a redirect, got {response.status_code}: {response.text[:300]}"
            )
        location = urljoin(str(response.url), response.headers["location"])
        if location.startswith(redirect_uri):
            return location
        response = await http.get(location)
    raise SignInError("more than 10 redirects")


async def sign_in(
    issuer: str,
    username: str,
    *,
    password: str | None = None,
    resource: str = AUDIENCE,
    redirect_uri: str,
) -> dict[str, Any]:
    """The token response (``access_token`` …) for ``username`` after the login page."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    state = secrets.token_urlsafe(12)
    async with httpx.AsyncClient(timeout=30, follow_redirects=False) as http:
        discovery = (await http.get(f"{issuer}/.well-known/openid-configuration")).json()
        query = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "scope": "openid profile groups",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
            "state": state,
            "resource": resource,
        }
        start = await http.get(f"{discovery['authorization_endpoint']}?{urlencode(query)}")
        if start.status_code not in (302, 303):
            raise SignInError(f"authorization request: {start.status_code} {start.text[:300]}")
        login_page = await http.get(urljoin(issuer, start.headers["location"]))
        action = _FORM_ACTION.search(login_page.text)
        if login_page.status_code != 200 or action is None:
            raise SignInError(f"no login form: {login_page.status_code} {login_page.text[:300]}")
        submitted = await http.post(
            urljoin(str(login_page.url), unescape(action.group(1))),
            data={"username": username, "password": password or dev_password()},
        )
        if submitted.status_code == 401:
            raise SignInError(f"the login page refused {username}")
        back = parse_qs(urlsplit(await _follow_to(http, submitted, redirect_uri)).query)
        if back.get("state") != [state] or "code" not in back:
            raise SignInError(f"the redirect carried no code for this state: {back}")
        tokens = await http.post(
            discovery["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": back["code"][0],
                "redirect_uri": redirect_uri,
                "client_id": CLIENT_ID,
                "code_verifier": verifier,
                "resource": resource,
            },
        )
        if tokens.status_code != 200:
            raise SignInError(f"token request: {tokens.status_code} {tokens.text[:300]}")
        answer: dict[str, Any] = tokens.json()
        return answer


async def access_token(
    issuer: str, username: str, redirect_uri: str, resource: str = AUDIENCE
) -> str:
    """The access token of ``username`` (``redirect_uri``: the one the provider registered)."""
    answer = await sign_in(issuer, username, resource=resource, redirect_uri=redirect_uri)
    return str(answer["access_token"])


def provider_signing_key(stack_home: Path) -> dict[str, Any]:
    """The local provider's current RS256 private JWK (its first: the one it signs with)."""
    keys = json.loads((stack_home / "data" / "oidc" / "jwks.private.json").read_text())["keys"]
    return next(k for k in keys if k["alg"] == "RS256")


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (tests read what the provider put in)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims
