"""The publisher client and ``qsmo-push`` against the real ingest service (a subprocess).

Ingest runs with a small rate limit (100 events per request, 100 events/s, burst 100) and a
private topic, so a 250-row file meets a real ``429`` with ``Retry-After`` and the client's
retry; reading the topic back shows that sending the file twice repeats the same event ids
(which the platform counts once), and a bad row comes back named by its line and field.
"""

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import qsmo_stack

from qsmo_client import Publisher
from qsmo_client.files import read_events_file
from qsmo_client.push_cli import main as qsmo_push
from shared.kafka import create_consumer, ensure_topics

ROWS = 250


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


def write_csv(path: Path, bad_line: int | None = None) -> None:
    """``ROWS`` engagement rows without event ids (two identical rows among them)."""
    lines = ["qsmo,measure,value,occurred_at,agency,attributes.channel"]
    for n in range(ROWS):
        value = 99 if bad_line == n + 2 else 1 + n % 3
        measure = "customer-satisfaction" if bad_line == n + 2 else "customer-engagement"
        day = 1 + (n // 10) % 28
        lines.append(
            f"cybersecurity,{measure},{value},2025-03-{day:02d}T{n % 10 + 8:02d}:00:00-05:00,DOI,briefing"
        )
    lines.append(lines[-1])
    path.write_text("\n".join(lines) + "\n")


async def topic_event_ids(stack: qsmo_stack.Stack, topic: str, expected: int) -> Counter[str]:
    consumer = create_consumer(stack.kafka_bootstrap, topic, group_id=None)
    await consumer.start()
    seen: Counter[str] = Counter()
    deadline = time.monotonic() + 30
    try:
        while sum(seen.values()) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                seen.update(json.loads(record.value)["event_id"] for record in records)
    finally:
        await consumer.stop()
    return seen


async def test_client_push_twice_through_a_rate_limit_keeps_every_event_id(
    ingest: tuple[str, str],
    stack: qsmo_stack.Stack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, topic = ingest
    key = json.loads(stack.plaintext_keys_file.read_text())["publishers"]["cybersecurity"]
    events_file = tmp_path / "engagements.csv"
    write_csv(events_file)
    monkeypatch.setenv("QSMO_API_KEY", key)

    assert qsmo_push([str(events_file), "--ingest-url", url, "--batch-size", "100"]) == 0
    out = capsys.readouterr().out
    assert f"engagements.csv: {ROWS + 1} events — {ROWS + 1} accepted, 0 refused" in out
    assert "had no event_id; each got a stable id derived from the file name" in out

    loaded = read_events_file(events_file)
    with Publisher(key, url, max_events=100) as publisher:
        report = publisher.publish(loaded.events)
    assert report.ok, report
    assert report.retries >= 1  # the second request of each push met 429 + Retry-After
    assert report.accepted_ids == [e.event_id for e in loaded.events]
    assert len(set(report.accepted_ids)) == ROWS + 1  # the identical last rows stay two events

    seen = await topic_event_ids(stack, topic, 2 * (ROWS + 1))
    assert set(seen.values()) == {2}, "each event id should be on the topic once per push"
    assert set(seen) == set(report.accepted_ids)


async def test_client_a_refused_row_is_named_by_its_line_and_field(
    ingest: tuple[str, str],
    stack: qsmo_stack.Stack,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, _topic = ingest
    key = json.loads(stack.plaintext_keys_file.read_text())["publishers"]["cybersecurity"]
    events_file = tmp_path / "bad.csv"
    write_csv(events_file, bad_line=57)
    loaded = read_events_file(events_file)
    with Publisher(key, url, max_events=100) as publisher:
        report = publisher.publish(loaded.events[:100])
    assert (report.accepted, report.rejected) == (0, 100)
    [problem] = report.problems
    assert (problem.where, problem.field, problem.code) == (
        "bad.csv line 57",
        "value",
        "value_out_of_range",
    )
    assert problem.event_id == loaded.events[55].event_id
    assert "outside 1..5" in problem.message
