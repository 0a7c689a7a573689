"""A survey tool's export → rows of text cells: CSV (the ``csv`` module) or XLSX (openpyxl).

The format of common survey tools: a header row, then one row per response, one column per
item (``role``, ``agency``, ``function``, ``provider``, the wave's item ids, ``comment``,
optional ``response_id``; names are trimmed and lower-cased). Row numbers count as a
spreadsheet shows them: the header is row 1. Blank rows are skipped. A CSV row with more or
fewer cells than the header is an error naming its row, never padded or cut. XLSX: the first
worksheet is read; numbers become text (``4.0`` → ``4``) so that one set of rules
(``shared.domain.survey_responses``) judges both formats.

What the cells mean is not judged here; a file that cannot be read at all raises
``SurveyRejected`` naming the place.
"""

import csv
import io
import warnings
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from shared.domain.survey import Problem, SurveyRejected

MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
"""An .xlsx is a zip: one that unpacks to more than this (a zip bomb) is refused unread."""
XLSX_MAGIC = b"PK\x03\x04"
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Cells = dict[str, str | None]


@dataclass(frozen=True)
class ResponseFile:
    """A parsed file: its header (normalized), rows as (row number, cells by column), and
    the sheet read (None for CSV)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[int, Cells], ...]
    sheet: str | None = None


def read_response_file(data: bytes) -> ResponseFile:
    """Read an XLSX workbook (recognized by its zip signature) or CSV text (UTF-8)."""
    if not data.strip():
        raise SurveyRejected([Problem("file", "the file is empty; send a header row and rows")])
    if data.startswith(XLSX_MAGIC):
        return read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = f"the file is neither an XLSX workbook nor UTF-8 CSV text (byte {error.start})"
        raise SurveyRejected([Problem("file", message)]) from None
    return read_csv(text)


def read_csv(text: str) -> ResponseFile:
    """Rows of a CSV text; ragged rows are refused by row number."""
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        raise SurveyRejected([Problem("file", "the file has no header row")])
    columns = _columns(lines[0])
    rows: list[tuple[int, Cells]] = []
    problems: list[Problem] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            message = f"has {len(cells)} cells but the header has {len(columns)} columns"
            problems.append(Problem("row", message, number))
            continue
        rows.append((number, dict(zip(columns, cells, strict=True))))
    if problems:
        raise SurveyRejected(problems)
    return ResponseFile(columns, tuple(_bounded(rows)))


def read_xlsx(data: bytes) -> ResponseFile:
    """Rows of the workbook's first worksheet, cells as text."""
    unreadable = "the workbook cannot be read ({}); save it again as .xlsx"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            limit = MAX_UNPACKED_BYTES // 1024 // 1024
            raise SurveyRejected([Problem("file", f"the workbook unpacks to more than {limit} MB")])
        with warnings.catch_warnings():  # openpyxl warns of Excel features it drops
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SurveyRejected([Problem("file", unreadable.format(error))]) from None
    try:
        sheet = workbook.worksheets[0]
        lines = [[_text(v) for v in values] for values in sheet.iter_rows(values_only=True)]
        name = sheet.title
    finally:
        workbook.close()
    while lines and not any(lines[0]):
        lines.pop(0)
    if not lines:
        raise SurveyRejected([Problem("file", f"sheet '{name}' is empty; add a header row")])
    header = lines[0]
    while header and not header[-1]:
        header.pop()
    columns = _columns([h or "" for h in header])
    rows: list[tuple[int, Cells]] = []
    problems: list[Problem] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cells):
            continue
        extra = [v for v in cells[len(columns) :] if v]
        if extra:
            message = f"has a value ('{extra[0][:40]}') to the right of the last column"
            problems.append(Problem("row", message, number))
            continue
        padded = cells[: len(columns)] + [None] * (len(columns) - len(cells))
        rows.append((number, dict(zip(columns, padded, strict=True))))
    if problems:
        raise SurveyRejected(problems)
    return ResponseFile(columns, tuple(_bounded(rows)), sheet=name)


def _columns(header: list[str]) -> tuple[str, ...]:
    return tuple(h.strip().lower() for h in header)


def _bounded(rows: list[tuple[int, Cells]]) -> list[tuple[int, Cells]]:
    if len(rows) > MAX_ROWS:
        message = f"{len(rows)} rows; send at most {MAX_ROWS} per file (split it)"
        raise SurveyRejected([Problem("file", message)])
    return rows


def _text(value: object) -> str | None:
    """A cell as text: None stays None; whole floats lose ``.0``; dates are ISO."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None
