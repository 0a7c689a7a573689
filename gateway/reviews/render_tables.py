"""A review packet's tables as an XLSX workbook (openpyxl) and as one CSV table.

The same ``Table``s as the PDF, cell for cell: figures (``Quantity``) are typed numbers (XLSX
with a number format matching ``format_value``; CSV the exact number), counts are numbers,
every text cell goes through ``neutralise`` (no formula injection into the readers'
spreadsheets). Sheets: Summary, Measures, Attention, Actions, Changes, Stale, Survey (and
Revisions when the packet has proposals); a sheet lists its tables one after another, each
row with its table's context columns in front. The CSV is one table: ``section`` (the sheet),
``table`` (the table's title), then the union of every table's columns.

Reproducible: the workbook's document dates are the cut-off and the ZIP entries carry a fixed
timestamp, so the same content gives the same bytes.
"""

import csv
import io
import zipfile
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.writer.excel import ExcelWriter

from shared.domain.review_packet import (
    SCORE_UNIT,
    Cell,
    PacketContent,
    Quantity,
    Table,
    format_instant,
)
from shared.domain.spreadsheet_safety import neutralise

SHEETS = ("Summary", "Measures", "Attention", "Actions", "Changes", "Stale", "Survey", "Revisions")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def number_format(unit: str) -> str:
    """The Excel number format showing a figure as ``format_value`` writes it."""
    if unit.startswith("%"):
        return '0.0"%"'
    if unit == SCORE_UNIT:
        return "0.0"
    if unit == "USD":
        return '"$"#,##0'
    if unit.startswith("score"):
        return "0.00"
    return "#,##0.##"


def spreadsheet_value(cell: Cell) -> str | int | float | date | None:
    """What a spreadsheet cell holds: numbers as numbers, text neutralised."""
    if isinstance(cell, Quantity):
        return cell.value
    if cell is None or isinstance(cell, int | float | date):
        return cell
    return neutralise(cell)


def sheets_of(content: PacketContent) -> dict[str, list[Table]]:
    """The content's tables by sheet, in ``SHEETS`` order (sheets without tables left out)."""
    found: dict[str, list[Table]] = {}
    for table in content.tables:
        found.setdefault(table.sheet, []).append(table)
    return {name: found[name] for name in SHEETS if name in found}


def render_xlsx(content: PacketContent) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    workbook.properties.title = content.title
    workbook.properties.creator = "QSMO Performance Platform"
    workbook.properties.created = content.cut_off.replace(tzinfo=None)
    workbook.properties.modified = content.cut_off.replace(tzinfo=None)
    bold = Font(bold=True)
    for name, tables in sheets_of(content).items():
        sheet = workbook.create_sheet(name)
        sheet.append(
            [neutralise(f"{content.title} — as reported at {format_instant(content.cut_off)}")]
        )
        for table in tables:
            sheet.append([])
            sheet.append([neutralise(table.title)])
            sheet.cell(sheet.max_row, 1).font = bold
            header = [*(label for label, _ in table.context), *table.columns]
            sheet.append([neutralise(c) for c in header])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            lead = [neutralise(value) for _, value in table.context]
            for row in table.rows:
                sheet.append([*lead, *(spreadsheet_value(c) for c in row)])
                offset = len(lead)
                for index, cell in enumerate(row):
                    if isinstance(cell, Quantity):
                        sheet.cell(sheet.max_row, offset + index + 1).number_format = number_format(
                            cell.unit
                        )
        sheet.column_dimensions["A"].width = 36
    buffer = io.BytesIO()
    # Not ``workbook.save``: it stamps the document's "modified" with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return _fixed_zip_times(buffer.getvalue())


def _fixed_zip_times(archive: bytes) -> bytes:
    """The same ZIP with every entry dated ``ZIP_TIME`` (openpyxl stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(archive))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def csv_columns(content: PacketContent) -> list[str]:
    """``section``, ``table``, then every table's context and columns, first seen first."""
    names: dict[str, None] = {"section": None, "table": None}
    for tables in sheets_of(content).values():
        for table in tables:
            for name in (*(label for label, _ in table.context), *table.columns):
                names.setdefault(name, None)
    return list(names)


def render_csv(content: PacketContent) -> bytes:
    columns = csv_columns(content)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for sheet, tables in sheets_of(content).items():
        for table in tables:
            for row in table.rows:
                record: dict[str, object] = {"section": sheet, "table": neutralise(table.title)}
                record.update({label: neutralise(value) for label, value in table.context})
                for name, cell in zip(table.columns, row, strict=True):
                    record[name] = _csv_text(cell)
                writer.writerow(record)
    return buffer.getvalue().encode("utf-8")


def _csv_text(cell: Cell) -> str:
    value = spreadsheet_value(cell)
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
