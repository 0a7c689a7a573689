"""What the operations tests share: the services' metric families, the series names they and
the recording rules produce, and a small PromQL reader that finds the metric names an
expression uses (enough for our dashboards and rules; not a full PromQL parser)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from gateway.metrics import GatewayMetrics
from services.ingest.metrics import IngestMetrics
from services.measures.metrics import MeasuresMetrics
from services.notifications.metrics import NotificationsMetrics
from services.scorecard.metrics import ScorecardMetrics
from shared.catalog import load_catalog

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
RULE_FILES = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
OPERATIONS_DOC = REPO / "docs" / "operations.md"

METRICS_CLASSES: dict[str, Callable[[CollectorRegistry], object]] = {
    "ingest": lambda registry: IngestMetrics(registry, load_catalog().qsmo_ids),
    "measures": MeasuresMetrics,
    "scorecard": ScorecardMetrics,
    "notifications": NotificationsMetrics,
    "gateway": GatewayMetrics,
}
"""Each service's metrics class, built the way its composition root builds it."""

SERIES_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
}


def service_families(service: str) -> list[Metric]:
    """The metric families one service exports, from a fresh registry."""
    registry = CollectorRegistry()
    METRICS_CLASSES[service](registry)
    return list(registry.collect())


def exported_series_names() -> set[str]:
    """Every series name the services' /metrics can show."""
    names = set()
    for service in METRICS_CLASSES:
        for family in service_families(service):
            names.update(family.name + suffix for suffix in SERIES_SUFFIXES[family.type])
    return names


def rules(kind: str) -> list[dict[str, Any]]:
    """Every rule of a kind (``record`` or ``alert``) in deploy/prometheus/rules."""
    found = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            found.extend(rule for rule in group["rules"] if kind in rule)
    return found


def known_series_names() -> set[str]:
    """What a query may read: exported series, recorded series and Prometheus's ``up``."""
    return exported_series_names() | {rule["record"] for rule in rules("record")} | {"up"}


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_BRACES = re.compile(r"\{[^}]*\}")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_:.])[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring"}
    | {"group_left", "group_right", "inf", "nan", "atan2"}
)


def promql_metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (identifiers that are not functions,
    keywords, label names or durations)."""
    text = _STRING.sub('""', expr)
    text = _BRACES.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group().lower() in _KEYWORDS:
            continue
        names.add(match.group())
    return names


def run_promtool(promtool: str, *args: str | Path) -> str:
    """Run promtool; fail the test with its output unless it exits 0."""
    result = subprocess.run(
        [promtool, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(map(str, args))} failed:\n{output}"
    return output


def check_promql(promtool: str, expressions: Iterable[str], workdir: Path) -> None:
    """Let promtool parse the expressions, as recording rules of a throw-away rule file."""
    recorded = [{"record": f"check:expr_{i}:value", "expr": e} for i, e in enumerate(expressions)]
    path = workdir / "expressions.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "check", "rules": recorded}]}))
    run_promtool(promtool, "check", "rules", path)
