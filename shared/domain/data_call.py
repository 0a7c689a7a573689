"""The annual data call's sections and the cost figures they yield (pure).

FRAMEWORK.md rev. 2, "Tiers below the QSMO": once a year each provider reports six sections —
``demographics`` (one set of fields) and the row lists ``metrics``, ``staffing`` (FTE by
function), ``budget`` (by fiscal year), ``systems`` and ``contracts``. Each section is a JSON
Schema 2020-12 document, versioned (``shared/catalog/tools/data-call/<version>/``, read by
``shared.catalog.data_call``); ``DataCallSchema`` is one version of the six, with each
field's kind (what the workbook column holds). Validation: ``data_call_validation``; the
versions and their review: ``data_call_versions``; what changed: ``data_call_diff``.
``cost_figures`` derives the columns ``providerComparison`` shows beside quality.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from jsonschema import Draft202012Validator

SECTIONS = ("demographics", "metrics", "staffing", "budget", "systems", "contracts")
"""The sections, in the order the workbook shows them."""
CURRENT_VERSION = "1.0"
"""The template and schema version every fiscal year's data call takes now."""


class FieldKind(StrEnum):
    """What a field holds; it decides the workbook column's type, format and drop-down."""

    TEXT = "text"
    CHOICE = "choice"
    CHOICES = "choices"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    YES_NO = "yes/no"


@dataclass(frozen=True)
class SectionField:
    """One field of a section's row (or of ``demographics``), read from its JSON Schema."""

    name: str
    title: str
    description: str
    kind: FieldKind
    required: bool
    choices: tuple[str, ...] = ()
    choice_descriptions: Mapping[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Section:
    """One section: its schema, and whether it is one set of fields or a list of rows."""

    name: str
    title: str
    description: str
    has_rows: bool
    row_key: str | None
    fields: tuple[SectionField, ...]
    schema: Mapping[str, Any]

    def field_named(self, name: str) -> SectionField | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class DataCallSchema:
    """One version of the six sections' schemas."""

    version: str
    sections: tuple[Section, ...]

    def section(self, name: str) -> Section:
        """The section called ``name``; KeyError for an unknown one."""
        for section in self.sections:
            if section.name == name:
                return section
        raise KeyError(name)

    @classmethod
    def from_documents(
        cls, version: str, documents: Mapping[str, Mapping[str, Any]]
    ) -> "DataCallSchema":
        """The schema of ``version`` from one JSON Schema document per section.

        ValueError if a section is missing or a document is not a valid 2020-12 schema of an
        object or of an array of objects.
        """
        missing = [s for s in SECTIONS if s not in documents]
        if missing:
            raise ValueError(f"data-call version {version}: no schema for {', '.join(missing)}")
        return cls(version, tuple(_section(name, documents[name]) for name in SECTIONS))


def _section(name: str, document: Mapping[str, Any]) -> Section:
    Draft202012Validator.check_schema(document)
    has_rows = document.get("type") == "array"
    row = document["items"] if has_rows else document
    if row.get("type") != "object":
        raise ValueError(f"section {name}: a row must be a JSON object")
    required = set(row.get("required", ()))
    fields = tuple(_field(n, p, n in required) for n, p in row["properties"].items())
    return Section(
        name=name,
        title=str(document.get("title", name)),
        description=str(document.get("description", "")),
        has_rows=has_rows,
        row_key=document.get("x-row-key"),
        fields=fields,
        schema=document,
    )


def _field(name: str, prop: Mapping[str, Any], required: bool) -> SectionField:
    kind, choices = _kind(name, prop)
    return SectionField(
        name=name,
        title=str(prop.get("title", name)),
        description=str(prop.get("description", "")),
        kind=kind,
        required=required,
        choices=choices,
        choice_descriptions=dict(prop.get("x-choice-descriptions", {})),
        minimum=prop.get("minimum"),
        maximum=prop.get("maximum"),
        max_length=prop.get("maxLength"),
    )


def _kind(name: str, prop: Mapping[str, Any]) -> tuple[FieldKind, tuple[str, ...]]:
    kind = prop.get("type")
    if kind == "array" and "enum" in prop.get("items", {}):
        return FieldKind.CHOICES, tuple(prop["items"]["enum"])
    if kind == "string" and "enum" in prop:
        return FieldKind.CHOICE, tuple(prop["enum"])
    if kind == "string":
        return (FieldKind.DATE if prop.get("format") == "date" else FieldKind.TEXT), ()
    simple = {"integer": FieldKind.INTEGER, "number": FieldKind.NUMBER, "boolean": FieldKind.YES_NO}
    if kind in simple:
        return simple[kind], ()
    raise ValueError(f"field {name}: type {kind!r} has no workbook column")


@dataclass(frozen=True)
class CostFigures:
    """The data call's cost columns of ``providerComparison`` (None where not computable)."""

    cost_per_transaction: float | None
    fte_per_thousand_customers: float | None
    total_cost: float | None


def cost_figures(sections: Mapping[str, Any], fiscal_year: int) -> CostFigures:
    """Cost figures of a valid submission for ``fiscal_year``, rounded to 4 decimals.

    - total cost: the budget row of ``fiscal_year``'s operating cost (USD);
    - cost per transaction: total cost ÷ transactions processed (None for 0 transactions);
    - FTE per 1,000 customers: (federal + contractor FTE of every function) ÷ customers
      served × 1,000 (None for 0 customers).
    """
    demographics = sections["demographics"]
    budget = next((r for r in sections["budget"] if r["fiscal_year"] == fiscal_year), None)
    total = None if budget is None else float(budget["operating_cost_usd"])
    transactions = demographics["transactions_processed"]
    customers = demographics["customer_count"]
    fte = math.fsum(r["federal_fte"] + r["contractor_fte"] for r in sections["staffing"])
    return CostFigures(
        cost_per_transaction=(
            round(total / transactions, 4) if total is not None and transactions > 0 else None
        ),
        fte_per_thousand_customers=round(fte / customers * 1000, 4) if customers > 0 else None,
        total_cost=total,
    )
