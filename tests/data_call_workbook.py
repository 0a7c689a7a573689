"""Filling the data call's Excel template as a provider would in Excel (openpyxl), for the
tests that upload it: the browser tests and the docs examples."""

from collections.abc import Mapping
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from shared.catalog.data_call import load_data_call_schema
from shared.domain.data_call import FieldKind

HEADER_ROW, FIRST_ROW = 1, 2


def fill_workbook(template: bytes, sections: Mapping[str, Any]) -> bytes:
    """The template with ``sections`` (as ``submitDataCall`` takes them) typed in: each
    sheet's header row holds the fields' titles; a multiple-choice field is one yes/no column
    per choice (``<title>: <choice>``), a yes/no field says yes or no, a date is a date cell."""
    schema = load_data_call_schema()
    book = load_workbook(BytesIO(template))
    for name, content in sections.items():
        section = schema.section(name)
        sheet = book[name]
        header = {str(c.value): c.column for c in sheet[HEADER_ROW] if c.value is not None}
        rows = content if isinstance(content, list) else [content]
        for offset, row in enumerate(rows):
            line = FIRST_ROW + offset
            for field_name, value in row.items():
                found = section.field_named(field_name)
                assert found is not None, f"{name}.{field_name} is not in the template"
                if found.kind is FieldKind.CHOICES:
                    for choice in found.choices:
                        column = header[f"{found.title}: {choice}"]
                        sheet.cell(line, column, "yes" if choice in value else "no")
                    continue
                if found.kind is FieldKind.YES_NO:
                    value = "yes" if value else "no"
                elif found.kind is FieldKind.DATE:
                    value = date.fromisoformat(value)
                sheet.cell(line, header[found.title], value)
    return saved(book)


def with_cell(workbook: bytes, sheet: str, row: int, title: str, value: object) -> bytes:
    """``workbook`` with the cell of column ``title`` in ``row`` of ``sheet`` set to ``value``."""
    book = load_workbook(BytesIO(workbook))
    header = {str(c.value): c.column for c in book[sheet][HEADER_ROW] if c.value is not None}
    book[sheet].cell(row, header[title], value)
    return saved(book)


def saved(book: Any) -> bytes:
    out = BytesIO()
    book.save(out)
    return out.getvalue()
