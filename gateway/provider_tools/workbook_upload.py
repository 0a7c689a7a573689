"""Reading an uploaded data-call workbook back into sections, cell by cell (openpyxl).

All or nothing: every problem of the whole workbook is collected — the README's template
version, fiscal year and provider, each section's sheet by name, its title row, and every
cell's type — and ``WorkbookInvalid`` lists them by sheet, row and column; only a workbook
without one yields sections (which then go through ``shared.domain.data_call``'s validation
like a GraphQL submission; ``cells_of`` places its problems back on the sheet).
"""

import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import coordinate_to_tuple, get_column_letter
from openpyxl.workbook.workbook import Workbook

from gateway.provider_tools.workbook import (
    FIRST_ROW,
    FISCAL_YEAR_NAME,
    HEADER_ROW,
    PROVIDER_NAME,
    README,
    VERSION_NAME,
    Column,
    columns,
    last_row,
)
from gateway.provider_tools.workbook_cells import blank, shown, typed
from shared.domain.data_call import DataCallSchema, Section
from shared.domain.data_call_validation import DataCallProblem

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
"""An .xlsx is a zip: refuse one that unpacks to more than this (a zip bomb) before parsing."""


@dataclass(frozen=True)
class CellProblem:
    """One problem of an uploaded workbook; ``row``/``column`` are None when it is the whole
    sheet's (or column's)."""

    sheet: str
    row: int | None
    column: str | None
    field: str | None
    message: str

    def as_json(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }


class WorkbookInvalid(ValueError):  # noqa: N818 - a refusal of input, like ValueError
    """The workbook cannot be read as this data call's; ``problems`` lists why."""

    def __init__(self, problems: Sequence[CellProblem]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(_where(p) + p.message for p in self.problems[:3])
        more = len(self.problems) - 3
        super().__init__(
            f"the workbook has {len(self.problems)} problem(s): {shown}"
            + (f"; and {more} more (see errors)" if more > 0 else "")
        )


@dataclass(frozen=True)
class WorkbookReading:
    """The sections read, and for each row list the sheet row of each of its rows."""

    sections: dict[str, Any]
    sheet_rows: dict[str, list[int]]


def read_workbook(
    data: bytes, schema: DataCallSchema, fiscal_year: int, provider: str
) -> WorkbookReading:
    """The sections of an uploaded workbook; ``WorkbookInvalid`` with every problem."""
    workbook = _open(data)
    try:
        return _read(workbook, schema, fiscal_year, provider)
    finally:
        workbook.close()


def _read(
    workbook: Workbook, schema: DataCallSchema, fiscal_year: int, provider: str
) -> WorkbookReading:
    problems = list(_readme_problems(workbook, schema, fiscal_year, provider))
    if problems:  # another template: its sheets are not worth reading cell by cell
        raise WorkbookInvalid(problems)
    sections: dict[str, Any] = {}
    sheet_rows: dict[str, list[int]] = {}
    by_name = {name.strip().lower(): name for name in workbook.sheetnames}  # as Excel: any case
    for section in schema.sections:
        if section.name not in by_name:
            problems.append(_missing_sheet(section.name, workbook.sheetnames, schema))
            continue
        grid = _grid(workbook[by_name[section.name]], last_row(section) + 1)
        found = list(_layout_problems(grid, section))
        rows, sheet_rows[section.name] = _rows(grid, section, found)
        problems.extend(found)
        sections[section.name] = rows if section.has_rows else rows[0]
    if problems:
        raise WorkbookInvalid(problems)
    return WorkbookReading(sections, sheet_rows)


def _grid(sheet: Any, rows: int) -> list[tuple[object, ...]]:
    """The values of the sheet's first ``rows`` rows (read-only sheets stream; nothing past
    them is read)."""
    grid = []
    for values in sheet.iter_rows(min_row=1, max_row=rows, values_only=True):
        grid.append(tuple(values))
    return grid


def cells_of(
    schema: DataCallSchema, reading: WorkbookReading, problems: Iterable[DataCallProblem]
) -> list[CellProblem]:
    """The validation's problems placed on the workbook's sheets, rows and columns."""
    placed = []
    for problem in problems:
        section = schema.section(problem.section)
        row: int | None = FIRST_ROW if not section.has_rows else None
        if section.has_rows and problem.row is not None:
            rows = reading.sheet_rows.get(section.name, [])
            row = rows[problem.row - 1] if problem.row <= len(rows) else None
        letter = next(
            (
                get_column_letter(i)
                for i, c in enumerate(columns(section), start=1)
                if c.field.name == problem.field
            ),
            None,
        )
        placed.append(CellProblem(section.name, row, letter, problem.field, problem.message))
    return placed


def _open(data: bytes) -> Workbook:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise WorkbookInvalid([_whole("the upload is not an .xlsx workbook")]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        limit = MAX_UNPACKED_BYTES // 1024 // 1024
        raise WorkbookInvalid([_whole(f"the workbook unpacks to more than {limit} MB")])
    try:
        with warnings.catch_warnings():  # openpyxl warns of Excel features it drops
            warnings.simplefilter("ignore")
            return load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # any parse failure of hostile bytes is the upload's fault
        message = f"the upload is not a readable .xlsx workbook ({type(error).__name__})"
        raise WorkbookInvalid([_whole(message)]) from None


def _whole(problem: str) -> CellProblem:
    fix = "; download the template (GET /v1/data-call/<fiscal year>/template.xlsx), fill it in"
    return CellProblem("", None, None, None, problem + fix + " and upload that")


def _named_value(workbook: Workbook, name: str) -> tuple[bool, object]:
    defined = workbook.defined_names.get(name)
    if defined is None:
        return False, None
    for sheet, reference in defined.destinations:
        if sheet in workbook.sheetnames:
            row, column = coordinate_to_tuple(reference.replace("$", ""))
            cells = workbook[sheet].iter_rows(
                min_row=row, max_row=row, min_col=column, max_col=column, values_only=True
            )
            return True, next(iter(cells), (None,))[0]
    return False, None


def _readme_problems(
    workbook: Workbook, schema: DataCallSchema, fiscal_year: int, provider: str
) -> Iterable[CellProblem]:
    found, version = _named_value(workbook, VERSION_NAME)
    current = f"download the current one (GET /v1/data-call/{fiscal_year}/template.xlsx)"
    if not found:
        yield CellProblem(
            README,
            None,
            None,
            VERSION_NAME,
            "this is not a data-call template: its README sheet has no template version; "
            + current
            + " and copy your rows into it",
        )
        return
    if str(version).strip() != schema.version:
        yield CellProblem(
            README,
            3,
            "B",
            VERSION_NAME,
            f"the workbook is template version '{version}', but the FY{fiscal_year} data call "
            f"takes version '{schema.version}'; {current} and copy your rows into it",
        )
    _, year = _named_value(workbook, FISCAL_YEAR_NAME)
    if str(year).strip() != str(fiscal_year):
        yield CellProblem(
            README,
            4,
            "B",
            FISCAL_YEAR_NAME,
            f"the workbook is the template of FY{year}, uploaded as FY{fiscal_year}'s; upload "
            f"it to /v1/data-call/{year}/workbook, or fill in FY{fiscal_year}'s template",
        )
    _, named = _named_value(workbook, PROVIDER_NAME)
    if named not in (None, "") and str(named).strip() != provider:
        yield CellProblem(
            README,
            5,
            "B",
            PROVIDER_NAME,
            f"the workbook was made for provider '{named}', uploaded for '{provider}'; upload "
            f"it with ?provider={named}, or download the template with ?provider={provider}",
        )


def _missing_sheet(name: str, present: Sequence[str], schema: DataCallSchema) -> CellProblem:
    expected = {s.name for s in schema.sections} | {README.lower(), "lists"}
    strangers = [s for s in present if s.strip().lower() not in expected]
    found = f"; found {', '.join(repr(s) for s in strangers)}" if strangers else ""
    message = (
        f"sheet '{name}' is missing{found}: each section's sheet must keep its name — rename "
        f"it back to '{name}'"
    )
    return CellProblem(name, None, None, None, message)


def _layout_problems(grid: Sequence[tuple[object, ...]], section: Section) -> Iterable[CellProblem]:
    expected = columns(section)
    titles = grid[HEADER_ROW - 1] if grid else ()
    for index, column in enumerate(expected, start=1):
        header = titles[index - 1] if index <= len(titles) else None
        if str(header or "").strip() != column.header:
            letter = get_column_letter(index)
            yield CellProblem(
                section.name,
                HEADER_ROW,
                letter,
                column.field.name,
                f"the title of column {letter} is {shown(header)}, expected '{column.header}'; "
                "keep the template's title row as it is (columns may not be moved or renamed)",
            )
    for number, values in enumerate(grid, start=HEADER_ROW):
        outside = next(
            (i for i in range(len(expected) + 1, len(values) + 1) if not blank(values[i - 1])),
            None,
        )
        if outside is not None:
            letter = get_column_letter(outside)
            yield CellProblem(
                section.name,
                number,
                letter,
                None,
                f"cell {letter}{number} is outside the template's columns (A to "
                f"{get_column_letter(len(expected))}); delete it",
            )


def _rows(
    grid: Sequence[tuple[object, ...]], section: Section, problems: list[CellProblem]
) -> tuple[list[dict[str, Any]], list[int]]:
    layout = columns(section)
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, cells in enumerate(grid[FIRST_ROW - 1 :], start=FIRST_ROW):
        values = (*cells[: len(layout)], *([None] * (len(layout) - len(cells))))
        if all(blank(v) for v in values):
            continue
        if number > last_row(section):
            where = "row 2 only" if not section.has_rows else f"rows 2 to {last_row(section)}"
            message = f"{section.name} takes {where}; row {number} is not read — delete it"
            problems.append(CellProblem(section.name, number, None, None, message))
            break
        rows.append(_row(section, layout, number, values, problems))
        numbers.append(number)
    if not section.has_rows and not rows:
        rows.append(_row(section, layout, FIRST_ROW, [None] * len(layout), problems))
    return rows, numbers


def _row(
    section: Section,
    layout: Sequence[Column],
    number: int,
    values: Sequence[object],
    problems: list[CellProblem],
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for index, (column, value) in enumerate(zip(layout, values, strict=True), start=1):
        if column.choice is not None:
            row.setdefault(column.field.name, [])
        if blank(value):
            continue
        try:
            cell = typed(column.kind, value)
        except ValueError as error:
            letter = get_column_letter(index)
            problems.append(
                CellProblem(section.name, number, letter, column.field.name, str(error))
            )
            continue
        if column.choice is None:
            row[column.field.name] = cell
        elif cell:
            row[column.field.name].append(column.choice)
    return row


def _where(problem: CellProblem) -> str:
    if not problem.sheet:
        return ""
    cell = f"{problem.column or ''}{problem.row or ''}"
    return f"sheet '{problem.sheet}'" + (f" {cell}" if cell else "") + ": "
