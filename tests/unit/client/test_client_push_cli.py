"""``qsmo-push FILE`` end to end against the fake ingest: exit codes and what it prints."""

import json
from pathlib import Path

import pytest
from client_fakes import KEY, FakeIngest, error_response

from qsmo_client.push_cli import main

ROWS = [
    {"qsmo": "cybersecurity", "measure": "customer-engagement", "value": 2,
     "occurred_at": "2026-04-01T12:00:00Z"},
    {"qsmo": "cybersecurity", "measure": "customer-satisfaction", "value": 7,
     "occurred_at": "2026-04-02T12:00:00Z"},
]  # fmt: skip


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in ROWS))
    return path


def run(argv: list[str], fake: FakeIngest, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("QSMO_API_KEY", KEY)
    return main([*argv, "--ingest-url", "http://ingest.test"], transport=fake.transport)


def test_a_clean_push_exits_0_and_says_how_ids_were_made(
    events_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeIngest()
    assert run([str(events_file)], fake, monkeypatch) == 0
    out = capsys.readouterr().out
    assert (
        "events.jsonl: 2 events — 2 accepted, 0 refused, 0 not sent (1 requests, 0 retries)" in out
    )
    assert "2 events had no event_id; each got a stable id derived from the file name" in out
    first_ids = sorted(fake.stored)
    assert run([str(events_file)], fake, monkeypatch) == 0  # the same file again …
    assert sorted(fake.stored) == first_ids  # … counts nothing twice
    assert fake.deliveries == 4


def test_refused_events_are_listed_with_their_line_and_field(
    events_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    details = [
        {"index": 1, "field": "value", "code": "value_out_of_range", "message": "7 is outside 1..5"}
    ]
    fake = FakeIngest([error_response(422, "invalid_events", details=details)])
    assert run([str(events_file)], fake, monkeypatch) == 1
    out = capsys.readouterr().out
    assert "refused: events.jsonl line 2 (event_id 'push-" in out
    assert "field 'value': value_out_of_range — 7 is outside 1..5" in out
    assert "fix the rows listed and send again" in out


def test_skip_invalid_sends_the_rest(events_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    details = [{"index": 1, "field": "value", "code": "value_out_of_range", "message": "no"}]
    fake = FakeIngest([error_response(422, "invalid_events", details=details)])
    assert run([str(events_file), "--skip-invalid"], fake, monkeypatch) == 1
    assert len(fake.stored) == 1


def test_a_broken_file_sends_nothing_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"qsmo": "cybersecurity"}\nnot json\n')
    fake = FakeIngest()
    assert run([str(broken)], fake, monkeypatch) == 2
    assert fake.requests == []
    assert "broken.jsonl line 2: not valid JSON" in capsys.readouterr().err


def test_the_key_may_come_from_the_development_keys_file(
    events_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "api-keys.json"
    keys.write_text(json.dumps({"admin": "a", "viewer": "v", "publishers": {"cybersecurity": KEY}}))
    monkeypatch.delenv("QSMO_API_KEY", raising=False)
    fake = FakeIngest()
    status = main(
        [str(events_file), "--keys-file", str(keys), "--ingest-url", "http://ingest.test"],
        transport=fake.transport,
    )
    assert status == 0
    assert len(fake.stored) == 2


def test_no_key_and_a_wrong_key_exit_2(
    events_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QSMO_API_KEY", raising=False)
    assert main([str(events_file)], transport=FakeIngest().transport) == 2
    assert "no API key: set $QSMO_API_KEY" in capsys.readouterr().err
    assert run([str(events_file)], FakeIngest(key="other"), monkeypatch) == 2


def test_dry_run_reads_only(events_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeIngest()
    assert run([str(events_file), "--dry-run"], fake, monkeypatch) == 0
    assert fake.requests == []


def test_a_csv_files_provider_column_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "event_id,qsmo,measure,value,occurred_at,agency,provider\n"
        "p-1,cybersecurity,customer-engagement,2,2026-04-01T12:00:00Z,DHS,doj-jsoc\n"
        "p-2,cybersecurity,customer-engagement,3,2026-04-01T13:00:00Z,,\n"
    )
    fake = FakeIngest()
    assert run([str(path)], fake, monkeypatch) == 0
    assert fake.stored["p-1"]["provider"] == "doj-jsoc"
    assert "provider" not in fake.stored["p-2"]  # an empty cell is no provider
