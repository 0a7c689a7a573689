"""``viewer`` for a provider key: its role and the provider it acts for (the dashboard asks
``viewer`` first; a provider key used to make it fail)."""

from gateway_unit_support import build_harness, principal

from gateway.context import Caller, GatewayContext
from shared.api_keys import Principal, Role

VIEWER = "{ viewer { keyId role qsmoId providerId } }"


async def test_a_provider_key_is_a_provider_viewer_of_its_provider() -> None:
    harness = build_harness()
    caller = Caller(
        Principal(key_id="dev-provider-doi-ibc", role=Role.PROVIDER, provider="doi-ibc")
    )
    result = await harness.schema.execute(
        VIEWER, context_value=GatewayContext(harness.runtime, caller)
    )
    assert result.errors is None, result.errors
    assert result.data == {
        "viewer": {
            "keyId": "dev-provider-doi-ibc",
            "role": "PROVIDER",
            "qsmoId": None,
            "providerId": "doi-ibc",
        }
    }


async def test_other_keys_have_no_provider() -> None:
    harness = build_harness()
    for who, role in (("admin", "ADMIN"), ("viewer", "VIEWER"), ("pub:cybersecurity", "PUBLISHER")):
        data = await harness.data(VIEWER, who=who)
        assert data["viewer"]["role"] == role
        assert data["viewer"]["providerId"] is None
    assert principal("pub:cybersecurity").qsmo == "cybersecurity"
