"""Prometheus metrics of the scorecard service (``qsmo_scorecard_…``)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from services.scorecard.changes import direction
from services.scorecard.handlers import RecomputeReport

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
STATUSES = ("GREEN", "AMBER", "RED", "NO_DATA")


class ScorecardMetrics:
    """Every metric the service exports, registered in the service's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter(
            "qsmo_scorecard_messages_total",
            "Messages read, by topic kind (values, framework) and outcome "
            "(used, ignored: not a fiscal-year value of a known measure, undecodable).",
            ["kind", "outcome"],
            registry=registry,
        )
        self.recomputations = Counter(
            "qsmo_scorecard_recomputations_total",
            "Scorecards recomputed, by trigger (data, framework, rescore: the daily re-score).",
            ["trigger"],
            registry=registry,
        )
        self.recompute_seconds = Histogram(
            "qsmo_scorecard_recompute_duration_seconds",
            "Time to recompute, store and announce the scorecards of one batch.",
            ["trigger"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.versions = Counter(
            "qsmo_scorecard_versions_total",
            "Scorecard versions stored, by cause.",
            ["cause"],
            registry=registry,
        )
        self.transitions = Counter(
            "qsmo_scorecard_status_transitions_total",
            "Status transitions in new versions, by level and direction.",
            ["level", "direction"],
            registry=registry,
        )
        self.by_status = Gauge(
            "qsmo_scorecard_scorecards",
            "Current scorecards by overall status (whole store: take max() across instances).",
            ["overall_status"],
            registry=registry,
        )
        self.framework_seq = Gauge(
            "qsmo_scorecard_framework_seq",
            "Framework changes (audit log entries) this instance has read.",
            registry=registry,
        )
        self.batch_failures = Counter(
            "qsmo_scorecard_batch_failures_total",
            "Batches that failed and were retried.",
            registry=registry,
        )
        self.lag = Gauge(
            "qsmo_scorecard_consumer_lag_messages",
            "Messages behind the partition's end.",
            ["topic", "partition"],
            registry=registry,
        )
        self.last_commit = Gauge(
            "qsmo_scorecard_last_commit_timestamp_seconds",
            "Unix time of the last successful commit.",
            registry=registry,
        )
        for status in STATUSES:
            self.by_status.labels(status).set(0)

    def observe(self, trigger: str, report: RecomputeReport, seconds: float) -> None:
        """Count one handler call's recomputes, versions and transitions."""
        self.recomputations.labels(trigger).inc(report.recomputed)
        self.recompute_seconds.labels(trigger).observe(seconds)
        for stored in report.versions:
            self.versions.labels(stored.view.cause).inc()
            for transition in stored.transitions:
                way = direction(transition.from_status, transition.to_status)
                self.transitions.labels(transition.level, way).inc()
