"""Pydantic's type errors for one event, rewritten as messages a QSMO developer can act on.

Each error becomes an ``ErrorDetail`` with a dotted field path (``value``,
``attributes.region``), a stable code and a sentence that says what was sent and what to send
instead. The union errors pydantic reports for one attribute value collapse into one entry.
"""

import difflib
import json
from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

from services.ingest.schemas import ErrorDetail
from shared.csv_events import EVENT_FIELDS

EXPECTED = {
    "event_id": "a string of 1 to 128 letters, digits or . _ : / @ + = - (a UUID is ideal)",
    "qsmo": "a QSMO id such as 'cybersecurity' (lower-case letters, digits and dashes)",
    "measure": "a measure id such as 'customer-satisfaction' (lower-case letters, digits, dashes)",
    "value": "a number such as 4.5",
    "occurred_at": "an RFC 3339 timestamp with an offset such as 2024-03-01T12:00:00Z",
    "agency": "a string of 1 to 64 characters such as 'DOI'",
    "provider": "a provider id such as 'doi-ibc' (lower-case letters, digits and dashes)",
    "source": "a string of 1 to 200 characters naming the sending system",
    "attributes": "an object of at most 50 name → string, number or boolean entries",
    "schema_version": "2 (or 1, or leave it out)",
}
ATTRIBUTE_VALUE = "a string of at most 1024 characters, a number or a boolean"
_SHOWN_MAX = 60


def shown(value: Any) -> str:
    """A short JSON rendering of what the client sent (long inputs are cut with …)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= _SHOWN_MAX else text[: _SHOWN_MAX - 1] + "…"


def kind(value: Any) -> str:
    """The JSON type of a value, with its article: 'a string', 'an array', 'null' …"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array" if isinstance(value, list) else "an object"


def describe_errors(
    errors: Sequence[ErrorDetails], index: int, event_id: str | None
) -> list[ErrorDetail]:
    """One ``ErrorDetail`` per distinct problem of the event at ``index``."""
    details: list[ErrorDetail] = []
    seen: set[str] = set()
    for error in errors:
        field, code, message = _describe(error)
        if f"{field}|{code}" in seen:
            continue
        seen.add(f"{field}|{code}")
        details.append(
            ErrorDetail(index=index, event_id=event_id, field=field, code=code, message=message)
        )
    return details


def _describe(error: ErrorDetails) -> tuple[str | None, str, str]:
    loc = tuple(str(part) for part in error["loc"])
    kind_of_error, value = error["type"], error.get("input")
    if not loc:
        return None, "not_an_object", f"an event must be a JSON object, got {kind(value)}."
    if loc[0] == "attributes":
        return _describe_attribute(loc, kind_of_error, value, error.get("ctx") or {})
    field = loc[0]
    if kind_of_error == "extra_forbidden":
        return field, "unknown_field", _unknown_field(field)
    if kind_of_error == "missing":
        return field, "missing_field", f"{field} is missing; send {EXPECTED[field]}."
    if field == "occurred_at":
        return _describe_timestamp(kind_of_error, value, error.get("ctx") or {})
    if field == "schema_version":
        message = (
            f"schema_version {shown(value)} is not supported; send 2 (the current version, "
            "which adds provider) or 1, or leave it out."
        )
        return field, "unsupported_schema_version", message
    if kind_of_error.endswith("_type"):
        return field, "wrong_type", _wrong_type(field, value)
    message = f"{field} {shown(value)} is not valid; send {EXPECTED.get(field, 'a valid value')}."
    return field, "invalid_format", message


def _unknown_field(name: str) -> str:
    close = difflib.get_close_matches(name, EVENT_FIELDS, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (
        f"'{name}' is not an event field{hint}; an event has {', '.join(EVENT_FIELDS)}. "
        "Put any other data in attributes."
    )


def _wrong_type(field: str, value: Any) -> str:
    message = f"{field} must be {EXPECTED.get(field, 'of another type')}, got {kind(value)}"
    if field == "value" and isinstance(value, str) and _looks_numeric(value):
        return f"{message} {shown(value)}; send the number without quotes."
    return f"{message} {shown(value)}."


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _describe_timestamp(
    kind_of_error: str, value: Any, ctx: dict[str, Any]
) -> tuple[str, str, str]:
    field = "occurred_at"
    if kind_of_error == "timezone_aware":
        message = (
            f"occurred_at {shown(value)} has no UTC offset; add one, e.g. {value}Z "
            f"or {value}-04:00."
        )
        return field, "timestamp_without_offset", message
    if not isinstance(value, str):
        return field, "wrong_type", f"occurred_at must be {EXPECTED[field]}, got {kind(value)}."
    reason = f" ({ctx['error']})" if "error" in ctx else ""
    message = (
        f"occurred_at {shown(value)} is not an RFC 3339 timestamp{reason}; send {EXPECTED[field]}."
    )
    return field, "timestamp_invalid", message


def _describe_attribute(
    loc: tuple[str, ...], kind_of_error: str, value: Any, ctx: dict[str, Any]
) -> tuple[str, str, str]:
    if len(loc) == 1:
        if kind_of_error == "too_long":
            count = ctx.get("actual_length", "too many")
            return (
                "attributes",
                "invalid_attribute",
                f"attributes has {count} entries; at most 50 are allowed.",
            )
        return "attributes", "invalid_attribute", f"attributes must be {EXPECTED['attributes']}."
    name = loc[1]
    if loc[-1] == "[key]":
        message = (
            f"attribute name {shown(name)} is not allowed; use 1 to 64 letters, digits, "
            "'_', '.' or '-'."
        )
        return f"attributes.{name}", "invalid_attribute", message
    message = f"attributes.{name} is {kind(value)} {shown(value)}; send {ATTRIBUTE_VALUE}."
    return f"attributes.{name}", "invalid_attribute", message
