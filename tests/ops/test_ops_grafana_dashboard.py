"""The provisioned Grafana dashboard: well-formed, wired to the provisioned datasource, every
query valid PromQL (promtool parses it) that reads only series that exist, and covering what
operators must see."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ops_support import REPO, check_promql, known_series_names, promql_metric_names

GRAFANA = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "qsmo-platform.json"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "qsmo.yml"


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded = json.loads(DASHBOARD.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def _expressions(dashboard: dict[str, Any]) -> list[str]:
    return [target["expr"] for panel in _panels(dashboard) for target in panel["targets"]]


def test_dashboard_is_well_formed(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "qsmo-platform"
    assert dashboard["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in _panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert grid["h"] > 0, panel["title"]
        assert panel["title"], panel["id"]
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_every_panel_uses_the_provisioned_datasource(dashboard: dict[str, Any]) -> None:
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    wanted = {"type": "prometheus", "uid": datasource["uid"]}
    assert datasource["type"] == "prometheus"
    for panel in _panels(dashboard):
        assert panel["datasource"] == wanted, panel["title"]
        assert all(target["datasource"] == wanted for target in panel["targets"]), panel["title"]


def test_every_query_is_valid_promql(
    dashboard: dict[str, Any], promtool: str, tmp_path: Path
) -> None:
    check_promql(promtool, _expressions(dashboard), tmp_path)


def test_every_query_reads_series_that_exist(dashboard: dict[str, Any]) -> None:
    known = known_series_names()
    for panel in _panels(dashboard):
        for target in panel["targets"]:
            names = promql_metric_names(target["expr"])
            assert names, f"{panel['title']}: no metric in {target['expr']!r}"
            unknown = names - known
            assert not unknown, f"panel {panel['title']!r} reads unknown series {unknown}"


@pytest.mark.parametrize(
    ("topic", "series"),
    [
        ("pipeline throughput", "outcome:qsmo_ingest_events:rate1m"),
        ("pipeline throughput", "outcome:qsmo_measures_events:rate1m"),
        ("consumer lag", "qsmo_measures_consumer_lag_messages"),
        ("consumer lag", "topic:qsmo_scorecard_consumer_lag_messages:sum"),
        ("latency percentiles", "platform:qsmo_measures_event_to_value_seconds:p99_5m"),
        ("dead letters", "qsmo_measures_dead_letters_total"),
        ("GraphQL latency by operation", "operation:qsmo_gateway_request_duration_seconds:p95_5m"),
        ("notifications", "outcome:qsmo_notifications_deliveries:rate5m"),
        ("notifications", "qsmo_notifications_raised_total"),
        ("service health", "up"),
    ],
)
def test_dashboard_covers(dashboard: dict[str, Any], topic: str, series: str) -> None:
    used = set().union(*(promql_metric_names(expr) for expr in _expressions(dashboard)))
    assert series in used, f"no panel shows {topic} ({series})"


def test_compose_provisions_the_datasource_and_the_dashboard() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    mounts = dict(
        volume.rsplit(":", 1)[0].split(":", 1) for volume in compose["grafana"]["volumes"]
    )
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    (provider,) = yaml.safe_load(PROVIDERS.read_text())["providers"]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    (datasource,) = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    assert compose["prometheus"]["ports"] == ["9090:9090"]
