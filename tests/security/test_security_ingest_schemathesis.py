"""Schemathesis against the ingest OpenAPI document, on the real ingest process.

Every operation of ``/openapi.json``, positive and negative cases, with a valid publisher key
injected: no answer is a 5xx, every answer conforms to the documented responses, a request the
description calls invalid is refused, and (last test) the topic holds exactly the events of the
``202`` answers — nothing from a refused one. Each run takes a fresh seed (a failure names it);
``QSMO_SCHEMATHESIS_SEED=<seed>`` replays one.
"""

import os
import random
from typing import Any

import httpx
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from security_abuse_support import SecurityLane, SecurityTally

from services.ingest.bootstrap import create_app
from services.ingest.publisher import InMemoryEventPublisher
from shared.api_keys import ApiKeyEntry, ApiKeyFile, ApiKeyRing, Role, hash_key

SECURITY_AREA = "ingest openapi (schemathesis)"
MAX_EXAMPLES = 60
SEED = int(os.environ.get("QSMO_SCHEMATHESIS_SEED") or random.SystemRandom().randrange(2**32))
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""Schemathesis' default answers to invalid data, plus 413: the description declares it for a
batch over ``maxItems`` (1000 events) or a body over 1 MiB."""
CONFIG = {
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "checks": {"negative_data_rejection": {"expected-statuses": [*REFUSALS, "5xx"]}},
    "request-timeout": 30,
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _served_document() -> dict[str, Any]:
    """The OpenAPI document the ingest process serves, built by the same code in-process
    (schemathesis' fixture-based loader does not run on this pytest; a test below checks
    that the process serves exactly this document)."""
    any_key = ApiKeyEntry(id="openapi-only", sha256=hash_key("x" * 32), role=Role.ADMIN)
    app = create_app(
        publisher=InMemoryEventPublisher(), key_ring=ApiKeyRing(ApiKeyFile(keys=[any_key]))
    )
    return app.openapi()


DOCUMENT = _served_document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=schemathesis.Config.from_dict(CONFIG))


def test_security_the_fuzzed_document_is_the_served_one(security_lane: SecurityLane) -> None:
    served = httpx.get(f"{security_lane.ingest_url}/openapi.json", timeout=30)
    assert served.json() == DOCUMENT


@schema.parametrize()
def test_security_ingest_schemathesis(
    case: Case, security_lane: SecurityLane, security_tally: SecurityTally
) -> None:
    ledger = security_lane.ledger
    request_id = ledger.new_request_id()
    headers = {**security_lane.bearer("cybersecurity"), "X-Request-ID": request_id}
    response = case.call(base_url=security_lane.ingest_url, headers=headers)
    if case.method.upper() == "POST":
        ledger.record(request_id, response.status_code, response.content)
    label = f"{case.method.upper()} {case.path} -> {response.status_code}"
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except Exception as failure:
        security_tally.record(SECURITY_AREA, label, f"seed {SEED}: {str(failure)[:300]}")
        raise AssertionError(f"schemathesis seed {SEED}: {failure}") from failure
    security_tally.record(SECURITY_AREA, label, None)


async def test_security_schemathesis_refusals_published_nothing(
    security_lane: SecurityLane, security_tally: SecurityTally, kafka_bootstrap: str
) -> None:
    ledger = security_lane.ledger
    messages = await ledger.topic_messages(kafka_bootstrap, security_lane.events_topic)
    problems = ledger.topic_problems(messages)
    security_tally.record(
        SECURITY_AREA, "topic holds only accepted events", "; ".join(problems) or None
    )
    accepted = sum(1 for status, _ in ledger.answers.values() if status == 202)
    assert accepted > 0, "no schemathesis case was accepted: the 202 path went untested"
    assert not problems, "\n".join(problems)
