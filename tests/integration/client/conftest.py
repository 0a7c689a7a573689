"""The client's integration tests run against a real ingest process with tight limits.

Ingest runs with a small rate limit (100 events per request, 100 events/s, burst 100) and a
private topic, so that a few hundred events meet real ``413`` and ``429`` answers.
"""

import uuid
from collections.abc import Iterator

import pytest
import qsmo_stack

from shared.kafka import ensure_topics


@pytest.fixture(scope="module")
def ingest(stack: qsmo_stack.Stack) -> Iterator[tuple[str, str]]:
    """(ingest URL, its private topic)."""
    tag = uuid.uuid4().hex[:8]
    topic = f"client.events.{tag}"
    qsmo_stack.run_async(lambda: ensure_topics(stack.kafka_bootstrap, 1, names=(topic,)))
    port = qsmo_stack.free_port()
    env = {
        "QSMO_INGEST_PORT": str(port),
        "QSMO_INGEST_TOPIC": topic,
        "QSMO_INGEST_MAX_EVENTS": "100",
        "QSMO_INGEST_BURST": "100",
        "QSMO_INGEST_RATE_PER_S": "100",
    }
    stack.start_service("ingest", extra_env=env, instance=f"-client-{tag}", timeout_s=120)
    try:
        yield f"http://127.0.0.1:{port}", topic
    finally:
        stack.stop(f"ingest-client-{tag}")
