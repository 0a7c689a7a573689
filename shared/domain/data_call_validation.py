"""Validating a data call's sections: the one check every way in goes through (pure).

GraphQL's ``submitDataCall`` and the Excel workbook upload both call ``require_valid``: the
section's JSON Schema first, then the product rules a schema cannot say — a row list's key
(``x-row-key``) given once per submission, and a budget row for the data call's own fiscal
year. Each ``DataCallProblem`` names its section, row (1-based) and field, and says what to
do; jsonschema's own messages are rewritten for a person filling in a form. A section's
product rules are checked only once its schema holds, so one mistake is reported once.
"""

import difflib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from shared.domain.data_call import SECTIONS, DataCallSchema, FieldKind, Section


@dataclass(frozen=True)
class DataCallProblem:
    """One problem of a submission: where (section, 1-based row, field) and what to do."""

    section: str
    row: int | None
    field: str | None
    message: str

    def where(self) -> str:
        """``staffing row 2, federal_fte`` (as much of it as is known)."""
        place = self.section + ("" if self.row is None else f" row {self.row}")
        return place + ("" if self.field is None else f", {self.field}")


class DataCallInvalid(ValueError):  # noqa: N818 - a refusal of input, like ValueError
    """A submission broke rules; ``problems`` lists every one (nothing was stored)."""

    def __init__(self, problems: Sequence[DataCallProblem]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(f"{p.where()}: {p.message}" for p in self.problems[:5])
        more = len(self.problems) - 5
        suffix = f"; and {more} more (see errors)" if more > 0 else ""
        super().__init__(f"the data call has {len(self.problems)} problem(s): {shown}{suffix}")


def validate_sections(
    schema: DataCallSchema, fiscal_year: int, sections: object
) -> list[DataCallProblem]:
    """Every problem of ``sections`` (a mapping of section name → its JSON), in section order;
    empty when it may be stored. Product rules of a section are checked only once its schema
    holds (so one mistake is reported once)."""
    if not isinstance(sections, Mapping):
        return [DataCallProblem("sections", None, None, _SECTIONS_SHAPE)]
    known = set(SECTIONS)
    problems = [
        DataCallProblem(str(name), None, None, _unknown_section(str(name)))
        for name in sections
        if name not in known
    ]
    for section in schema.sections:
        if section.name not in sections:
            empty = "[] if it has no rows" if section.has_rows else "its fields"
            problems.append(
                DataCallProblem(section.name, None, None, f"the section is missing; give {empty}")
            )
            continue
        found = _schema_problems(section, sections[section.name])
        problems.extend(found or _rule_problems(section, fiscal_year, sections[section.name]))
    return problems


def require_valid(schema: DataCallSchema, fiscal_year: int, sections: object) -> dict[str, Any]:
    """``sections`` as stored (whole-number floats of integer fields made ints, sections in
    order); ``DataCallInvalid`` listing every problem otherwise."""
    problems = validate_sections(schema, fiscal_year, sections)
    if problems:
        raise DataCallInvalid(problems)
    assert isinstance(sections, Mapping)
    return {s.name: _normalized(s, sections[s.name]) for s in schema.sections}


_SECTIONS_SHAPE = "sections must be a JSON object with one entry per section: " + ", ".join(
    SECTIONS
)


def _unknown_section(name: str) -> str:
    close = difflib.get_close_matches(name, SECTIONS, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown section; {hint}the sections are: {', '.join(SECTIONS)}"


def _schema_problems(section: Section, instance: object) -> list[DataCallProblem]:
    validator = Draft202012Validator(
        section.schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    found: dict[DataCallProblem, None] = {}  # ordered, without duplicates
    errors = sorted(validator.iter_errors(instance), key=_row_order)  # stable: schema order
    for error in errors:
        for problem in _problems_of(section, error):
            found.setdefault(problem, None)
    found.update(dict.fromkeys(_finite_problems(section, instance)))
    return list(found)


def _row_order(error: ValidationError) -> int:
    first = error.absolute_path[0] if error.absolute_path else None
    return first if isinstance(first, int) else -1


def _problems_of(section: Section, error: ValidationError) -> Iterable[DataCallProblem]:
    path = list(error.absolute_path)
    row: int | None = None
    if section.has_rows and path and isinstance(path[0], int):
        row = int(path.pop(0)) + 1
    name = str(path[0]) if path else None
    if error.validator in ("required", "additionalProperties") and isinstance(
        error.instance, Mapping
    ):
        yield from _object_problems(section, row, error)
        return
    if name is None and row is None and error.validator in ("minItems", "maxItems", "type"):
        yield DataCallProblem(section.name, None, None, _section_shape(section, error))
        return
    yield DataCallProblem(section.name, row, name, _message(section, name, error))


def _object_problems(
    section: Section, row: int | None, error: ValidationError
) -> Iterable[DataCallProblem]:
    instance = error.instance
    assert isinstance(instance, Mapping)
    names = [f.name for f in section.fields]
    if error.validator == "required":
        for missing in _listed(error.validator_value):
            if missing not in instance:
                title = _title(section, missing)
                yield DataCallProblem(section.name, row, missing, f"{title} is required")
        return
    for unknown in instance:
        if unknown not in names:
            close = difflib.get_close_matches(str(unknown), names, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            message = f"unknown field; {hint}the fields are: {', '.join(names)}"
            yield DataCallProblem(section.name, row, str(unknown), message)


def _section_shape(section: Section, error: ValidationError) -> str:
    if error.validator == "type":
        return (
            "must be a list of rows (JSON array of objects)"
            if section.has_rows
            else "must be one set of fields (a JSON object)"
        )
    count = error.validator_value
    if error.validator == "minItems":
        per = _title(section, section.row_key).lower()
        return f"needs at least {count} row{'s' if count != 1 else ''}: one per {per}"
    return f"has more than {count} rows; send at most {count}"


_TYPES = {
    "number": "a number",
    "integer": "a whole number",
    "string": "text",
    "boolean": "yes or no (true/false)",
    "object": "an object with the section's fields",
    "array": "a list",
}


def _message(section: Section, name: str | None, error: ValidationError) -> str:
    kind, value, instance = error.validator, error.validator_value, error.instance
    choices = _listed(value)
    why = error.schema.get("description") if isinstance(error.schema, Mapping) else None
    because = f" ({why})" if why and kind in ("const", "maximum", "minimum") else ""
    if kind == "type":
        return f"must be {_TYPES.get(str(value), str(value))}, not {_describe(instance)}"
    if kind == "enum":
        close = difflib.get_close_matches(str(instance), choices, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{_describe(instance)} is not a choice; {hint}choose one of: {', '.join(choices)}"
    if kind == "const":
        return f"must be '{value}'{because}, not {_describe(instance)}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"must be at least {_number(value)}{because}; it is {_describe(instance)}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"must be at most {_number(value)}{because}; it is {_describe(instance)}"
    if kind == "minLength":
        return f"{_title(section, name)} must not be empty"
    if kind == "maxLength":
        return f"must be at most {value} characters long; it has {len(str(instance))}"
    if kind == "format":
        return f"must be a date written YYYY-MM-DD (e.g. 2026-09-30), not {_describe(instance)}"
    if kind == "uniqueItems":
        return "lists a choice twice; give each once"
    if kind == "minItems":
        return f"choose at least {value}"
    return error.message


def _finite_problems(section: Section, instance: object) -> Iterable[DataCallProblem]:
    """NaN and infinities pass JSON Schema's ``number``; the store and the sums must not see
    them."""
    rows = instance if section.has_rows else [instance]
    if not isinstance(rows, list):
        return
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, Mapping):
            continue
        for name, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                where = index if section.has_rows else None
                yield DataCallProblem(section.name, where, str(name), "must be a finite number")


def _rule_problems(section: Section, fiscal_year: int, instance: Any) -> list[DataCallProblem]:
    problems: list[DataCallProblem] = []
    key = section.row_key
    if section.has_rows and key is not None:
        first: dict[object, int] = {}
        for index, row in enumerate(instance, start=1):
            value = row.get(key)
            if value in first:
                message = (
                    f"{_describe(value)} is already given in row {first[value]}; "
                    f"give each {_title(section, key)} once"
                )
                problems.append(DataCallProblem(section.name, index, key, message))
            first.setdefault(value, index)
    if section.name == "budget" and not any(r["fiscal_year"] == fiscal_year for r in instance):
        message = (
            f"no row for FY{fiscal_year}, the data call's fiscal year; add it (cost per "
            "transaction is computed from its operating cost)"
        )
        problems.append(DataCallProblem(section.name, None, "fiscal_year", message))
    return problems


def _normalized(section: Section, instance: Any) -> Any:
    integers = {f.name for f in section.fields if f.kind is FieldKind.INTEGER}

    def row(values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: int(value) if name in integers and isinstance(value, float) else value
            for name, value in values.items()
        }

    return [row(r) for r in instance] if section.has_rows else row(instance)


def _title(section: Section, name: str | None) -> str:
    found = section.field_named(name) if name is not None else None
    return found.title if found is not None else str(name)


def _describe(value: object) -> str:
    if isinstance(value, str):
        return f"text '{value}'" if len(value) <= 60 else f"text '{value[:57]}...'"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "empty (null)"
    if isinstance(value, int | float):
        return _number(value)
    return "a list" if isinstance(value, list) else "an object"


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _listed(value: object) -> list[str]:
    """A schema keyword's list value (``required``, ``enum``) as strings."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else []
