"""Roles from claims: the pure mapping from a token's claim (``groups``) to a role and scope.

With the default names, the values of the claim map as follows (the highest role wins):

======================================  ==========================================
claim value                             role
======================================  ==========================================
``qsmo-admins``                         admin (every QSMO)
``qsmo-publishers-<qsmo id>``           publisher of that QSMO
``qsmo-provider-<provider id>``         provider (that provider's own tools)
``qsmo-viewers``                        viewer (reads)
======================================  ==========================================

Two publisher (or two provider) values and nothing higher are ambiguous — a principal acts for
one QSMO — and refused, as are claims naming no role. No I/O, no clock.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from shared.api_keys import Role
from shared.identity.refusals import RefusalReason, TokenRefused


class RoleClaimMapping(BaseModel):
    """Which claim holds the person's groups, and the names that mean each role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str = Field(default="groups", min_length=1)
    admin: str = Field(default="qsmo-admins", min_length=1)
    viewer: str = Field(default="qsmo-viewers", min_length=1)
    publisher_prefix: str = Field(default="qsmo-publishers-", min_length=1)
    provider_prefix: str = Field(default="qsmo-provider-", min_length=1)

    def names(self) -> str:
        """The values that grant a role, for messages."""
        return (
            f"'{self.admin}', '{self.publisher_prefix}<qsmo>', "
            f"'{self.provider_prefix}<provider>' or '{self.viewer}'"
        )


@dataclass(frozen=True)
class RoleGrant:
    """A role and its scope (``qsmo`` for publishers, ``provider`` for providers)."""

    role: Role
    qsmo: str | None = None
    provider: str | None = None


def claim_values(claims: Mapping[str, object], claim: str) -> frozenset[str]:
    """The string values of ``claim``: a list of strings, or one space-separated string
    (some providers send ``"a b"``); anything else counts as no value."""
    value = claims.get(claim)
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list | tuple):
        return frozenset(item for item in value if isinstance(item, str))
    return frozenset()


def _scoped(values: frozenset[str], prefix: str) -> list[str]:
    return sorted(value[len(prefix) :] for value in values if value.startswith(prefix))


def grant_from_claims(claims: Mapping[str, object], mapping: RoleClaimMapping) -> RoleGrant:
    """The highest role the claims grant.

    Raises ``TokenRefused`` (``NO_ROLE``) when no value maps to a role, and
    (``AMBIGUOUS_ROLE``) when the highest role is scoped to two QSMOs or providers.
    Values are compared exactly (case matters); an empty scope (``qsmo-publishers-``) is none.
    """
    values = claim_values(claims, mapping.claim)
    if mapping.admin in values:
        return RoleGrant(Role.ADMIN)
    for role, prefix, scope in (
        (Role.PUBLISHER, mapping.publisher_prefix, "QSMOs"),
        (Role.PROVIDER, mapping.provider_prefix, "providers"),
    ):
        scopes = [s for s in _scoped(values, prefix) if s]
        if len(scopes) > 1:
            raise TokenRefused(
                RefusalReason.AMBIGUOUS_ROLE,
                f"the token's '{mapping.claim}' claim makes its holder a {role.value} of "
                f"{len(scopes)} {scope} ({', '.join(scopes)}); a person acts for one at a "
                "time: ask the identity team to keep one of these groups.",
            )
        if scopes:
            return RoleGrant(
                role,
                qsmo=scopes[0] if role is Role.PUBLISHER else None,
                provider=scopes[0] if role is Role.PROVIDER else None,
            )
    if mapping.viewer in values:
        return RoleGrant(Role.VIEWER)
    held = f"holds {len(values)} values" if values else "is missing or empty"
    raise TokenRefused(
        RefusalReason.NO_ROLE,
        f"the token's '{mapping.claim}' claim {held}, none of which is a QSMO platform role; "
        f"ask the identity team for one of {mapping.names()}.",
    )
