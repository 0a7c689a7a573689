"""Settings every service shares, read from ``QSMO_*`` environment variables.

Each service adds its own settings class with its own prefix (``QSMO_INGEST_`` …); the
composition root (``bootstrap.py``) builds both once, then calls ``refuse_unsafe_in_production``
with what it holds, so every process refuses the same development-only settings in
production. Nothing here connects anywhere.
"""

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.api_keys import ApiKeyRing

Environment = Literal["development", "test", "production"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


class PlatformSettings(BaseSettings):
    """Connection and environment settings common to all services (prefix ``QSMO_``)."""

    model_config = SettingsConfigDict(env_prefix="QSMO_", extra="ignore", frozen=True)

    environment: Environment = "development"
    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_db: str = "qsmo"
    api_keys_file: Path = Path(".local/api-keys.hashed.json")
    log_level: str = "INFO"
    topic_partitions: int = Field(default=6, ge=1, le=1000)
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    """How every client talks to the brokers: production clusters want SASL_SSL (or SSL)."""
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    """CA bundle that signed the brokers' certificates (SSL, SASL_SSL); default: the system's."""

    @model_validator(mode="after")
    def _sasl_needs_credentials(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"QSMO_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "QSMO_KAFKA_SASL_USERNAME and QSMO_KAFKA_SASL_PASSWORD; set both (or use "
                "PLAINTEXT/SSL)"
            )
        if not self.kafka_security_protocol.startswith("SASL_") and (
            self.kafka_sasl_username or self.kafka_sasl_password
        ):
            raise ValueError(
                "QSMO_KAFKA_SASL_USERNAME/PASSWORD are set but QSMO_KAFKA_SECURITY_PROTOCOL="
                f"{self.kafka_security_protocol} would not use them; set SASL_SSL (or "
                "SASL_PLAINTEXT), or remove the credentials"
            )
        if self.kafka_ssl_cafile is not None and not self.kafka_ssl_cafile.is_file():
            raise ValueError(
                f"QSMO_KAFKA_SSL_CAFILE={self.kafka_ssl_cafile} is not a file; point it at the "
                "PEM bundle of the CA that signed the brokers' certificates"
            )
        return self


class ServiceSettings(BaseSettings):
    """Base of a service's own settings: where it listens."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)


class WorkerSettings(ServiceSettings):
    """Base of a consuming service's settings: its consumer group and batches."""

    group_id: str
    max_batch_records: int = Field(default=2000, ge=1, le=50_000)
    poll_timeout_ms: int = Field(default=500, ge=10)
    retry_backoff_s: float = Field(default=1.0, gt=0)
    """Pause before retrying a batch whose store or broker write failed."""


class UnsafeInProductionError(ValueError):
    """A development-only setting in a process started with ``QSMO_ENVIRONMENT=production``."""


def refuse_unsafe_in_production(
    platform: PlatformSettings,
    *,
    key_ring: ApiKeyRing | None = None,
    allow_private_webhooks: bool = False,
) -> None:
    """Refuse, in production, what is only safe on a developer's machine.

    - development API keys (ids ``dev-…``, written by ``make up`` next to their plaintext);
    - ``QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS=true``: a webhook could reach the
      platform's own network (SSRF), whether created at the gateway or sent by notifications.

    Every composition root calls this with what it uses (keys, the webhook switch); outside
    production nothing is refused.
    """
    if platform.environment != "production":
        return
    development = [] if key_ring is None else key_ring.development_key_ids()
    if development:
        shown = ", ".join(development[:3]) + (", …" if len(development) > 3 else "")
        raise UnsafeInProductionError(
            f"QSMO_API_KEYS_FILE={platform.api_keys_file} holds development keys ({shown}), "
            "refused when QSMO_ENVIRONMENT=production: generate production keys "
            "(docs/operations.md, API-key rotation) and point QSMO_API_KEYS_FILE at their "
            "hash file"
        )
    if allow_private_webhooks:
        raise UnsafeInProductionError(
            "QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS=true is refused when "
            "QSMO_ENVIRONMENT=production: webhooks must target public addresses"
        )
