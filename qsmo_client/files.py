"""Read events from JSON-lines and CSV files, remembering the line each event came from.

CSV is read by ingest's own reader (``shared.csv_events``; docs/ingest.md, *CSV*), so a file
this client accepts is a body ingest accepts. A cell that is not what its field needs is sent
as text, so ingest names the problem and this client maps it back to its line.

A row or line without an ``event_id`` gets a derived, stable one (``derived_event_id``).
"""

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qsmo_client.events import RawEvent, canonical_json, derived_event_id
from shared.csv_events import REQUIRED_COLUMNS as EVENT_COLUMNS
from shared.csv_events import CsvFormatError, read_csv_events

REQUIRED_COLUMNS = tuple(name for name in EVENT_COLUMNS if name != "event_id")
"""``event_id`` may be left out: then every row gets a derived id."""


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
    try:
        rows = read_csv_events(text, required=REQUIRED_COLUMNS)
    except CsvFormatError as error:
        problems = [
            FileProblem(f"{file_name} line {p.line}", p.message.removesuffix("."))
            for p in error.problems
        ]
        raise FileFormatError(
            problems or [FileProblem(file_name, error.message.removesuffix("."))]
        ) from None
    ids = _IdDeriver(file_name)
    events = [RawEvent(ids.complete(row.document), f"{file_name} line {row.line}") for row in rows]
    return FileEvents(events, ids.derived)
