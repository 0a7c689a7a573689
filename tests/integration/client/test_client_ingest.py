"""The publisher client and ``qsmo-push`` against the real ingest service (a subprocess).

Ingest runs with a small rate limit (100 events per request, 100 events/s, burst 100) and a
private topic, so a 250-row file meets a real ``429`` with ``Retry-After`` and the client's
retry; reading the topic back shows that sending the file twice repeats the same event ids
(which the platform counts once), and a bad row comes back named by its line and field.
"""

import json
import time
from collections import Counter
from pathlib import Path

import pytest
import qsmo_stack
from client_ingest_support import ROWS, write_csv

from qsmo_client import Publisher
from qsmo_client.files import read_events_file
from qsmo_client.push_cli import main as qsmo_push
from shared.kafka import create_consumer


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
