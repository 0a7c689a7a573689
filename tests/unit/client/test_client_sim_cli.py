"""``qsmo-sim`` against the fake ingest: backfill waves, keys per QSMO, progress, live ticks."""

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from client_fakes import FakeIngest, Ticks, error_response

from qsmo_client.publisher import Publisher
from qsmo_client.simulator.cli import main, parse_args, parse_since, run, run_live
from qsmo_client.simulator.keys import KeysFileError, publisher_keys
from qsmo_client.simulator.live import LiveTrickle
from shared.catalog import load_catalog

QSMOS = load_catalog().qsmo_ids
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
PUBLISHERS = {qsmo: f"key-{qsmo}" for qsmo in QSMOS}


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "api-keys.json"
    path.write_text(json.dumps({"admin": "a", "viewer": "v", "publishers": PUBLISHERS}))
    return path


def fake_ingest() -> FakeIngest:
    return FakeIngest(key="unused", other_keys=tuple(PUBLISHERS.values()))


def test_backfill_sends_every_qsmo_with_its_own_key_and_shows_progress(keys_file: Path) -> None:
    fake = fake_ingest()
    out = io.StringIO()
    args = parse_args(["--keys-file", str(keys_file), "--since", "FY2026", "--backfill-only"])
    assert run(args, out=out, clock=lambda: NOW, transport=fake.transport) == 0
    for events, key in zip(fake.requests, fake.request_keys, strict=True):
        assert {PUBLISHERS[e["qsmo"]] for e in events} == {key}
        assert len(events) <= 1000
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("backfill: ")
    assert "since 2025-10-01 (seed 2022)" in lines[0]
    assert any(line.startswith("backfill: FY2026 Q1 sent — ") for line in lines)
    assert lines[-1].startswith("backfill done: ")
    assert lines[-1].endswith(" requests (0 sent again after ingest pushed back)")
    assert "(100%)" in lines[-2]
    assert fake.deliveries > len(fake.stored) > 500  # client retries repeat some ids
    # Running it again sends the same ids: nothing new is stored.
    before = dict(fake.stored)
    assert run(args, out=io.StringIO(), clock=lambda: NOW, transport=fake.transport) == 0
    assert fake.stored == before


def test_backfill_done_counts_requests_sent_again_after_ingest_pushed_back(
    keys_file: Path,
) -> None:
    fake = fake_ingest()
    fake.script = [error_response(503, "unavailable", retry_after="0")] * 2
    out = io.StringIO()
    args = parse_args(["--keys-file", str(keys_file), "--since", "FY2026", "--backfill-only"])
    assert run(args, out=out, clock=lambda: NOW, transport=fake.transport) == 0
    done = out.getvalue().splitlines()[-1]
    assert done.endswith(
        f" in {len(fake.requests)} requests (2 sent again after ingest pushed back)"
    )


def test_live_ticks_send_events_until_stopped() -> None:
    fake = fake_ingest()
    moments = iter(NOW + timedelta(seconds=2 * n) for n in range(100))
    publishers = {
        q: Publisher(k, "http://ingest.test", transport=fake.transport)
        for q, k in PUBLISHERS.items()
    }
    trickle = LiveTrickle(1, QSMOS, NOW, load_catalog().framework())
    totals = run_live(trickle, publishers, 2.0, lambda: next(moments), Ticks(30), io.StringIO())
    assert totals.events == fake.deliveries > 60
    assert all(e["source"].endswith("-marketplace") for r in fake.requests for e in r)


def test_keys_and_arguments_are_checked(keys_file: Path, tmp_path: Path) -> None:
    assert list(publisher_keys(keys_file, QSMOS, "all")) == list(QSMOS)
    assert publisher_keys(keys_file, QSMOS, "human-resources, cybersecurity") == {
        "human-resources": PUBLISHERS["human-resources"],
        "cybersecurity": PUBLISHERS["cybersecurity"],
    }
    with pytest.raises(KeysFileError, match="unknown QSMOs"):
        publisher_keys(keys_file, QSMOS, "nasa")
    with pytest.raises(KeysFileError, match="make up"):
        publisher_keys(tmp_path / "missing.json", QSMOS, "all")
    assert parse_since("FY2024") == datetime(2023, 10, 1, tzinfo=UTC)
    assert parse_since("2025-02-03") == datetime(2025, 2, 3, tzinfo=UTC)
    assert main(["--keys-file", str(tmp_path / "missing.json")]) == 2
