"""Settings: defaults, the env prefix, and the production SSRF guard."""

import pytest

from services.notifications.bootstrap import build
from services.notifications.settings import NotificationsSettings
from shared.settings import PlatformSettings


def test_defaults_and_env_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    assert NotificationsSettings().port == 8004
    monkeypatch.setenv("QSMO_NOTIFICATIONS_COOLDOWN_S", "5")
    monkeypatch.setenv("QSMO_NOTIFICATIONS_ALLOW_PRIVATE_WEBHOOKS", "true")
    settings = NotificationsSettings()
    assert settings.cooldown_s == 5
    assert settings.allow_private_webhooks


def test_private_webhooks_are_refused_in_production() -> None:
    with pytest.raises(ValueError, match="ALLOW_PRIVATE_WEBHOOKS"):
        build(
            NotificationsSettings(allow_private_webhooks=True),
            PlatformSettings(environment="production"),
        )
