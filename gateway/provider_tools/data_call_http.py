"""The data call's Excel endpoints on the gateway (beside ``/graphql``; same bearer keys).

- ``GET /v1/data-call/{fy}/template.xlsx[?provider=<id>]``: the workbook generated from the
  section schemas (any key; ``provider`` pre-fills the README so the upload is checked
  against it).
- ``POST /v1/data-call/{fy}/workbook?provider=<id>[&reason=<why>]``: the filled workbook as
  the body (``Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet``
  or ``application/octet-stream``) or as the multipart field ``file`` (a ``reason`` field
  too). FILL_PROVIDER_TOOLS for that provider. Every cell is read and validated; one problem
  and nothing is stored. 201 with the new version.

Errors answer ``{"error": {"code", "message", "errors": [{sheet, row, column, field,
message}]}}``: 400 BAD_REQUEST, 401 UNAUTHENTICATED, 403 FORBIDDEN, 404 NOT_FOUND,
409 CONFLICT (a version under review, lost races), 415 UNSUPPORTED_MEDIA_TYPE,
422 INVALID_WORKBOOK (``errors`` lists each problem). A body over the gateway's 1 MB limit
(``gateway.app.MAX_BODY_BYTES``; a filled template is tens of kilobytes) gets FastAPI's
plain 413 before this code runs.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from gateway.auth import identify_caller
from gateway.provider_tools.data_calls import (
    DataCallConflictError,
    DataCalls,
    UnknownProviderError,
)
from gateway.provider_tools.workbook import MEDIA_TYPE, template_workbook
from gateway.provider_tools.workbook_upload import (
    CellProblem,
    WorkbookInvalid,
    cells_of,
    read_workbook,
)
from gateway.runtime import GatewayRuntime
from shared.api_keys import Principal
from shared.authorization import PermissionDenied
from shared.domain.data_call import cost_figures
from shared.domain.data_call_validation import DataCallInvalid
from shared.domain.data_call_versions import (
    DataCall,
    DataCallRefused,
    RefusalCode,
    SubmissionSource,
)

PREFIX = "/v1/data-call"
RAW_TYPES = (MEDIA_TYPE, "application/octet-stream")
_CONFLICTS = {
    RefusalCode.UNDER_REVIEW,
    RefusalCode.NOT_UNDER_REVIEW,
    RefusalCode.NOT_THE_VERSION_UNDER_REVIEW,
    RefusalCode.TOO_MANY_VERSIONS,
}


class HttpRefusal(Exception):  # noqa: N818 - an answer, not a fault
    """An error answer: status, stable code, message and the problems, if any."""

    def __init__(
        self, status: int, code: str, message: str, errors: Sequence[CellProblem] = ()
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = [e.as_json() for e in self.errors]
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": body}, status_code=self.status, headers=headers)


def data_call_router() -> APIRouter:
    """The two endpoints; the app's ``state.runtime`` is what they serve."""
    router = APIRouter(prefix=PREFIX, tags=["data call"])

    @router.get("/{fiscal_year}/template.xlsx", response_model=None)
    async def template(request: Request, fiscal_year: str, provider: str | None = None) -> Response:
        try:
            runtime = _runtime(request)
            await _principal(runtime, request)
            tool = runtime.tools.data_calls
            year = _fiscal_year(tool, fiscal_year)
            if provider is not None:
                await _known(tool, provider)
        except HttpRefusal as refusal:
            return refusal.response()
        name = f"data-call-FY{year}" + ("" if provider is None else f"-{provider}") + ".xlsx"
        return Response(
            template_workbook(tool.schema, year, provider),
            media_type=MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.post("/{fiscal_year}/workbook", status_code=201, response_model=None)
    async def upload(
        request: Request, fiscal_year: str, provider: str | None = None, reason: str | None = None
    ) -> JSONResponse:
        runtime = _runtime(request)
        try:
            principal = await _principal(runtime, request)
        except HttpRefusal as refusal:
            return refusal.response()
        try:
            call = await _upload(
                request, runtime.tools.data_calls, principal, fiscal_year, provider, reason
            )
        except HttpRefusal as refusal:
            if refusal.status == 403:
                runtime.bearer_authenticator().forbidden(principal)
            return refusal.response()
        return JSONResponse(_summary(call), status_code=201)

    return router


async def _upload(
    request: Request,
    tool: DataCalls,
    principal: Principal,
    fiscal_year: str,
    provider: str | None,
    reason: str | None,
) -> DataCall:
    if provider is None:
        raise HttpRefusal(
            400, "BAD_REQUEST", "name the provider: add ?provider=<provider id> to the URL"
        )
    year = _fiscal_year(tool, fiscal_year)
    with _refusals():
        await tool.fillable(principal, provider)  # before reading a byte of the upload
    data, form_reason = await _workbook_bytes(request)
    try:
        reading = read_workbook(data, tool.schema, year, provider)
    except WorkbookInvalid as invalid:
        raise HttpRefusal(422, "INVALID_WORKBOOK", str(invalid), invalid.problems) from None
    with _refusals():
        try:
            call = await tool.submit(
                principal,
                provider,
                year,
                reading.sections,
                reason=reason if reason is not None else form_reason,
                source=SubmissionSource.WORKBOOK,
            )
        except DataCallInvalid as invalid:
            cells = cells_of(tool.schema, reading, invalid.problems)
            message = str(WorkbookInvalid(cells))
            raise HttpRefusal(422, "INVALID_WORKBOOK", message, cells) from None
    return call


@contextmanager
def _refusals() -> Iterator[None]:
    """The tool's refusals as HTTP answers."""
    try:
        yield
    except PermissionDenied as error:
        raise HttpRefusal(403, "FORBIDDEN", error.message) from None
    except UnknownProviderError as error:
        raise HttpRefusal(404, "NOT_FOUND", str(error)) from None
    except DataCallRefused as error:
        if error.code in _CONFLICTS:
            raise HttpRefusal(409, "CONFLICT", error.message) from None
        raise HttpRefusal(400, "BAD_REQUEST", error.message) from None
    except DataCallConflictError as error:
        raise HttpRefusal(409, "CONFLICT", str(error)) from None


def _runtime(request: Request) -> GatewayRuntime:
    runtime: GatewayRuntime = request.app.state.runtime
    return runtime


async def _principal(runtime: GatewayRuntime, request: Request) -> Principal:
    authorization = request.headers.get("authorization")
    caller = await identify_caller(runtime.bearer_authenticator(), authorization)
    if caller.principal is None:
        status, code = caller.refusal
        raise HttpRefusal(status, code, caller.problem or "an API key is needed")
    return caller.principal


def _fiscal_year(tool: DataCalls, text: str) -> int:
    if not text.isdigit() or len(text) != 4:
        raise HttpRefusal(
            400,
            "BAD_REQUEST",
            f"'{text}' is not a fiscal year: write it with four digits, e.g. 2026",
        )
    year = int(text)
    with _refusals():
        tool.check_fiscal_year(year)
    return year


async def _known(tool: DataCalls, provider: str) -> None:
    with _refusals():
        await tool.provider(provider)


async def _workbook_bytes(request: Request) -> tuple[bytes, str | None]:
    """The uploaded workbook (raw body or multipart field ``file``) and a form ``reason``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in RAW_TYPES:
        return await request.body(), None
    if kind == "multipart/form-data":
        async with request.form(max_files=1, max_fields=4) as form:  # closes the spooled file
            upload, reason = form.get("file"), form.get("reason")
            if not isinstance(upload, UploadFile):
                raise HttpRefusal(
                    400,
                    "BAD_REQUEST",
                    "the multipart upload has no file field 'file': send the workbook as "
                    "-F file=@data-call.xlsx",
                )
            return await upload.read(), reason if isinstance(reason, str) else None
    raise HttpRefusal(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        f"send the workbook as Content-Type: {MEDIA_TYPE} (or application/octet-stream), or "
        f"as the multipart field 'file'; got '{kind or 'none'}'",
    )


def _summary(call: DataCall) -> dict[str, Any]:
    latest = call.latest
    cost = cost_figures(latest.sections, call.fiscal_year)
    return {
        "id": call.id,
        "provider": call.provider,
        "fiscalYear": call.fiscal_year,
        "version": latest.number,
        "status": latest.status.name,
        "submittedAt": latest.submitted_at.isoformat(),
        "templateVersion": latest.template_version,
        "cost": {
            "costPerTransaction": cost.cost_per_transaction,
            "ftePerThousandCustomers": cost.fte_per_thousand_customers,
            "totalCost": cost.total_cost,
        },
    }
