"""QSMO_OIDC_PROVIDERS parsing, and the authenticator that tries keys, then tokens."""

import json
import time

import pytest
from identity_unit_support import FakeProvider
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from shared.api_keys import ApiKeyFile, ApiKeyRing, Role, generate_development_keys
from shared.identity.bearer import BearerAuthenticator, build_authenticator
from shared.identity.metrics import IdentityMetrics
from shared.identity.refusals import RefusalReason, TokenRefused
from shared.identity.settings import IdentitySettings
from shared.settings import UnsafeInProductionError

UNKNOWN_KEY = "the API key is not known"


def settings_from(monkeypatch: pytest.MonkeyPatch, providers: object) -> IdentitySettings:
    monkeypatch.setenv("QSMO_OIDC_PROVIDERS", json.dumps(providers))
    return IdentitySettings()


def test_providers_come_from_json(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = settings_from(
        monkeypatch,
        [
            {"name": "local", "issuer": "http://127.0.0.1:8010", "audience": "urn:qsmo:api"},
            {
                "name": "agency",
                "issuer": "https://login.agency.gov/",
                "audience": "api://qsmo",
                "roles": {"claim": "roles", "admin": "QSMO.Admin"},
                "algorithms": ["PS256"],
                "leeway_s": 30,
            },
        ],
    )
    local, agency = settings.oidc_providers
    assert local.algorithms == ("RS256", "ES256")
    assert local.roles.claim == "groups"
    assert agency.roles.claim == "roles"
    assert agency.roles.viewer == "qsmo-viewers"
    assert agency.discovery_url == "https://login.agency.gov/.well-known/openid-configuration"
    assert settings.development_issuers() == ["http://127.0.0.1:8010"]


def test_no_providers_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QSMO_OIDC_PROVIDERS", raising=False)
    assert IdentitySettings().oidc_providers == ()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"algorithms": ["HS256"]}, "algorithms"),
        ({"algorithms": ["none"]}, "algorithms"),
        ({"algorithms": []}, "algorithms"),
        ({"issuer": "http://login.agency.gov"}, "https://"),
        ({"jwks_uri": "ftp://x/jwks"}, "jwks_uri"),
        ({"leeway_s": 3600}, "leeway_s"),
        ({"name": "Has Spaces"}, "name"),
        ({"audience": ""}, "audience"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_provider_settings_name_the_field(
    monkeypatch: pytest.MonkeyPatch, change: dict[str, object], words: str
) -> None:
    entry = {"name": "agency", "issuer": "https://login.agency.gov", "audience": "api://qsmo"}
    with pytest.raises(ValidationError, match=words):
        settings_from(monkeypatch, [{**entry, **change}])


def test_two_providers_with_one_issuer_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = {"issuer": "https://login.agency.gov", "audience": "api://qsmo"}
    with pytest.raises(ValidationError, match="share the issuer"):
        settings_from(monkeypatch, [{"name": "a", **entry}, {"name": "b", **entry}])


@pytest.fixture
def keys() -> tuple[dict[str, object], ApiKeyRing]:
    plaintext, key_file = generate_development_keys(["cybersecurity"])
    return plaintext, ApiKeyRing(ApiKeyFile(keys=key_file.keys))


def refusals(registry: CollectorRegistry, credential: str, reason: str) -> float:
    value = registry.get_sample_value(
        "qsmo_test_auth_refusals_total", {"credential": credential, "reason": reason}
    )
    return value or 0.0


async def test_keys_first_then_tokens_and_every_refusal_is_counted(
    keys: tuple[dict[str, object], ApiKeyRing], monkeypatch: pytest.MonkeyPatch
) -> None:
    plaintext, ring = keys
    idp = FakeProvider()
    registry = CollectorRegistry()
    settings = settings_from(monkeypatch, [idp.settings.model_dump()])
    auth = build_authenticator(ring, settings, IdentityMetrics(registry, "test"), idp.fetch_json)

    assert (await auth.authenticate(str(plaintext["admin"]), UNKNOWN_KEY)).role is Role.ADMIN
    now = int(time.time())  # build_authenticator verifies with the real clock
    token_principal = await auth.authenticate(idp.token(iat=now, exp=now + 60), UNKNOWN_KEY)
    assert token_principal.person is not None
    assert (
        registry.get_sample_value("qsmo_test_auth_tokens_accepted_total", {"provider": "agency"})
        == 1
    )

    with pytest.raises(TokenRefused) as unknown:
        await auth.authenticate("qsmo_admin_not-a-key", UNKNOWN_KEY)
    assert unknown.value.reason is RefusalReason.UNKNOWN_KEY
    assert unknown.value.message == UNKNOWN_KEY
    with pytest.raises(TokenRefused):
        await auth.authenticate(idp.token(iat=now - 900, exp=now - 600), UNKNOWN_KEY)
    auth.forbidden(token_principal)
    assert refusals(registry, "key", "unknown_key") == 1
    assert refusals(registry, "token", "expired") == 1
    assert refusals(registry, "token", "forbidden") == 1


async def test_without_providers_a_token_is_refused_as_not_configured(
    keys: tuple[dict[str, object], ApiKeyRing],
) -> None:
    _, ring = keys
    auth = BearerAuthenticator(ring)
    with pytest.raises(TokenRefused) as refused:
        await auth.authenticate(FakeProvider().token(), UNKNOWN_KEY)
    assert refused.value.reason is RefusalReason.NOT_CONFIGURED
    assert "QSMO_OIDC_PROVIDERS" in refused.value.message


def test_production_refuses_a_provider_on_this_machine(
    keys: tuple[dict[str, object], ApiKeyRing], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, ring = keys
    local = {"name": "local", "issuer": "http://127.0.0.1:8010", "audience": "urn:qsmo:api"}
    settings = settings_from(monkeypatch, [local])
    with pytest.raises(UnsafeInProductionError, match="QSMO_OIDC_PROVIDERS trusts http://127"):
        build_authenticator(ring, settings, None, environment="production")
    assert build_authenticator(ring, settings, None, environment="development").tokens
    agency = {"name": "agency", "issuer": "https://login.agency.gov", "audience": "api://qsmo"}
    production = settings_from(monkeypatch, [agency])
    assert build_authenticator(ring, production, None, environment="production").tokens
