"""Who is calling, and what they may do.

Every operation needs an API key: ``Authorization: Bearer <key>`` on HTTP, or
``{"Authorization": "Bearer <key>"}`` as the ``connection_init`` payload of a websocket.
Viewer keys read everything; what a write needs is ``shared.authorization``'s table, asked
through ``require``/``require_some``/``require_admin`` here, which turn a refusal into
``FORBIDDEN``. A key is never logged or echoed; its ``id`` may be.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension

from gateway.errors import ForbiddenError, UnauthenticatedError
from shared import authorization
from shared.api_keys import ApiKeyRing, Principal
from shared.authorization import Permission, PermissionDenied

MISSING = "this API needs an API key: send the header 'Authorization: Bearer <key>'."
UNKNOWN = "the API key is not known; check that the whole key was sent, or ask for a new one."


@dataclass(frozen=True)
class Caller:
    """The authenticated principal, or why there is none."""

    principal: Principal | None
    problem: str | None = None

    def require(self) -> Principal:
        """The principal; ``UNAUTHENTICATED`` without a valid key."""
        if self.principal is None:
            raise UnauthenticatedError(self.problem or MISSING)
        return self.principal


ANONYMOUS = Caller(None, MISSING)


def bearer_key(authorization: object) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` value (scheme case-insensitive)."""
    if not isinstance(authorization, str):
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def identify(key_ring: ApiKeyRing, authorization: object) -> Caller:
    """The caller behind an ``Authorization`` value (None or junk: anonymous)."""
    key = bearer_key(authorization)
    if key is None:
        return ANONYMOUS
    principal = key_ring.authenticate(key)
    return Caller(principal, None if principal else UNKNOWN)


def authorization_param(params: Mapping[str, object] | None) -> object:
    """The ``Authorization`` entry of a ``connection_init`` payload (any letter case)."""
    for name, value in (params or {}).items():
        if name.lower() == "authorization":
            return value
    return None


@contextmanager
def forbidden() -> Iterator[None]:
    """Turn the policy's ``PermissionDenied`` into ``FORBIDDEN`` with the same message."""
    try:
        yield
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message) from None


def require(
    principal: Principal, permission: Permission, qsmo: str | None, action: str
) -> Principal:
    """``FORBIDDEN`` unless the policy allows ``permission`` for ``qsmo`` (None: any/all)."""
    with forbidden():
        authorization.require(principal, permission, qsmo, action=action)
    return principal


def require_some(principal: Principal, permission: Permission, action: str) -> Principal:
    """``FORBIDDEN`` unless the key holds ``permission`` for some QSMO (checked before the
    object's QSMO is known; the store then checks that one)."""
    with forbidden():
        authorization.require_some(principal, permission, action=action)
    return principal


def require_admin(principal: Principal, action: str) -> None:
    """``FORBIDDEN`` unless the key may change the framework (admin keys only)."""
    require(principal, Permission.CHANGE_FRAMEWORK, None, action)


class RequireApiKey(SchemaExtension):
    """Refuses every operation, introspection included, from a caller without a valid key."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        caller = getattr(context, "caller", ANONYMOUS)
        if not isinstance(caller, Caller):
            caller = ANONYMOUS
        caller.require()
        yield
