"""The data call's Excel template, generated from the section schemas (openpyxl).

Layout (what ``gateway.provider_tools.workbook_upload`` reads back):

- ``README``: the template version, fiscal year and provider in named cells
  (``template_version``, ``fiscal_year``, ``provider_id``), how to fill it in and upload it,
  and a data dictionary (every column: type, required, meaning; every metric's definition);
- one sheet per section, named after it, in schema order: row 1 holds the column titles,
  data starts in row 2 (``demographics``: row 2 only). Columns are typed — a number format
  and a whole-number, decimal, date or text-length validation — and a schema enum is a
  drop-down (its choices on the hidden ``lists`` sheet, under a defined name). A
  multiple-choice field (``services_offered``) is one yes/no column per choice.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from shared.domain.data_call import DataCallSchema, FieldKind, Section, SectionField

README = "README"
LISTS = "lists"
VERSION_NAME, FISCAL_YEAR_NAME, PROVIDER_NAME = "template_version", "fiscal_year", "provider_id"
HEADER_ROW, FIRST_ROW = 1, 2
ROWS = 500
"""Data rows with validations below the header (the schemas' ``maxItems``)."""
YES, NO = "yes", "no"
FORMATS = {
    FieldKind.TEXT: "@",
    FieldKind.CHOICE: "@",
    FieldKind.CHOICES: "@",
    FieldKind.YES_NO: "@",
    FieldKind.INTEGER: "#,##0",
    FieldKind.NUMBER: "#,##0.00",
    FieldKind.DATE: "yyyy-mm-dd",
}
EXCEL_DATES = ("36526", "73415")
"""1 Jan 2000 and 31 Dec 2100 as Excel date serials: the range a date column accepts."""
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7")


@dataclass(frozen=True)
class Column:
    """One workbook column: a field, or one choice of a multiple-choice field."""

    field: SectionField
    choice: str | None
    header: str

    @property
    def kind(self) -> FieldKind:
        return FieldKind.YES_NO if self.choice is not None else self.field.kind


def columns(section: Section) -> list[Column]:
    """The section's columns, in schema order (column A first)."""
    found: list[Column] = []
    for field in section.fields:
        if field.kind is FieldKind.CHOICES:
            found.extend(Column(field, c, f"{field.title}: {c}") for c in field.choices)
        else:
            found.append(Column(field, None, field.title))
    return found


def last_row(section: Section) -> int:
    """The last sheet row that may hold data (``demographics``: row 2)."""
    return FIRST_ROW + (ROWS - 1 if section.has_rows else 0)


def list_name(section: Section, field: SectionField) -> str:
    """The defined name of a drop-down's choices, e.g. ``choices_staffing_function``."""
    return f"choices_{section.name}_{field.name}"


def template_workbook(
    schema: DataCallSchema,
    fiscal_year: int,
    provider: str | None,
    sections: Mapping[str, Any] | None = None,
) -> bytes:
    """The template of ``fiscal_year``'s data call as .xlsx bytes (``provider``: pre-filled
    in the README, so an upload for another provider is refused; ``sections``: rows typed in
    as a person would, e.g. a version to correct — tests and examples fill it this way)."""
    workbook = Workbook()
    readme = workbook.active
    assert readme is not None
    readme.title = README
    lists = workbook.create_sheet(LISTS)
    for section in schema.sections:
        sheet = workbook.create_sheet(section.name)
        _section_sheet(sheet, section)
        if sections is not None:
            _fill(sheet, section, sections[section.name])
    _readme(workbook, readme, schema, fiscal_year, provider)
    _lists(workbook, lists, schema)
    workbook.move_sheet(LISTS, offset=len(workbook.sheetnames))  # after the sections
    lists.sheet_state = "hidden"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _readme(
    workbook: Workbook, sheet: Worksheet, schema: DataCallSchema, fy: int, provider: str | None
) -> None:
    sheet["A1"] = f"QSMO annual data call — FY{fy}"
    sheet["A1"].font = Font(bold=True, size=14)
    named: list[tuple[str, str, str | int | None]] = [
        (VERSION_NAME, "Template version", schema.version),
        (FISCAL_YEAR_NAME, "Fiscal year", fy),
        (PROVIDER_NAME, "Provider id", provider),
    ]
    for row, (name, label, value) in enumerate(named, start=3):
        sheet.cell(row, 1, label).font = _BOLD
        sheet.cell(row, 2, value)
        reference = f"{quote_sheetname(README)}!$B${row}"
        workbook.defined_names[name] = DefinedName(name, attr_text=reference)
    lines = [*_instructions(fy), "", *_dictionary(schema)]
    for row, line in enumerate(lines, start=7):
        for column, text in enumerate(line if isinstance(line, tuple) else (line,), start=1):
            sheet.cell(row, column, text).alignment = Alignment(wrap_text=column == 4)
    for letter, width in zip("ABCD", (30, 24, 10, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.protection.sheet = True  # the version cells are read back: not for editing


def _instructions(fy: int) -> list[str]:
    return [
        "How to fill it in",
        "Fill in one sheet per section; keep the sheet names and the title row (row 1) as "
        "they are.",
        "demographics takes one row (row 2); every other sheet one row per item, from row 2.",
        "Cells are typed: numbers in number columns (no units, no text), dates as dates "
        "(e.g. 2026-09-30), choices from the drop-down lists, yes/no where asked.",
        f"Upload: POST /v1/data-call/{fy}/workbook?provider=<your provider id> with your "
        "provider API key. Every cell is checked; if one is wrong, nothing is stored and the "
        "answer lists each problem by sheet, row and column.",
        "A correction (a second version) needs a reason: add &reason=<why> to the upload.",
    ]


def _dictionary(schema: DataCallSchema) -> Iterator[str | tuple[str, ...]]:
    yield ("Sheet / column", "Type", "Required", "Meaning")
    for section in schema.sections:
        yield (section.name, "", "", section.description)
        for field in section.fields:
            kind = field.kind.value + (f" ({', '.join(field.choices)})" if field.choices else "")
            yield (f"  {field.title}", kind, YES if field.required else NO, field.description)
            for choice, meaning in field.choice_descriptions.items():
                yield (f"    {choice}", "", "", meaning)


def _section_sheet(sheet: Worksheet, section: Section) -> None:
    last = last_row(section)
    for index, column in enumerate(columns(section), start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(HEADER_ROW, index, column.header)
        cell.font, cell.fill = _BOLD, _HEADER_FILL
        dimension = sheet.column_dimensions[letter]
        dimension.width = min(max(len(column.header) + 2, 14), 45)
        dimension.number_format = FORMATS[column.kind]
        validation = _validation(section, column)
        validation.add(f"{letter}{FIRST_ROW}:{letter}{last}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = f"A{FIRST_ROW}"


def _fill(sheet: Worksheet, section: Section, given: Any) -> None:
    rows = given if section.has_rows else [given]
    for number, row in enumerate(rows, start=FIRST_ROW):
        for index, column in enumerate(columns(section), start=1):
            value = row.get(column.field.name)
            if column.choice is not None:
                sheet.cell(number, index, YES if column.choice in (value or ()) else NO)
            elif value is not None:
                sheet.cell(number, index, _typed_in(column.kind, value))


def _typed_in(kind: FieldKind, value: Any) -> Any:
    """A section value as a cell holds it: dates as dates, yes/no as the drop-down's words."""
    if kind is FieldKind.DATE:
        return date.fromisoformat(value)
    if kind is FieldKind.YES_NO:
        return YES if value else NO
    return value


def _validation(section: Section, column: Column) -> DataValidation:
    field = column.field
    low = _number(-1e15 if field.minimum is None else field.minimum)
    high = _number(1e15 if field.maximum is None else field.maximum)
    kind = column.kind
    if kind is FieldKind.CHOICE:
        rule = DataValidation("list", formula1=list_name(section, field))
        error = "Choose one of the drop-down's values."
    elif kind is FieldKind.YES_NO:
        rule, error = DataValidation("list", formula1=f'"{YES},{NO}"'), "Choose yes or no."
    elif kind in (FieldKind.INTEGER, FieldKind.NUMBER):
        whole = kind is FieldKind.INTEGER
        rule = DataValidation(
            "whole" if whole else "decimal", operator="between", formula1=low, formula2=high
        )
        error = f"Enter a {'whole ' if whole else ''}number from {low} to {high}."
    elif kind is FieldKind.DATE:
        rule = DataValidation(
            "date", operator="between", formula1=EXCEL_DATES[0], formula2=EXCEL_DATES[1]
        )
        error = "Enter a date between 2000-01-01 and 2100-12-31."
    else:
        limit = str(field.max_length or 32767)
        rule = DataValidation("textLength", operator="lessThanOrEqual", formula1=limit)
        error = f"Enter text of at most {limit} characters."
    rule.allow_blank = True
    rule.showErrorMessage, rule.showInputMessage = True, True
    rule.errorTitle, rule.error = column.header[:32], error
    rule.promptTitle, rule.prompt = column.header[:32], field.description[:255]
    return rule


def _lists(workbook: Workbook, sheet: Worksheet, schema: DataCallSchema) -> None:
    index = 0
    for section in schema.sections:
        for field in section.fields:
            if field.kind is not FieldKind.CHOICE:
                continue
            index += 1
            letter = get_column_letter(index)
            sheet.cell(HEADER_ROW, index, f"{section.name}.{field.name}")
            for row, choice in enumerate(field.choices, start=FIRST_ROW):
                sheet.cell(row, index, choice)
            end = FIRST_ROW + len(field.choices) - 1
            reference = f"{quote_sheetname(LISTS)}!${letter}${FIRST_ROW}:${letter}${end}"
            name = list_name(section, field)
            workbook.defined_names[name] = DefinedName(name, attr_text=reference)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
