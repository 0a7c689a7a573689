"""The authorization policy: every role × permission × own / other / no QSMO, as one table.

The table is written out by hand (not derived from ``POLICY``): a change to the policy must
change this table too, so the reviewer sees it.
"""

import pytest

from shared.api_keys import Principal, Role
from shared.authorization import (
    Permission,
    PermissionDenied,
    allows,
    allows_for_provider,
    allows_some,
    provider_filter,
    qsmo_filter,
    require,
    require_for_provider,
    require_some,
)

OWN, OTHER = "cybersecurity", "grants-management"
ADMIN = Principal(key_id="k-admin", role=Role.ADMIN)
PUBLISHER = Principal(key_id="k-pub", role=Role.PUBLISHER, qsmo=OWN)
VIEWER = Principal(key_id="k-viewer", role=Role.VIEWER)
PROVIDER = Principal(key_id="k-prov", role=Role.PROVIDER, provider="treasury-arc")
PRINCIPALS = {"admin": ADMIN, "publisher": PUBLISHER, "viewer": VIEWER, "provider": PROVIDER}
QSMOS = {"own": OWN, "other": OTHER, "none": None}
"""``own``: the publisher's QSMO; ``none``: every QSMO at once, or a government-wide object."""
QSMOS_INDEX = {where: index for index, where in enumerate(QSMOS)}

# permission: {role: "own other none"}, Y allowed, n refused
TABLE: dict[Permission, dict[str, str]] = {
    Permission.READ: {"admin": "YYY", "publisher": "YYY", "viewer": "YYY", "provider": "YYY"},
    Permission.PUBLISH_EVENTS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.ADD_COMMENTARY: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.MANAGE_IMPROVEMENT_ACTIONS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.MANAGE_SUBSCRIPTIONS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.ACKNOWLEDGE_NOTIFICATIONS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.READ_DELIVERIES: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.CHANGE_FRAMEWORK: {
        "admin": "YYY",
        "publisher": "nnn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.FILL_PROVIDER_TOOLS: {
        "admin": "YYY",
        "publisher": "nnn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.REVIEW_PROVIDER_SUBMISSIONS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.MANAGE_SURVEYS: {
        "admin": "YYY",
        "publisher": "nnn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.MANAGE_REVIEWS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.PROPOSE_REVISIONS: {
        "admin": "YYY",
        "publisher": "Ynn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.DECIDE_REVISIONS: {
        "admin": "YYY",
        "publisher": "nnn",
        "viewer": "nnn",
        "provider": "nnn",
    },
    Permission.MANAGE_STAKEHOLDERS: {
        "admin": "YYY",
        "publisher": "nnn",
        "viewer": "nnn",
        "provider": "nnn",
    },
}
"""By QSMO. Provider-scoped permissions by provider: ``PROVIDER_TABLE``."""

OWN_PROVIDER, OTHER_PROVIDER = "treasury-arc", "hhs-grantsolutions"
PROVIDER_QSMOS = {OWN_PROVIDER: [OWN, "financial-management"], OTHER_PROVIDER: [OTHER]}
"""The test's providers: the publisher's QSMO offers ``OWN_PROVIDER``, not ``OTHER_PROVIDER``."""
# permission: {role: "own other"} by provider (own: the provider key's own; for publishers,
# a provider its QSMO offers), Y allowed, n refused
PROVIDER_TABLE: dict[Permission, dict[str, str]] = {
    permission: {"admin": "YY", "publisher": "nn", "viewer": "nn", "provider": "nn"}
    for permission in Permission
} | {
    Permission.READ: {"admin": "YY", "publisher": "YY", "viewer": "YY", "provider": "YY"},
    Permission.FILL_PROVIDER_TOOLS: {
        "admin": "YY",
        "publisher": "nn",
        "viewer": "nn",
        "provider": "Yn",
    },
    Permission.REVIEW_PROVIDER_SUBMISSIONS: {
        "admin": "YY",
        "publisher": "Yn",
        "viewer": "nn",
        "provider": "nn",
    },
    **{
        p: {"admin": "YY", "publisher": "Yn", "viewer": "nn", "provider": "nn"}
        for p in (
            Permission.PUBLISH_EVENTS,
            Permission.ADD_COMMENTARY,
            Permission.MANAGE_IMPROVEMENT_ACTIONS,
            Permission.MANAGE_SUBSCRIPTIONS,
            Permission.ACKNOWLEDGE_NOTIFICATIONS,
            Permission.READ_DELIVERIES,
            Permission.MANAGE_REVIEWS,
            Permission.PROPOSE_REVISIONS,
        )
    },
}

CELLS = [
    (permission, role, where, row[role][index] == "Y")
    for permission, row in TABLE.items()
    for role in PRINCIPALS
    for index, where in enumerate(QSMOS)
]


def test_the_table_covers_every_permission_and_role() -> None:
    assert set(TABLE) == set(Permission)
    assert all(set(row) == {r.value for r in Role} for row in TABLE.values())


@pytest.mark.parametrize(("permission", "role", "where", "expected"), CELLS)
def test_policy_cell(permission: Permission, role: str, where: str, expected: bool) -> None:
    principal, qsmo = PRINCIPALS[role], QSMOS[where]
    assert allows(principal, permission, qsmo) is expected
    if expected:
        require(principal, permission, qsmo)
        return
    with pytest.raises(PermissionDenied) as denied:
        require(principal, permission, qsmo)
    assert (denied.value.key_id, denied.value.role) == (principal.key_id, principal.role)
    assert (denied.value.permission, denied.value.qsmo) == (permission, qsmo)
    assert f"key '{principal.key_id}'" in str(denied.value)
    assert "admin key" in str(denied.value)  # what is needed


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(PRINCIPALS))
def test_some_qsmo_and_list_filters_follow_the_table(permission: Permission, role: str) -> None:
    principal = PRINCIPALS[role]
    row = TABLE[permission][role]
    if "Y" in PROVIDER_TABLE[permission][role][:1] and "Y" not in row:  # reaches its provider
        assert allows_some(principal, permission)
        assert provider_filter(principal, permission) == principal.provider
        with pytest.raises(PermissionDenied, match="provider_filter"):
            qsmo_filter(principal, permission)
        return
    assert allows_some(principal, permission) is ("Y" in row)
    if "Y" not in row:
        with pytest.raises(PermissionDenied, match=f"is a {role} key; it may not"):
            qsmo_filter(principal, permission)
        with pytest.raises(PermissionDenied):
            require_some(principal, permission)
        return
    require_some(principal, permission)
    narrowed = None if row[QSMOS_INDEX["other"]] == "Y" else principal.qsmo
    assert qsmo_filter(principal, permission) == narrowed


def test_refusals_name_the_key_its_role_and_what_is_needed() -> None:
    with pytest.raises(PermissionDenied) as framework:
        require(PUBLISHER, Permission.CHANGE_FRAMEWORK, OWN, action="set targets")
    assert (
        str(framework.value) == "key 'k-pub' is a publisher key; only admin keys may set targets."
    )
    with pytest.raises(PermissionDenied) as other:
        require(PUBLISHER, Permission.ADD_COMMENTARY, OTHER)
    assert str(other.value) == (
        "key 'k-pub' may not add commentary for QSMO 'grants-management': that needs an admin "
        "key or the publisher key of 'grants-management'."
    )
    with pytest.raises(PermissionDenied) as everyone:
        require(PUBLISHER, Permission.MANAGE_SUBSCRIPTIONS, None)
    assert str(everyone.value) == (
        "key 'k-pub' may not manage notification subscriptions for all QSMOs or "
        "government-wide: that needs an admin key."
    )
    with pytest.raises(PermissionDenied) as viewer:
        require_some(VIEWER, Permission.PUBLISH_EVENTS)
    assert str(viewer.value) == "key 'k-viewer' is a viewer key; it may not publish events."


@pytest.mark.parametrize("permission", list(Permission))
@pytest.mark.parametrize("role", list(PRINCIPALS))
def test_provider_scoped_cells(permission: Permission, role: str) -> None:
    principal = PRINCIPALS[role]
    for index, provider in enumerate((OWN_PROVIDER, OTHER_PROVIDER)):
        expected = PROVIDER_TABLE[permission][role][index] == "Y"
        qsmos = PROVIDER_QSMOS[provider]
        assert allows_for_provider(principal, permission, provider, qsmos) is expected
        if expected:
            require_for_provider(principal, permission, provider, qsmos)
            continue
        with pytest.raises(PermissionDenied) as denied:
            require_for_provider(principal, permission, provider, qsmos)
        assert f"key '{principal.key_id}'" in str(denied.value)
        assert f"provider '{provider}'" in str(denied.value)
        assert "an admin key" in str(denied.value)


def test_a_provider_refusal_says_who_may() -> None:
    with pytest.raises(PermissionDenied) as denied:
        require_for_provider(
            PROVIDER, Permission.FILL_PROVIDER_TOOLS, OTHER_PROVIDER, [OTHER], action="submit"
        )
    assert str(denied.value) == (
        "key 'k-prov' (provider) may not submit for provider 'hhs-grantsolutions': that needs "
        "an admin key or that provider's own key."
    )
