"""Ingest settings from QSMO_INGEST_* variables, a start that needs no broker yet, and no start
at all with development keys in production."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from ingest_support import DevKeys, event
from pydantic import ValidationError

from services.ingest.bootstrap import create_app
from services.ingest.publisher import InMemoryEventPublisher
from services.ingest.settings import IngestSettings
from shared.api_keys import generate_development_keys
from shared.settings import PlatformSettings, UnsafeInProductionError

REPO = Path(__file__).resolve().parents[3]


def test_defaults_match_the_documented_api(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "TOPIC", "MAX_EVENTS", "MAX_BODY_BYTES", "RATE_PER_S", "BURST"):
        monkeypatch.delenv(f"QSMO_INGEST_{name}", raising=False)
    settings = IngestSettings()
    assert (settings.port, settings.topic) == (8001, "qsmo.events.v1")
    assert (settings.max_events, settings.max_body_bytes) == (1000, 1024 * 1024)


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QSMO_INGEST_PORT", "9101")
    monkeypatch.setenv("QSMO_INGEST_TOPIC", "test.topic")
    monkeypatch.setenv("QSMO_INGEST_PUBLISH_TIMEOUT_S", "2.5")
    settings = IngestSettings()
    assert (settings.port, settings.topic, settings.publish_timeout_s) == (9101, "test.topic", 2.5)


def test_a_burst_below_a_full_request_is_refused() -> None:
    with pytest.raises(ValidationError, match="QSMO_INGEST_BURST=10 is below"):
        IngestSettings(burst=10, max_events=1000)
    with pytest.raises(ValidationError, match="max_events"):
        IngestSettings(max_events=1001, burst=5000)


def test_a_missing_key_file_stops_the_service_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "QSMO_API_KEYS_FILE": str(tmp_path / "absent.json")}
    result = subprocess.run(
        [sys.executable, "-m", "services.ingest"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert line["level"] == "ERROR"
    assert "absent.json does not exist: run `make up`" in line["msg"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_app_starts_without_kafka_and_answers_503_until_it_can_publish() -> None:
    keys = DevKeys.generate()
    platform = PlatformSettings(kafka_bootstrap=f"127.0.0.1:{_closed_port()}")
    app = create_app(IngestSettings(reconnect_s=30, qsmo_refresh_s=0), platform, key_ring=keys.ring)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ingest") as client,
    ):
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert "not connected" in ready.json()["failures"]["kafka"]
        response = await client.post("/v1/events", json=event(), headers=keys.auth())
        assert response.status_code == 503
        assert response.headers["retry-after"] == "5"
        metrics = (await client.get("/metrics")).text
        assert 'qsmo_ingest_producer_errors_total{reason="not_connected"} 1.0' in metrics


def test_production_refuses_development_keys_at_build() -> None:
    with pytest.raises(UnsafeInProductionError, match="holds development keys"):
        create_app(
            IngestSettings(qsmo_refresh_s=0),
            PlatformSettings(environment="production"),
            publisher=InMemoryEventPublisher(),
            key_ring=DevKeys.generate().ring,
        )


def test_production_with_development_keys_does_not_start(tmp_path: Path) -> None:
    _plaintext, key_file = generate_development_keys(["cybersecurity"])
    (tmp_path / "keys.json").write_text(key_file.model_dump_json())
    env = {
        **os.environ,
        "QSMO_API_KEYS_FILE": str(tmp_path / "keys.json"),
        "QSMO_ENVIRONMENT": "production",
    }
    result = subprocess.run(
        [sys.executable, "-m", "services.ingest"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    [line] = [json.loads(text) for text in result.stderr.splitlines()]
    assert "holds development keys (dev-admin, dev-publisher-cybersecurity" in line["msg"]
