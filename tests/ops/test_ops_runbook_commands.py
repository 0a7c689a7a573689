"""The local commands of docs/operations.md can be followed as written: every `make` target
it names exists, every local Prometheus page it names answers on the Prometheus `make up` runs,
and every GraphQL query it gives is valid against the gateway's schema. (`make groups` itself:
tests/integration/test_local_stack_groups.py.)"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import qsmo_stack
from graphql import build_schema, parse, validate
from ops_support import OPERATIONS_DOC, REPO

DOC = OPERATIONS_DOC.read_text()
CODE_SPANS = re.findall(r"```\w*\n(.*?)```|`([^`\n]+)`", DOC, re.DOTALL)
CODE = [block or span for block, span in CODE_SPANS]


def test_every_make_command_of_the_doc_is_a_makefile_target() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(), re.MULTILINE))
    named = {target for code in CODE for target in re.findall(r"\bmake ([a-z]+)", code)}
    assert {"up", "down", "status", "groups"} <= named
    assert named <= targets, (
        f"docs/operations.md names make targets that do not exist: {named - targets}"
    )


def _local_prometheus_paths() -> list[str]:
    local = DOC[DOC.index("## Monitoring locally") : DOC.index("The Docker route")]
    paths = re.findall(r"127\.0\.0\.1:9090(/[\w/.-]+)", local)
    assert "/classic/alerts" in paths
    return sorted(set(paths))


@pytest.fixture
def prometheus_port(tmp_path: Path, prometheus_binary: str) -> Iterator[int]:
    stack = qsmo_stack.Stack.with_free_ports(tmp_path / "stack")
    stack.die_with_parent = True
    try:
        stack.start_prometheus(targets={"gateway": qsmo_stack.free_port()})
        yield stack.ports["prometheus"]
    finally:
        stack.down()


@pytest.mark.parametrize("path", _local_prometheus_paths())
def test_each_local_prometheus_page_of_the_doc_answers(prometheus_port: int, path: str) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{prometheus_port}{path}", timeout=10) as page:
        assert page.status == 200, path


def test_every_graphql_query_of_the_doc_is_valid_against_the_schema() -> None:
    schema = build_schema((REPO / "gateway" / "schema.graphql").read_text())
    payloads = [
        json.loads(body) for code in CODE for body in re.findall(r"-d '(\{.*?\})'", code, re.DOTALL)
    ]
    assert payloads, "docs/operations.md has no GraphQL example any more"
    for payload in payloads:
        errors = validate(schema, parse(payload["query"]))
        assert not errors, f"{payload['query']}: {errors}"
