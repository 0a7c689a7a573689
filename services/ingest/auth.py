"""Who is calling: the ``Authorization: Bearer <key>`` header against the key ring."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.ingest.errors import ForbiddenError, UnauthorizedError
from services.ingest.runtime import RecordDep, RuntimeDep
from shared.api_keys import Principal, Role

bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="API key",
    description="The QSMO's API key: `Authorization: Bearer <key>`.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def require_publisher(
    runtime: RuntimeDep, record: RecordDep, credentials: Credentials
) -> Principal:
    """The caller's principal if its key may publish at all (admin or publisher).

    401 without a bearer key or with an unknown one; 403 for viewer keys. Whether a
    publisher may send *these* events is checked once they are read (their ``qsmo``).
    """
    if credentials is None:
        raise UnauthorizedError(
            "this endpoint needs an API key: send the header 'Authorization: Bearer <key>'."
        )
    principal = runtime.key_ring.authenticate(credentials.credentials)
    if principal is None:
        raise UnauthorizedError(
            "the API key is not known; check that the whole key was sent, or ask the platform "
            "team for a new one."
        )
    record.key_id = principal.key_id
    if principal.role is Role.VIEWER:
        raise ForbiddenError(
            f"key '{principal.key_id}' is a viewer key; it may read but not publish."
        )
    return principal


PublisherDep = Annotated[Principal, Depends(require_publisher)]
