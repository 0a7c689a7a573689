"""Why a request was refused, as exceptions the HTTP layer turns into error answers.

Each class fixes the HTTP status and the stable ``code`` of the error body
``{"error": {"code", "message", "request_id", "details": [...]}}``.
"""

from collections.abc import Sequence

from services.ingest.schemas import ErrorDetail, ErrorInfo, ErrorResponse


class IngestError(Exception):
    """A refusal with a message a person can act on and optional per-event details."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        details: Sequence[ErrorDetail] = (),
        retry_after_s: int | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status or type(self).status
        self.code = code or type(self).code
        self.message = message
        self.details = list(details)
        self.retry_after_s = retry_after_s

    def headers(self) -> dict[str, str]:
        """Headers the answer must carry (``Retry-After``, ``WWW-Authenticate``)."""
        if self.retry_after_s is None:
            return {}
        return {"Retry-After": str(self.retry_after_s)}

    def body(self, request_id: str) -> ErrorResponse:
        """The error body of this refusal."""
        info = ErrorInfo(
            code=self.code, message=self.message, request_id=request_id, details=self.details
        )
        return ErrorResponse(error=info)


class UnauthorizedError(IngestError):
    """No API key, or one the platform does not know."""

    status = 401
    code = "unauthorized"

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="qsmo-ingest"'}


class ForbiddenError(IngestError):
    """A valid key that may not publish these events (viewer key, or another QSMO's)."""

    status = 403
    code = "forbidden"


class PayloadTooLargeError(IngestError):
    """Body over the byte limit, or more events than one request may carry."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(IngestError):
    """A Content-Type the endpoint does not read."""

    status = 415
    code = "unsupported_media_type"


class InvalidRequestError(IngestError):
    """The body as a whole cannot be read: not JSON/CSV, wrong shape, no events."""

    status = 422
    code = "invalid_request"


class InvalidEventsError(IngestError):
    """At least one event breaks a rule; ``details`` has an entry per problem."""

    status = 422
    code = "invalid_events"


class ThrottledError(IngestError):
    """The key exceeded its rate; retry after ``retry_after_s``."""

    status = 429
    code = "rate_limited"


class UnavailableError(IngestError):
    """Kafka did not acknowledge in time: nothing is reported accepted; retry later."""

    status = 503
    code = "unavailable"
