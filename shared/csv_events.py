"""CSV text → event documents: the one reader of the events CSV format (docs/ingest.md, *CSV*).

Ingest reads ``text/csv`` request bodies with it (``services.ingest.csv_input``) and the
publisher client reads files with it (``qsmo_client.files``), so a file ``qsmo-push`` accepts is
a body ingest accepts.

A header row names event fields and ``attributes.<name>`` columns; each later row is one event.
Cells are trimmed and an empty cell means "absent". ``value`` and ``schema_version`` cells are
read as JSON numbers; an attribute cell is a boolean (``true``/``false``), a number (JSON number
syntax, so ``02134`` stays text) or text. A cell that is not what its field needs stays text,
so that event validation names the problem. Blank rows (and rows of empty cells) are skipped.
Line numbers count physical lines, the header being line 1, so a quoted line break counts.

Every row has exactly one cell per header column: a row with more or fewer cells is an error
naming its line, never truncated or padded — a missing or extra separator would otherwise move
cells into the wrong fields without a word.

Pure: the standard library only and no I/O (the caller decodes the bytes), so that the
publisher client stays vendorable.
"""

import csv
import difflib
import io
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

EVENT_FIELDS = (
    "event_id",
    "qsmo",
    "measure",
    "value",
    "occurred_at",
    "agency",
    "provider",
    "source",
    "attributes",
    "schema_version",
)
"""The fields of an event (``shared.events.PerformanceEvent``), in the order docs list them."""
REQUIRED_COLUMNS = ("event_id", "qsmo", "measure", "value", "occurred_at")
ATTRIBUTE_PREFIX = "attributes."
NUMBER_COLUMNS = frozenset({"value", "schema_version"})
COLUMNS = tuple(field for field in EVENT_FIELDS if field != "attributes")
"""Columns named after an event field; any other column is ``attributes.<name>``."""
_NAMED_OPTIONAL = ("event_id", "agency", "provider", "source")
"""Optional columns a header error names (``schema_version`` is rarely worth sending)."""
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class CsvProblem:
    """One line at fault: a header column (``field``) or a row of the wrong width (``index``).

    The names are those of ingest's error details, which carry these problems as they are.
    """

    line: int
    code: str
    """``unknown_column``, ``duplicate_column``, ``missing_column`` or ``ragged_row``."""
    message: str
    field: str | None = None
    """The column's name."""
    index: int | None = None
    """0-based position of the row among the event rows (the event's index)."""


class CsvFormatError(ValueError):
    """The text cannot be read as events.

    ``message`` says what is wrong as a whole; ``problems`` names each line at fault (empty
    when the message says it all: an unreadable line, a header without rows).
    """

    def __init__(self, message: str, problems: Sequence[CsvProblem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class TooManyRowsError(ValueError):
    """More event rows than the caller allows; reading stopped at the first one too many."""

    def __init__(self, max_rows: int) -> None:
        super().__init__(f"more than {max_rows} event rows")
        self.max_rows = max_rows


@dataclass(frozen=True)
class CsvRow:
    """One event row: the physical line it starts on and its event document."""

    line: int
    document: dict[str, Any]


def read_csv_events(
    text: str, required: Collection[str] = REQUIRED_COLUMNS, max_rows: int | None = None
) -> list[CsvRow]:
    """The event rows of ``text`` (a header row, then one event per row), in order.

    ``required`` lists the columns the header must have (the publisher client derives missing
    event ids, so it does not require ``event_id``). Raises ``CsvFormatError`` (an unreadable
    line, a bad header, rows whose width differs from the header's, no rows) or
    ``TooManyRowsError`` (more than ``max_rows`` event rows; reading stops there).
    """
    rows = _numbered_rows(text)
    header_line, header = next(rows, (1, []))
    _check_header(header, header_line, required)
    events: list[CsvRow] = []
    ragged: list[CsvProblem] = []
    for position, (line, cells) in enumerate(rows):
        if max_rows is not None and position >= max_rows:
            raise TooManyRowsError(max_rows)
        if len(cells) == len(header):
            events.append(CsvRow(line, event_document(header, cells)))
        else:
            ragged.append(_ragged_row(line, position, len(cells), len(header)))
    if ragged:
        raise CsvFormatError("some CSV rows do not match the header; fix the lines listed.", ragged)
    if not events:
        raise CsvFormatError("the CSV has a header row but no event rows.")
    return events


def event_document(columns: Sequence[str], cells: Sequence[str]) -> dict[str, Any]:
    """The event document of one row; ``cells`` has exactly one cell per column.

    Empty cells are left out; numbers and attribute values are converted as the module says.
    """
    document: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=True):
        if not cell:
            continue
        if column.startswith(ATTRIBUTE_PREFIX):
            attributes[column.removeprefix(ATTRIBUTE_PREFIX)] = attribute_value(cell)
        elif column in NUMBER_COLUMNS:
            document[column] = json_number(cell)
        else:
            document[column] = cell
    if attributes:
        document["attributes"] = attributes
    return document


def json_number(cell: str) -> Any:
    """A cell in JSON number syntax as an int or float; anything else stays text.

    Text then fails the event's type check, which names the field. So do whole numbers of more
    digits than Python converts (no measure needs them).
    """
    if not _JSON_NUMBER.fullmatch(cell):
        return cell
    if not cell.lstrip("-").isdigit():
        return float(cell)
    try:
        return int(cell)
    except ValueError:  # beyond sys.get_int_max_str_digits()
        return cell


def attribute_value(cell: str) -> Any:
    """``true``/``false`` as booleans, JSON-syntax numbers as numbers, anything else as text."""
    if cell in ("true", "false"):
        return cell == "true"
    return json_number(cell)


def _numbered_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows, cells trimmed, with the physical line each starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise CsvFormatError(f"CSV line {start} cannot be read: {error}.") from None
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield start, cells


def _check_header(header: list[str], line: int, required: Collection[str]) -> None:
    problems = [
        CsvProblem(line, "unknown_column", _unknown_column(name), field=name)
        for name in header
        if name not in COLUMNS and not name.startswith(ATTRIBUTE_PREFIX)
    ]
    problems += [
        CsvProblem(line, "duplicate_column", f"column '{name}' appears twice.", field=name)
        for name in sorted({name for name in header if header.count(name) > 1})
    ]
    problems += [
        CsvProblem(line, "missing_column", f"required column '{name}' is missing.", field=name)
        for name in required
        if name not in header
    ]
    if problems:
        optional = [name for name in _NAMED_OPTIONAL if name not in required]
        raise CsvFormatError(
            "the CSV header row is not valid; it names event fields: "
            f"{', '.join(required)} (required), {', '.join(optional)}, attributes.<name>.",
            problems,
        )


def _unknown_column(name: str) -> str:
    close = difflib.get_close_matches(name, COLUMNS, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (
        f"column '{name}' is not an event field{hint}; custom columns are named attributes.<name>."
    )


def _ragged_row(line: int, position: int, cells: int, columns: int) -> CsvProblem:
    message = (
        f"the row has {cells} cells but the header has {columns}; give every row one cell "
        "per header column (leave a cell empty for an absent field, and quote a cell that "
        "holds a comma)."
    )
    return CsvProblem(line, "ragged_row", message, index=position)
