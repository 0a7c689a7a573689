"""Gateway settings: built once by the composition root, and refused in production when they
hold what only a developer's machine may (development keys, private webhook targets)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gateway_unit_support import key_ring

from gateway.bootstrap import create_app
from gateway.settings import GatewaySettings
from shared.api_keys import ApiKeyRing, generate_development_keys
from shared.settings import PlatformSettings, UnsafeInProductionError

REPO = Path(__file__).resolve().parents[3]
PRODUCTION = PlatformSettings(environment="production")


def test_the_webhook_switch_is_the_notifications_services_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS", raising=False)
    assert not GatewaySettings().allow_private_webhooks
    monkeypatch.setenv("QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS", "true")
    assert GatewaySettings().allow_private_webhooks


def test_production_refuses_development_keys_at_build() -> None:
    _plaintext, key_file = generate_development_keys(["cybersecurity"])
    with pytest.raises(UnsafeInProductionError, match="holds development keys"):
        create_app(GatewaySettings(), PRODUCTION, key_ring=ApiKeyRing(key_file))


def test_production_refuses_private_webhooks_at_build() -> None:
    with pytest.raises(UnsafeInProductionError, match="ALLOW_PRIVATE_WEBHOOKS=true is refused"):
        create_app(GatewaySettings(allow_private_webhooks=True), PRODUCTION, key_ring=key_ring())


def test_production_with_development_keys_does_not_start(tmp_path: Path) -> None:
    _plaintext, key_file = generate_development_keys(["cybersecurity"])
    (tmp_path / "keys.json").write_text(key_file.model_dump_json())
    env = {
        **os.environ,
        "QSMO_API_KEYS_FILE": str(tmp_path / "keys.json"),
        "QSMO_ENVIRONMENT": "production",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gateway"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert "holds development keys (dev-admin, dev-publisher-cybersecurity" in line["msg"]


def test_review_settings_have_safe_defaults_and_refuse_a_bad_public_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = GatewaySettings()
    assert settings.reviews_topic == "qsmo.reviews.v1"
    assert (settings.packet_interval_s, settings.packet_processes) == (1.0, 1)
    assert (settings.packet_lease_s, settings.public_url) == (120.0, None)
    monkeypatch.setenv("QSMO_GATEWAY_PUBLIC_URL", "https://qsmo.example.gov")
    assert GatewaySettings().public_url == "https://qsmo.example.gov"
    monkeypatch.setenv("QSMO_GATEWAY_PUBLIC_URL", "qsmo.example.gov")
    with pytest.raises(ValueError, match="public_url"):
        GatewaySettings()
