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


def test_smtp_settings_reach_the_email_channel_and_the_password_never_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.notifications.bootstrap import smtp_config

    monkeypatch.setenv("QSMO_NOTIFICATIONS_SMTP_HOST", "mail.example.gov")
    monkeypatch.setenv("QSMO_NOTIFICATIONS_SMTP_USERNAME", "qsmo")
    monkeypatch.setenv("QSMO_NOTIFICATIONS_SMTP_PASSWORD", "smtp-password-0123")
    settings = NotificationsSettings()
    config = smtp_config(settings)
    assert (config.host, config.port, config.starttls) == ("mail.example.gov", 587, True)
    assert (config.username, config.password) == ("qsmo", "smtp-password-0123")
    assert "smtp-password-0123" not in repr(settings) + repr(config)
    assert NotificationsSettings().reviews_topic == "qsmo.reviews.v1"


def test_smtp_without_starttls_is_refused_in_production() -> None:
    with pytest.raises(ValueError, match="SMTP_STARTTLS=false"):
        build(
            NotificationsSettings(smtp_host="mail.example.gov", smtp_starttls=False),
            PlatformSettings(environment="production"),
        )
    build(NotificationsSettings(smtp_host="localhost", smtp_starttls=False), PlatformSettings())
