"""Platform settings come from QSMO_* variables, with safe local defaults; production refuses
the development-only ones (the check every composition root calls)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.measures.settings import MeasuresSettings
from shared.api_keys import (
    ApiKeyEntry,
    ApiKeyFile,
    ApiKeyRing,
    Role,
    generate_development_keys,
    hash_key,
)
from shared.settings import (
    Environment,
    PlatformSettings,
    UnsafeInProductionError,
    refuse_unsafe_in_production,
)


def test_defaults_point_at_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "QSMO_KAFKA_BOOTSTRAP",
        "QSMO_MONGO_URL",
        "QSMO_API_KEYS_FILE",
        "QSMO_ENVIRONMENT",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = PlatformSettings()
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.mongo_url == "mongodb://127.0.0.1:27017"
    assert settings.environment == "development"


def test_environment_variables_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSMO_KAFKA_BOOTSTRAP", "broker:29092")
    monkeypatch.setenv("QSMO_API_KEYS_FILE", "/etc/qsmo/keys.json")
    monkeypatch.setenv("QSMO_TOPIC_PARTITIONS", "12")
    settings = PlatformSettings()
    assert settings.kafka_bootstrap == "broker:29092"
    assert settings.api_keys_file == Path("/etc/qsmo/keys.json")
    assert settings.topic_partitions == 12


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSMO_ENVIRONMENT", "staging")
    with pytest.raises(ValidationError, match="environment"):
        PlatformSettings()


def test_measures_batches_fill_from_a_backlog_and_linger_briefly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QSMO_MEASURES_MAX_BATCH_RECORDS", raising=False)
    monkeypatch.delenv("QSMO_MEASURES_BATCH_LINGER_MS", raising=False)
    defaults = MeasuresSettings()
    assert (defaults.max_batch_records, defaults.batch_linger_ms) == (5_000, 50)
    monkeypatch.setenv("QSMO_MEASURES_BATCH_LINGER_MS", "2000")  # would delay every value 2 s
    with pytest.raises(ValidationError, match="batch_linger_ms"):
        MeasuresSettings()


def _ring(*ids: str) -> ApiKeyRing:
    return ApiKeyRing(
        ApiKeyFile(
            keys=[
                ApiKeyEntry(id=key_id, sha256=hash_key(key_id), role=Role.VIEWER) for key_id in ids
            ]
        )
    )


PRODUCTION = PlatformSettings(environment="production")


def test_production_refuses_development_keys_naming_them_and_the_fix() -> None:
    _plaintext, key_file = generate_development_keys(["cybersecurity"])
    with pytest.raises(UnsafeInProductionError) as refused:
        refuse_unsafe_in_production(PRODUCTION, key_ring=ApiKeyRing(key_file))
    message = str(refused.value)
    assert "holds development keys (dev-admin, dev-publisher-cybersecurity, dev-viewer)" in message
    assert "QSMO_API_KEYS_FILE" in message
    assert "docs/operations.md" in message


def test_production_refuses_private_webhooks() -> None:
    with pytest.raises(UnsafeInProductionError, match="ALLOW_PRIVATE_WEBHOOKS=true is refused"):
        refuse_unsafe_in_production(PRODUCTION, allow_private_webhooks=True)


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_settings_pass_outside_production(environment: Environment) -> None:
    _plaintext, key_file = generate_development_keys(["cybersecurity"])
    refuse_unsafe_in_production(
        PlatformSettings(environment=environment),
        key_ring=ApiKeyRing(key_file),
        allow_private_webhooks=True,
    )


def test_production_keys_pass_in_production() -> None:
    refuse_unsafe_in_production(
        PRODUCTION,
        key_ring=_ring("admin-2026-01", "viewer-osspi-2026-01"),
        allow_private_webhooks=False,
    )
    with pytest.raises(UnsafeInProductionError, match=r"\(dev-a, dev-b, dev-c, …\)"):
        refuse_unsafe_in_production(
            PRODUCTION, key_ring=_ring("ok", "dev-a", "dev-b", "dev-c", "dev-d")
        )
