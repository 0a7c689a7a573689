"""Every GraphQL document of the dashboard's performance reviews page
(``performance_reviews_queries.js``) and of the reviews simulator (``reviews_flow.py``) is
valid against the gateway's schema file, so a renamed field fails here and not in a browser
or a running simulator."""

import re
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from qsmo_client.simulator import reviews_flow

REPO = Path(__file__).resolve().parents[3]
SCHEMA = build_schema((REPO / "gateway" / "schema.graphql").read_text())
SOURCE = (REPO / "gateway" / "dashboard" / "static" / "performance_reviews_queries.js").read_text()


def documents() -> dict[str, str]:
    """Each constant of the module, its ``${…}`` references to earlier constants filled in."""
    constants: dict[str, str] = {}
    for name, quoted in re.findall(r"const (\w+) = (`.*?`|\".*?\");", SOURCE, re.S):
        text = quoted[1:-1]
        constants[name] = re.sub(r"\$\{(\w+)\}", lambda m: constants[m.group(1)], text)
    return {n: t for n, t in constants.items() if re.match(r"\s*(query|mutation)\b", t)}


def test_the_module_has_the_reviews_documents() -> None:
    assert {
        "REVIEWS",
        "REVIEW",
        "CREATE",
        "MAKE_READY",
        "RECORD_MEETING",
        "RERENDER",
        "DELIVERIES",
        "DRAFT_ACTIONS",
    } <= set(documents())


@pytest.mark.parametrize("name", sorted(documents()))
def test_a_reviews_page_document_is_valid_against_the_schema(name: str) -> None:
    errors = validate(SCHEMA, parse(documents()[name]))
    assert not errors, [e.message for e in errors]


SIMULATOR = {
    name: value
    for name, value in vars(reviews_flow).items()
    if name.isupper() and isinstance(value, str) and re.match(r"\s*(query|mutation|\{)", value)
}


def test_the_simulator_has_its_documents() -> None:
    assert {
        "EVENT_COUNTS",
        "REVIEW",
        "CREATE",
        "MAKE_READY",
        "HOLD",
        "LISTS",
        "CREATE_LIST",
    } <= set(SIMULATOR)


@pytest.mark.parametrize("name", sorted(SIMULATOR))
def test_a_reviews_simulator_document_is_valid_against_the_schema(name: str) -> None:
    errors = validate(SCHEMA, parse(SIMULATOR[name]))
    assert not errors, [e.message for e in errors]
