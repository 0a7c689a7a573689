"""Schemathesis against the GraphQL schema, on the real gateway process, as viewer and admin.

Every root field of ``Query`` and ``Mutation`` gets generated operations. Each answer must be
a GraphQL answer (no 5xx), every error must carry an ``extensions.code`` other than
``INTERNAL_SERVER_ERROR``, no stack trace may appear, a viewer never changes anything, and a
refused mutation writes nothing (document counts of every collection a mutation writes to —
audit log, commentary, actions, subscriptions, acknowledgements — are unchanged).
"""

import json

import graphql
import schemathesis
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from schemathesis import Case
from security_abuse_support import (
    PUBLIC_HOOK,
    SecurityLane,
    SecurityTally,
    graphql_answer_problem,
)

from gateway.schema.build import build_schema
from shared.catalog import load_catalog
from shared.catalog.data_call import example_sections
from shared.domain.data_call import SECTIONS

SECURITY_AREA = "graphql (schemathesis)"
CATALOG = load_catalog()
FUZZ_SECRET = "sec-fuzz-secret-0123456789"
# Random ids never name a QSMO or a measure; dictionaries steer part of the generated arguments
# to real ones, so accepted mutations (and the checks after them) are exercised too. The
# proposed dimension is left out: the auth matrix adopts it, and only once.
CONFIG = {
    "generation": {"max-examples": 20, "database": "none"},
    "request-timeout": 30,
    "dictionaries": {
        "qsmos": {"values": [q.id for q in CATALOG.qsmos]},
        "measures": {"values": sorted({m.id for f in CATALOG.frameworks for m in f.measures})},
        "dimensions": {"values": ["customer", "financial", "standards-adoption"]},
        "years": {"values": [2023, 2024, 2025]},
        "urls": {
            "values": [PUBLIC_HOOK, "http://127.0.0.1:8001/v1/events", "http://169.254.169.254/"]
        },
        "secrets": {"values": [FUZZ_SECRET]},
    },
    "parameters": {
        "*.*.qsmo": {"dictionary": "qsmos", "probability": 0.7},
        "*.*.measure": {"dictionary": "measures", "probability": 0.7},
        "*.*.dimension": {"dictionary": "dimensions", "probability": 0.5},
        "*.*.fiscalYear": {"dictionary": "years", "probability": 0.7},
        "Mutation.createNotificationSubscription.url": {"dictionary": "urls", "probability": 0.8},
        "Mutation.createNotificationSubscription.secret": {
            "dictionary": "secrets",
            "probability": 0.8,
        },
    },
}


def _json_node(value: object) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (the ``JSON`` scalar: ``submitDataCall.sections``)."""
    if isinstance(value, dict):
        return nodes.Object(
            [
                graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_json_node(v))
                for k, v in value.items()
            ]
        )
    if isinstance(value, list):
        return nodes.List([_json_node(v) for v in value])
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    return nodes.String(value)


_JSON_NAMES = st.sampled_from(
    [*SECTIONS, "customer_count", "function", "federal_fte", "fiscal_year", "end_date"]
) | st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**15)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_JSON_NAMES, inner, max_size=4),
    max_leaves=12,
)


def _tampered(value: object, section: str) -> dict[str, object]:
    """The valid example with one section replaced."""
    return {**example_sections(2024), section: value}


# A valid data call, the example with one section replaced by junk, or junk.
schemathesis.graphql.scalar(
    "JSON",
    (
        st.just(example_sections(2024))
        | st.builds(_tampered, _JSON_VALUES, st.sampled_from(SECTIONS))
        | _JSON_VALUES
    ).map(_json_node),
)
# The schema the gateway serves, printed by the same code (a unit test keeps
# gateway/schema.graphql equal to it); schemathesis' fixture-based loader does not run on
# this pytest, so the schema is loaded at import time and the calls go to the real process.
schema = schemathesis.graphql.from_file(
    build_schema().as_str(), config=schemathesis.Config.from_dict(CONFIG)
)


def _refused(body: dict[str, object], field: str) -> bool:
    data = body.get("data")
    return bool(body.get("errors")) and not (isinstance(data, dict) and data.get(field))


def _problem(case: Case, lane: SecurityLane, who: str) -> tuple[str, str | None]:
    kind, field = case.operation.label.split(".", 1)
    before = lane.write_counts_sync() if kind == "Mutation" else None
    response = case.call(base_url=lane.gateway_url, headers=lane.bearer(who))
    label = f"{case.operation.label} as {who}"
    problem = graphql_answer_problem(response)
    if problem is not None or kind != "Mutation" or response.status_code != 200:
        return label, problem
    body = json.loads(response.text)
    if not _refused(body, field):
        return label, "a viewer changed something" if who == "viewer" else None
    after = lane.write_counts_sync()
    if after != before:
        return label, f"refused ({body.get('errors')}) but wrote: {before} -> {after}"
    return label, None


@schema.parametrize()
def test_security_graphql_schemathesis_as_viewer(
    case: Case, security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    label, problem = _problem(case, security_lane, "viewer")
    assert security_tally.record(SECURITY_AREA, label, problem) is None, problem


@schema.parametrize()
def test_security_graphql_schemathesis_as_admin(
    case: Case, security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    label, problem = _problem(case, security_lane, "admin")
    assert security_tally.record(SECURITY_AREA, label, problem) is None, problem
