"""Why a token was refused: a fixed list of reasons (metric labels) and the error carrying one."""

from enum import StrEnum


class RefusalReason(StrEnum):
    """Why a bearer credential was refused; the value is the metric label."""

    UNKNOWN_KEY = "unknown_key"
    NOT_CONFIGURED = "not_configured"
    MALFORMED = "malformed"
    ALG_NONE = "alg_none"
    ALG_HMAC = "alg_hmac"
    ALG_NOT_ALLOWED = "alg_not_allowed"
    WRONG_ISSUER = "wrong_issuer"
    UNKNOWN_KID = "unknown_kid"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WRONG_AUDIENCE = "wrong_audience"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    NO_ROLE = "no_role"
    AMBIGUOUS_ROLE = "ambiguous_role"
    FORBIDDEN = "forbidden"
    """Authenticated, but the policy refused the operation (e.g. another QSMO's write)."""


FORBIDDING = frozenset({RefusalReason.NO_ROLE, RefusalReason.AMBIGUOUS_ROLE})
"""Reasons that are a 403 (who the caller is, is known; they may do nothing); the rest: 401."""


class TokenRefused(Exception):  # noqa: N818 - a refusal, not a fault
    """A token (or bearer value) was refused; ``message`` says why and what to do."""

    def __init__(self, reason: RefusalReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message

    @property
    def status(self) -> int:
        """401 (not authenticated) or 403 (authenticated, but no role)."""
        return 403 if self.reason in FORBIDDING else 401
