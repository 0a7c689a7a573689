"""Prometheus metrics of the notifications service (``qsmo_notifications_…``)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)


class NotificationsMetrics:
    """Every metric the service exports, registered in the service's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.raised = Counter(
            "qsmo_notifications_raised_total",
            "Notifications raised, by rule and severity.",
            ["rule", "severity"],
            registry=registry,
        )
        self.resolved = Counter(
            "qsmo_notifications_resolved_total",
            "Condition episodes resolved, by rule.",
            ["rule"],
            registry=registry,
        )
        self.suppressed = Counter(
            "qsmo_notifications_suppressed_total",
            "Re-raises within the cooldown (flaps) that were suppressed, by rule.",
            ["rule"],
            registry=registry,
        )
        self.deliveries = Counter(
            "qsmo_notifications_deliveries_total",
            "Delivery attempts by outcome: delivered, retry (will retry), failed (gave up).",
            ["outcome"],
            registry=registry,
        )
        self.delivery_latency = Histogram(
            "qsmo_notifications_delivery_latency_seconds",
            "From a delivery being created to the receiver accepting it (retries included).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.attempt_seconds = Histogram(
            "qsmo_notifications_delivery_attempt_seconds",
            "Duration of one delivery attempt (webhook or email).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.retry_queue = Gauge(
            "qsmo_notifications_retry_queue_depth",
            "Pending deliveries that failed at least once and wait for a retry.",
            registry=registry,
        )
        self.pending = Gauge(
            "qsmo_notifications_pending_deliveries",
            "Deliveries not yet delivered or failed.",
            registry=registry,
        )
        self.in_flight = Gauge(
            "qsmo_notifications_deliveries_in_flight",
            "Webhook attempts running now.",
            registry=registry,
        )
        self.records = Counter(
            "qsmo_notifications_records_total",
            "Kafka records read, by kind: scorecard, dead_letter, review, undecodable.",
            ["kind"],
            registry=registry,
        )
        self.batch_failures = Counter(
            "qsmo_notifications_batch_failures_total",
            "Batches or sweeps that failed and were retried.",
            registry=registry,
        )
        self.lag = Gauge(
            "qsmo_notifications_consumer_lag_messages",
            "Messages behind the partition's end, by topic and partition.",
            ["topic", "partition"],
            registry=registry,
        )
        self.last_commit = Gauge(
            "qsmo_notifications_last_commit_timestamp_seconds",
            "Unix time of the last successful commit.",
            registry=registry,
        )
        self.published = Counter(
            "qsmo_notifications_published_total",
            "NotificationRaised messages published on qsmo.notifications.v1.",
            registry=registry,
        )
        self.last_sweep = Gauge(
            "qsmo_notifications_last_sweep_timestamp_seconds",
            "Unix time of the last completed sweep (stale measures, windows, cooldowns).",
            registry=registry,
        )
