"""Sign-in helpers for tests: the local route's own (``qsmo_local.oidc_sign_in``), re-exported."""

from qsmo_local.oidc_sign_in import (
    AUDIENCE,
    OTHER_AUDIENCE,
    DevUser,
    SignInError,
    access_token,
    dev_password,
    dev_users,
    provider_signing_key,
    sign_in,
    token_claims,
)

__all__ = [
    "AUDIENCE",
    "OTHER_AUDIENCE",
    "DevUser",
    "SignInError",
    "access_token",
    "dev_password",
    "dev_users",
    "provider_signing_key",
    "sign_in",
    "token_claims",
]
