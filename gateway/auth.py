"""Who is calling, and what they may do.

Every operation needs an API key: ``Authorization: Bearer <key>`` on HTTP, or
``{"Authorization": "Bearer <key>"}`` as the ``connection_init`` payload of a websocket.
Viewer keys read everything; writes need the role each mutation names (``require_admin``,
``require_qsmo_writer``). A key is never logged or echoed; its ``id`` may be.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension

from gateway.errors import ForbiddenError, UnauthenticatedError
from shared.api_keys import ApiKeyRing, Principal, Role

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


def require_admin(principal: Principal, action: str) -> None:
    """``FORBIDDEN`` unless the key is an admin key."""
    if principal.role is not Role.ADMIN:
        raise ForbiddenError(
            f"key '{principal.key_id}' is a {principal.role.value} key; "
            f"only admin keys may {action}."
        )


def require_qsmo_writer(principal: Principal, qsmo: str | None, action: str) -> None:
    """``FORBIDDEN`` unless an admin key, or the publisher key of ``qsmo``."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.PUBLISHER and qsmo is not None and principal.qsmo == qsmo:
        return
    whose = "any QSMO" if qsmo is None else f"QSMO '{qsmo}'"
    raise ForbiddenError(
        f"key '{principal.key_id}' may not {action} for {whose}: that needs an admin key"
        + ("" if qsmo is None else f" or the publisher key of '{qsmo}'")
        + "."
    )


class RequireApiKey(SchemaExtension):
    """Refuses every operation, introspection included, from a caller without a valid key."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        caller = getattr(context, "caller", ANONYMOUS)
        if not isinstance(caller, Caller):
            caller = ANONYMOUS
        caller.require()
        yield
