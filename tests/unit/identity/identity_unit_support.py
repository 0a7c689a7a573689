"""A made-up identity provider for the verifier's unit tests: keys, tokens, an in-memory JWKS.

No network: ``FakeProvider.fetch_json`` answers the discovery document and the key set from
memory and counts requests, so the cache and its rate limit can be checked exactly.
"""

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

from shared.identity.settings import OidcProviderSettings
from shared.identity.signing_keys import KeysUnavailable

NOW = 1_800_000_000
AUDIENCE = "urn:qsmo:api"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rsa_key(kid: str) -> Key:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


def ec_key(kid: str) -> Key:
    return ECKey.generate_key("P-256", parameters={"kid": kid, "alg": "ES256", "use": "sig"})


@dataclass
class FakeProvider:
    """One provider: its settings, its published keys, and what was fetched from it."""

    issuer: str = "https://idp.example.gov"
    name: str = "agency"
    keys: list[Key] = field(default_factory=lambda: [rsa_key("rs-1"), ec_key("es-1")])
    requests: list[str] = field(default_factory=list)
    down: bool = False

    @property
    def settings(self) -> OidcProviderSettings:
        return OidcProviderSettings(name=self.name, issuer=self.issuer, audience=AUDIENCE)

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def jwks_fetches(self) -> int:
        return self.requests.count(self.jwks_uri)

    async def fetch_json(self, url: str) -> Mapping[str, Any]:
        self.requests.append(url)
        if self.down:
            raise KeysUnavailable(f"GET {url} failed: ConnectError")
        if url == f"{self.issuer}/.well-known/openid-configuration":
            return {"issuer": self.issuer, "jwks_uri": self.jwks_uri}
        if url == self.jwks_uri:
            return {"keys": [key.as_dict(private=False) for key in self.keys]}
        raise KeysUnavailable(f"GET {url} answered 404")

    def claims(self, **changes: Any) -> dict[str, Any]:
        base = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "person-1",
            "name": "Pat Person",
            "groups": ["qsmo-publishers-cybersecurity"],
            "iat": NOW - 10,
            "exp": NOW + 600,
        }
        base.update(changes)
        return {k: v for k, v in base.items() if v is not None}

    def token(self, key: Key | None = None, alg: str | None = None, **changes: Any) -> str:
        key = key or self.keys[0]
        alg = alg or str(key.get("alg"))
        header = {"alg": alg, "typ": "at+jwt", "kid": key.kid}
        return jwt.encode(header, self.claims(**changes), key, algorithms=[alg])


def unsigned_token(claims: Mapping[str, Any], alg: str = "none") -> str:
    header = b64(json.dumps({"alg": alg, "kid": "rs-1"}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hmac_token_with_public_key(claims: Mapping[str, Any], public_key: Key, kid: str) -> str:
    """The classic key-confusion attack: HS256 with the provider's public key as the secret."""
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    secret = public_key.as_pem(private=False)
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def tampered(token: str, **changes: Any) -> str:
    """The token with its claims changed and the original signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
