"""Oversized bodies and unicode / numeric edge cases against the real ingest process.

Each case either gets a 4xx naming the field (or, when the body as a whole cannot be read,
the body-level code) quickly, or is accepted — and then the message on the topic must hold
exactly what was sent: -0.0 keeps its sign, 1e308 and the subnormal 1e-320 their bits,
bidi / zero-width / emoji / NUL characters their code points, big whole numbers their digits.
"""

import json
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from ingest_kafka_support import event
from security_abuse_support import SecurityLane, SecurityTally

SECURITY_AREA = "ingest oversized and edge inputs"
MIB = 1024 * 1024
ANSWER_WITHIN_S = 10.0
USD = "cost-avoidance"  # a measure with the range ≥ 0: room for 1e308 and the subnormals


@dataclass(frozen=True)
class Refused:
    """A 4xx with this error code; ``field`` must be named by a detail (None: body-level)."""

    statuses: tuple[int, ...]
    code: str | tuple[str, ...]
    field: str | None = None


@dataclass(frozen=True)
class Stored:
    """A 202 whose event on the topic has ``expected`` (compared bit for bit)."""

    expected: dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes | Callable[[str], bytes]
    outcome: Refused | Stored
    path: str = "/v1/events"
    content_type: str = "application/json"
    chunked: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _one(**fields: Any) -> Callable[[str], bytes]:
    """A JSON body of one event with ``fields`` and a fresh event id (unless given)."""

    def build(event_id: str) -> bytes:
        document = event(**{"event_id": event_id, "measure": USD, "value": 1, **fields})
        return json.dumps(document, allow_nan=True, ensure_ascii=False).encode()

    return build


def _raw_value(literal: str, measure: str = USD) -> Callable[[str], bytes]:
    """A JSON body whose ``value`` is the literal text given (NaN, 1e309, -0.0 …)."""

    def build(event_id: str) -> bytes:
        head = json.dumps(event(event_id=event_id, measure=measure, value=0))[:-1]
        return (head.replace('"value": 0', f'"value": {literal}') + "}").encode()

    return build


def _raw_attribute(literal: bytes) -> Callable[[str], bytes]:
    def build(event_id: str) -> bytes:
        head = json.dumps(event(event_id=event_id, measure=USD, value=1)).encode()[:-1]
        return head + b', "attributes": {"n": ' + literal + b"}}"

    return build


def _batch(count: int, pad: int = 0) -> Callable[[str], bytes]:
    def build(event_id: str) -> bytes:
        events = [
            event(event_id=f"{event_id}-{i}", measure=USD, value=i, source="s" * pad or None)
            for i in range(count)
        ]
        return json.dumps({"events": events}).encode()

    return build


def _csv(rows: int, cell: str = "") -> Callable[[str], bytes]:
    def build(event_id: str) -> bytes:
        lines = ["event_id,qsmo,measure,value,occurred_at,attributes.note"]
        lines += [
            f"{event_id}-{i},cybersecurity,{USD},{i},2024-05-01T14:30:00Z,{cell}"
            for i in range(rows)
        ]
        return "\n".join(lines).encode()

    return build


EXOTIC = {
    "bidi override": "\u202eIOD\u202c",
    "zero-width space": "D\u200bOI",
    "emoji": "DOI \U0001f680\U0001f44d\U0001f3fd",
    "NUL": "D\u0000OI",
    "combining marks": "Z\u0351\u0352\u0353",
}
TOO_LARGE = Refused((413,), "payload_too_large")


def _invalid(field_name: str) -> Refused:
    return Refused((422,), "invalid_events", field_name)


CASES = [
    # --- size -------------------------------------------------------------------------------
    Case("body over 1 MiB (Content-Length)", _batch(10, pad=120_000), TOO_LARGE),
    Case("body over 1 MiB, chunked", _batch(10, pad=120_000), TOO_LARGE, chunked=True),
    Case("1001 events", _batch(1001), TOO_LARGE),
    Case("1000 events", _batch(1000), Stored({})),
    Case("CSV over 1 MiB", _csv(12_000, "x" * 80), TOO_LARGE, "/v1/events:csv", "text/csv"),
    Case("CSV of 1001 rows", _csv(1001), TOO_LARGE, "/v1/events:csv", "text/csv"),
    Case("source of 900,000 characters", _one(source="x" * 900_000), _invalid("source")),
    Case(
        "attribute of 1025 characters", _one(attributes={"a": "x" * 1025}), _invalid("attributes.a")
    ),
    Case("event_id of 129 characters", lambda _: _one()("e" * 129), _invalid("event_id")),
    Case("agency of 65 characters", _one(agency="A" * 65), _invalid("agency")),
    Case("51 attributes", _one(attributes={f"a{i}": i for i in range(51)}), _invalid("attributes")),
    Case(
        "JSON nested 100,000 deep",
        b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        Refused((422,), "invalid_request"),
    ),
    # --- numbers ------------------------------------------------------------------------------
    Case("value NaN", _raw_value("NaN"), _invalid("value")),
    Case("value Infinity", _raw_value("Infinity"), _invalid("value")),
    Case("value -Infinity", _raw_value("-Infinity"), _invalid("value")),
    Case("value 1e309 (overflows)", _raw_value("1e309"), _invalid("value")),
    Case("value 400-digit integer", _raw_value("9" * 400), _invalid("value")),
    Case("value as a string", _raw_value('"4.5"'), _invalid("value")),
    Case("value true", _raw_value("true"), _invalid("value")),
    Case("value -0.1 below the range", _raw_value("-0.1"), _invalid("value")),
    Case("value 1e308", _raw_value("1e308"), Stored({"value": 1e308})),
    Case("value -0.0", _raw_value("-0.0"), Stored({"value": -0.0})),
    Case("value 1e-320 (subnormal)", _raw_value("1e-320"), Stored({"value": 1e-320})),
    Case("value 5e-324 (smallest subnormal)", _raw_value("5e-324"), Stored({"value": 5e-324})),
    Case("attribute NaN", _raw_attribute(b"NaN"), _invalid("attributes.n")),
    Case("attribute 10**30", _raw_attribute(b"1" + b"0" * 30), _invalid("attributes.n")),
    Case(
        "attribute 2**53 + 1",
        _raw_attribute(b"9007199254740993"),
        Stored({"attributes": {"n": 9007199254740993}}),
    ),
    Case(
        "attribute -2**63",
        _raw_attribute(str(-(2**63)).encode()),
        Stored({"attributes": {"n": -(2**63)}}),
    ),
    Case("attribute 1e308", _raw_attribute(b"1e308"), Stored({"attributes": {"n": 1e308}})),
    # --- unicode ----------------------------------------------------------------------------
    *(
        Case(
            f"event_id with {name}", lambda eid, c=chars: _one()(eid[:20] + c), _invalid("event_id")
        )
        for name, chars in EXOTIC.items()
    ),
    Case(
        "qsmo with a zero-width space",
        _one(qsmo="cyber\u200bsecurity"),
        Refused((403, 422), ("forbidden", "invalid_events"), "qsmo"),
    ),
    Case(
        "qsmo with a Cyrillic 'с' (homoglyph)",
        _one(qsmo="\u0441ybersecurity"),
        Refused((403, 422), ("forbidden", "invalid_events"), "qsmo"),
    ),
    Case("measure with a bidi override", _one(measure="\u202ecost-avoidance"), _invalid("measure")),
    Case(
        "attribute name with an emoji",
        _one(attributes={"\U0001f680": "x"}),
        _invalid("attributes.\U0001f680"),
    ),
    *(
        Case(f"agency with {name}", _one(agency=chars), Stored({"agency": chars}))
        for name, chars in EXOTIC.items()
    ),
    *(
        Case(
            f"attribute with {name}",
            _one(attributes={"note": chars}),
            Stored({"attributes": {"note": chars}}),
        )
        for name, chars in EXOTIC.items()
    ),
    Case(
        "attribute with a lone surrogate escape",
        _raw_attribute(b'"a\\ud800b"'),
        Refused((422,), "invalid_request"),
    ),
    Case(
        "overlong UTF-8 ('/' as C0 AF)",
        _raw_attribute(b'"\xc0\xaf"'),
        Refused((422,), "invalid_request"),
    ),
    Case("invalid UTF-8 byte FF", _raw_attribute(b'"\xff"'), Refused((422,), "invalid_request")),
    Case(
        "UTF-8 BOM before the JSON",
        lambda eid: b"\xef\xbb\xbf" + _one()(eid),
        Refused((422,), "invalid_request"),
    ),
    Case(
        "charset utf-16",
        _one(),
        Refused((415,), "unsupported_media_type"),
        content_type="application/json; charset=utf-16",
    ),
    Case(
        "CSV cell with emoji and bidi",
        _csv(1, "\U0001f680\u202eok"),
        Stored({"attributes": {"note": "\U0001f680\u202eok"}}),
        "/v1/events:csv",
        "text/csv",
    ),
    Case(
        "CSV with invalid UTF-8",
        lambda eid: _csv(1)(eid) + b"\xff",
        Refused((422,), ("invalid_request", "invalid_events")),
        "/v1/events:csv",
        "text/csv",
    ),
]


def _refusal_problem(response: httpx.Response, want: Refused) -> str | None:
    if response.status_code not in want.statuses:
        return f"expected {want.statuses}, got {response.status_code}: {response.text[:300]}"
    error = response.json().get("error", {})
    codes = (want.code,) if isinstance(want.code, str) else want.code
    if error.get("code") not in codes:
        return f"expected code {codes}: {response.text[:300]}"
    if want.field is not None:
        fields = {detail.get("field") for detail in error.get("details", [])}
        if want.field not in fields:
            return f"no detail names {want.field!r}: {response.text[:400]}"
    return None


def _same(expected: Any, stored: Any) -> bool:
    """Equal, bit for bit for floats (so -0.0 is not 0.0), and int stays int."""
    if isinstance(expected, dict):
        return isinstance(stored, dict) and all(
            _same(v, stored.get(k)) for k, v in expected.items()
        )
    if isinstance(expected, float):
        return (
            isinstance(stored, float)
            and math.copysign(1, stored) == math.copysign(1, expected)
            and stored == expected
        )
    return type(stored) is type(expected) and stored == expected


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


async def _send(lane: SecurityLane, http: httpx.AsyncClient, case: Case) -> tuple[str, Any]:
    event_id = f"sec-edge-{uuid.uuid4().hex[:12]}"
    body = case.body if isinstance(case.body, bytes) else case.body(event_id)
    if not case.chunked:
        return await lane.post_ingest(
            http, case.path, body, content_type=case.content_type, headers=case.headers
        )
    request_id = lane.ledger.new_request_id()
    headers = {
        "Content-Type": case.content_type,
        "X-Request-ID": request_id,
        **lane.bearer("cybersecurity"),
    }
    try:
        response = await http.post(
            lane.ingest_url + case.path, content=_chunks(body), headers=headers
        )
    except httpx.TransportError as error:  # refused before the whole body was sent
        lane.ledger.record(request_id, 413, b"")
        return request_id, error
    lane.ledger.record(request_id, response.status_code, response.content)
    return request_id, response


async def test_security_ingest_oversized_and_edge_inputs(
    security_lane: SecurityLane, security_tally: SecurityTally, kafka_bootstrap: str
) -> None:
    problems: dict[str, str | None] = {}
    stored_cases: dict[str, Case] = {}
    async with httpx.AsyncClient(timeout=60) as http:
        for case in CASES:
            started = time.monotonic()
            request_id, response = await _send(security_lane, http, case)
            took = time.monotonic() - started
            if isinstance(response, Exception):
                problems[case.name] = f"the connection failed: {response!r}"
            elif response.status_code >= 500:
                problems[case.name] = f"HTTP {response.status_code}: {response.text[:300]}"
            elif took > ANSWER_WITHIN_S:
                problems[case.name] = f"answered after {took:.1f} s"
            elif isinstance(case.outcome, Refused):
                problems[case.name] = _refusal_problem(response, case.outcome)
            elif response.status_code != 202:
                problems[case.name] = f"expected 202: {response.text[:300]}"
            else:
                stored_cases[request_id] = case
    messages = await security_lane.ledger.topic_messages(
        kafka_bootstrap, security_lane.events_topic
    )
    by_request: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        by_request.setdefault(message["request_id"], []).append(message)
    for request_id, case in stored_cases.items():
        assert isinstance(case.outcome, Stored)
        stored = by_request.get(request_id, [])
        if not stored:
            problems[case.name] = "accepted, but not on the topic"
        elif not all(_same(case.outcome.expected, message) for message in stored):
            problems[case.name] = f"stored {stored[0]!r:.300}, sent {case.outcome.expected!r:.200}"
        else:
            problems[case.name] = None
    topic_problems = security_lane.ledger.topic_problems(messages)
    problems["the topic holds only accepted events"] = "; ".join(topic_problems) or None
    failures = [
        failure
        for name, problem in problems.items()
        if (failure := security_tally.record(SECURITY_AREA, name, problem))
    ]
    assert not failures, "\n".join(failures)
