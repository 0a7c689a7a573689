"""What a workbook cell may hold, and how it becomes a section's JSON value.

Cells are typed by their column (``shared.domain.data_call.FieldKind``): a number column
takes numbers only (text such as ``1,500,000`` or ``12 FTE`` is refused with the fix), a
whole-number column whole numbers, a date column dates (not text that looks like one), a
yes/no column ``yes``/``no`` (or TRUE/FALSE), a text column text (a number typed there, e.g. a
contract number, is kept as its digits), a drop-down column its choice, trimmed and in lower
case. ``ValueError`` says what to enter instead.
"""

from datetime import date, datetime

from gateway.provider_tools.workbook import NO, YES
from shared.domain.data_call import FieldKind


def typed(kind: FieldKind, value: object) -> object:
    """A cell's value as the section's JSON holds it; ValueError saying what to enter."""
    if kind in (FieldKind.INTEGER, FieldKind.NUMBER):
        return _number(kind, value)
    if kind is FieldKind.DATE:
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        raise ValueError(
            f"{shown(value)} in a date column: enter a date (e.g. 2026-09-30) so the cell "
            "holds a date, not text"
        )
    if kind is FieldKind.YES_NO:
        if isinstance(value, bool):
            return value
        answer = str(value).strip().lower()
        if answer in (YES, NO):
            return answer == YES
        raise ValueError(f"{shown(value)}: choose yes or no from the drop-down")
    if isinstance(value, datetime | date | bool):
        raise ValueError(f"{shown(value)} in a text column: enter text")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a number typed into a text column (e.g. a contract number)
    text = str(value).strip()
    return text.lower() if kind is FieldKind.CHOICE else text


def _number(kind: FieldKind, value: object) -> int | float:
    whole = kind is FieldKind.INTEGER
    wanted = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(
            f"{shown(value)} in a number column: enter {wanted} — digits only, without "
            "units, thousands separators or quotes"
        )
    if whole and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{value} is not a whole number: enter {wanted}")
        return int(value)
    return value


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, str):
        return f"text '{value[:60]}'"
    if isinstance(value, datetime | date):
        return f"date {value:%Y-%m-%d}"
    return f"{type(value).__name__} {value}" if isinstance(value, bool) else str(value)
