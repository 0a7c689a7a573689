"""``TokenVerifier``: an OpenID Connect access token (a JWT) in, a ``Principal`` out.

The order of the checks matters: the header's ``alg`` is judged before any key is looked at
(``none`` and HMAC are refused outright, so a token "signed" with a provider's public key as
an HMAC secret never reaches a verifier); the unverified ``iss`` only selects which provider's
keys to try; the signature is verified by joserfc with that provider's key for the header's
``kid`` and only the one algorithm the header names from the provider's allow-list; only then
are the claims trusted: ``iss``, ``aud``, ``exp`` and ``nbf`` with the provider's leeway, and
last the role mapping (``shared.identity.roles``).
"""

import json
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    JoseError,
    MissingClaimError,
)

from shared.api_keys import Person, Principal
from shared.identity.refusals import RefusalReason, TokenRefused
from shared.identity.roles import grant_from_claims
from shared.identity.settings import OidcProviderSettings
from shared.identity.signing_keys import FetchJson, KeysUnavailable, ProviderKeys

TOKEN_KEY_PREFIX = "oidc:"
"""A token principal's ``key_id`` is ``oidc:<provider name>:<sub>``."""
MAX_TOKEN_BYTES = 16 * 1024
"""Longer bearer values are refused before any parsing."""


def looks_like_jwt(credential: str) -> bool:
    """True for three dot-separated parts (JWS compact form); API keys have no dots."""
    return credential.count(".") == 2


def _when(epoch: object) -> str:
    if not isinstance(epoch, int | float):
        return "an unreadable time"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class TokenVerifier:
    """Verifies access tokens from the configured providers (one ``ProviderKeys`` each)."""

    def __init__(
        self,
        providers: Sequence[OidcProviderSettings],
        fetch_json: FetchJson,
        *,
        jwks_max_age_s: float = 3600,
        jwks_min_refetch_s: float = 30,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self.keys = {
            p.issuer: ProviderKeys(
                p,
                fetch_json,
                max_age_s=jwks_max_age_s,
                min_refetch_s=jwks_min_refetch_s,
                monotonic=monotonic,
            )
            for p in providers
        }

    async def verify(self, token: str) -> Principal:
        """The principal of a valid token; ``TokenRefused`` with the reason otherwise."""
        header, unverified = _unverified_parts(token)
        alg = _allowed_alg(header)
        provider_keys = self._provider_of(unverified)
        provider = provider_keys.provider
        if alg not in provider.algorithms:
            raise TokenRefused(
                RefusalReason.ALG_NOT_ALLOWED,
                f"the token is signed with {alg}; issuer {provider.issuer} is trusted only for "
                f"{', '.join(provider.algorithms)}.",
            )
        claims = await self._verified_claims(token, header, alg, provider_keys)
        self._check_claims(claims, provider)
        grant = grant_from_claims(claims, provider.roles)
        sub = str(claims["sub"])
        name = claims.get("name")
        return Principal(
            key_id=f"{TOKEN_KEY_PREFIX}{provider.name}:{sub}",
            role=grant.role,
            qsmo=grant.qsmo,
            provider=grant.provider,
            person=Person(
                sub=sub,
                name=name if isinstance(name, str) else None,
                issuer=provider.issuer,
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            ),
        )

    def _provider_of(self, unverified: Mapping[str, Any]) -> ProviderKeys:
        issuer = unverified.get("iss")
        found = self.keys.get(issuer) if isinstance(issuer, str) else None
        if found is None:
            trusted = ", ".join(sorted(self.keys)) or "none"
            raise TokenRefused(
                RefusalReason.WRONG_ISSUER,
                f"the token's issuer {issuer!r} is not a trusted identity provider (trusted: "
                f"{trusted}); sign in through one of them.",
            )
        return found

    async def _verified_claims(
        self, token: str, header: Mapping[str, Any], alg: str, provider_keys: ProviderKeys
    ) -> dict[str, Any]:
        issuer = provider_keys.provider.issuer
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRefused(
                RefusalReason.MALFORMED,
                "the token's header names no signing key ('kid'); ask the identity provider "
                "for a standard access token.",
            )
        try:
            key = await provider_keys.key(kid)
        except KeysUnavailable as error:
            raise TokenRefused(
                RefusalReason.PROVIDER_UNAVAILABLE,
                f"the signing keys of issuer {issuer} could not be fetched ({error}); try again "
                "shortly, or use an API key.",
            ) from None
        if key is None:
            raise TokenRefused(
                RefusalReason.UNKNOWN_KID,
                f"the token was signed with key {kid!r}, which issuer {issuer} does not publish "
                "(its keys were fetched again to check); sign in again for a new token.",
            )
        key_alg = key.get("alg")
        if isinstance(key_alg, str) and key_alg != alg:
            raise TokenRefused(
                RefusalReason.BAD_SIGNATURE,
                f"the token says {alg} but key {kid!r} of issuer {issuer} is a {key_alg} key.",
            )
        try:
            return dict(jwt.decode(token, key, algorithms=[alg]).claims)
        except JoseError:
            raise TokenRefused(
                RefusalReason.BAD_SIGNATURE,
                f"the token's signature does not verify with key {kid!r} of issuer {issuer}: "
                "it was altered or not signed by that provider.",
            ) from None

    def _check_claims(self, claims: dict[str, Any], provider: OidcProviderSettings) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=provider.leeway_s,
            iss={"essential": True, "value": provider.issuer},
            aud={"essential": True, "value": provider.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise TokenRefused(
                RefusalReason.EXPIRED,
                f"the token expired at {_when(claims.get('exp'))}; sign in again for a new one.",
            ) from None
        except ClaimError as error:
            raise _claim_refusal(error, claims, provider) from None


def _claim_refusal(
    error: ClaimError, claims: Mapping[str, Any], provider: OidcProviderSettings
) -> TokenRefused:
    if error.claim == "aud":
        return TokenRefused(
            RefusalReason.WRONG_AUDIENCE,
            f"the token is for audience {claims.get('aud')!r}, not this platform's "
            f"{provider.audience!r}; ask the identity provider for a token for "
            f"{provider.audience!r} (the resource or scope of the sign-in request).",
        )
    if error.claim in ("nbf", "iat"):
        return TokenRefused(
            RefusalReason.NOT_YET_VALID,
            f"the token is not valid before {_when(claims.get(error.claim))} (more than "
            f"{provider.leeway_s} s ahead of this server's clock); check the clocks.",
        )
    missing = isinstance(error, MissingClaimError)
    return TokenRefused(
        RefusalReason.MALFORMED,
        f"the token's claim {error.claim!r} is {'missing' if missing else 'invalid'}; access "
        "tokens need iss, aud, sub and exp.",
    )


def _unverified_parts(token: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Header and claims before any verification: used only to choose the checks."""
    if len(token) > MAX_TOKEN_BYTES or not looks_like_jwt(token):
        raise TokenRefused(RefusalReason.MALFORMED, "the bearer token is not a JWT.")
    try:
        compact = jws.extract_compact(token.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeDecodeError):
        raise TokenRefused(
            RefusalReason.MALFORMED, "the bearer token is not a readable JWT (header or claims)."
        ) from None
    if not isinstance(claims, dict):
        raise TokenRefused(RefusalReason.MALFORMED, "the token's claims are not a JSON object.")
    return compact.headers(), claims


def _allowed_alg(header: Mapping[str, Any]) -> str:
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise TokenRefused(
            RefusalReason.ALG_NONE,
            "unsigned tokens (alg 'none') are refused; sign in through a trusted provider.",
        )
    if alg.upper().startswith("HS"):
        raise TokenRefused(
            RefusalReason.ALG_HMAC,
            f"HMAC-signed tokens (alg {alg!r}) are refused: only a provider's asymmetric "
            "signature (RS256, ES256, ...) is accepted.",
        )
    return alg
