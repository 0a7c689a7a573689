"""Who is calling, and what they may do.

Every operation needs an API key or a sign-in token (an OpenID Connect access token,
``shared.identity``): ``Authorization: Bearer <key or token>`` on HTTP, or
``{"Authorization": "Bearer <key or token>"}`` as the ``connection_init`` payload of a websocket.
A refused token is ``UNAUTHENTICATED`` (expired, wrong issuer …) or, when its claims map to no
role, ``FORBIDDEN``; ``identify_caller`` asks ``shared.identity.BearerAuthenticator``.
Viewer keys read everything; what a write needs is ``shared.authorization``'s table, asked
through ``require``/``require_some``/``require_admin`` here, which turn a refusal into
``FORBIDDEN``. A key is never logged or echoed; its ``id`` may be.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension

from gateway.errors import ForbiddenError, UnauthenticatedError, error_code
from shared import authorization
from shared.api_keys import ApiKeyRing, Principal
from shared.authorization import Permission, PermissionDenied
from shared.identity.bearer import BearerAuthenticator
from shared.identity.refusals import TokenRefused

MISSING = "this API needs an API key: send the header 'Authorization: Bearer <key>'."
UNKNOWN = "the API key is not known; check that the whole key was sent, or ask for a new one."


@dataclass(frozen=True)
class Caller:
    """The authenticated principal, or why there is none."""

    principal: Principal | None
    problem: str | None = None
    forbidden: bool = False
    """A valid token whose claims give no role: ``FORBIDDEN``, not ``UNAUTHENTICATED``."""

    def require(self) -> Principal:
        """The principal; ``UNAUTHENTICATED`` without a valid key or token."""
        if self.principal is None:
            if self.forbidden:
                raise ForbiddenError(self.problem or MISSING)
            raise UnauthenticatedError(self.problem or MISSING)
        return self.principal

    @property
    def refusal(self) -> tuple[int, str]:
        """The HTTP status and code of a refused caller: (401, UNAUTHENTICATED) or (403, FORBIDDEN)."""
        return (403, "FORBIDDEN") if self.forbidden else (401, "UNAUTHENTICATED")


ANONYMOUS = Caller(None, MISSING)


def bearer_key(authorization: object) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` value (scheme case-insensitive)."""
    if not isinstance(authorization, str):
        return None
    scheme, _, key = authorization.strip().partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


def identify(key_ring: ApiKeyRing, authorization: object) -> Caller:
    """The caller behind an ``Authorization`` value, by API key only (None or junk:
    anonymous); requests go through ``identify_caller``, which also verifies tokens."""
    key = bearer_key(authorization)
    if key is None:
        return ANONYMOUS
    principal = key_ring.authenticate(key)
    return Caller(principal, None if principal else UNKNOWN)


async def identify_caller(authenticator: BearerAuthenticator, authorization: object) -> Caller:
    """The caller behind an ``Authorization`` value: an API key or a token (None: anonymous)."""
    credential = bearer_key(authorization)
    if credential is None:
        return ANONYMOUS
    try:
        return Caller(await authenticator.authenticate(credential, UNKNOWN))
    except TokenRefused as refusal:
        return Caller(None, refusal.message, forbidden=refusal.status == 403)


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
        # Policy refusals (e.g. another QSMO's write) are counted by credential kind.
        result = getattr(self.execution_context, "result", None)
        errors = getattr(result, "errors", None) or ()
        runtime = getattr(context, "runtime", None)
        refused = any(error_code(error) == "FORBIDDEN" for error in errors)
        if refused and caller.principal is not None and runtime is not None:
            runtime.bearer_authenticator().forbidden(caller.principal)
