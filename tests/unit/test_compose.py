"""docker-compose.yml cannot run here; check what can be checked: it parses, and it agrees
with the local route on ports, topics and QSMO_* variable names."""

import sys
from pathlib import Path
from typing import Any

import yaml

from shared import topics
from shared.settings import PlatformSettings

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "deploy" / "local"))
import qsmo_stack  # noqa: E402


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_every_service_of_the_local_route_is_in_compose_on_the_same_port() -> None:
    services = _compose()["services"]
    for name, module in qsmo_stack.SERVICES:
        entry = services[name]
        port = qsmo_stack.DEV_PORTS[name]
        assert entry["command"] == [module]
        assert entry["ports"] == [f"{port}:{port}"]
        assert entry["environment"]["PORT"] == str(port)
        assert "healthcheck" in entry
        assert all(dep["condition"] for dep in entry["depends_on"].values())
    for name in ("kafka", "mongo", "prometheus"):
        assert services[name]["ports"][0].startswith(f"{qsmo_stack.DEV_PORTS[name]}:")


def test_compose_variables_are_settings_the_code_reads() -> None:
    environment = _compose()["services"]["ingest"]["environment"]
    shared_fields = {f"QSMO_{name.upper()}" for name in PlatformSettings.model_fields}
    service_hosts = {f"QSMO_{name.upper()}_HOST" for name, _ in qsmo_stack.SERVICES}
    unknown = {key for key in environment if key != "PORT"} - shared_fields - service_hosts
    assert unknown == set()


def test_compose_creates_every_platform_topic() -> None:
    command = " ".join(_compose()["services"]["topics"]["command"])
    for topic in topics.ALL_TOPICS:
        assert topic in command
