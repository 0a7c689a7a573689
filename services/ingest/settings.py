"""Ingest's own settings, read from ``QSMO_INGEST_*`` environment variables.

Connection settings shared by every service (``QSMO_KAFKA_BOOTSTRAP``, ``QSMO_API_KEYS_FILE``,
``QSMO_LOG_LEVEL`` …) live in ``shared.settings.PlatformSettings``.
"""

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared import topics
from shared.settings import ServiceSettings

MAX_EVENTS_PER_REQUEST = 1000
"""The API's hard limit on events in one request; ``max_events`` may only lower it."""


class IngestSettings(ServiceSettings):
    """Limits, rate and Kafka delivery settings of the ingest service (prefix ``QSMO_INGEST_``)."""

    model_config = SettingsConfigDict(env_prefix="QSMO_INGEST_", extra="ignore", frozen=True)

    port: int = Field(default=8001, ge=1, le=65535)
    topic: str = Field(default=topics.EVENTS, min_length=1)
    max_events: int = Field(default=MAX_EVENTS_PER_REQUEST, ge=1, le=MAX_EVENTS_PER_REQUEST)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=16 * 1024 * 1024)
    publish_timeout_s: float = Field(default=5.0, gt=0, le=120)
    """How long a request waits for Kafka to acknowledge all its events before 503."""
    rate_per_s: float = Field(default=1000.0, gt=0)
    """Sustained events per second each API key may send."""
    burst: int = Field(default=5000, ge=1)
    """Events a key may send at once after a quiet spell (the token bucket's size)."""
    retry_after_s: int = Field(default=5, ge=1, le=3600)
    """``Retry-After`` of a 503 answer (a 429 answer computes its own from the bucket)."""
    linger_ms: int = Field(default=5, ge=0, le=1000)
    """Kafka producer batching delay: a little latency buys much throughput."""
    reconnect_s: float = Field(default=2.0, gt=0, le=300)
    """Pause between attempts to reach Kafka when it is down at start-up."""
    qsmo_refresh_s: float = Field(default=15.0, ge=0, le=3600)
    """How often to read the framework audit log for QSMOs added by admins (0: never; only
    the catalog's QSMOs are accepted then, and ingest needs no store)."""

    @model_validator(mode="after")
    def _burst_fits_a_full_request(self) -> Self:
        if self.burst < self.max_events:
            raise ValueError(
                f"QSMO_INGEST_BURST={self.burst} is below QSMO_INGEST_MAX_EVENTS="
                f"{self.max_events}: a full request could never pass the rate limit; "
                "raise the burst or lower max_events"
            )
        return self
