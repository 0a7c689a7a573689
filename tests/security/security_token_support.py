"""Sign-in tokens for the security suite: a wallet of real tokens per development user, the
bad tokens built from them and the provider's own key, and the refusal counters of /metrics.

Every good token comes from the local OpenID provider's login page (``oidc_sign_in``); the bad
ones are what an attacker or a misconfigured client could send: an expired or foreign-issuer
token signed with the provider's real key (read from the stack's home), a real token for
another audience, ``alg: none``, HMAC with the public key, a tampered payload, an unpublished
``kid``, and a real token whose groups map to no role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import qsmo_stack
from joserfc import jwt
from joserfc.jwk import RSAKey, import_key
from oidc_sign_in import OTHER_AUDIENCE, access_token, provider_signing_key, token_claims
from security_abuse_support import SecurityLane

OWN, OTHER = "cybersecurity", "financial-management"
USERS = {
    "viewer": "dev-viewer",
    "other QSMO's publisher": f"dev-publisher-{OTHER}",
    "provider": "dev-provider-usda-nfc",
    "no role": "dev-no-role",
    "publisher": f"dev-publisher-{OWN}",
    "admin": "dev-admin",  # last: adoptDimension succeeds only once
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Wallet:
    """A fresh access token per development user, signed in again when one nears expiry."""

    issuer: str
    redirect_uri: str
    held: dict[str, str]
    sent: list[str] = field(default_factory=list)
    """Every token this module sent (none may reach a log)."""

    async def token(self, caller: str) -> str:
        username = USERS[caller]
        token = self.held.get(username)
        if token is None or token_claims(token)["exp"] - time.time() < 60:
            token = await access_token(self.issuer, username, self.redirect_uri)
            self.held[username] = token
            self.sent.append(token)
        return token

    async def who(self, caller: str) -> str:
        """``raw:<token>`` for ``SecurityLane`` (its ``who`` of a raw bearer value)."""
        return "raw:" + await self.token(caller)


def _signed(claims: dict[str, Any], key: dict[str, Any], kid: str | None = None) -> str:
    header = {"alg": "RS256", "typ": "at+jwt", "kid": kid or key["kid"]}
    return jwt.encode(header, claims, import_key(key), algorithms=["RS256"])


async def bad_tokens(stack: qsmo_stack.Stack, wallet: Wallet) -> dict[str, tuple[str, str]]:
    """name → (token, the refusal reason it must be counted under)."""
    admin = await wallet.token("admin")
    claims = token_claims(admin)
    header = admin.split(".")[0]
    provider_key = provider_signing_key(stack.home)
    public = import_key(
        {k: v for k, v in provider_key.items() if k not in ("d", "p", "q", "dp", "dq", "qi")}
    )
    admin_claims = b64(json.dumps(claims).encode())
    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'kid': provider_key['kid']}).encode())}.{admin_claims}"
    )
    hmac_signature = hmac.new(public.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    viewer = await wallet.token("viewer")
    viewer_head, _, viewer_signature = viewer.split(".")
    promoted = {**token_claims(viewer), "groups": ["qsmo-admins"]}
    stranger = RSAKey.generate_key(2048, parameters={"kid": "rs256-not-published"}).as_dict(
        private=True
    )
    now = int(time.time())
    return {
        "expired": (
            _signed({**claims, "iat": now - 7200, "exp": now - 3600}, provider_key),
            "expired",
        ),
        "wrong issuer": (
            _signed({**claims, "iss": "http://127.0.0.1:9/another-idp"}, provider_key),
            "wrong_issuer",
        ),
        "wrong audience": (
            await access_token(
                wallet.issuer, "dev-admin", wallet.redirect_uri, resource=OTHER_AUDIENCE
            ),
            "wrong_audience",
        ),
        "alg none": (
            f"{b64(json.dumps({'alg': 'none'}).encode())}.{admin_claims}.",
            "alg_none",
        ),
        "HMAC with the public key": (
            f"{signing_input}.{b64(hmac_signature.digest())}",
            "alg_hmac",
        ),
        "tampered signature": (
            f"{viewer_head}.{b64(json.dumps(promoted).encode())}.{viewer_signature}",
            "bad_signature",
        ),
        "unknown kid": (_signed(claims, stranger), "unknown_kid"),
        "no role": (await wallet.token("no role"), "no_role"),
        "header untouched": (f"{header}.{admin_claims}.{b64(b'x' * 256)}", "bad_signature"),
    }


def refusal_counts(service: str, text: str) -> dict[str, float]:
    """``reason → count`` of token refusals in a service's /metrics page."""
    counts: dict[str, float] = {}
    for line in text.splitlines():
        if (
            line.startswith(f"qsmo_{service}_auth_refusals_total{{")
            and 'credential="token"' in line
        ):
            reason = line.split('reason="')[1].split('"')[0]
            counts[reason] = float(line.rsplit(" ", 1)[1])
    return counts


async def metrics_of(lane: SecurityLane, http: httpx.AsyncClient) -> dict[str, dict[str, float]]:
    bases = {"ingest": lane.ingest_url, "gateway": lane.lane.url("gateway", "")}
    return {
        name: refusal_counts(name, (await http.get(base + "/metrics")).text)
        for name, base in bases.items()
    }
