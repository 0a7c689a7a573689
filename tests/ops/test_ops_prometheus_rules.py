"""The Prometheus configuration, recording and alert rules pass promtool (check config, check
rules, and the unit tests in deploy/prometheus/tests), read only metrics that exist, and every
alert is tested both ways and has a runbook entry."""

from __future__ import annotations

import re
from pathlib import Path

import qsmo_stack
import yaml
from ops_support import (
    OPERATIONS_DOC,
    PROMETHEUS_DIR,
    REPO,
    RULE_FILES,
    known_series_names,
    promql_metric_names,
    rules,
    run_promtool,
)

CONFIGS = (PROMETHEUS_DIR / "prometheus.yml", PROMETHEUS_DIR / "prometheus.docker.yml")
RULE_TESTS = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))


def test_promtool_accepts_both_configs_with_their_rule_files(promtool: str) -> None:
    for config in CONFIGS:
        output = run_promtool(promtool, "check", "config", config)
        assert f"SUCCESS: {len(RULE_FILES)} rule files found" in output, output


def test_promtool_accepts_the_config_the_stack_renders(promtool: str, tmp_path: Path) -> None:
    ports = {name: qsmo_stack.free_port() for name, _ in qsmo_stack.SERVICES}
    config = tmp_path / "prometheus.yml"
    config.write_text(qsmo_stack.render_prometheus_config(ports, scrape_interval="1s"))
    run_promtool(promtool, "check", "config", config)
    rendered = yaml.safe_load(config.read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in rendered["scrape_configs"]
    }
    assert targets == {name: [f"127.0.0.1:{port}"] for name, port in ports.items()}


def test_promtool_accepts_the_rules(promtool: str) -> None:
    assert len(RULE_FILES) == 2
    output = run_promtool(promtool, "check", "rules", *RULE_FILES)
    assert output.count("SUCCESS") == len(RULE_FILES)


def test_promtool_rule_unit_tests_pass(promtool: str) -> None:
    assert RULE_TESTS, "no promtool unit tests in deploy/prometheus/tests"
    output = run_promtool(promtool, "test", "rules", *RULE_TESTS)
    assert "SUCCESS" in output


def test_every_alert_is_tested_firing_and_silent() -> None:
    firing: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])
    alerts = {rule["alert"] for rule in rules("alert")}
    assert alerts - firing == set(), "alerts without a firing test case"
    assert alerts - silent == set(), "alerts without a test case where they stay silent"


def test_every_alert_has_severity_annotations_and_a_runbook_section() -> None:
    doc = OPERATIONS_DOC.read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.lower()).strip().replace(" ", "-")
        for heading in re.findall(r"^#{2,4} (.+)$", doc, flags=re.MULTILINE)
    }
    for rule in rules("alert"):
        name = rule["alert"]
        assert re.fullmatch(r"Qsmo[A-Z][A-Za-z]+", name)
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        annotations = rule["annotations"]
        assert annotations["summary"], name
        assert annotations["description"], name
        assert annotations["runbook"] == f"docs/operations.md#{name.lower()}", name
        assert name.lower() in anchors, f"docs/operations.md has no '### {name}' section"


def test_rules_read_only_series_that_exist() -> None:
    known = known_series_names()
    for rule in rules("record") + rules("alert"):
        unknown = promql_metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('record') or rule.get('alert')} reads unknown {unknown}"


def test_recording_rules_follow_level_metric_operation_naming() -> None:
    for rule in rules("record"):
        level, metric, operation = rule["record"].split(":")
        assert level, rule["record"]
        assert operation, rule["record"]
        assert metric.startswith("qsmo_"), rule["record"]


def test_each_config_scrapes_every_service_on_its_port() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for config_path, host in zip(CONFIGS, ("127.0.0.1", None), strict=True):
        config = yaml.safe_load(config_path.read_text())
        jobs = {
            job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
        }
        assert set(jobs) == {name for name, _ in qsmo_stack.SERVICES}
        for name, targets in jobs.items():
            port = qsmo_stack.DEV_PORTS[name]
            assert targets == [f"{host or name}:{port}"]
            if host is None:
                assert compose[name]["environment"]["PORT"] == str(port)


def test_compose_mounts_the_rules_where_the_docker_config_looks() -> None:
    prometheus = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["prometheus"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in prometheus["volumes"])
    assert mounts["./deploy/prometheus/prometheus.docker.yml"] == "/etc/prometheus/prometheus.yml"
    rule_glob = yaml.safe_load(CONFIGS[1].read_text())["rule_files"]
    assert rule_glob == ["rules/*.yml"]
    assert mounts["./deploy/prometheus/rules"] == "/etc/prometheus/rules"
