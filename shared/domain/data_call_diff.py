"""What changed between two versions of a data call: the audit trail's summary (pure).

Rows of a row list are matched by their key (``x-row-key``: a metric id, a function, a
fiscal year, a system name, a contract number), so reordering rows changes nothing; a row
only on one side is ``ADDED`` or ``REMOVED`` whole, a row on both sides is compared field by
field, as is ``demographics``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.domain.data_call import DataCallSchema, Section


class ChangeKind(StrEnum):
    """A row added or removed, or one field's value changed."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True)
class SectionChange:
    """One difference between two versions.

    ``key`` is the row's key (``payroll``, ``2026``; None in ``demographics``); ``field`` is
    None when a whole row was added or removed (``before``/``after`` then hold the row).
    """

    section: str
    key: str | None
    field: str | None
    kind: ChangeKind
    before: object
    after: object

    def describe(self) -> str:
        """``staffing 'payroll' federal_fte: 10 → 12`` and the like."""
        where = self.section + ("" if self.key is None else f" '{self.key}'")
        if self.field is None:
            return f"{where}: row {self.kind.value}"
        return f"{where} {self.field}: {_shown(self.before)} → {_shown(self.after)}"


def diff_sections(
    schema: DataCallSchema, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[SectionChange]:
    """What changed from ``before`` to ``after``, section by section in schema order; rows
    are matched by their key (``x-row-key``), so reordering rows changes nothing."""
    changes: list[SectionChange] = []
    for section in schema.sections:
        old, new = before.get(section.name), after.get(section.name)
        if section.has_rows:
            changes.extend(_row_changes(section, old or [], new or []))
        else:
            changes.extend(_field_changes(section, None, old or {}, new or {}))
    return changes


def _row_changes(
    section: Section, before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]
) -> list[SectionChange]:
    key = section.row_key or ""
    old = {str(r.get(key)): r for r in before}
    new = {str(r.get(key)): r for r in after}
    changes: list[SectionChange] = []
    for name in [*old, *(k for k in new if k not in old)]:
        if name not in new:
            changes.append(
                SectionChange(section.name, name, None, ChangeKind.REMOVED, old[name], None)
            )
        elif name not in old:
            changes.append(
                SectionChange(section.name, name, None, ChangeKind.ADDED, None, new[name])
            )
        else:
            changes.extend(_field_changes(section, name, old[name], new[name]))
    return changes


def _field_changes(
    section: Section, key: str | None, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[SectionChange]:
    changes = []
    for field in section.fields:
        old, new = before.get(field.name), after.get(field.name)
        if old != new:
            kind = (
                ChangeKind.ADDED
                if old is None
                else ChangeKind.REMOVED
                if new is None
                else ChangeKind.CHANGED
            )
            changes.append(SectionChange(section.name, key, field.name, kind, old, new))
    return changes


def _shown(value: object) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
