"""``BearerAuthenticator``: the one place a bearer value becomes a ``Principal``.

An API key is looked up first (a hash lookup); a value shaped like a JWT that is not a key is
verified as an OpenID Connect access token when providers are configured. Every refusal is
counted (``IdentityMetrics``) by the kind of credential and the reason; the caller (ingest,
the gateway) turns ``TokenRefused`` into its own 401 or 403 with the same message.
"""

from shared.api_keys import ApiKeyRing, Principal
from shared.identity.metrics import IdentityMetrics
from shared.identity.refusals import RefusalReason, TokenRefused
from shared.identity.settings import IdentitySettings
from shared.identity.signing_keys import FetchJson, http_json_fetcher
from shared.identity.tokens import TokenVerifier, looks_like_jwt
from shared.settings import UnsafeInProductionError


class BearerAuthenticator:
    """API keys and, when configured, tokens; ``tokens`` None: keys only."""

    def __init__(
        self,
        key_ring: ApiKeyRing,
        tokens: TokenVerifier | None = None,
        metrics: IdentityMetrics | None = None,
    ) -> None:
        self.key_ring = key_ring
        self.tokens = tokens
        self.metrics = metrics

    async def authenticate(self, credential: str, unknown_key_message: str) -> Principal:
        """The principal of a key or token; ``TokenRefused`` (with ``unknown_key_message`` for
        a value that is neither a known key nor a token)."""
        principal = self.key_ring.authenticate(credential)
        if principal is not None:
            return principal
        if not looks_like_jwt(credential):
            self.refused("key", RefusalReason.UNKNOWN_KEY)
            raise TokenRefused(RefusalReason.UNKNOWN_KEY, unknown_key_message)
        if self.tokens is None:
            self.refused("token", RefusalReason.NOT_CONFIGURED)
            raise TokenRefused(
                RefusalReason.NOT_CONFIGURED,
                "this platform accepts no sign-in tokens (no identity provider is configured: "
                "QSMO_OIDC_PROVIDERS); send an API key.",
            )
        try:
            principal = await self.tokens.verify(credential)
        except TokenRefused as refusal:
            self.refused("token", refusal.reason)
            raise
        if self.metrics is not None and principal.person is not None:
            provider = principal.key_id.split(":")[1]
            self.metrics.tokens_accepted.labels(provider=provider).inc()
        return principal

    def refused(self, credential: str, reason: RefusalReason) -> None:
        """Count a refusal (also called by services for policy refusals of a principal)."""
        if self.metrics is not None:
            self.metrics.refused(credential, reason)

    def forbidden(self, principal: Principal) -> None:
        """Count a policy refusal (403) of an authenticated principal."""
        self.refused("token" if principal.person else "key", RefusalReason.FORBIDDEN)


def build_authenticator(
    key_ring: ApiKeyRing,
    settings: IdentitySettings,
    metrics: IdentityMetrics | None,
    fetch_json: FetchJson | None = None,
    *,
    environment: str = "development",
) -> BearerAuthenticator:
    """The composition roots' one call: keys, plus tokens from ``QSMO_OIDC_PROVIDERS``.

    In production a provider on this machine (the local development provider of ``make up``,
    whose users share one published password) is refused, as development keys are.
    """
    development = settings.development_issuers()
    if environment == "production" and development:
        raise UnsafeInProductionError(
            f"QSMO_OIDC_PROVIDERS trusts {', '.join(development)}, a provider on this machine "
            "(the development provider), refused when QSMO_ENVIRONMENT=production: point it at "
            "the agency's identity provider (docs/operations.md, Identity)"
        )
    tokens = None
    if settings.oidc_providers:
        tokens = TokenVerifier(
            settings.oidc_providers,
            fetch_json or http_json_fetcher(settings.oidc_fetch_timeout_s),
            jwks_max_age_s=settings.oidc_jwks_max_age_s,
            jwks_min_refetch_s=settings.oidc_jwks_min_refetch_s,
        )
    return BearerAuthenticator(key_ring, tokens, metrics)
