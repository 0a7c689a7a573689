"""Every GraphQL document of the dashboard's provider tools (``tools_queries.js``) is valid
against the gateway's schema file, so a renamed field fails here and not in a browser."""

import re
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

REPO = Path(__file__).resolve().parents[3]
SCHEMA = build_schema((REPO / "gateway" / "schema.graphql").read_text())
SOURCE = (REPO / "gateway" / "dashboard" / "static" / "tools_queries.js").read_text()


def documents() -> dict[str, str]:
    """Each constant of the module, its ``${…}`` references to earlier constants filled in."""
    constants: dict[str, str] = {}
    for name, quoted in re.findall(r"const (\w+) = (`.*?`|\".*?\");", SOURCE, re.S):
        text = quoted[1:-1]
        constants[name] = re.sub(r"\$\{(\w+)\}", lambda m: constants[m.group(1)], text)
    return {n: t for n, t in constants.items() if re.match(r"\s*(query|mutation)\b", t)}


def test_the_module_has_the_tools_documents() -> None:
    assert {
        "ASSESSMENT",
        "SAVE_DRAFT",
        "SUBMIT",
        "ASSESSMENTS_TO_REVIEW",
        "REVIEW_ASSESSMENT",
    } <= set(documents())


@pytest.mark.parametrize("name", sorted(documents()))
def test_a_tools_document_is_valid_against_the_schema(name: str) -> None:
    errors = validate(SCHEMA, parse(documents()[name]))
    assert not errors, [e.message for e in errors]
