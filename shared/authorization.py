"""Who may do what: the platform's one authorization policy, as a table.

Four roles (``shared.api_keys.Role``): an admin key may do everything for every QSMO, a
publisher key writes for its one QSMO, a provider key fills in its one provider's tools
(self-assessment, data call), a viewer key reads. ``POLICY`` says, for every permission the
product has and every role, how far the role reaches:

- ``Reach.EVERY_QSMO``: for any QSMO, for several at once and for government-wide objects;
- ``Reach.OWN_QSMO``: only for the QSMO the key is scoped to (never government-wide); for a
  provider's submissions, for the providers its QSMO's marketplace offers;
- ``Reach.OWN_PROVIDER``: only for the provider the key is scoped to;
- ``Reach.NONE``: not at all.

Provider-scoped permissions are asked with ``allows_for_provider``/``require_for_provider``
(the provider's id and the QSMOs that offer it).

Ingest, the gateway and the notifications service ask ``allows``/``require`` (one QSMO or
none), ``allows_some``/``require_some`` (before the QSMO is known) or ``qsmo_filter`` (what a
list may show); none of them compares roles itself. ``PermissionDenied`` names the key, its
role and what is needed; each caller turns it into its own error (HTTP 403, ``FORBIDDEN``).
"""

from collections.abc import Collection, Mapping
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
    """Targets, weights, baselines, dimension adoption, added QSMOs, providers."""
    FILL_PROVIDER_TOOLS = "fill in a provider's self-assessment and data call"
    """Save drafts, submit, correct; see the provider's own drafts and survey free text."""
    REVIEW_PROVIDER_SUBMISSIONS = "review providers' self-assessments and data calls"
    """Accept or return a submission of a provider the QSMO's marketplace offers."""
    MANAGE_SURVEYS = "manage customer-satisfaction surveys"
    """Create, open and close waves, set invited counts, import and record responses, read
    every free-text comment."""
    MANAGE_REVIEWS = "manage performance reviews"
    """Create a review, make it ready, record its meeting's decisions and notes (a QSMO's
    reviews; the government-wide review is an admin's)."""
    PROPOSE_REVISIONS = "propose target and measure revisions"
    DECIDE_REVISIONS = "accept or decline target and measure revisions"
    MANAGE_STAKEHOLDERS = "manage stakeholder lists"
    """Create, change and delete the lists a ready review's packet is sent to."""


class Reach(Enum):
    """How far a role holds a permission."""

    NONE = "none"
    OWN_QSMO = "own QSMO"
    OWN_PROVIDER = "own provider"
    EVERY_QSMO = "every QSMO"


def _row(
    admin: Reach, publisher: Reach, viewer: Reach, provider: Reach = Reach.NONE
) -> Mapping[Role, Reach]:
    return MappingProxyType(
        {Role.ADMIN: admin, Role.PUBLISHER: publisher, Role.PROVIDER: provider, Role.VIEWER: viewer}
    )


_READER = _row(Reach.EVERY_QSMO, Reach.EVERY_QSMO, Reach.EVERY_QSMO, Reach.EVERY_QSMO)
_QSMO_WRITER = _row(Reach.EVERY_QSMO, Reach.OWN_QSMO, Reach.NONE)
_ADMIN = _row(Reach.EVERY_QSMO, Reach.NONE, Reach.NONE)
_PROVIDER_WRITER = _row(Reach.EVERY_QSMO, Reach.NONE, Reach.NONE, Reach.OWN_PROVIDER)

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
        Permission.FILL_PROVIDER_TOOLS: _PROVIDER_WRITER,
        Permission.REVIEW_PROVIDER_SUBMISSIONS: _QSMO_WRITER,
        Permission.MANAGE_SURVEYS: _ADMIN,
        Permission.MANAGE_REVIEWS: _QSMO_WRITER,
        Permission.PROPOSE_REVISIONS: _QSMO_WRITER,
        Permission.DECIDE_REVISIONS: _ADMIN,
        Permission.MANAGE_STAKEHOLDERS: _ADMIN,
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


def provider_reach_message(
    principal: Principal, permission: Permission, provider_id: str, action: str | None = None
) -> str:
    """Why ``principal`` may not do ``permission`` for provider ``provider_id``."""
    doing = action or permission.value
    who = {
        Reach.OWN_PROVIDER: "that provider's own key",
        Reach.OWN_QSMO: "the publisher key of a QSMO whose marketplace offers it",
    }
    holders = [who[POLICY[permission][role]] for role in Role if POLICY[permission][role] in who]
    needs = " or ".join(["an admin key", *holders])
    return (
        f"key '{principal.key_id}' ({principal.role.value}) may not {doing} for provider "
        f"'{provider_id}': that needs {needs}."
    )


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


def allows_for_provider(
    principal: Principal,
    permission: Permission,
    provider_id: str,
    provider_qsmos: Collection[str],
) -> bool:
    """True if the key may do it for provider ``provider_id`` (offered by ``provider_qsmos``)."""
    granted = reach(principal, permission)
    if granted is Reach.OWN_PROVIDER:
        return principal.provider == provider_id
    if granted is Reach.OWN_QSMO:
        return principal.qsmo is not None and principal.qsmo in provider_qsmos
    return granted is Reach.EVERY_QSMO


def require_for_provider(
    principal: Principal,
    permission: Permission,
    provider_id: str,
    provider_qsmos: Collection[str],
    *,
    action: str | None = None,
) -> None:
    """Return if ``allows_for_provider``; else raise ``PermissionDenied``."""
    if allows_for_provider(principal, permission, provider_id, provider_qsmos):
        return
    message = provider_reach_message(principal, permission, provider_id, action)
    raise PermissionDenied(principal, permission, None, message)


def provider_filter(
    principal: Principal, permission: Permission, *, action: str | None = None
) -> str | None:
    """The one provider a list of what ``permission`` covers is narrowed to; None: no
    narrowing by provider (admins, publishers: see ``qsmo_filter``).

    Raises ``PermissionDenied`` when the role does not hold the permission at all.
    """
    require_some(principal, permission, action=action)
    return principal.provider if reach(principal, permission) is Reach.OWN_PROVIDER else None


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
    granted = reach(principal, permission)
    if granted is Reach.OWN_PROVIDER:
        raise PermissionDenied(
            principal,
            permission,
            None,
            f"key '{principal.key_id}' acts for provider '{principal.provider}'; "
            "ask with provider_filter, not qsmo_filter",
        )
    return principal.qsmo if granted is Reach.OWN_QSMO else None
