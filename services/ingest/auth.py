"""Who is calling: the ``Authorization: Bearer <key or token>`` header, through
``shared.identity.BearerAuthenticator`` (API keys, and sign-in tokens when configured)."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.ingest.errors import ForbiddenError, UnauthorizedError
from services.ingest.runtime import RecordDep, RuntimeDep
from shared.api_keys import Principal
from shared.authorization import Permission, PermissionDenied, require_some
from shared.identity.refusals import TokenRefused

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="API key",
    description=(
        "The QSMO's API key: `Authorization: Bearer <key>` (or a person's sign-in token, an "
        "OpenID Connect access token, where identity providers are configured)."
    ),
)
UNKNOWN_KEY = (
    "the API key is not known; check that the whole key was sent, or ask the platform "
    "team for a new one."
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def require_publisher(
    runtime: RuntimeDep, record: RecordDep, credentials: Credentials
) -> Principal:
    """The caller's principal if its key may publish at all (admin or publisher).

    401 without a bearer key or with an unknown one (or a refused token: expired, wrong
    issuer …); 403 for viewer keys and tokens whose claims give no role. Whether a
    publisher may send *these* events is checked once they are read (their ``qsmo``).
    """
    if credentials is None:
        raise UnauthorizedError(
            "this endpoint needs an API key: send the header 'Authorization: Bearer <key>'."
        )
    authenticator = runtime.bearer_authenticator()
    try:
        principal = await authenticator.authenticate(credentials.credentials, UNKNOWN_KEY)
    except TokenRefused as refusal:
        if refusal.status == 403:
            raise ForbiddenError(refusal.message) from None
        raise UnauthorizedError(refusal.message) from None
    record.key_id = principal.key_id
    try:
        require_some(principal, Permission.PUBLISH_EVENTS)
    except PermissionDenied as denied:
        raise ForbiddenError(denied.message) from None
    return principal


PublisherDep = Annotated[Principal, Depends(require_publisher)]
