"""The trusted identity providers: ``QSMO_OIDC_PROVIDERS``, a JSON list, and the key cache.

    QSMO_OIDC_PROVIDERS='[{"name": "agency", "issuer": "https://login.agency.gov/oauth2/qsmo",
                          "audience": "api://qsmo-platform"}]'

Each entry: ``name`` (short, in key ids and metrics), ``issuer`` (exactly as the provider's
discovery document and its tokens' ``iss`` say), ``audience`` (the ``aud`` its access tokens
carry for this platform), optional ``roles`` (``shared.identity.roles.RoleClaimMapping``),
``algorithms`` (asymmetric only), ``leeway_s`` (clock skew allowed on ``exp``/``nbf``),
``jwks_uri`` (default: from discovery) and ``dashboard`` (the dashboard's public client at this
provider: ``DashboardClientSettings``; without it the dashboard offers no sign-in with it).
Empty (the default): only API keys are accepted.
"""

import re
from ipaddress import ip_address
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.identity.roles import RoleClaimMapping

SigningAlgorithm = Literal[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"
]
"""Asymmetric JWS algorithms only: ``none`` and the HMAC family (HS256 …) can never be allowed."""
LOOPBACK_HOSTS = ("localhost",)
SCOPE = re.compile(r"^openid( [\x21\x23-\x5b\x5d-\x7e]+)*$")
"""RFC 6749's scope syntax (space-separated tokens), ``openid`` first (an OpenID sign-in)."""


def is_loopback_url(url: str) -> bool:
    """True for http(s)://localhost… and 127.0.0.0/8 or ::1 addresses."""
    host = urlsplit(url).hostname or ""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _https_or_loopback(url: str, field: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme == "https" or (scheme == "http" and is_loopback_url(url)):
        return url
    raise ValueError(
        f"{field} must be an https:// URL (http:// only for a provider on this machine, "
        f"127.0.0.1 or localhost); got {url!r}"
    )


class DashboardClientSettings(BaseModel):
    """The dashboard's registration at a provider: a public client (no secret) using the
    authorization code flow with PKCE, redirecting to the dashboard's own URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(min_length=1, max_length=200)
    scope: str = "openid profile"
    """Scopes asked for (space-separated, ``openid`` first); add ``offline_access`` where the
    provider then issues refresh tokens, so the dashboard renews without a new sign-in."""
    resource: str | None = Field(default=None, min_length=1)
    """The RFC 8707 ``resource`` to ask an access token for (the API's ``audience``), for
    providers that choose the audience that way (oidc-provider); None: none sent."""
    label: str = Field(default="Sign in", min_length=1, max_length=80)
    """The button's text (e.g. "Sign in with the agency's account")."""

    @field_validator("scope")
    @classmethod
    def _openid_scope(cls, value: str) -> str:
        if not SCOPE.match(value):
            raise ValueError(
                "must be scopes separated by single spaces, 'openid' first "
                f"(e.g. 'openid profile offline_access'); got {value!r}"
            )
        return value


class OidcProviderSettings(BaseModel):
    """One trusted OpenID provider."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    issuer: str
    audience: str = Field(min_length=1)
    roles: RoleClaimMapping = RoleClaimMapping()
    algorithms: tuple[SigningAlgorithm, ...] = Field(default=("RS256", "ES256"), min_length=1)
    leeway_s: int = Field(default=60, ge=0, le=300)
    jwks_uri: str | None = None
    dashboard: DashboardClientSettings | None = None

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        return _https_or_loopback(value, "issuer")

    @field_validator("jwks_uri")
    @classmethod
    def _jwks_url(cls, value: str | None) -> str | None:
        return None if value is None else _https_or_loopback(value, "jwks_uri")

    @property
    def discovery_url(self) -> str:
        """Where the provider's OpenID configuration is (OpenID Connect Discovery 1.0)."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


class IdentitySettings(BaseSettings):
    """Token settings common to every service that authenticates (prefix ``QSMO_``)."""

    model_config = SettingsConfigDict(env_prefix="QSMO_", extra="ignore", frozen=True)

    oidc_providers: tuple[OidcProviderSettings, ...] = ()
    oidc_jwks_max_age_s: float = Field(default=3600, gt=0)
    """Signing keys are fetched again after this long (a kid miss fetches sooner)."""
    oidc_jwks_min_refetch_s: float = Field(default=30, ge=0)
    """A token with an unknown ``kid`` refetches the keys at most this often per provider."""
    oidc_fetch_timeout_s: float = Field(default=5, gt=0, le=60)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        for attribute in ("name", "issuer"):
            values = [getattr(p, attribute) for p in self.oidc_providers]
            twice = sorted({v for v in values if values.count(v) > 1})
            if twice:
                raise ValueError(
                    f"QSMO_OIDC_PROVIDERS: two providers share the {attribute} {twice[0]!r}; "
                    "each must be unique"
                )
        return self

    def development_issuers(self) -> list[str]:
        """Issuers on this machine (the local development provider): refused in production."""
        return [p.issuer for p in self.oidc_providers if is_loopback_url(p.issuer)]
