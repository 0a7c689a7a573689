"""HTTP routes of the ingest service: read the body, hand it to the handler, answer.

Thin on purpose: limits and media types are checked here, everything else happens in
``validation``/``csv_input`` (parsing) and ``handlers.accept_events`` (the rules).
"""

import logging
from collections import Counter
from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from services.ingest import openapi
from services.ingest.auth import PublisherDep
from services.ingest.csv_input import parse_csv_body
from services.ingest.errors import (
    ForbiddenError,
    IngestError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from services.ingest.handlers import accept_events
from services.ingest.runtime import IngestRuntime, RecordDep, RuntimeDep, get_record, get_runtime
from services.ingest.validation import Submission, parse_json_body
from shared.identity.refusals import RefusalReason
from shared.identity.tokens import TOKEN_KEY_PREFIX

log = logging.getLogger(__name__)

EVENTS_PATH = "/v1/events"
CSV_PATH = "/v1/events:csv"
Parser = Callable[[bytes, int], Submission]

router = APIRouter(tags=["events"])


@router.post(
    EVENTS_PATH,
    status_code=202,
    response_model=None,
    summary="Publish one event or a batch of 1 to 1000 events (JSON)",
    description="All or nothing: 202 only once Kafka has stored every event of the request.",
    responses=openapi.responses(csv=False),
    openapi_extra=openapi.JSON_BODY,
)
async def post_events(
    request: Request, principal: PublisherDep, runtime: RuntimeDep, record: RecordDep
) -> JSONResponse:
    """Publish the events of a JSON body."""
    return await _ingest(request, principal, runtime, record, "application/json", parse_json_body)


@router.post(
    CSV_PATH,
    status_code=202,
    response_model=None,
    summary="Publish 1 to 1000 events as CSV rows",
    description="Header row of event fields (attributes as `attributes.<name>`), one event per "
    "row; all or nothing, errors name the CSV line.",
    responses=openapi.responses(csv=True),
    openapi_extra=openapi.CSV_BODY,
)
async def post_events_csv(
    request: Request, principal: PublisherDep, runtime: RuntimeDep, record: RecordDep
) -> JSONResponse:
    """Publish the events of a CSV body."""
    return await _ingest(request, principal, runtime, record, "text/csv", parse_csv_body)


async def _ingest(
    request: Request,
    principal: PublisherDep,
    runtime: IngestRuntime,
    record: RecordDep,
    media_type: str,
    parse: Parser,
) -> JSONResponse:
    settings = runtime.settings
    require_media_type(request.headers.get("content-type"), media_type)
    body = await read_body(request, settings.max_body_bytes)
    submission = parse(body, settings.max_events)
    record.qsmos = Counter(runtime.metrics.qsmo_label(q) for q in submission.qsmos)
    accepted = await accept_events(submission, principal, record.request_id, runtime.context)
    record.accepted = len(accepted.event_ids)
    content = {
        "accepted": len(accepted.event_ids),
        "event_ids": list(accepted.event_ids),
        "request_id": accepted.request_id,
    }
    return JSONResponse(content, status_code=202)


def require_media_type(content_type: str | None, expected: str) -> None:
    """415 unless the Content-Type is ``expected`` (UTF-8 or no charset)."""
    media_type, _, parameters = (content_type or "").partition(";")
    charset = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media_type.strip().lower() != expected or charset not in ("", "utf-8", "utf8"):
        got = f"'{content_type}'" if content_type else "no Content-Type"
        raise UnsupportedMediaTypeError(f"send Content-Type: {expected} in UTF-8 (got {got}).")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (413) one that declares or streams more than ``limit`` bytes."""
    too_large = PayloadTooLargeError(
        f"the body is over the limit of {limit} bytes; split the events into several requests."
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def install_error_handlers(app: FastAPI) -> None:
    """Every error, whatever raised it, answers ``{"error": {...}}`` and never a trace."""
    app.add_exception_handler(IngestError, _ingest_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_validation_error)
    app.add_exception_handler(Exception, _unexpected_error)


def _render(request: Request, error: IngestError) -> JSONResponse:
    record = get_record(request)
    record.error_code = error.code
    record.error_message = error.message
    record.error_details = error.details
    body = error.body(record.request_id).model_dump(mode="json")
    return JSONResponse(body, status_code=error.status, headers=error.headers())


async def _ingest_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, IngestError)
    record = get_record(request)
    if isinstance(error, ForbiddenError) and record.key_id is not None:
        # An authenticated caller refused by the policy (e.g. another QSMO's events);
        # refusals before that were counted where the credential was judged.
        credential = "token" if record.key_id.startswith(TOKEN_KEY_PREFIX) else "key"
        get_runtime(request).bearer_authenticator().refused(credential, RefusalReason.FORBIDDEN)
    return _render(request, error)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    problem = IngestError(
        f"{error.detail}: see /docs for the ingest API.",
        status=error.status_code,
        code=_HTTP_CODES.get(error.status_code, "http_error"),
    )
    response = _render(request, problem)
    response.headers.update(error.headers or {})
    return response


async def _request_validation_error(request: Request, error: Exception) -> JSONResponse:
    problem = IngestError(
        "the request is not valid; see /docs for the ingest API.",
        status=422,
        code="invalid_request",
    )
    return _render(request, problem)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=error)
    problem = IngestError(
        "an unexpected error occurred and was logged; nothing is reported accepted. Retry "
        "later with the same event_ids; if it persists, quote the request_id to the platform team.",
        status=500,
        code="internal_error",
    )
    return _render(request, problem)
