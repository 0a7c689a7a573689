"""The claim → role mapping: a table of claims and the role (or refusal) each gives."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.api_keys import Principal, Role
from shared.authorization import Permission, allows, allows_for_provider
from shared.identity.refusals import RefusalReason, TokenRefused
from shared.identity.roles import RoleClaimMapping, RoleGrant, claim_values, grant_from_claims

DEFAULT = RoleClaimMapping()
ADMIN, VIEWER = "qsmo-admins", "qsmo-viewers"
PUB = "qsmo-publishers-"
PROV = "qsmo-provider-"

TABLE: list[tuple[object, RoleGrant | RefusalReason]] = [
    ([ADMIN], RoleGrant(Role.ADMIN)),
    ([VIEWER], RoleGrant(Role.VIEWER)),
    ([f"{PUB}cybersecurity"], RoleGrant(Role.PUBLISHER, qsmo="cybersecurity")),
    ([f"{PROV}usda-nfc"], RoleGrant(Role.PROVIDER, provider="usda-nfc")),
    # the highest role wins
    ([VIEWER, f"{PUB}cybersecurity"], RoleGrant(Role.PUBLISHER, qsmo="cybersecurity")),
    ([f"{PUB}grants-management", ADMIN, VIEWER], RoleGrant(Role.ADMIN)),
    (
        [f"{PROV}usda-nfc", f"{PUB}grants-management"],
        RoleGrant(Role.PUBLISHER, qsmo="grants-management"),
    ),
    ([VIEWER, f"{PROV}usda-nfc"], RoleGrant(Role.PROVIDER, provider="usda-nfc")),
    # one space-separated string is several values
    (f"{VIEWER} {PUB}cybersecurity", RoleGrant(Role.PUBLISHER, qsmo="cybersecurity")),
    # two scopes of the highest role: ambiguous
    ([f"{PUB}cybersecurity", f"{PUB}grants-management"], RefusalReason.AMBIGUOUS_ROLE),
    ([f"{PROV}usda-nfc", f"{PROV}doi-ibc", VIEWER], RefusalReason.AMBIGUOUS_ROLE),
    # ... unless a higher role settles it
    ([ADMIN, f"{PUB}cybersecurity", f"{PUB}grants-management"], RoleGrant(Role.ADMIN)),
    # nothing that maps
    (["payroll-clerks"], RefusalReason.NO_ROLE),
    ([], RefusalReason.NO_ROLE),
    (None, RefusalReason.NO_ROLE),
    ({"admin": True}, RefusalReason.NO_ROLE),
    ([PUB], RefusalReason.NO_ROLE),  # a prefix without a scope
    (["QSMO-ADMINS"], RefusalReason.NO_ROLE),  # exact, case-sensitive
    ([f"x-{ADMIN}"], RefusalReason.NO_ROLE),
    ([1, None, {"x": ADMIN}], RefusalReason.NO_ROLE),
]


@pytest.mark.parametrize(("groups", "expected"), TABLE)
def test_groups_map_to_the_highest_role(
    groups: object, expected: RoleGrant | RefusalReason
) -> None:
    claims = {} if groups is None else {"groups": groups}
    if isinstance(expected, RoleGrant):
        assert grant_from_claims(claims, DEFAULT) == expected
        return
    with pytest.raises(TokenRefused) as refused:
        grant_from_claims(claims, DEFAULT)
    assert refused.value.reason is expected
    assert refused.value.status == 403
    assert "groups" in refused.value.message


def test_the_refusal_names_the_groups_to_ask_for_but_never_echoes_the_values() -> None:
    with pytest.raises(TokenRefused) as refused:
        grant_from_claims({"groups": ["secret-project-x"]}, DEFAULT)
    assert "secret-project-x" not in refused.value.message
    assert "'qsmo-admins'" in refused.value.message
    assert "qsmo-viewers" in refused.value.message


def test_the_claim_and_the_names_are_configurable() -> None:
    entra = RoleClaimMapping(
        claim="roles",
        admin="QSMO.Admin",
        viewer="QSMO.Read",
        publisher_prefix="QSMO.Publish.",
        provider_prefix="QSMO.Provider.",
    )
    claims = {"roles": ["QSMO.Publish.grants-management"], "groups": [ADMIN]}
    assert grant_from_claims(claims, entra) == RoleGrant(Role.PUBLISHER, qsmo="grants-management")
    with pytest.raises(TokenRefused):
        grant_from_claims({"groups": [ADMIN]}, entra)


@pytest.mark.parametrize("field", ["claim", "admin", "viewer", "publisher_prefix"])
def test_an_empty_name_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RoleClaimMapping.model_validate({field: ""})


def test_claim_values_accepts_lists_and_strings_only() -> None:
    assert claim_values({"g": ["a", "b", 3]}, "g") == {"a", "b"}
    assert claim_values({"g": "a  b"}, "g") == {"a", "b"}
    assert claim_values({"g": 7}, "g") == frozenset()


group = st.one_of(
    st.sampled_from([ADMIN, VIEWER, f"{PUB}cybersecurity", f"{PROV}usda-nfc", "other"]),
    st.text(max_size=20),
)


def _outcome(groups: list[str]) -> RoleGrant | RefusalReason:
    try:
        return grant_from_claims({"groups": groups}, DEFAULT)
    except TokenRefused as refused:
        return refused.reason


@given(st.lists(group, max_size=6), st.randoms())
def test_the_order_of_the_groups_never_matters(groups: list[str], rnd: random.Random) -> None:
    shuffled = list(groups)
    rnd.shuffle(shuffled)
    assert _outcome(shuffled) == _outcome(groups)


@given(st.lists(group, max_size=6))
def test_no_role_is_granted_that_no_group_names(groups: list[str]) -> None:
    outcome = _outcome(groups)
    if not isinstance(outcome, RoleGrant):
        return
    named = {
        Role.ADMIN: ADMIN in groups,
        Role.PUBLISHER: any(g.startswith(PUB) and len(g) > len(PUB) for g in groups),
        Role.PROVIDER: any(g.startswith(PROV) and len(g) > len(PROV) for g in groups),
        Role.VIEWER: VIEWER in groups,
    }
    assert named[outcome.role]


# A token and a key with the same role get exactly the same answers from the one policy.
def _as_key(grant: RoleGrant) -> Principal:
    return Principal(key_id="k", role=grant.role, qsmo=grant.qsmo, provider=grant.provider)


@pytest.mark.parametrize(
    "groups",
    [[ADMIN], [VIEWER], [f"{PUB}cybersecurity"], [f"{PROV}usda-nfc"]],
)
def test_a_mapped_token_and_a_key_get_the_same_policy_answers(groups: list[str]) -> None:
    from shared.api_keys import Person

    grant = grant_from_claims({"groups": groups}, DEFAULT)
    key = _as_key(grant)
    token = key.model_copy(
        update={"key_id": "oidc:local:x", "person": Person(sub="x", issuer="https://idp")}
    )
    for permission in Permission:
        for qsmo in ("cybersecurity", "grants-management", None):
            assert allows(token, permission, qsmo) == allows(key, permission, qsmo)
        for provider in ("usda-nfc", "doi-ibc"):
            assert allows_for_provider(token, permission, provider, ["cybersecurity"]) == (
                allows_for_provider(key, permission, provider, ["cybersecurity"])
            )
