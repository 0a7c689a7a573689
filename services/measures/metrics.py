"""Prometheus metrics of the measures service (``qsmo_measures_…``)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

STATE_KINDS = ("period", "stream")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


class MeasuresMetrics:
    """Every metric the service exports, registered in the service's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "qsmo_measures_events_total",
            "Events read, by outcome: counted, duplicate, late (also counted), dead_lettered.",
            ["outcome"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "qsmo_measures_dead_letters_total",
            "Records sent to the DLQ, by reason code.",
            ["code"],
            registry=registry,
        )
        self.batch_size = Histogram(
            "qsmo_measures_batch_records",
            "Records per processed batch.",
            buckets=(1, 10, 50, 100, 250, 500, 1000, 2000, 5000),
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "qsmo_measures_batch_duration_seconds",
            "Time to make a batch durable and publish it.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.event_to_value = Histogram(
            "qsmo_measures_event_to_value_seconds",
            "From ingest accepting an event to its value being durable.",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.values_published = Counter(
            "qsmo_measures_value_changes_published_total",
            "MeasureValueChanged messages published.",
            registry=registry,
        )
        self.batch_failures = Counter(
            "qsmo_measures_batch_failures_total",
            "Batches that failed and were retried.",
            registry=registry,
        )
        self.lag = Gauge(
            "qsmo_measures_consumer_lag_messages",
            "Messages behind the partition's end.",
            ["partition"],
            registry=registry,
        )
        # Every label value exists from the start, so increase() sees the first event too.
        for outcome in ("counted", "duplicate", "late", "dead_lettered"):
            self.events.labels(outcome)
        for code in ("empty", "undecodable", "schema_version", "invalid", "validation"):
            self.dead_letters.labels(code)
        self.last_commit = Gauge(
            "qsmo_measures_last_commit_timestamp_seconds",
            "Unix time of the last successful commit.",
            registry=registry,
        )
        self.cached_states = Gauge(
            "qsmo_measures_cached_states",
            "Period and stream states held in memory, by kind (capped by "
            "QSMO_MEASURES_STATE_CACHE_MAX_STATES per kind).",
            ["kind"],
            registry=registry,
        )
        self.state_evictions = Counter(
            "qsmo_measures_state_evictions_total",
            "States dropped from the cache to stay under its cap, by kind.",
            ["kind"],
            registry=registry,
        )
        self.state_lookups = Counter(
            "qsmo_measures_state_lookups_total",
            "States looked up in the store because the cache could not vouch for them "
            "(before warming, or once it has evicted), by kind.",
            ["kind"],
            registry=registry,
        )
        for kind in STATE_KINDS:
            self.cached_states.labels(kind)
            self.state_evictions.labels(kind)
            self.state_lookups.labels(kind)
