"""Test-suite wiring: the real Kafka broker and MongoDB-protocol store, started on demand.

Unit tests need nothing. A test that asks for ``stack`` (directly or through the fixtures
below) makes the session start FerretDB and Kafka once, on free ports, with data under
``.local/test-runs/``; the stack is stopped at the end of the session, so ``make test`` leaves
no process behind and never touches a ``make up`` stack. A server that cannot start is a
test failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "deploy" / "local"))

import qsmo_stack  # noqa: E402
from terminal_output import write_terminal_line  # noqa: E402

from shared.mongo import create_mongo_client  # noqa: E402


@pytest.fixture(scope="session")
def stack() -> Iterator[qsmo_stack.Stack]:
    """FerretDB + Kafka with the platform's topics and development keys, for the session."""
    runs = REPO / ".local" / "test-runs"
    runs.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="run-", dir=runs))
    running = qsmo_stack.Stack.with_free_ports(home)
    running.die_with_parent = True
    try:
        running.ensure_api_keys()
        running.start_mongo()
        running.start_kafka()
        running.start_oidc()  # the local OpenID provider: services trust its tokens
        running.create_topics()
        yield running
    finally:
        running.down()
        if os.environ.get("QSMO_KEEP_TEST_RUNS") != "1":
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_bootstrap(stack: qsmo_stack.Stack) -> str:
    return stack.kafka_bootstrap


@pytest.fixture(scope="session")
def mongo_url(stack: qsmo_stack.Stack) -> str:
    return stack.mongo_url


@pytest.fixture
async def mongo_db(mongo_url: str) -> AsyncIterator[Any]:
    """A fresh database on the real store, dropped after the test."""
    client = create_mongo_client(mongo_url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
def unique_topic(stack: qsmo_stack.Stack) -> str:
    """A name for a throw-away topic; the caller creates it (tests own their topics)."""
    return f"test.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def terminal_line(pytestconfig: pytest.Config) -> Callable[[str], None]:
    """Writes a line to the terminal even while output is captured (tables of results)."""
    return lambda line: write_terminal_line(pytestconfig, line)
