"""Errors the gateway reports on purpose, and the policy that masks every other one.

An expected error is a ``GatewayError``: its message is written for the caller and its
``extensions.code`` is stable (``UNAUTHENTICATED``, ``FORBIDDEN``, ``BAD_USER_INPUT``,
``NOT_FOUND``, ``CONFLICT``, plus the limit codes of ``gateway.limits``). Anything else raised while
resolving reaches the caller as a generic message — ``SERVICE_UNAVAILABLE`` when the store
did not answer (retry), ``INTERNAL_SERVER_ERROR`` otherwise — and is logged with its trace on
the server, never sent.
"""

from collections.abc import Mapping

from graphql import GraphQLError, GraphQLSyntaxError
from graphql.validation.validate import ValidationAbortedError
from pymongo.errors import ConnectionFailure as PyMongoConnectionFailure
from strawberry.extensions import MaskErrors

INTERNAL_MESSAGE = "Internal server error; it was logged. Retry later or contact the platform team."
UNAVAILABLE_MESSAGE = "The data store did not answer in time; retry shortly."


class GatewayError(Exception):
    """A refusal whose message and ``code`` are meant for the caller."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, field: str | None = None, **details: object) -> None:
        super().__init__(message)
        self.message = message
        extensions: dict[str, object] = {"code": self.code}
        if field is not None:
            extensions["field"] = field
        extensions.update(details)
        self.extensions = extensions


class UnauthenticatedError(GatewayError):
    """No API key, or one the platform does not know."""

    code = "UNAUTHENTICATED"


class ForbiddenError(GatewayError):
    """A known key whose role or QSMO does not allow this operation."""

    code = "FORBIDDEN"


class BadUserInputError(GatewayError):
    """An argument breaks a rule (unknown id, out of range, contradictory arguments)."""

    code = "BAD_USER_INPUT"


class NotFoundError(GatewayError):
    """The object named by an id does not exist."""

    code = "NOT_FOUND"


class ConflictError(GatewayError):
    """The object exists already (a second review of the same scope and quarter), or someone
    changed it at the same moment (read it and retry)."""

    code = "CONFLICT"


class LimitExceededError(GatewayError):
    """The operation is too deep, too wide or too large (see ``gateway.limits``)."""


def is_expected(error: GraphQLError) -> bool:
    """True for errors whose message may reach the caller unchanged.

    Expected: ``GatewayError``s, parse and validation errors (no original exception), and
    input-coercion errors raised before execution (no path; a scalar's ``ValueError``).
    """
    original = error.original_error
    if original is None or isinstance(original, GatewayError | GraphQLError):
        return True
    return error.path is None and isinstance(original, ValueError | TypeError)


def error_code(error: GraphQLError) -> str:
    """The ``extensions.code`` the caller sees for ``error``."""
    extensions: Mapping[str, object] = error.extensions or {}
    code = extensions.get("code")
    if isinstance(code, str):
        return code
    if not is_expected(error):
        unavailable = isinstance(error.original_error, PyMongoConnectionFailure)
        return "SERVICE_UNAVAILABLE" if unavailable else "INTERNAL_SERVER_ERROR"
    if isinstance(error, GraphQLSyntaxError):
        too_large = ("Document contains more than", "Source contains more than")
        return (
            "QUERY_TOO_LARGE"
            if any(t in error.message for t in too_large)
            else "GRAPHQL_PARSE_FAILED"
        )
    if isinstance(error, ValidationAbortedError):  # graphql-core's own work budget ran out
        return "QUERY_TOO_COMPLEX"
    if error.original_error is not None:
        return "BAD_USER_INPUT"
    if error.path is None:
        return "GRAPHQL_VALIDATION_FAILED"
    return "BAD_REQUEST"


class ErrorPolicy(MaskErrors):
    """Masks unexpected errors and gives every error an ``extensions.code``."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, PyMongoConnectionFailure):
            message, code = UNAVAILABLE_MESSAGE, "SERVICE_UNAVAILABLE"
        else:
            message, code = INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR"
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions={"code": code})

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        processed = super()._process_errors(errors)
        for error in processed:
            if "code" not in (error.extensions or {}):
                error.extensions = {**(error.extensions or {}), "code": error_code(error)}
        return processed
