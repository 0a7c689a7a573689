"""``text/csv`` bodies: a header row naming event fields, then one event per row.

The format and its reader are ``shared.csv_events`` (shared with the publisher client); this
module decodes the body and turns the reader's refusals into ingest's errors.
"""

from dataclasses import asdict

from services.ingest.errors import InvalidRequestError, PayloadTooLargeError
from services.ingest.schemas import ErrorDetail
from services.ingest.validation import Submission, submission_from_documents
from shared.csv_events import CsvFormatError, TooManyRowsError, read_csv_events


def parse_csv_body(body: bytes, max_events: int) -> Submission:
    """Read a CSV body into a submission whose events remember their line numbers.

    Raises ``InvalidRequestError`` (not UTF-8, malformed CSV, bad header, ragged rows, no rows)
    or ``PayloadTooLargeError`` (more than ``max_events`` rows).
    """
    try:
        rows = read_csv_events(_decode(body), max_rows=max_events)
    except TooManyRowsError:
        raise PayloadTooLargeError(
            f"the CSV body has more than {max_events} event rows; at most {max_events} "
            "are allowed per request. Split the file."
        ) from None
    except CsvFormatError as error:
        details = [ErrorDetail(**asdict(problem)) for problem in error.problems]
        raise InvalidRequestError(error.message, details) from None
    return submission_from_documents(
        [row.document for row in rows], tuple(row.line for row in rows)
    )


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidRequestError(
            f"the CSV body is not UTF-8 text (invalid byte at offset {error.start}); "
            "save or export the file as UTF-8."
        ) from None
