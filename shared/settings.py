"""Settings every service shares, read from ``QSMO_*`` environment variables.

Each service adds its own settings class with its own prefix (``QSMO_INGEST_`` …); the
composition root (``bootstrap.py``) builds both once. Nothing here connects anywhere.
"""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


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


class ServiceSettings(BaseSettings):
    """Base of a service's own settings: where it listens."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
