"""``POST /v1/surveys/{wave}/responses``: import a survey tool's export (CSV or XLSX), admin.

The body is the file itself (``Content-Type: text/csv`` or the XLSX type; the format is
recognized from the bytes) or a multipart form with the file in field ``file``. Same bearer
keys as ``/graphql``. All or nothing: any bad cell refuses the whole file with every problem
by sheet, row and column, and nothing is stored. Importing the same file again stores
nothing twice (``stored`` 0, ``alreadyStored`` = its responses).

Answers: 200 ``{"wave", "received", "stored", "alreadyStored"}``; 400 ``BAD_USER_INPUT``,
401 ``UNAUTHENTICATED``, 403 ``FORBIDDEN``, 404 ``NOT_FOUND`` as
``{"error": {"code", "message", "errors": [{sheet, row, column, field, message}]}}``.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse

from gateway.auth import identify_caller
from gateway.provider_tools.survey_import import read_response_file
from gateway.provider_tools.surveys import SurveyNotFoundError
from gateway.runtime import GatewayRuntime
from shared.authorization import Permission, PermissionDenied, require
from shared.domain.survey import Problem, SurveyRejected

router = APIRouter(tags=["surveys"])


def _error(status: int, code: str, message: str, errors: list[dict[str, object]]) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "errors": errors}}, status_code=status
    )


def _problem(problem: Problem, sheet: str | None) -> dict[str, object]:
    on_cell = problem.row is not None and problem.field != "row"
    return {
        "sheet": sheet,
        "row": problem.row,
        "column": problem.field if on_cell else None,
        "field": problem.field,
        "message": problem.message,
    }


async def _body(request: Request) -> bytes:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        async with request.form() as form:  # closes the spooled files
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise SurveyRejected([Problem("file", "send the file in the form field 'file'")])
            return await upload.read()
    return await request.body()


@router.post(
    "/v1/surveys/{wave}/responses",
    summary="Import survey responses (CSV or XLSX; admin keys)",
    responses={400: {"description": "bad file or cells; nothing stored"}},
)
async def import_survey_responses(
    request: Request, wave: Annotated[str, Path(max_length=64)]
) -> JSONResponse:
    runtime: GatewayRuntime = request.app.state.runtime
    authenticator = runtime.bearer_authenticator()
    caller = await identify_caller(authenticator, request.headers.get("authorization"))
    if caller.principal is None:
        return _error(*caller.refusal, caller.problem or "send an API key", [])
    sheet: str | None = None
    try:
        require(caller.principal, Permission.MANAGE_SURVEYS, action="import survey responses")
        parsed = read_response_file(await _body(request))
        sheet = parsed.sheet
        added = await runtime.tools.surveys.add_rows(
            caller.principal, wave, parsed.columns, parsed.rows
        )
    except PermissionDenied as denied:
        authenticator.forbidden(caller.principal)
        return _error(403, "FORBIDDEN", denied.message, [])
    except SurveyNotFoundError as missing:
        return _error(404, "NOT_FOUND", str(missing), [])
    except SurveyRejected as rejected:
        problems = [_problem(p, sheet) for p in rejected.problems]
        count = len(problems)
        message = f"{count} problem{'s' if count != 1 else ''}; nothing was stored: " + (
            rejected.problems[0].describe()
        )
        return _error(400, "BAD_USER_INPUT", message, problems)
    return JSONResponse(
        {
            "wave": added.wave,
            "received": added.received,
            "stored": added.stored,
            "alreadyStored": added.already_stored,
        }
    )
