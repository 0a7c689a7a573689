"""Who may do what: the platform's one authorization policy, as a table.

Three roles (``shared.api_keys.Role``): an admin key may do everything for every QSMO, a
publisher key writes for its one QSMO, a viewer key reads. ``POLICY`` says, for every
permission the product has and every role, how far the role reaches:

- ``Reach.EVERY_QSMO``: for any QSMO, for several at once and for government-wide objects;
- ``Reach.OWN_QSMO``: only for the QSMO the key is scoped to (never government-wide);
- ``Reach.NONE``: not at all.

Ingest, the gateway and the notifications service ask ``allows``/``require`` (one QSMO or
none), ``allows_some``/``require_some`` (before the QSMO is known) or ``qsmo_filter`` (what a
list may show); none of them compares roles itself. ``PermissionDenied`` names the key, its
role and what is needed; each caller turns it into its own error (HTTP 403, ``FORBIDDEN``).
"""

from collections.abc import Mapping
from enum import Enum, StrEnum
from types import MappingProxyType

from shared.api_keys import Principal, Role


class Permission(StrEnum):
    """Everything a key may be allowed to do; the value is how messages name it."""

    READ = "read"
    """Scorecards, measure values, the framework and its audit log, notifications,
    commentary and improvement actions."""
    PUBLISH_EVENTS = "publish events"
    ADD_COMMENTARY = "add commentary"
    MANAGE_IMPROVEMENT_ACTIONS = "manage improvement actions"
    """Create an improvement action, change its status."""
    MANAGE_SUBSCRIPTIONS = "manage notification subscriptions"
    """Create, list and delete webhook subscriptions."""
    ACKNOWLEDGE_NOTIFICATIONS = "acknowledge notifications"
    READ_DELIVERIES = "see webhook deliveries"
    CHANGE_FRAMEWORK = "change the framework"
    """Targets, weights, baselines, dimension adoption, added QSMOs."""


class Reach(Enum):
    """How far a role holds a permission."""

    NONE = "none"
    OWN_QSMO = "own QSMO"
    EVERY_QSMO = "every QSMO"


def _row(admin: Reach, publisher: Reach, viewer: Reach) -> Mapping[Role, Reach]:
    return MappingProxyType({Role.ADMIN: admin, Role.PUBLISHER: publisher, Role.VIEWER: viewer})


_READER = _row(Reach.EVERY_QSMO, Reach.EVERY_QSMO, Reach.EVERY_QSMO)
_QSMO_WRITER = _row(Reach.EVERY_QSMO, Reach.OWN_QSMO, Reach.NONE)
_ADMIN = _row(Reach.EVERY_QSMO, Reach.NONE, Reach.NONE)

POLICY: Mapping[Permission, Mapping[Role, Reach]] = MappingProxyType(
    {
        Permission.READ: _READER,
        Permission.PUBLISH_EVENTS: _QSMO_WRITER,
        Permission.ADD_COMMENTARY: _QSMO_WRITER,
        Permission.MANAGE_IMPROVEMENT_ACTIONS: _QSMO_WRITER,
        Permission.MANAGE_SUBSCRIPTIONS: _QSMO_WRITER,
        Permission.ACKNOWLEDGE_NOTIFICATIONS: _QSMO_WRITER,
        Permission.READ_DELIVERIES: _QSMO_WRITER,
        Permission.CHANGE_FRAMEWORK: _ADMIN,
    }
)


class PermissionDenied(Exception):  # noqa: N818 - a refusal, not a fault
    """The key may not do this; ``str()`` names the key, its role and what is needed."""

    def __init__(
        self, principal: Principal, permission: Permission, qsmo: str | None, message: str
    ) -> None:
        super().__init__(message)
        self.key_id = principal.key_id
        self.role = principal.role
        self.permission = permission
        self.qsmo = qsmo
        self.message = message


def _admins_only(permission: Permission) -> bool:
    """True if no role but admin holds ``permission`` at all."""
    row = POLICY[permission]
    return all(row[role] is Reach.NONE for role in Role if role is not Role.ADMIN)


def reach(principal: Principal, permission: Permission) -> Reach:
    """How far ``principal``'s role holds ``permission``."""
    return POLICY[permission][principal.role]


def allows(principal: Principal, permission: Permission, qsmo: str | None = None) -> bool:
    """True if the key may do it for ``qsmo`` (None: for every QSMO, or government-wide)."""
    granted = reach(principal, permission)
    if granted is Reach.OWN_QSMO:
        return qsmo is not None and qsmo == principal.qsmo
    return granted is Reach.EVERY_QSMO


def allows_some(principal: Principal, permission: Permission) -> bool:
    """True if the key may do it for at least one QSMO (asked before the QSMO is known)."""
    return reach(principal, permission) is not Reach.NONE


def require(
    principal: Principal,
    permission: Permission,
    qsmo: str | None = None,
    *,
    action: str | None = None,
) -> None:
    """Return if ``allows``; else raise ``PermissionDenied``.

    ``action`` words the refusal ("set targets"); it defaults to the permission's name.
    """
    if allows(principal, permission, qsmo):
        return
    doing = action or permission.value
    if _admins_only(permission):
        message = (
            f"key '{principal.key_id}' is a {principal.role.value} key; "
            f"only admin keys may {doing}."
        )
    else:
        whose = "all QSMOs or government-wide" if qsmo is None else f"QSMO '{qsmo}'"
        message = (
            f"key '{principal.key_id}' may not {doing} for {whose}: that needs an admin key"
            + ("" if qsmo is None else f" or the publisher key of '{qsmo}'")
            + "."
        )
    raise PermissionDenied(principal, permission, qsmo, message)


def require_some(
    principal: Principal, permission: Permission, *, action: str | None = None
) -> None:
    """Return if ``allows_some``; else raise ``PermissionDenied`` (e.g. a viewer key writing)."""
    if allows_some(principal, permission):
        return
    message = (
        f"key '{principal.key_id}' is a {principal.role.value} key; "
        f"it may not {action or permission.value}."
    )
    raise PermissionDenied(principal, permission, None, message)


def qsmo_filter(
    principal: Principal, permission: Permission, *, action: str | None = None
) -> str | None:
    """The one QSMO a list of what ``permission`` covers is narrowed to; None: every QSMO.

    Raises ``PermissionDenied`` when the role does not hold the permission at all.
    """
    require_some(principal, permission, action=action)
    return principal.qsmo if reach(principal, permission) is Reach.OWN_QSMO else None
