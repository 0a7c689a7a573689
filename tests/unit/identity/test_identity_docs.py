"""docs/operations.md, "Identity", agrees with the code: its settings examples validate, its
claim table is what the mapping does, its refusal table names every reason, its defaults are
the settings' defaults. (The ``make token`` example runs in
tests/integration/gateway/test_gateway_sign_in.py.)"""

import re
from pathlib import Path

import pytest

from shared.api_keys import Role
from shared.identity.refusals import RefusalReason
from shared.identity.roles import RoleClaimMapping, grant_from_claims
from shared.identity.settings import (
    DashboardClientSettings,
    IdentitySettings,
    OidcProviderSettings,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
SECTION = DOC.read_text().split("\n## Identity\n")[1].split("\n## ")[0]
SH_BLOCKS = re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL)
SETTINGS = re.findall(r"^QSMO_OIDC_PROVIDERS='(.*)'$", "\n".join(SH_BLOCKS), re.MULTILINE)


def _table(heading: str) -> list[list[str]]:
    """The first table after ``heading`` (its rows, header and rule left out)."""
    lines = SECTION.split(heading)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


@pytest.mark.parametrize("value", SETTINGS)
def test_every_settings_example_validates(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("QSMO_OIDC_PROVIDERS", value)
    assert IdentitySettings().oidc_providers


def test_there_are_settings_examples() -> None:
    assert len(SETTINGS) >= 2


def test_the_claim_table_is_what_the_mapping_does() -> None:
    rows = _table("### Roles from claims")
    assert len(rows) == 4
    for value, role in rows:
        claim = value.strip("`").replace("<qsmo>", "cybersecurity").replace("<provider>", "x")
        granted = grant_from_claims({"groups": [claim]}, RoleClaimMapping())
        assert granted.role is Role(role.split()[0]), value


def test_the_refusal_table_names_every_reason() -> None:
    rows = _table("### Refusals")
    named = {reason for row in rows for reason in re.findall(r"`([a-z_]+)`", row[2])}
    assert named == {r.value for r in RefusalReason} - {"unknown_key"}
    assert 'reason="unknown_key"' in SECTION
    for row in rows:
        status = (
            403
            if set(re.findall(r"`([a-z_]+)`", row[2]))
            & {
                "no_role",
                "ambiguous_role",
                "forbidden",
            }
            else 401
        )
        assert row[1] == str(status), row


def test_the_documented_defaults_are_the_settings_defaults() -> None:
    fields = {row[0].strip("`"): row[1] for row in _table("### Configuration")}
    defaults = OidcProviderSettings.model_fields
    assert fields["algorithms"] == '`["RS256", "ES256"]`'
    assert defaults["algorithms"].default == ("RS256", "ES256")
    assert fields["leeway_s"] == str(defaults["leeway_s"].default)
    for name in ("jwks_max_age_s", "jwks_min_refetch_s", "fetch_timeout_s"):
        default = IdentitySettings.model_fields[f"oidc_{name}"].default
        assert f"`QSMO_OIDC_{name.upper()}` ({default:g})" in SECTION, name


def test_the_dashboard_client_table_is_the_settings() -> None:
    rows = {row[0].strip("`"): row[1] for row in _table("### The dashboard's sign-in")}
    fields = DashboardClientSettings.model_fields
    assert set(rows) == set(fields)
    assert rows["scope"] == f"`{fields['scope'].default}`"
    assert rows["label"] == f"`{fields['label'].default}`"
    assert rows["resource"] == "none"
    assert fields["resource"].default is None
    assert rows["client_id"] == "—"
    assert fields["client_id"].is_required()


def test_a_settings_example_registers_the_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    with_dashboard = [value for value in SETTINGS if '"dashboard"' in value]
    assert with_dashboard
    monkeypatch.setenv("QSMO_OIDC_PROVIDERS", with_dashboard[0])
    dashboard = IdentitySettings().oidc_providers[0].dashboard
    assert dashboard is not None
    assert "offline_access" in dashboard.scope.split()
