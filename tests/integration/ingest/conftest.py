"""Fixtures of the ingest integration tests: the stack's development keys."""

import pytest
import qsmo_stack
from ingest_kafka_support import PlainKeys


@pytest.fixture(scope="session")
def plain_keys(stack: qsmo_stack.Stack) -> PlainKeys:
    return PlainKeys.load(stack.plaintext_keys_file)
