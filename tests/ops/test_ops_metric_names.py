"""Every service's metrics follow one scheme, keep their label sets bounded and are documented.

Scheme: ``qsmo_<service>_<what>[_<unit>]``; base units (seconds, bytes) and never ms, minutes
or percent; counters end in ``_total``, nothing else does; histograms name their unit; label
names come from a reviewed list of bounded ones (never event ids, keys, URLs or free text).
"""

from __future__ import annotations

import re

import pytest
from ops_support import (
    METRICS_CLASSES,
    OPERATIONS_DOC,
    exported_series_names,
    promql_metric_names,
    service_families,
)
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric

from gateway.metrics import MAX_OPERATION_NAMES, GatewayMetrics
from services.ingest.metrics import IngestMetrics
from shared.catalog import load_catalog

BOUNDED_LABELS = {
    "qsmo": "catalog QSMO id or 'other'",
    "outcome": "a fixed list per metric",
    "route": "the service's fixed routes",
    "reason": "an error class name",
    "code": "a fixed list of error / dead-letter codes",
    "partition": "a Kafka partition number (bounded by the topic's partitions)",
    "topic": "a configured topic name",
    "kind": "a fixed list of message kinds",
    "trigger": "data or framework",
    "cause": "a fixed list of version causes",
    "level": "measure, dimension or overall",
    "direction": "improved or worsened",
    "overall_status": "GREEN, AMBER, RED, NO_DATA",
    "rule": "the notification rule names",
    "severity": "info, warning, critical",
    "operation": f"a GraphQL operation name, at most {MAX_OPERATION_NAMES} then 'other'",
    "type": "query or mutation",
    "field": "a root field of the GraphQL schema",
    "subscription": "a subscription field of the schema",
    "result": "a fixed list of fan-out results",
}
FORBIDDEN_UNITS = re.compile(
    r"_(ms|msec|milliseconds?|microseconds?|us|ns|minutes?|hours?|days?|"
    r"kb|mb|gb|kilobytes|megabytes|percent|pct)(_|$)"
)
HISTOGRAM_UNITS = ("_seconds", "_bytes", "_events", "_records", "_messages")
TIME_WORDS = re.compile(r"duration|latency|seconds|timestamp|time to|unix time", re.IGNORECASE)

FAMILIES = [
    (service, family) for service in METRICS_CLASSES for family in service_families(service)
]
IDS = [family.name for _, family in FAMILIES]


@pytest.mark.parametrize(("service", "family"), FAMILIES, ids=IDS)
def test_name_follows_the_scheme(service: str, family: Metric) -> None:
    name, kind = family.name, family.type
    assert re.fullmatch(rf"qsmo_{service}_[a-z][a-z0-9_]*[a-z0-9]", name), name
    assert "__" not in name
    assert not FORBIDDEN_UNITS.search(name), f"{name}: use base units (seconds, bytes, ratios)"
    assert not name.endswith(("_total", "_count", "_sum", "_bucket", "_created")), (
        f"{name}: suffixes belong to the client library (counters get _total)"
    )
    documentation = family.documentation
    assert documentation.strip(), f"{name} has no HELP text"
    if kind == "histogram":
        assert name.endswith(HISTOGRAM_UNITS), f"{name}: a histogram names its unit"
    if TIME_WORDS.search(name) or (kind != "counter" and TIME_WORDS.search(documentation)):
        assert name.endswith("_seconds"), f"{name} measures time: end it in _seconds"


@pytest.mark.parametrize(("service", "family"), FAMILIES, ids=IDS)
def test_counters_are_exposed_with_total_suffix(service: str, family: Metric) -> None:
    registry = CollectorRegistry()
    METRICS_CLASSES[service](registry)
    exposed = {
        sample.name
        for found in registry.collect()
        if found.name == family.name
        for sample in found.samples
    }
    if family.type == "counter":
        assert all(s.endswith(("_total", "_created")) for s in exposed), exposed
    else:
        assert not any(s.endswith("_total") for s in exposed), exposed


def _label_names(service: str) -> dict[str, tuple[str, ...]]:
    registry = CollectorRegistry()
    metrics = METRICS_CLASSES[service](registry)
    found: dict[str, tuple[str, ...]] = {}
    for attribute in vars(metrics).values():
        name = getattr(attribute, "_name", None)
        if name is not None:
            found[name] = tuple(getattr(attribute, "_labelnames", ()))
    return found


@pytest.mark.parametrize("service", list(METRICS_CLASSES))
def test_label_names_are_bounded(service: str) -> None:
    labels = _label_names(service)
    assert labels, f"no metrics found on {service}'s metrics class"
    for metric, names in labels.items():
        unknown = set(names) - set(BOUNDED_LABELS)
        assert not unknown, f"{metric}: labels {unknown} are not on the reviewed bounded list"
        assert not {"job", "instance"} & set(names), f"{metric}: clashes with target labels"


def test_ingest_folds_unknown_qsmos_into_other() -> None:
    metrics = IngestMetrics(CollectorRegistry(), load_catalog().qsmo_ids)
    assert metrics.qsmo_label("not-a-qsmo-4711") == "other"
    assert metrics.qsmo_label(None) == "other"
    assert metrics.qsmo_label("cybersecurity") == "cybersecurity"


def test_gateway_operation_label_is_capped() -> None:
    metrics = GatewayMetrics(CollectorRegistry())
    labels = {metrics.operation_label(f"Operation{i}") for i in range(MAX_OPERATION_NAMES + 50)}
    labels |= {metrics.operation_label("not a name!"), metrics.operation_label(None)}
    assert len(labels) <= MAX_OPERATION_NAMES + 2
    assert {"other", "anonymous"} <= labels


def test_every_metric_is_documented_in_operations_md() -> None:
    text = OPERATIONS_DOC.read_text()
    missing = [
        f"{family.name}{'_total' if family.type == 'counter' else ''}"
        for _, family in FAMILIES
        if f"`{family.name}{'_total' if family.type == 'counter' else ''}`" not in text
    ]
    assert not missing, f"docs/operations.md does not describe {missing}"


def test_operations_md_names_no_metric_that_does_not_exist() -> None:
    text = OPERATIONS_DOC.read_text()
    services = "|".join(METRICS_CLASSES)
    pattern = rf"(?<![A-Za-z0-9_:])qsmo_(?:{services})_[a-z0-9_]+(?![a-z0-9_:])"
    mentioned = set(re.findall(pattern, text))
    exported = exported_series_names()
    families = {family.name for _, family in FAMILIES}
    assert mentioned - exported - families == set()


def test_the_promql_reader_finds_metric_names() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(qsmo_x_seconds_bucket{route=~"a|b"}'
        "[5m]))) > 2 and on () (sum(rate(qsmo_y_total[10m] offset 5m)) or on () vector(0)) == 0"
    )
    assert promql_metric_names(expr) == {"qsmo_x_seconds_bucket", "qsmo_y_total"}
    assert promql_metric_names("level:qsmo_z:rate1m > 1e3") == {"level:qsmo_z:rate1m"}
