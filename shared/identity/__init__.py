"""People signing in with OpenID Connect: access tokens accepted beside API keys.

- ``settings``: ``QSMO_OIDC_PROVIDERS`` (JSON), one entry per trusted identity provider;
- ``roles``: the pure mapping from a claim (``groups``) to the platform's roles and scopes;
- ``signing_keys``: discovery and each provider's JWKS, cached; a ``kid`` miss refetches once,
  at most every ``QSMO_OIDC_JWKS_MIN_REFETCH_S``;
- ``tokens``: ``TokenVerifier`` (joserfc): algorithm allow-list, signature, issuer, audience,
  expiry and not-before with a small leeway, then the role mapping, giving a
  ``shared.api_keys.Principal`` with its ``person`` — the one authorization policy answers
  it exactly as a key with the same role;
- ``bearer``: ``BearerAuthenticator``, what ingest and the gateway ask with the bearer value
  (a key or a token), counting every refusal by reason (``metrics``).

docs/operations.md, "Identity", explains configuration, the claim mapping and key rotation.
"""
