"""Platform settings come from QSMO_* variables, with safe local defaults."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.settings import PlatformSettings


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
