"""OpenAPI documentation of the ingest endpoints: bodies and an example for every answer.

The routes read their bodies themselves (size limit, fast validation, CSV), so the request
bodies are described here and the event schemas added to ``components`` by ``install``.
"""

from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from services.ingest.schemas import AcceptedResponse, ErrorResponse, EventBatch
from shared.events import PerformanceEvent

_REQUEST_ID = "4f0c2a9e5d8b4c1e9a7f3b2d6e8c0a11"
EXAMPLE_EVENT: dict[str, Any] = {
    "event_id": "cyber-2024-05-01-csat-0001",
    "qsmo": "cybersecurity",
    "measure": "customer-satisfaction",
    "value": 4.6,
    "occurred_at": "2024-05-01T14:30:00-04:00",
    "agency": "DOI",
    "provider": "cisa-cyber-shared-services",
    "source": "cyber-marketplace-survey",
    "attributes": {"survey": "FY24-Q3", "responses": 37},
}
SECOND_EVENT = {**EXAMPLE_EVENT, "event_id": "cyber-2024-05-01-csat-0002", "value": 4.1}
EXAMPLE_CSV = (
    "event_id,qsmo,measure,value,occurred_at,agency,provider,attributes.survey\n"
    "cyber-0001,cybersecurity,customer-satisfaction,4.6,2024-05-01T14:30:00-04:00,DOI,doj-jsoc,"
    "FY24-Q3\n"
    "cyber-0002,cybersecurity,customer-engagement,3,2024-05-02T09:00:00Z,,,\n"
)


def _error(code: str, message: str, details: list[dict[str, Any]] | None = None) -> Any:
    return {
        "error": {
            "code": code,
            "message": message,
            "request_id": _REQUEST_ID,
            "details": details or [],
        }
    }


def _detail(field: str, code: str, message: str, line: int | None = None) -> dict[str, Any]:
    return {
        "index": 1,
        "line": line,
        "event_id": "cyber-0002",
        "field": field,
        "code": code,
        "message": message,
    }


def _answer(description: str, examples: dict[str, Any], model: type = ErrorResponse) -> Any:
    return {
        "model": model,
        "description": description,
        "content": {
            "application/json": {"examples": {k: {"value": v} for k, v in examples.items()}}
        },
    }


_REFUSALS: dict[int, tuple[str, str, str]] = {
    401: (
        "No API key, or an unknown one (the answer carries `WWW-Authenticate: Bearer`).",
        "unauthorized",
        "this endpoint needs an API key: send the header 'Authorization: Bearer <key>'.",
    ),
    403: (
        "The key may not publish these events: a viewer key, or another QSMO's events.",
        "forbidden",
        "key 'dev-publisher-cybersecurity' may publish only for QSMO 'cybersecurity'; "
        "1 event(s) name another QSMO. Nothing was accepted.",
    ),
    413: (
        "The body is over 1 MiB, or carries more than 1000 events.",
        "payload_too_large",
        "the request carries 1200 events; at most 1000 are allowed per request. "
        "Split it into several requests.",
    ),
    429: (
        "The key sent more events per second than its rate allows; retry after "
        "`Retry-After` seconds with the same event_ids.",
        "rate_limited",
        "key 'dev-publisher-cybersecurity' is over its rate of 1000 events/s (burst 5000); "
        "retry in 2 s with the same event_ids.",
    ),
    503: (
        "Kafka did not confirm in time; nothing is reported accepted. Retry after "
        "`Retry-After` seconds with the same event_ids.",
        "unavailable",
        "the event store did not confirm the events in time (no acknowledgement within 5 s); "
        "none is accepted. Retry in 5 s with the same event_ids.",
    ),
}
_FORBIDDEN_DETAIL = (
    "qsmo",
    "qsmo_not_allowed",
    "this key may publish only for QSMO 'cybersecurity', not 'grants-management'.",
)
_INVALID_DETAILS = (
    (
        "value",
        "value_out_of_range",
        "value 7 is outside 1..5 for customer-satisfaction (score 1\u20135); send a number "
        "from 1 to 5.",
    ),
    (
        "occurred_at",
        "timestamp_without_offset",
        'occurred_at "2024-05-02T09:00:00" has no UTC offset; add one, e.g. '
        "2024-05-02T09:00:00Z or 2024-05-02T09:00:00-04:00.",
    ),
    (
        "provider",
        "unknown_provider",
        "provider 'doj-jsocc' is not a known provider; did you mean 'doj-jsoc'? Name one of "
        "cybersecurity's providers (bluepeak-soc, cisa-cyber-shared-services, doj-jsoc) or "
        "leave provider out.",
    ),
)
_UNREADABLE = {
    "text/csv": "the CSV header row is not valid; it names event fields: event_id, qsmo, "
    "measure, value, occurred_at (required), agency, provider, source, attributes.<name>.",
    "application/json": "the body is not valid JSON: EOF while parsing an object at line 1 "
    'column 42. Send one event object, or {"events": [ … ]}, encoded as UTF-8.',
}


def _too_large(csv: bool) -> dict[str, Any]:
    """More 413 examples: the body size, and the row count of a CSV body."""
    examples = {
        "body_too_large": _error(
            "payload_too_large",
            "the body is over the limit of 1048576 bytes; split the events into several requests.",
        )
    }
    if csv:
        examples["too_many_rows"] = _error(
            "payload_too_large",
            "the CSV body has more than 1000 event rows; at most 1000 are allowed per request. "
            "Split the file.",
        )
    return {name: {"value": value} for name, value in examples.items()}


def responses(csv: bool) -> dict[int | str, dict[str, Any]]:
    """The documented answers of an ingest endpoint, each with an example body."""
    line = 3 if csv else None
    media_type = "text/csv" if csv else "application/json"
    accepted = {"accepted": 2, "event_ids": ["cyber-0001", "cyber-0002"], "request_id": _REQUEST_ID}
    answers: dict[int | str, dict[str, Any]] = {
        202: _answer(
            "Every event is stored durably in Kafka.", {"accepted": accepted}, AcceptedResponse
        )
    }
    for status, (description, code, message) in _REFUSALS.items():
        details = [_detail(*_FORBIDDEN_DETAIL, line)] if status == 403 else []
        answers[status] = _answer(description, {code: _error(code, message, details)})
    answers[413]["content"]["application/json"]["examples"].update(_too_large(csv))
    answers[415] = _answer(
        f"The Content-Type is not {media_type} (UTF-8).",
        {
            "wrong_type": _error(
                "unsupported_media_type",
                f"send Content-Type: {media_type} in UTF-8 (got 'text/plain').",
            )
        },
    )
    invalid = _error(
        "invalid_events",
        "1 of 2 event(s) are invalid, so none was accepted; fix the problems listed and send "
        "the whole request again.",
        [_detail(*detail, line) for detail in _INVALID_DETAILS],
    )
    answers[422] = _answer(
        "Nothing was accepted: the body cannot be read, or at least one event is invalid.",
        {
            "invalid_events": invalid,
            "unreadable_body": _error("invalid_request", _UNREADABLE[media_type]),
        },
    )
    return dict(sorted(answers.items(), key=lambda item: str(item[0])))


JSON_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/PerformanceEvent"},
                        {"$ref": "#/components/schemas/EventBatch"},
                    ]
                },
                "examples": {
                    "one event": {"value": EXAMPLE_EVENT},
                    "a batch": {"value": {"events": [EXAMPLE_EVENT, SECOND_EVENT]}},
                },
            }
        },
    }
}
CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "description": "A header row naming event fields, then 1 to 1000 event rows "
                    "(an empty body, or a header without rows, is answered 422).",
                },
                "example": EXAMPLE_CSV,
            }
        },
    }
}


def install(app: FastAPI) -> None:
    """Add the event schemas the request bodies refer to into the app's OpenAPI document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _, definitions = models_json_schema(
                [(PerformanceEvent, "validation"), (EventBatch, "validation")],
                ref_template="#/components/schemas/{model}",
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(definitions.get("$defs", {}))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
