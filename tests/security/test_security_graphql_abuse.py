"""Query bombs, hostile bodies and unicode / numeric edge cases against the real gateway.

Bombs (deep, alias, field, fragment, directive, introspection, size) must be refused with a
limit or validation code — fast, never a 5xx. Hostile bodies (deeply nested JSON, batches,
huge bodies, mutations over GET) must get a 4xx or a coded GraphQL error. Edge-case
arguments must be refused naming the argument (``extensions.field``), or be accepted and read
back exactly as sent; a refused mutation writes nothing.
"""

import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from security_abuse_support import (
    PUBLIC_HOOK,
    SecurityLane,
    SecurityTally,
    error_codes,
    graphql_answer_problem,
)

SECURITY_AREA = "graphql bombs and edge inputs"
ANSWER_WITHIN_S = 5.0
MIB = 1024 * 1024
LIMIT_CODES = ("QUERY_TOO_LARGE", "QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "QUERY_TOO_COMPLEX")
SURROGATE = "\\ud800"  # a lone surrogate, as JSON writes it: not a Unicode character

# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class Request:
    """What to send: a JSON body (``document`` + ``variables``), raw bytes, or a GET."""

    document: str | None = None
    variables: dict[str, Any] | None = None
    raw: bytes | None = None
    get: dict[str, str] | None = None
    who: str | None = "viewer"

    async def send(self, lane: SecurityLane, http: httpx.AsyncClient) -> httpx.Response:
        headers = lane.bearer(self.who)
        if self.get is not None:
            return await http.get(lane.gateway_url, params=self.get, headers=headers)
        if self.raw is not None:
            headers = {**headers, "Content-Type": "application/json"}
            return await http.post(lane.gateway_url, content=self.raw, headers=headers)
        return await lane.graphql(http, self.document or "", self.variables, who=self.who)


def with_raw_variable(document: str, name: str, literal: str, who: str, **others: Any) -> Request:
    """A JSON body whose variable ``name`` is the literal JSON text given (NaN, "\\ud800"…)."""
    marker = "@@RAW@@"
    body = json.dumps({"query": document, "variables": {**others, name: marker}})
    return Request(raw=body.replace(f'"{marker}"', literal).encode(), who=who)


# ---------------------------------------------------------------- expected outcomes


@dataclass(frozen=True)
class Refused:
    """A 4xx, or a GraphQL answer without data whose error codes are all in ``codes``; when
    ``field`` is given, an error must name it. Nothing may be written."""

    codes: tuple[str, ...]
    field: str | None = None
    http: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReadBack:
    """Accepted; then ``read(lane, http, data)`` returns the stored value, which must equal
    ``expected`` (floats bit for bit)."""

    read: Callable[[SecurityLane, httpx.AsyncClient, dict[str, Any]], Awaitable[Any]]
    expected: Any
    or_refused: Refused | None = None
    """Also fine: this refusal (e.g. a body limit, or a length limit naming the argument)."""


class SignlessZero(float):
    """Zero, whichever its sign (see the -0.0 case below)."""

    def __new__(cls) -> "SignlessZero":
        return super().__new__(cls, 0.0)


def _same(expected: Any, stored: Any) -> bool:
    if isinstance(expected, SignlessZero):
        return isinstance(stored, float) and stored == 0.0
    if isinstance(expected, float):
        return (
            isinstance(stored, float)
            and stored == expected
            and math.copysign(1, stored) == math.copysign(1, expected)
        )
    return type(stored) is type(expected) and stored == expected


def _refusal_problem(response: httpx.Response, want: Refused) -> str | None:
    if response.status_code != 200:
        if response.status_code in want.http:
            return None
        return f"expected a GraphQL refusal, got HTTP {response.status_code}: {response.text[:200]}"
    body = response.json()
    codes = error_codes(body)
    data = body.get("data")
    if not codes or (data and any(v is not None for v in data.values())):
        return f"not refused: {response.text[:300]}"
    if not set(codes) <= set(want.codes):
        return f"expected codes {want.codes}, got {codes}: {response.text[:300]}"
    fields = {(e.get("extensions") or {}).get("field") for e in body["errors"]}
    if want.field is not None and want.field not in fields:
        return f"no error names the argument {want.field!r}: {response.text[:300]}"
    return None


async def _outcome_refused(
    lane: SecurityLane, response: httpx.Response, outcome: Refused, before: dict[str, int]
) -> str | None:
    problem = _refusal_problem(response, outcome)
    if problem is None and (after := await lane.write_counts()) != before:
        problem = f"refused, but wrote: {before} -> {after}"
    return problem


async def _outcome_problem(
    lane: SecurityLane,
    http: httpx.AsyncClient,
    request: Request,
    outcome: Refused | ReadBack,
) -> str | None:
    before = await lane.write_counts()
    started = time.monotonic()
    response = await request.send(lane, http)
    took = time.monotonic() - started
    problem = graphql_answer_problem(response)
    if problem is not None:
        return problem
    if took > ANSWER_WITHIN_S:
        return f"answered after {took:.1f} s (limit {ANSWER_WITHIN_S} s)"
    if isinstance(outcome, Refused):
        return await _outcome_refused(lane, response, outcome, before)
    body = response.json() if response.status_code == 200 else {}
    if outcome.or_refused is not None and (response.status_code != 200 or body.get("errors")):
        return await _outcome_refused(lane, response, outcome.or_refused, before)
    if response.status_code != 200 or body.get("errors"):
        return f"expected acceptance: {response.text[:300]}"
    stored = await outcome.read(lane, http, body["data"])
    if not _same(outcome.expected, stored):
        return f"stored {stored!r:.200}, sent {outcome.expected!r:.200}"
    return None


# ---------------------------------------------------------------- bombs


def deep_selection(levels: int) -> str:
    """``{ framework { dimensions { measures { dimension { measures … { id } } } } } }``,
    ``levels`` fields deep (``{ a { b } }`` is 2)."""
    chain = ["framework", "dimensions", *(["measures", "dimension"] * levels)][: levels - 1]
    return "{ " + " ".join(f"{name} {{" for name in chain) + " id " + "} " * len(chain) + "}"


INTROSPECTION_BOMB = (
    "{ __schema { types { fields { type { fields { type { fields { type { fields "
    "{ name } } } } } } } } } }"
)


async def _no_errors(_: SecurityLane, __: httpx.AsyncClient, data: Any) -> bool:
    return bool(data)


BOMBS: dict[str, tuple[Request, Refused | ReadBack]] = {
    "depth 10 (the limit) passes": (Request(deep_selection(10)), ReadBack(_no_errors, True)),
    "depth 11 (limit 10)": (Request(deep_selection(11)), Refused(("QUERY_TOO_DEEP",))),
    "depth 1500 of braces": (
        Request("{" + " a {" * 1500 + " b" + " }" * 1501),
        Refused((*LIMIT_CODES, "GRAPHQL_PARSE_FAILED")),
    ),
    "31 aliases (limit 30)": (
        Request("{ " + " ".join(f"v{i}: viewer {{ keyId }}" for i in range(31)) + " }"),
        Refused(("TOO_MANY_ALIASES",)),
    ),
    "5000 aliases": (
        Request("{ " + " ".join(f"t{i}: __typename" for i in range(5000)) + " }"),
        Refused(LIMIT_CODES),
    ),
    "field bomb: qsmos { id × 2900 }": (
        Request("{ qsmos { " + "id " * 2900 + "} }"),
        Refused(LIMIT_CODES),
    ),
    "fragment bomb (each spread twice, 40 levels)": (
        Request(
            "query { ...F0 } "
            + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
            + " fragment F40 on Query { qsmos { id name } }"
        ),
        Refused((*LIMIT_CODES, "GRAPHQL_VALIDATION_FAILED")),
    ),
    "circular fragments": (
        Request("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }"),
        Refused(("GRAPHQL_VALIDATION_FAILED",)),
    ),
    "directive bomb": (
        Request("{ viewer " + "@include(if: true) " * 600 + "{ keyId } }"),
        Refused((*LIMIT_CODES, "GRAPHQL_VALIDATION_FAILED")),
    ),
    "introspection bomb": (Request(INTROSPECTION_BOMB), Refused(("GRAPHQL_VALIDATION_FAILED",))),
    "document of 200,000 characters": (
        Request('{ qsmo(id: "' + "x" * 200_000 + '") { id } }'),
        Refused(("QUERY_TOO_LARGE",)),
    ),
    "comment flood": (Request("# c\n" * 5000 + "{ viewer { keyId } }"), Refused(LIMIT_CODES)),
    "page of 1,000,000": (
        Request("{ auditLog(first: 1000000) { nodes { id } } }"),
        Refused(("BAD_USER_INPUT", "QUERY_TOO_COMPLEX"), "first"),
    ),
    "page of 2**31 - 1 in a variable": (
        Request("query($n: Int) { auditLog(first: $n) { nodes { id } } }", {"n": 2**31 - 1}),
        Refused(("BAD_USER_INPUT",)),
    ),
    "page of 2**53 in a variable": (
        Request("query($n: Int) { auditLog(first: $n) { nodes { id } } }", {"n": 2**53}),
        Refused(("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED")),
    ),
}

HOSTILE_BODIES: dict[str, tuple[Request, Refused]] = {
    "JSON nested 100,000 deep in the variables (no key)": (
        Request(
            raw=b'{"query": "{ viewer { keyId } }", "variables": {"a": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}}",
            who=None,
        ),
        Refused(("UNAUTHENTICATED",), http=(400, 413)),
    ),
    "JSON nested 5,000 deep in GET variables (no key)": (
        Request(
            get={"query": "{ viewer { keyId } }", "variables": "[" * 5000 + "]" * 5000}, who=None
        ),
        Refused(("UNAUTHENTICATED",), http=(400,)),
    ),
    "JSON nested 100,000 deep as the body": (
        Request(raw=b"[" * 100_000 + b"]" * 100_000),
        Refused((), http=(400,)),
    ),
    "a batch of operations": (
        Request(raw=b'[{"query": "{ viewer { keyId } }"}, {"query": "{ viewer { keyId } }"}]'),
        Refused((), http=(400,)),
    ),
    "not JSON": (Request(raw=b"{ viewer { keyId } }"), Refused((), http=(400,))),
    **{
        f"a JSON {kind} as the body": (Request(raw=raw), Refused((), http=(400,)))
        for kind, raw in {
            "string": b'"{ viewer { keyId } }"',
            "number": b"1",
            "null": b"null",
            "boolean": b"true",
        }.items()
    },
    "20 MiB of variables (no key)": (
        Request("{ viewer { keyId } }", {"pad": "x" * (20 * MIB)}, who=None),
        Refused(("UNAUTHENTICATED",), http=(413,)),
    ),
    "a mutation over GET": (
        Request(
            get={
                "query": 'mutation { addCommentary(qsmo: "cybersecurity", measure: '
                '"customer-engagement", fiscalYear: 2024, text: "x") { id } }'
            },
            who="cybersecurity",
        ),
        Refused((), http=(400, 405)),
    ),
}


@pytest.mark.parametrize("name", [*BOMBS, *HOSTILE_BODIES])
async def test_security_bombs_and_hostile_bodies_are_refused_fast(
    security_lane: SecurityLane, security_tally: SecurityTally, name: str
) -> None:
    request, outcome = {**BOMBS, **HOSTILE_BODIES}[name]
    async with httpx.AsyncClient(timeout=60) as http:
        problem = await _outcome_problem(security_lane, http, request, outcome)
    failure = security_tally.record(SECURITY_AREA, name, problem)
    assert failure is None, failure


# ---------------------------------------------------------------- edge-case arguments

SUBSCRIBE = (
    "mutation($url: String!, $secret: String!) { createNotificationSubscription("
    'qsmo: "cybersecurity", url: $url, secret: $secret) { id } }'
)
COMMENT = (
    "mutation($qsmo: ID!, $text: String!) { addCommentary(qsmo: $qsmo, "
    'measure: "customer-engagement", fiscalYear: 2024, text: $text) { id } }'
)
TARGET = (
    "mutation($target: Float!, $reason: String!) { setTarget(measure: "
    '"customer-engagement", target: $target, reason: $reason) { change { id } } }'
)
BASELINE = (
    'mutation($value: Float!) { setBaseline(measure: "customer-engagement", value: $value, '
    'qsmo: "cybersecurity", reason: "edge case") { change { id } } }'
)
ADD_QSMO = (
    "mutation($id: ID!, $name: String!) { addQsmo(id: $id, name: $name, "
    'leadAgency: "GSA", reason: "edge case") { change { id } } }'
)
SECRET = "sec-edge-secret-0123456789"
EXOTIC = "NUL\u0000 bidi\u202eevil\u202c zero\u200bwidth emoji\U0001f680\U0001f44d\U0001f3fd"


async def _read_commentary(lane: SecurityLane, http: httpx.AsyncClient, data: Any) -> Any:
    wanted = data["addCommentary"]["id"]
    response = await lane.graphql(
        http,
        '{ commentary(qsmo: "cybersecurity", measure: "customer-engagement", fiscalYear: 2024, '
        "first: 100) { nodes { id text } } }",
    )
    nodes = response.json()["data"]["commentary"]["nodes"]
    return next((n["text"] for n in nodes if n["id"] == wanted), None)


async def _read_audit(lane: SecurityLane, http: httpx.AsyncClient, data: Any, field: str) -> Any:
    wanted = next(iter(data.values()))["change"]["id"]
    response = await lane.graphql(http, "{ auditLog(first: 20) { nodes { id value reason } } }")
    nodes = response.json()["data"]["auditLog"]["nodes"]
    return next((n[field] for n in nodes if n["id"] == wanted), None)


async def _read_value(lane: SecurityLane, http: httpx.AsyncClient, data: Any) -> Any:
    return await _read_audit(lane, http, data, "value")


async def _read_reason(lane: SecurityLane, http: httpx.AsyncClient, data: Any) -> Any:
    return await _read_audit(lane, http, data, "reason")


def _read_qsmo_name(qsmo_id: str) -> Callable[..., Awaitable[Any]]:
    async def read(lane: SecurityLane, http: httpx.AsyncClient, _: Any) -> Any:
        response = await lane.graphql(
            http, "query($id: ID!) { qsmo(id: $id) { name } }", {"id": qsmo_id}
        )
        return (response.json()["data"]["qsmo"] or {}).get("name")

    return read


def _fresh_id() -> str:
    return f"sec-edge-{time.monotonic_ns() % 10**12}"


QSMO_ID = _fresh_id()
EDGE_CASES: dict[str, tuple[Request, Refused | ReadBack]] = {
    "lone surrogate in a webhook secret": (
        with_raw_variable(SUBSCRIBE, "secret", f'"{SECRET}{SURROGATE}"', "admin", url=PUBLIC_HOOK),
        Refused(("BAD_USER_INPUT",), "secret", http=(400,)),
    ),
    "lone surrogate in a webhook URL": (
        with_raw_variable(SUBSCRIBE, "url", f'"{PUBLIC_HOOK}/{SURROGATE}"', "admin", secret=SECRET),
        Refused(("BAD_USER_INPUT",), "url", http=(400,)),
    ),
    "lone surrogate in commentary text": (
        with_raw_variable(
            COMMENT, "text", f'"fine {SURROGATE}"', "cybersecurity", qsmo="cybersecurity"
        ),
        Refused(("BAD_USER_INPUT",), "text", http=(400,)),
    ),
    "lone surrogate in an audit reason": (
        with_raw_variable(TARGET, "reason", f'"plan {SURROGATE}"', "admin", target=45),
        Refused(("BAD_USER_INPUT",), "reason", http=(400,)),
    ),
    "lone surrogate inline in the document": (
        Request(
            COMMENT.replace("$text", f'"a{SURROGATE}b"').replace(", $text: String!", ""),
            {"qsmo": "cybersecurity"},
            who="cybersecurity",
        ),
        Refused(("GRAPHQL_PARSE_FAILED",)),
    ),
    "NUL, bidi, zero-width and emoji in commentary": (
        Request(COMMENT, {"qsmo": "cybersecurity", "text": EXOTIC}, who="cybersecurity"),
        ReadBack(_read_commentary, EXOTIC),
    ),
    "emoji and bidi in a new QSMO's name": (
        Request(ADD_QSMO, {"id": QSMO_ID, "name": "Q \U0001f680 \u202eevil"}, who="admin"),
        ReadBack(_read_qsmo_name(QSMO_ID), "Q \U0001f680 \u202eevil"),
    ),
    "zero-width space in a QSMO id": (
        Request(COMMENT, {"qsmo": "cyber\u200bsecurity", "text": "x"}, who="admin"),
        Refused(("BAD_USER_INPUT",), "qsmo"),
    ),
    "zero-width space in a new QSMO id": (
        Request(ADD_QSMO, {"id": "sec\u200bzw", "name": "Q"}, who="admin"),
        Refused(("BAD_USER_INPUT",), "id"),
    ),
    "commentary of 2 MiB": (
        Request(COMMENT, {"qsmo": "cybersecurity", "text": "x" * (2 * MIB)}, who="cybersecurity"),
        Refused(("BAD_USER_INPUT",), "text", http=(413,)),
    ),
    "webhook secret of 15 characters": (
        Request(SUBSCRIBE, {"url": PUBLIC_HOOK, "secret": "s" * 15}, who="admin"),
        Refused(("BAD_USER_INPUT",), "secret"),
    ),
    "webhook secret of 513 characters": (
        Request(SUBSCRIBE, {"url": PUBLIC_HOOK, "secret": "s" * 513}, who="admin"),
        Refused(("BAD_USER_INPUT",), "secret"),
    ),
    "webhook URL of 2049 characters": (
        Request(SUBSCRIBE, {"url": PUBLIC_HOOK + "/" + "p" * 2049, "secret": SECRET}, who="admin"),
        Refused(("BAD_USER_INPUT",), "url"),
    ),
    "audit reason of 2 MiB": (
        Request(TARGET, {"target": 45, "reason": "r" * (2 * MIB)}, who="admin"),
        ReadBack(_read_reason, "r" * (2 * MIB), Refused(("BAD_USER_INPUT",), "reason", (413,))),
    ),
    "audit reason of 17 MiB": (
        Request(TARGET, {"target": 45, "reason": "r" * (17 * MIB)}, who="admin"),
        Refused(("BAD_USER_INPUT",), "reason", http=(413,)),
    ),
    "target NaN": (
        with_raw_variable(TARGET, "target", "NaN", "admin", reason="edge"),
        Refused(("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"), http=(400,)),
    ),
    "target Infinity": (
        with_raw_variable(TARGET, "target", "Infinity", "admin", reason="edge"),
        Refused(("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"), http=(400,)),
    ),
    "target 1e309 (overflows)": (
        with_raw_variable(TARGET, "target", "1e309", "admin", reason="edge"),
        Refused(("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"), http=(400,)),
    ),
    "target 1e308": (
        Request(TARGET, {"target": 1e308, "reason": "edge"}, who="admin"),
        ReadBack(_read_value, 1e308),
    ),
    # FerretDB (the local and test store) turns -0.0 into 0.0 — MongoDB keeps the sign, and the
    # gateway passes it on unchanged — so the read-back compares the value, not the sign bit.
    "baseline -0.0": (
        Request(BASELINE, {"value": -0.0}, who="admin"),
        ReadBack(_read_value, SignlessZero()),
    ),
    "baseline 1e-320 (subnormal)": (
        Request(BASELINE, {"value": 1e-320}, who="admin"),
        ReadBack(_read_value, 1e-320),
    ),
    "baseline -1 (below the range)": (
        Request(BASELINE, {"value": -1.0}, who="admin"),
        Refused(("BAD_USER_INPUT",), "value"),
    ),
    "fiscal year 2**31": (
        Request(
            COMMENT.replace("fiscalYear: 2024", "fiscalYear: 2147483648"),
            {"qsmo": "cybersecurity", "text": "x"},
            who="cybersecurity",
        ),
        Refused(("GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT")),
    ),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
async def test_security_edge_arguments_are_refused_by_name_or_stored_faithfully(
    security_lane: SecurityLane, security_tally: SecurityTally, name: str
) -> None:
    request, outcome = EDGE_CASES[name]
    async with httpx.AsyncClient(timeout=120) as http:
        problem = await _outcome_problem(security_lane, http, request, outcome)
    failure = security_tally.record(SECURITY_AREA, name, problem)
    assert failure is None, failure
