"""Read events from JSON-lines and CSV files, remembering the line each event came from.

CSV follows ingest's own rules (docs/ingest.md, *CSV*): a header row of event fields and
``attributes.<name>`` columns, cells trimmed, an empty cell is "absent", ``value`` and
``schema_version`` read as JSON numbers, attribute cells as ``true``/``false``, a JSON
number, or text. A cell that is not what its field needs is sent as text, so ingest names
the problem and this client maps it back to its line.

A row or line without an ``event_id`` gets a derived, stable one (``derived_event_id``).
"""

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qsmo_client.events import RawEvent, canonical_json, derived_event_id

EVENT_FIELDS = (
    "event_id",
    "qsmo",
    "measure",
    "value",
    "occurred_at",
    "agency",
    "source",
    "attributes",
    "schema_version",
)
REQUIRED_COLUMNS = ("qsmo", "measure", "value", "occurred_at")
"""``event_id`` may be left out: then every row gets a derived id."""
NUMBER_COLUMNS = frozenset({"value", "schema_version"})
ATTRIBUTE_PREFIX = "attributes."
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


@dataclass(frozen=True)
class FileProblem:
    """Something wrong with the file itself, found before anything is sent."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class FileFormatError(ValueError):
    """The file cannot be read as events; ``problems`` lists each broken line."""

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclass(frozen=True)
class FileEvents:
    """The events of one file, in order, and how many got a derived id."""

    events: list[RawEvent]
    derived_ids: int


def read_events_file(path: Path, file_format: str = "auto") -> FileEvents:
    """Events of ``path``; ``file_format`` is ``jsonl``, ``csv`` or ``auto`` (by suffix:
    ``.csv`` is CSV, anything else JSON lines). Raises ``FileFormatError`` or ``OSError``."""
    if file_format == "auto":
        file_format = "csv" if path.suffix.lower() == ".csv" else "jsonl"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = f"{path.name} byte {error.start}"
        raise FileFormatError([FileProblem(where, "not UTF-8 text; save it as UTF-8")]) from None
    if file_format == "csv":
        return parse_csv(text, path.name)
    if file_format == "jsonl":
        return parse_jsonl(text, path.name)
    raise ValueError(f"unknown file format {file_format!r}: use jsonl, csv or auto")


class _IdDeriver:
    """Derived ids for rows without one; identical rows get their occurrence number."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.seen: Counter[str] = Counter()
        self.derived = 0

    def complete(self, document: dict[str, Any]) -> dict[str, Any]:
        if document.get("event_id") not in (None, ""):
            return document
        content = {key: value for key, value in document.items() if key != "event_id"}
        key = canonical_json(content)
        occurrence = self.seen[key]
        self.seen[key] += 1
        self.derived += 1
        return {"event_id": derived_event_id(self.file_name, content, occurrence), **content}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number ingest accepts")


def parse_jsonl(text: str, file_name: str) -> FileEvents:
    """One JSON object per line; blank lines are skipped."""
    ids = _IdDeriver(file_name)
    events: list[RawEvent] = []
    problems: list[FileProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{file_name} line {number}"
        try:
            document = json.loads(line, parse_constant=_refuse_constant)
        except ValueError as error:
            problems.append(FileProblem(where, f"not valid JSON ({error})"))
            continue
        if not isinstance(document, dict):
            problems.append(FileProblem(where, "each line must be one JSON object (an event)"))
            continue
        events.append(RawEvent(ids.complete(document), where))
    if problems:
        raise FileFormatError(problems)
    if not events:
        raise FileFormatError([FileProblem(file_name, "the file holds no events")])
    return FileEvents(events, ids.derived)


def parse_csv(text: str, file_name: str) -> FileEvents:
    """A header row, then one event per row (line numbers count physical lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = list(_numbered_rows(reader, file_name))
    if not rows:
        raise FileFormatError([FileProblem(file_name, "the file is empty (no header row)")])
    header_line, columns = rows[0]
    _check_header(columns, f"{file_name} line {header_line}")
    ids = _IdDeriver(file_name)
    events: list[RawEvent] = []
    problems: list[FileProblem] = []
    for line, cells in rows[1:]:
        where = f"{file_name} line {line}"
        if len(cells) != len(columns):
            message = f"{len(cells)} cells, but the header has {len(columns)}"
            problems.append(FileProblem(where, message))
            continue
        events.append(RawEvent(ids.complete(_document(columns, cells)), where))
    if problems:
        raise FileFormatError(problems)
    if not events:
        raise FileFormatError([FileProblem(file_name, "the file has a header but no rows")])
    return FileEvents(events, ids.derived)


def _numbered_rows(reader: Any, file_name: str) -> Any:
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileFormatError([FileProblem(f"{file_name} line {start}", str(error))]) from None
        cells = [cell.strip() for cell in cells]
        if any(cells):
            yield start, cells


def _check_header(columns: list[str], where: str) -> None:
    known = [name for name in EVENT_FIELDS if name != "attributes"]
    problems = [
        FileProblem(
            where, f"column {name!r} is not an event field; name custom columns attributes.<name>"
        )
        for name in columns
        if name not in known and not name.startswith(ATTRIBUTE_PREFIX)
    ]
    problems += [
        FileProblem(where, f"column {name!r} appears twice")
        for name in sorted({n for n in columns if columns.count(n) > 1})
    ]
    problems += [
        FileProblem(where, f"required column {name!r} is missing")
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    if problems:
        raise FileFormatError(problems)


def _document(columns: list[str], cells: list[str]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for column, cell in zip(columns, cells, strict=True):
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
    if not _JSON_NUMBER.fullmatch(cell):
        return cell
    if not cell.lstrip("-").isdigit():
        return float(cell)
    try:
        return int(cell)
    except ValueError:  # more digits than Python converts: send as text, ingest refuses it
        return cell


def _attribute_value(cell: str) -> Any:
    if cell in ("true", "false"):
        return cell == "true"
    return _number(cell)
