"""``text/csv`` bodies: a header row naming event fields, then one event per row.

Columns: ``event_id``, ``qsmo``, ``measure``, ``value``, ``occurred_at`` (required),
``agency``, ``source``, ``schema_version`` (optional) and any ``attributes.<name>``.
Cells are trimmed; an empty cell means "absent". ``value`` and ``schema_version`` cells are
read as JSON numbers; an attribute cell is a boolean (``true``/``false``), a number (JSON
number syntax, so ``02134`` stays text) or text. Blank rows are skipped. Line numbers in
errors count physical lines, the header being line 1.
"""

import csv
import difflib
import io
import re
from collections.abc import Iterator
from typing import Any

from services.ingest.error_messages import EVENT_FIELDS
from services.ingest.errors import InvalidRequestError, PayloadTooLargeError
from services.ingest.schemas import ErrorDetail
from services.ingest.validation import Submission, submission_from_documents

REQUIRED_COLUMNS = ("event_id", "qsmo", "measure", "value", "occurred_at")
NUMBER_COLUMNS = frozenset({"value", "schema_version"})
ATTRIBUTE_PREFIX = "attributes."
_KNOWN_COLUMNS = tuple(field for field in EVENT_FIELDS if field != "attributes")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def parse_csv_body(body: bytes, max_events: int) -> Submission:
    """Read a CSV body into a submission whose events remember their line numbers.

    Raises ``InvalidRequestError`` (not UTF-8, malformed CSV, bad header, ragged rows, no rows)
    or ``PayloadTooLargeError`` (more than ``max_events`` rows).
    """
    reader = csv.reader(io.StringIO(_decode(body), newline=""), strict=True)
    rows = _numbered_rows(reader, max_events)
    header_line, header = next(rows, (1, []))
    columns = _check_header(header, header_line)
    documents: list[dict[str, Any]] = []
    lines: list[int] = []
    ragged: list[ErrorDetail] = []
    for line, cells in rows:
        if len(cells) != len(columns):
            message = f"line {line} has {len(cells)} cells but the header has {len(columns)}."
            ragged.append(
                ErrorDetail(index=len(documents), line=line, code="ragged_row", message=message)
            )
        documents.append(_document(columns, cells))
        lines.append(line)
    if ragged:
        raise InvalidRequestError(
            "some CSV rows do not match the header; fix the lines listed.", ragged
        )
    if not documents:
        raise InvalidRequestError("the CSV body has a header but no event rows.")
    return submission_from_documents(documents, tuple(lines))


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidRequestError(
            f"the CSV body is not UTF-8 text (invalid byte at offset {error.start}); "
            "save or export the file as UTF-8."
        ) from None


def _numbered_rows(reader: Any, max_events: int) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on; the header does not count as an event."""
    yielded = 0
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise InvalidRequestError(f"CSV line {start} cannot be read: {error}.") from None
        cells = [cell.strip() for cell in cells]
        if not any(cells):
            continue
        yielded += 1
        if yielded > max_events + 1:
            raise PayloadTooLargeError(
                f"the CSV body has more than {max_events} event rows; at most {max_events} "
                "are allowed per request. Split the file."
            )
        yield start, cells


def _check_header(header: list[str], line: int) -> list[str]:
    details = [
        ErrorDetail(line=line, field=name, code="unknown_column", message=_unknown_column(name))
        for name in header
        if name not in _KNOWN_COLUMNS and not name.startswith(ATTRIBUTE_PREFIX)
    ]
    duplicates = sorted({name for name in header if header.count(name) > 1})
    details += [
        ErrorDetail(
            line=line,
            field=name,
            code="duplicate_column",
            message=f"column '{name}' appears twice.",
        )
        for name in duplicates
    ]
    details += [
        ErrorDetail(
            line=line,
            field=name,
            code="missing_column",
            message=f"required column '{name}' is missing.",
        )
        for name in REQUIRED_COLUMNS
        if name not in header
    ]
    if details:
        raise InvalidRequestError(
            "the CSV header row is not valid; it names event fields: "
            f"{', '.join(REQUIRED_COLUMNS)} (required), agency, source, attributes.<name>.",
            details,
        )
    return header


def _unknown_column(name: str) -> str:
    close = difflib.get_close_matches(name, _KNOWN_COLUMNS, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (
        f"column '{name}' is not an event field{hint}; custom columns are named attributes.<name>."
    )


def _document(columns: list[str], cells: list[str]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=False):
        if not cell:
            continue
        if column.startswith(ATTRIBUTE_PREFIX):
            attributes[column.removeprefix(ATTRIBUTE_PREFIX)] = _attribute_value(cell)
        elif column in NUMBER_COLUMNS:
            document[column] = _number(cell)
        else:
            document[column] = cell
    if attributes:
        document["attributes"] = attributes
    return document


def _number(cell: str) -> Any:
    """A JSON number as int or float; anything else stays text (and fails type checks)."""
    if not _JSON_NUMBER.fullmatch(cell):
        return cell
    if not cell.lstrip("-").isdigit():
        return float(cell)
    try:
        return int(cell)
    except ValueError:  # more digits than Python converts: no measure needs that
        return cell


def _attribute_value(cell: str) -> Any:
    if cell in ("true", "false"):
        return cell == "true"
    return _number(cell)
