"""Counts of refused credentials by reason and of accepted tokens by provider."""

from prometheus_client import CollectorRegistry, Counter

from shared.identity.refusals import RefusalReason

CREDENTIALS = ("key", "token")


class IdentityMetrics:
    """``qsmo_<service>_auth_refusals_total{credential, reason}`` and
    ``qsmo_<service>_auth_tokens_accepted_total{provider}``, on the service's registry.

    Labels are bounded: ``credential`` is ``key`` or ``token``, ``reason`` a
    ``RefusalReason`` value, ``provider`` a configured provider's name.
    """

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.refusals = Counter(
            f"qsmo_{service}_auth_refusals",
            "Requests refused for their credential, by kind of credential (key, token) and "
            "reason (expired, wrong_issuer, wrong_audience, alg_none, alg_hmac, bad_signature, "
            "unknown_kid, no_role, forbidden, ...).",
            ["credential", "reason"],
            registry=registry,
        )
        self.tokens_accepted = Counter(
            f"qsmo_{service}_auth_tokens_accepted",
            "OpenID Connect access tokens accepted, by identity provider name.",
            ["provider"],
            registry=registry,
        )

    def refused(self, credential: str, reason: RefusalReason) -> None:
        """Count one refusal (``credential``: ``key`` or ``token``)."""
        self.refusals.labels(credential=credential, reason=reason.value).inc()
