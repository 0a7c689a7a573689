"""From request bytes to a ``Submission``: the events it carries and their type errors.

The common case, a valid body, costs one JSON parse to learn the body's shape plus one
pydantic ``model_validate_json`` over the bytes. Only when that fails is each event validated
on its own, so every bad event gets its own entries. Catalog rules (known measure, range,
time window) are checked later by the handler (``shared.domain.validation``).
"""

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from services.ingest.error_messages import describe_errors, kind, shown
from services.ingest.errors import InvalidRequestError, PayloadTooLargeError
from services.ingest.schemas import ErrorDetail, EventBatch
from shared.events import PerformanceEvent

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Submission:
    """The events of one request, in order, before the catalog rules are checked.

    ``events[i]`` is None when event ``i`` failed its type checks (see ``problems``);
    ``event_ids`` and ``qsmos`` hold what the client sent when it was a string, for error
    details, authorization and metrics. ``lines`` maps each event to its CSV line.
    """

    events: tuple[PerformanceEvent | None, ...]
    event_ids: tuple[str | None, ...]
    qsmos: tuple[str | None, ...]
    problems: tuple[ErrorDetail, ...] = ()
    lines: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return len(self.events)

    def line_of(self, index: int) -> int | None:
        """The CSV line of event ``index`` (None for JSON bodies)."""
        return None if self.lines is None else self.lines[index]


def parse_json_body(body: bytes, max_events: int) -> Submission:
    """Read a JSON body: one event object or ``{"events": [...]}`` with 1..max_events events.

    Raises ``InvalidRequestError`` (not JSON, wrong shape, no events) or ``PayloadTooLargeError``.
    """
    try:
        document = from_json(body)
    except ValueError as error:
        raise InvalidRequestError(
            f"the body is not valid JSON: {error}. Send one event object, "
            'or {"events": [ … ]}, encoded as UTF-8.'
        ) from None
    documents, is_batch = _event_documents(document, max_events)
    try:
        if is_batch:
            events: Sequence[PerformanceEvent] = EventBatch.model_validate_json(body).events
        else:
            events = [PerformanceEvent.model_validate_json(body)]
    except ValidationError:
        return submission_from_documents(documents)
    return _checked(events, None)


def submission_from_documents(
    documents: Sequence[Any], lines: tuple[int, ...] | None = None
) -> Submission:
    """Validate each JSON-like event document on its own, collecting every problem."""
    events: list[PerformanceEvent | None] = []
    problems: list[ErrorDetail] = []
    for index, document in enumerate(documents):
        raw_id = _string_field(document, "event_id")
        try:
            # JSON mode: strict types as on the wire (RFC 3339 strings for timestamps).
            event = PerformanceEvent.model_validate_json(json.dumps(document))
        except ValidationError as error:
            events.append(None)
            problems.extend(describe_errors(error.errors(include_url=False), index, raw_id))
            continue
        attribute_problems = _attribute_problems(event, index)
        events.append(None if attribute_problems else event)
        problems.extend(attribute_problems)
    return Submission(
        events=tuple(events),
        event_ids=tuple(_string_field(d, "event_id") for d in documents),
        qsmos=tuple(_string_field(d, "qsmo") for d in documents),
        problems=tuple(problems),
        lines=lines,
    )


def _string_field(document: Any, name: str) -> str | None:
    value = document.get(name) if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def _event_documents(document: Any, max_events: int) -> tuple[list[Any], bool]:
    if not isinstance(document, dict):
        hint = ' Wrap a list of events as {"events": [ … ]}.' if isinstance(document, list) else ""
        raise InvalidRequestError(
            f'the body must be a JSON object (one event, or {{"events": [ … ]}}), '
            f"got {kind(document)}.{hint}"
        )
    if "events" not in document:
        return [document], False
    extra = sorted(set(document) - {"events"})
    if extra:
        details = [
            ErrorDetail(
                field=name, code="unknown_field", message=f"unknown top-level field {shown(name)}"
            )
            for name in extra
        ]
        raise InvalidRequestError(
            'a batch body has exactly one field, "events"; remove ' + ", ".join(extra) + ".",
            details,
        )
    events = document["events"]
    if not isinstance(events, list) or not events:
        got = "an empty array" if events == [] else kind(events)
        raise InvalidRequestError(
            f'"events" must be an array of 1 to {max_events} events, got {got}.'
        )
    if len(events) > max_events:
        raise PayloadTooLargeError(
            f"the request carries {len(events)} events; at most {max_events} are allowed "
            "per request. Split it into several requests."
        )
    return events, True


def _checked(events: Sequence[PerformanceEvent], lines: tuple[int, ...] | None) -> Submission:
    """A submission of type-valid events, minus those with non-finite attribute numbers."""
    kept: list[PerformanceEvent | None] = list(events)
    problems: list[ErrorDetail] = []
    for index, event in enumerate(events):
        if event.attributes and (found := _attribute_problems(event, index)):
            kept[index] = None
            problems.extend(found)
    return Submission(
        events=tuple(kept),
        event_ids=tuple(e.event_id for e in events),
        qsmos=tuple(e.qsmo for e in events),
        problems=tuple(problems),
        lines=lines,
    )


def _attribute_problems(event: PerformanceEvent, index: int) -> list[ErrorDetail]:
    """Attribute numbers that would not survive the trip downstream.

    NaN and ±Infinity are not JSON (a lenient parser may still accept them) and whole
    numbers beyond 64 bits do not fit the store; such attributes are refused rather than
    silently altered.
    """
    return [
        ErrorDetail(
            index=index,
            event_id=event.event_id,
            field=f"attributes.{name}",
            code="invalid_attribute",
            message=problem,
        )
        for name, value in event.attributes.items()
        if (problem := _attribute_number_problem(name, value))
    ]


def _attribute_number_problem(name: str, value: object) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return f"attributes.{name} is {value!r}; send a finite number."
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and not _INT64_MIN <= value <= _INT64_MAX
    ):
        return (
            f"attributes.{name} is a whole number beyond 64 bits; send it as a string "
            "or a decimal number."
        )
    return None
